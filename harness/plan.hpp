#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/check.hpp"
#include "harness/database.hpp"
#include "harness/diagnostics.hpp"
#include "harness/duration.hpp"
#include "harness/redactor.hpp"

namespace cutover {

inline constexpr Duration kDefaultTimeout = std::chrono::seconds(10);
inline constexpr std::string_view kDefaultPhase = "main";

// `attempts` tries in all, `interval` apart; or, with `until`, tries until one passes or the
// time since the first try started passes `until`.
struct RetryPolicy {
  int attempts = 1;
  std::optional<Duration> until{};
  Duration interval{};
};

// One check of the plan, with everything the scheduler and reporters need. Text fields are
// already redacted.
struct PlannedCheck {
  std::string suite;
  std::string name;
  std::string kind;
  std::string description;
  std::string phase{kDefaultPhase};
  std::vector<std::string> tags;
  Duration timeout = kDefaultTimeout;
  RetryPolicy retry;
  std::vector<std::string> needs;  // names of checks of the same suite
  SourceLocation location;
  std::unique_ptr<Check> check;
};

struct SuiteInfo {
  std::string name;
  std::string description;
  std::string file;
};

// A validated run: what suite files turn into, or what a program builds in C++.
struct Plan {
  std::vector<SuiteInfo> suites;
  std::vector<PlannedCheck> checks;                        // in file order
  std::vector<std::shared_ptr<const Database>> databases;  // every suite's `databases:`
  Redactor redactor;

  std::vector<std::string> phase_order;  // declared by suites (`phases:`); run first, in order

  // The declared phases, then the others in the order they first appear; the scheduler runs
  // them one after the other. Declared phases no check uses are left out.
  std::vector<std::string> phases() const;

  // Index of the check called `name` in `suite`, if any.
  std::optional<std::size_t> find(const std::string& suite, const std::string& name) const;
};

// Checks `needs`: each names an existing check of the same suite that runs in the same or an
// earlier phase, and needs form no cycle. Suite loading calls it; so can C++ code that builds a
// plan by hand.
Diagnostics validate_needs(const Plan& plan);

}  // namespace cutover
