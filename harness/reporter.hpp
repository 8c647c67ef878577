#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "harness/duration.hpp"
#include "harness/plan.hpp"
#include "harness/result.hpp"

namespace cutover {

// What a run checks, for the reports' environment panel: "database source" and its connection
// string with passwords and secrets masked.
struct Target {
  std::string name;
  std::string address;

  bool operator==(const Target&) const = default;
};

// What was asked of a run, for report headers and metadata.
struct RunInfo {
  std::string tool_version;
  std::string hostname;
  std::chrono::system_clock::time_point started;
  std::vector<SuiteInfo> suites;
  std::vector<std::string> phases;           // the phases that run, in order
  std::vector<std::string> selected_phases;  // --phase, empty when all
  std::vector<std::string> selected_tags;    // --tag, empty when all
  std::string filter;                        // --filter, empty when all
  int shard_index = 0;
  int shard_count = 1;
  std::size_t selected_checks = 0;
  std::vector<Target> targets;  // the suites' declared databases
};

// Where a check stands when one of its attempts has ended, for live progress.
struct AttemptProgress {
  std::size_t number = 1;  // the attempt that ended: 1 for the first
  bool retrying = false;   // another attempt follows, after the retry interval
  // retry: { until }: no attempt starts after this; empty for retry: { attempts }.
  std::optional<std::chrono::steady_clock::time_point> give_up_at;
};

struct RunSummary {
  std::map<Outcome, std::size_t> counts;
  std::size_t flaky = 0;
  Duration duration{};
  bool interrupted = false;

  std::size_t count(Outcome outcome) const;
  std::size_t total() const;
  bool all_passed() const { return count(Outcome::passed) == total(); }
};

// Receives a run's events, in the order they are declared here. Console reporters stream;
// file reporters collect and write at run_finished. Text in results is already redacted.
class Reporter {
 public:
  virtual ~Reporter();

  // Called once, before the first check starts.
  virtual void run_started(const RunInfo& info);

  // Called when a phase starts, before its first check starts or is skipped, with the number of
  // selected checks it holds.
  virtual void phase_started(const std::string& phase, std::size_t checks);

  // Called when a check's first attempt starts (not for skipped checks).
  virtual void check_started(const PlannedCheck& check);

  // Called as each attempt of a check ends, the last one too (before its check_finished), so a
  // long retry shows progress while it waits.
  virtual void attempt_finished(const PlannedCheck& check, const Attempt& attempt,
                                const AttemptProgress& progress);

  // Called once per selected check when its final result is known, skipped ones included.
  virtual void check_finished(const PlannedCheck& check, const Result& result);

  // Called once, after every check finished; file reporters write their file here and throw
  // std::runtime_error when they cannot.
  virtual void run_finished(const RunInfo& info, const RunSummary& summary);
};

// Forwards every event to several reporters; the *_finished events go in reverse order, so the
// console's summary comes after the file reporters have said what they wrote.
class ReporterFanOut : public Reporter {
 public:
  void add(std::unique_ptr<Reporter> reporter);

  void run_started(const RunInfo& info) override;
  void phase_started(const std::string& phase, std::size_t checks) override;
  void check_started(const PlannedCheck& check) override;
  void attempt_finished(const PlannedCheck& check, const Attempt& attempt,
                        const AttemptProgress& progress) override;
  void check_finished(const PlannedCheck& check, const Result& result) override;
  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::vector<std::unique_ptr<Reporter>> reporters_;
};

// A report written to a file, chosen on the command line with `--NAME FILE`.
struct ReportFormat {
  std::string name;         // also the flag: "junit" for --junit FILE
  std::string description;  // for --help
  std::function<std::unique_ptr<Reporter>(const std::filesystem::path&)> make;
};

enum class Verbosity { quiet, normal, verbose };

// How the console reporter prints; the CLI decides from flags, NO_COLOR and isatty.
struct ConsoleSettings {
  std::ostream* out = nullptr;
  bool color = false;          // ANSI colours
  bool live_progress = false;  // a progress line rewritten in place (terminals only)
  Verbosity verbosity = Verbosity::normal;
  // Columns the progress line is cut to; 0 asks the terminal (then $COLUMNS, then 80).
  std::size_t width = 0;
};

}  // namespace cutover
