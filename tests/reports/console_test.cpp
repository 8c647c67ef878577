#include "reports/console.hpp"

#include <sstream>

#include <gtest/gtest.h>

#include "reports/builtin.hpp"

namespace cutover {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

PlannedCheck make_check(std::string suite, std::string name) {
  PlannedCheck check;
  check.suite = std::move(suite);
  check.name = std::move(name);
  check.kind = "tcp";
  check.phase = "pre";
  return check;
}

Attempt make_attempt(Outcome outcome, std::string message, Duration duration) {
  Attempt attempt;
  attempt.outcome = outcome;
  attempt.message = std::move(message);
  attempt.duration = duration;
  return attempt;
}

// The final result with one attempt, or with `attempts` when given (the last one included).
Result make_result(Outcome outcome, std::string message, Duration duration,
                   std::vector<Attempt> attempts = {}) {
  Result result;
  result.outcome = outcome;
  result.message = std::move(message);
  result.duration = duration;
  if (outcome != Outcome::skipped && attempts.empty()) {
    attempts.push_back(make_attempt(outcome, result.message, duration));
  }
  result.attempts = std::move(attempts);
  return result;
}

RunInfo make_info(std::vector<std::string> suites, std::size_t selected) {
  RunInfo info;
  info.tool_version = "0.1.0";
  for (std::string& name : suites) {
    info.suites.push_back({std::move(name), "", ""});
  }
  info.phases = {"pre"};
  info.selected_checks = selected;
  return info;
}

RunSummary make_summary(std::size_t passed, std::size_t failed, std::size_t error,
                        std::size_t skipped, std::size_t flaky, Duration duration) {
  RunSummary summary;
  summary.counts = {{Outcome::passed, passed},
                    {Outcome::failed, failed},
                    {Outcome::error, error},
                    {Outcome::skipped, skipped}};
  summary.flaky = flaky;
  summary.duration = duration;
  return summary;
}

// One suite, every outcome, a flaky check and a check that failed all its retries.
std::string run_mixed(Verbosity verbosity, bool color = false) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, color, false, verbosity});
  const RunInfo info = make_info({"db"}, 5);
  reporter.run_started(info);

  const PlannedCheck rows = make_check("db", "rows");
  reporter.check_started(rows);
  Result rows_result = make_result(Outcome::passed, "1204 rows, as expected", milliseconds(12));
  rows_result.details = "query: select count(*) from users\nsource: 1204\n";
  rows_result.measurements = {{"rows", 1204, "rows"}, {"ratio", 0.5, ""}};
  reporter.check_finished(rows, rows_result);

  const PlannedCheck totals = make_check("db", "totals");
  reporter.check_started(totals);
  reporter.check_finished(
      totals,
      make_result(
          Outcome::failed, "expected 5120 rows, got 5119", milliseconds(2040),
          {make_attempt(Outcome::failed, "expected 5120 rows, got 5118", milliseconds(600)),
           make_attempt(Outcome::error, "connection refused", milliseconds(3)),
           make_attempt(Outcome::failed, "expected 5120 rows, got 5119", milliseconds(640))}));

  const PlannedCheck port = make_check("db", "port");
  reporter.check_started(port);
  reporter.check_finished(port, make_result(Outcome::error, "timed out after 10s", seconds(10)));

  reporter.check_finished(make_check("db", "reindex"),
                          make_result(Outcome::skipped, "needs 'totals', which failed", {}));

  const PlannedCheck cache = make_check("db", "cache");
  reporter.check_started(cache);
  reporter.check_finished(cache,
                          make_result(Outcome::passed, "warm", milliseconds(1490),
                                      {make_attempt(Outcome::failed, "cold", milliseconds(400)),
                                       make_attempt(Outcome::passed, "warm", milliseconds(90))}));

  reporter.run_finished(info, make_summary(2, 1, 1, 1, 1, milliseconds(12345)));
  return out.str();
}

TEST(ConsoleReporter, PrintsOneLinePerCheckAndASummary) {
  EXPECT_EQ(run_mixed(Verbosity::normal),
            "PASS  rows (12ms): 1204 rows, as expected\n"
            "FAIL  totals (2.0s, 3 attempts): expected 5120 rows, got 5119\n"
            "ERROR port (10.0s): timed out after 10s\n"
            "SKIP  reindex: needs 'totals', which failed\n"
            "PASS  cache (1.5s, 2 attempts): warm\n"
            "\n"
            "5 checks: 2 passed, 1 failed, 1 error, 1 skipped; 1 flaky (passed after retries)\n"
            "Slowest:\n"
            "  10.0s  port\n"
            "   2.0s  totals\n"
            "   1.5s  cache\n"
            "   12ms  rows\n"
            "Wall time: 12.3s\n"
            "FAILED\n");
}

TEST(ConsoleReporter, QuietPrintsOnlyFailuresAndErrors) {
  EXPECT_EQ(run_mixed(Verbosity::quiet),
            "FAIL  totals (2.0s, 3 attempts): expected 5120 rows, got 5119\n"
            "ERROR port (10.0s): timed out after 10s\n"
            "\n"
            "5 checks: 2 passed, 1 failed, 1 error, 1 skipped; 1 flaky (passed after retries)\n"
            "Slowest:\n"
            "  10.0s  port\n"
            "   2.0s  totals\n"
            "   1.5s  cache\n"
            "   12ms  rows\n"
            "Wall time: 12.3s\n"
            "FAILED\n");
}

