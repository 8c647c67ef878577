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
  rows_result.measurements = {
      {"rows", 1204, "rows"}, {"ratio", 0.5, ""}, {"latency_ms", 21.325743, "ms"}};
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
            "    rows=1204\n"
            "    ratio=0.5\n"
            "    latency=21.3 ms\n"
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
  // A check that could not be carried out is told apart from a failed one.
  EXPECT_NE(coloured.find("\x1b[35mERROR\x1b[0m port"), std::string::npos);
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
            "\r\x1b[2K[0/2] 0 passed, 0 failed, 0 error, 0 skipped, 1 running: first"
            "\r\x1b[2K[0/2] 0 passed, 0 failed, 0 error, 0 skipped, 2 running: first; second"
            "\r\x1b[2KFAIL  second (1.0s): expected 1, got 2\n"
            "[1/2] 0 passed, 1 failed, 0 error, 0 skipped, 1 running: first"
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

// The last progress line written: what a terminal shows after the last "\r".
std::string last_progress(const std::ostringstream& out) {
  std::string text = out.str();
  text = text.substr(text.rfind("\x1b[2K") + 4);
  return text.substr(text.rfind('\n') + 1);  // after the lines written over the last one
}

// During a long retry the progress line names the oldest checks running, each with its attempt,
// the time left and the last attempt's reason, not only a count.
TEST(ConsoleReporter, LiveProgressNamesTheOldestRunningChecksAndTheirRetries) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, false, true, Verbosity::normal, 400});
  const RunInfo info = make_info({"dns"}, 5);
  reporter.run_started(info);
  PlannedCheck www = make_check("dns", "www");
  www.retry.until = std::chrono::hours(2);
  PlannedCheck api = make_check("dns", "api");
  api.retry.attempts = 3;
  const PlannedCheck mx = make_check("dns", "mx");
  const PlannedCheck txt = make_check("dns", "txt");
  for (const PlannedCheck* check : std::vector<const PlannedCheck*>{&www, &api, &mx, &txt}) {
    reporter.check_started(*check);
  }
  const auto now = std::chrono::steady_clock::now();
  reporter.attempt_finished(
      www,
      make_attempt(Outcome::failed, "www.shop.test \u2192 10.0.0.1, expected 10.1.2.3",
                   milliseconds(20)),
      {13, true, now + std::chrono::minutes(112) + seconds(30)});
  reporter.attempt_finished(api, make_attempt(Outcome::error, "connection\nrefused", seconds(1)),
                            {1, true, std::nullopt});
  EXPECT_EQ(last_progress(out),
            "[0/5] 0 passed, 0 failed, 0 error, 0 skipped, 4 running: "
            "www (attempt 14, 1h52m left: www.shop.test \u2192 10.0.0.1, expected 10.1.2.3); "
            "api (attempt 2 of 3: connection refused); mx; and 1 more");

  reporter.check_finished(www, make_result(Outcome::passed, "ok", seconds(7)));
  EXPECT_EQ(last_progress(out),
            "[1/5] 1 passed, 0 failed, 0 error, 0 skipped, 3 running: "
            "api (attempt 2 of 3: connection refused); mx; txt");
}

TEST(ConsoleReporter, LiveProgressIsCutToTheTerminalWidth) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, false, true, Verbosity::normal, 60});
  const RunInfo info = make_info({"dns"}, 1);
  reporter.run_started(info);
  PlannedCheck www = make_check("dns", "www");
  www.retry.until = std::chrono::hours(2);
  reporter.check_started(www);
  reporter.attempt_finished(
      www, make_attempt(Outcome::failed, "\u2192 10.0.0.1, expected 10.1.2.3", milliseconds(20)),
      {1, true, std::chrono::steady_clock::now() + std::chrono::hours(1)});
  // 59 columns: writing the last one would leave the cursor past the line on some terminals.
  EXPECT_EQ(last_progress(out), "[0/1] 0 passed, 0 failed, 0 error, 0 skipped, 1 running:...");
  // Cut by characters, not bytes: the arrow is one column, three bytes.
  ConsoleReporter wider({&out, false, true, Verbosity::normal, 96});
  wider.run_started(info);
  wider.check_started(www);
  wider.attempt_finished(
      www, make_attempt(Outcome::failed, "\u2192 10.0.0.1, expected 10.1.2.3", milliseconds(20)),
      {1, true, std::chrono::steady_clock::now() + std::chrono::hours(1)});
  EXPECT_EQ(last_progress(out),
            "[0/1] 0 passed, 0 failed, 0 error, 0 skipped, 1 running: www (attempt 2, 59m59s "
            "left: \u2192 10.0...");
}

