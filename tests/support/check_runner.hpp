#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "harness/check.hpp"
#include "harness/fields.hpp"
#include "harness/redactor.hpp"
#include "harness/result.hpp"

namespace cutover::test {

// Runs single attempts of a check kind as the scheduler would, for the kinds' own tests.

using FieldMap = std::map<std::string, FieldValue, std::less<>>;

inline constexpr Duration kCheckTimeout = std::chrono::seconds(5);

// Fields as the loader would hand them over, placed at suite.yaml:7:5.
Fields make_fields(FieldMap values, Duration timeout = kCheckTimeout);

// A check built from `values`, which must be valid.
template <typename Kind>
std::unique_ptr<Kind> make_check(FieldMap values, Duration timeout = kCheckTimeout) {
  Fields fields = make_fields(std::move(values), timeout);
  auto check = std::make_unique<Kind>(fields);
  const Diagnostics diagnostics = fields.take_diagnostics();
  EXPECT_TRUE(diagnostics.empty()) << to_string(diagnostics.front());
  return check;
}

// The mistakes a kind reports about `values`, as "suite.yaml:7:5: error: ..." lines.
template <typename Kind>
std::vector<std::string> construction_errors(FieldMap values) {
  Fields fields = make_fields(std::move(values));
  Kind check(fields);
  std::vector<std::string> errors;
  for (const Diagnostic& diagnostic : fields.take_diagnostics()) {
    errors.push_back(to_string(diagnostic));
  }
  return errors;
}

// The loader's messages about one check of the built-in kind `kind` whose fields are `fields`,
// one "key: value" a line (the check starts on line 3, its fields on line 5), as
// "suite.yaml:5:11: error: ..." lines.
std::vector<std::string> load_errors(const std::string& kind,
                                     const std::vector<std::string>& fields);

// The loader's messages about a suite of the built-in kinds whose `databases:` map holds
// `databases` (lines like "  pg: { dsn: ... }\n") and whose only check is the flow map `check`
// (on line 3 plus the number of database lines), as "suite.yaml:6:11: error: ..." lines.
std::vector<std::string> load_check_errors(const std::string& databases, const std::string& check);

// The declaration of `name` in `spec` (a failed expectation when it has none): what the loader
// enforces for that field, before the kind's constructor runs.
const FieldSpec& declared(const KindSpec& spec, std::string_view name);

struct Completed {
  CheckResult result;
  int completions = 0;
  Duration elapsed{};
};

// Runs one attempt to the end, as the scheduler would, minus the watchdog and the final
// redaction. `cancel_after` cancels the attempt that long after it starts; `redactor` is the
// run's, which the check may use itself.
Completed run_check(Check& check, Duration timeout = kCheckTimeout,
                    std::optional<Duration> cancel_after = std::nullopt,
                    const Redactor& redactor = no_secrets());

// Runs one attempt whose cancellation came before it started, as when the scheduler cancels a
// check it has just launched. `completions_inside_start` counts answers given inside start(),
// which must not happen.
struct CancelledBeforeStart {
  Completed run;
  int completions_inside_start = 0;
};
CancelledBeforeStart run_cancelled_before_start(Check& check);

void expect_result(const Completed& run, Outcome outcome, const std::string& message);

// Latencies vary; everything around them is asserted exactly.
void expect_result_matching(const Completed& run, Outcome outcome, const std::string& pattern);

const Measurement* find_measurement(const CheckResult& result, const std::string& name);

}  // namespace cutover::test