TEST(ConsoleReporter, VerbosePrintsDetailsMeasurementsAndAttempts) {
  const std::string out = run_mixed(Verbosity::verbose);
  EXPECT_EQ(out.substr(0, out.find("\n\n")),
            "PASS  rows (12ms): 1204 rows, as expected\n"
            "    query: select count(*) from users\n"
            "    source: 1204\n"
            "    rows=1204 rows\n"
            "    ratio=0.5\n"
            "FAIL  totals (2.0s, 3 attempts): expected 5120 rows, got 5119\n"
            "    attempt 1: FAIL (600ms): expected 5120 rows, got 5118\n"
            "    attempt 2: ERROR (3ms): connection refused\n"
            "    attempt 3: FAIL (640ms): expected 5120 rows, got 5119\n"
            "ERROR port (10.0s): timed out after 10s\n"
            "SKIP  reindex: needs 'totals', which failed\n"
            "PASS  cache (1.5s, 2 attempts): warm\n"
            "    attempt 1: FAIL (400ms): cold\n"
            "    attempt 2: PASS (90ms): warm");
}

TEST(ConsoleReporter, ColoursOnlyWhenAsked) {
  EXPECT_EQ(run_mixed(Verbosity::verbose).find('\x1b'), std::string::npos);

  const std::string coloured = run_mixed(Verbosity::verbose, true);
  EXPECT_NE(coloured.find("\x1b[32mPASS\x1b[0m  rows (12ms)"), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[31mFAIL\x1b[0m  totals"), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[31mERROR\x1b[0m port"), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[33mSKIP\x1b[0m  reindex"), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[2m    source: 1204\x1b[0m\n"), std::string::npos);
  EXPECT_NE(coloured.find("\x1b[1;31mFAILED\x1b[0m\n"), std::string::npos);
}

TEST(ConsoleReporter, LiveProgressIsRewrittenInPlaceAndRemovedAtTheEnd) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, false, true, Verbosity::normal});
  const RunInfo info = make_info({"db"}, 2);
  const PlannedCheck first = make_check("db", "first");
  const PlannedCheck second = make_check("db", "second");
  reporter.run_started(info);
  reporter.check_started(first);
  reporter.check_started(second);
  reporter.check_finished(second, make_result(Outcome::failed, "expected 1, got 2", seconds(1)));
  reporter.check_finished(first, make_result(Outcome::passed, "ok", milliseconds(5)));
  reporter.run_finished(info, make_summary(1, 1, 0, 0, 0, seconds(1)));

  EXPECT_EQ(out.str(),
            "\r\x1b[2K[0/2] 0 passed, 0 failed, 0 error, 0 skipped, 0 running"
            "\r\x1b[2K[0/2] 0 passed, 0 failed, 0 error, 0 skipped, 1 running"
            "\r\x1b[2K[0/2] 0 passed, 0 failed, 0 error, 0 skipped, 2 running"
            "\r\x1b[2KFAIL  second (1.0s): expected 1, got 2\n"
            "[1/2] 0 passed, 1 failed, 0 error, 0 skipped, 1 running"
            "\r\x1b[2KPASS  first (5ms): ok\n"
            "[2/2] 1 passed, 1 failed, 0 error, 0 skipped, 0 running"
            "\r\x1b[2K\n"
            "2 checks: 1 passed, 1 failed, 0 error, 0 skipped\n"
            "Slowest:\n"
            "  1.0s  second\n"
            "   5ms  first\n"
            "Wall time: 1.0s\n"
            "FAILED\n");
}

TEST(ConsoleReporter, NamesChecksBySuiteWhenThereAreSeveral) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, false, false, Verbosity::normal});
  const RunInfo info = make_info({"db", "web"}, 1);
  const PlannedCheck check = make_check("web", "home");
  reporter.run_started(info);
  reporter.check_started(check);
  reporter.check_finished(check, make_result(Outcome::passed, "", milliseconds(1500)));
  reporter.run_finished(info, make_summary(1, 0, 0, 0, 0, milliseconds(1500)));

  EXPECT_EQ(out.str(),
            "PASS  web/home (1.5s)\n"
            "\n"
            "1 check: 1 passed, 0 failed, 0 error, 0 skipped\n"
            "Slowest:\n"
            "  1.5s  web/home\n"
            "Wall time: 1.5s\n"
            "PASSED\n");
}

TEST(ConsoleReporter, SaysWhenTheRunWasInterrupted) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, false, false, Verbosity::quiet});
  const RunInfo info = make_info({"db"}, 1);
  reporter.run_started(info);
  reporter.check_finished(make_check("db", "rows"),
                          make_result(Outcome::skipped, "interrupted before it started", {}));
  RunSummary summary = make_summary(0, 0, 0, 1, 0, seconds(75));
  summary.interrupted = true;
  reporter.run_finished(info, summary);

  EXPECT_EQ(out.str(),
            "1 check: 0 passed, 0 failed, 0 error, 1 skipped\n"
            "Wall time: 1m15s\n"
            "Interrupted: the run stopped before every check finished\n"
            "FAILED\n");
}

TEST(ConsoleReporter, CleansTargetTextBeforePrintingIt) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, false, false, Verbosity::normal});
  const PlannedCheck check = make_check("db", "banner");
  reporter.check_finished(
      check, make_result(Outcome::failed, "got \x1b[31mred\x1b[0m\r\nbanner", milliseconds(1)));
  EXPECT_EQ(out.str(), "FAIL  banner (1ms): got red banner\n");
}

TEST(ConsoleReporter, BuiltinFactoryMakesAConsoleReporter) {
  std::ostringstream out;
  const std::unique_ptr<Reporter> reporter =
      make_console_reporter({&out, false, false, Verbosity::normal});
  reporter->check_finished(make_check("db", "rows"),
                           make_result(Outcome::passed, "ok", std::chrono::microseconds(999'600)));
  EXPECT_EQ(out.str(), "PASS  rows (1.0s): ok\n");
}

}  // namespace
}  // namespace cutover
