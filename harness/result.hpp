#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "harness/duration.hpp"

namespace cutover {

// passed: the assertion held. failed: the target answered and the assertion did not hold.
// error: the check could not be carried out (timeout, refused, bad credentials, interrupted).
// skipped: not run (a dependency did not pass, --fail-fast, interrupted before it started).
enum class Outcome { passed, failed, error, skipped };

std::string_view to_string(Outcome outcome);

struct Measurement {
  std::string name;  // snake_case with the unit in it where it helps: "latency_ms"
  double value = 0;
  std::string unit;  // "ms", "rows", "bytes"; empty for plain counts
};

// What one attempt of a check reports back to the scheduler.
struct CheckResult {
  Outcome outcome = Outcome::passed;
  std::string message;  // one line: what held, or expected vs found
  std::string details;  // free text evidence; bounded by the scheduler
  std::vector<Measurement> measurements;

  static CheckResult passed(std::string message);
  static CheckResult failed(std::string message);
  static CheckResult error(std::string message);
};

struct Attempt {
  Outcome outcome = Outcome::passed;
  std::string message;
  std::string details;
  std::chrono::system_clock::time_point started;
  Duration duration{};
};

// The final result of one check, as reporters see it. Text is already redacted and bounded.
struct Result {
  Outcome outcome = Outcome::skipped;
  std::string message;
  std::string details;
  std::vector<Measurement> measurements;
  std::vector<Attempt> attempts;  // every attempt, the last one included; empty when skipped
  std::chrono::system_clock::time_point started;
  Duration duration{};  // from the first attempt's start to the end of the last
  bool interrupted = false;

  // Passed after at least one failed attempt.
  bool flaky() const { return outcome == Outcome::passed && attempts.size() > 1; }
};

}  // namespace cutover