// With -v each attempt is printed as it ends, also when the output is not a terminal (CI logs),
// and not again with the check's result.
TEST(ConsoleReporter, VerbosePrintsEachAttemptAsItEnds) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, false, false, Verbosity::verbose});
  const RunInfo info = make_info({"dns"}, 2);
  reporter.run_started(info);
  PlannedCheck www = make_check("dns", "www");
  www.retry.until = std::chrono::hours(2);
  PlannedCheck api = make_check("dns", "api");
  api.retry.attempts = 3;
  reporter.check_started(www);
  reporter.check_started(api);
  const auto give_up_at =
      std::chrono::steady_clock::now() + std::chrono::minutes(112) + seconds(30);
  const Attempt first = make_attempt(Outcome::failed, "www.shop.test: 10.0.0.1", seconds(1));
  reporter.attempt_finished(www, first, {1, true, give_up_at});
  const Attempt refused = make_attempt(Outcome::error, "refused", milliseconds(3));
  reporter.attempt_finished(api, refused, {1, true, std::nullopt});
  const Attempt second = make_attempt(Outcome::passed, "www.shop.test: 10.1.2.3", seconds(1));
  reporter.attempt_finished(www, second, {2, false, give_up_at});
  reporter.check_finished(
      www, make_result(Outcome::passed, "www.shop.test: 10.1.2.3", seconds(31), {first, second}));
  const Attempt passed = make_attempt(Outcome::passed, "open", milliseconds(2));
  reporter.attempt_finished(api, passed, {2, false, std::nullopt});
  reporter.check_finished(api,
                          make_result(Outcome::passed, "open", milliseconds(9), {refused, passed}));
  reporter.run_finished(info, make_summary(2, 0, 0, 0, 2, seconds(31)));
  const std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find("\n\n")),
            "RETRY www: attempt 1 FAIL (1.0s), 1h52m left: www.shop.test: 10.0.0.1\n"
            "RETRY api: attempt 1 ERROR (3ms), 2 attempts left: refused\n"
            "PASS  www (31.0s, 2 attempts): www.shop.test: 10.1.2.3\n"
            "PASS  api (9ms, 2 attempts): open");
}

// Several phases: a heading as each starts, so the output says where the run is.
TEST(ConsoleReporter, PrintsAHeadingWhenAPhaseStarts) {
  std::ostringstream out;
  ConsoleReporter reporter({&out, false, false, Verbosity::normal});
  RunInfo info = make_info({"db"}, 3);
  info.phases = {"pre", "post"};
  reporter.run_started(info);
  reporter.phase_started("pre", 1);
  reporter.check_finished(make_check("db", "a"), make_result(Outcome::passed, "", seconds(1)));
  reporter.phase_started("post", 2);
  reporter.check_finished(make_check("db", "b"), make_result(Outcome::failed, "no", seconds(1)));
  reporter.check_finished(make_check("db", "c"), make_result(Outcome::error, "down", seconds(1)));
  reporter.run_finished(info, make_summary(1, 1, 1, 0, 0, seconds(2)));
  const std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find("\n\n3 checks")),
            "Phase pre (1 check)\n"
            "PASS  a (1.0s)\n"
            "\n"
            "Phase post (2 checks)\n"
            "FAIL  b (1.0s): no\n"
            "ERROR c (1.0s): down");

  // One phase needs no heading.
  std::ostringstream single;
  ConsoleReporter one({&single, false, false, Verbosity::normal});
  one.run_started(make_info({"db"}, 1));
  one.phase_started("pre", 1);
  one.run_finished(info, make_summary(0, 0, 0, 0, 0, seconds(0)));
  EXPECT_EQ(single.str().find("Phase"), std::string::npos);
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
