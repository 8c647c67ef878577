#include "reports/prometheus.hpp"

#include <string>

#include <gtest/gtest.h>

#include "loopback/temp_dir.hpp"
#include "reports/results_file.hpp"

namespace cutover {
namespace {

using namespace std::chrono;
using loopback::read_file;
using loopback::TempDir;

// 1795644062.25 in Unix time.
const system_clock::time_point kStart =
    sys_days{year{2026} / 11 / 25} + hours{22} + minutes{1} + seconds{2} + milliseconds{250};

PlannedCheck make_check(std::string suite, std::string phase, std::string name, std::string kind) {
  PlannedCheck check;
  check.suite = std::move(suite);
  check.phase = std::move(phase);
  check.name = std::move(name);
  check.kind = std::move(kind);
  return check;
}

Result make_result(Outcome outcome, Duration duration, std::vector<Measurement> measurements = {}) {
  Result result;
  result.outcome = outcome;
  result.started = kStart;
  result.duration = duration;
  result.measurements = std::move(measurements);
  if (outcome != Outcome::skipped) {
    result.attempts.push_back({outcome, "", "", kStart, duration});
  }
  return result;
}

// A check and its result, for a list of them (PlannedCheck alone cannot be copied).
RecordedCheck entry(PlannedCheck check, Result result) {
  RecordedCheck recorded;
  recorded.check = std::move(check);
  recorded.result = std::move(result);
  return recorded;
}

RunInfo make_info() {
  RunInfo info;
  info.started = kStart;
  info.suites = {{"db", "", ""}};
  info.phases = {"pre", "post"};
  return info;
}

RunSummary summary_of(std::size_t passed, std::size_t failed) {
  RunSummary summary;
  summary.counts = {{Outcome::passed, passed}, {Outcome::failed, failed}};
  summary.duration = milliseconds(1'500);
  return summary;
}

void write(const std::filesystem::path& path, const std::vector<RecordedCheck>& checks,
           const RunSummary& summary) {
  PrometheusReporter reporter(path);
  reporter.run_started(make_info());
  for (const RecordedCheck& entry : checks) {
    reporter.check_started(entry.check);
    reporter.check_finished(entry.check, entry.result);
  }
  reporter.run_finished(make_info(), summary);
}

constexpr const char* kRunPassed =
    "# HELP cutover_run_checks Checks of the run by outcome.\n"
    "# TYPE cutover_run_checks gauge\n"
    "cutover_run_checks{outcome=\"passed\"} 2\n"
    "cutover_run_checks{outcome=\"failed\"} 0\n"
    "cutover_run_checks{outcome=\"error\"} 0\n"
    "cutover_run_checks{outcome=\"skipped\"} 0\n"
    "# HELP cutover_run_flaky_checks Checks that passed after a failed attempt.\n"
    "# TYPE cutover_run_flaky_checks gauge\n"
    "cutover_run_flaky_checks 0\n"
    "# HELP cutover_run_success 1 when every check passed and the run was not interrupted.\n"
    "# TYPE cutover_run_success gauge\n"
    "cutover_run_success 1\n"
    "# HELP cutover_run_interrupted 1 when the run was interrupted (SIGINT or SIGTERM).\n"
    "# TYPE cutover_run_interrupted gauge\n"
    "cutover_run_interrupted 0\n"
    "# HELP cutover_run_started_timestamp_seconds When the run started, in Unix time.\n"
    "# TYPE cutover_run_started_timestamp_seconds gauge\n"
    "cutover_run_started_timestamp_seconds 1795644062.25\n"
    "# HELP cutover_run_duration_seconds How long the run took.\n"
    "# TYPE cutover_run_duration_seconds gauge\n"
    "cutover_run_duration_seconds 1.5\n"
    "# HELP cutover_run_last_success_timestamp_seconds When the last run in which every check "
    "passed ended, in Unix time.\n"
    "# TYPE cutover_run_last_success_timestamp_seconds gauge\n"
    "cutover_run_last_success_timestamp_seconds 1795644063.75\n";

TEST(PrometheusReporter, WritesPerCheckAndRunMetrics) {
  loopback::TempDir dir;
  const auto path = dir.path() / "cutover.prom";
  write(path,
        {entry(make_check("db", "post", "reindex", "postgres.query"),
               make_result(Outcome::passed, milliseconds(20))),
         entry(make_check("db", "pre", "port", "tcp"),
               make_result(Outcome::passed, microseconds(1'250), {{"latency_ms", 1.25, "ms"}}))},
        summary_of(2, 0));
  const std::string port = "suite=\"db\",phase=\"pre\",check=\"port\",kind=\"tcp\"";
  const std::string reindex =
      "suite=\"db\",phase=\"post\",check=\"reindex\",kind=\"postgres.query\"";
  EXPECT_EQ(
      loopback::read_file(path),
      "# HELP cutover_check_passed 1 when the check passed, else 0.\n"
      "# TYPE cutover_check_passed gauge\n"
      "cutover_check_passed{" +
          port +
          "} 1\n"
          "cutover_check_passed{" +
          reindex +
          "} 1\n"
          "# HELP cutover_check_outcome 1 for the check's outcome (passed, failed, error, "
          "skipped), 0 for the others.\n"
          "# TYPE cutover_check_outcome gauge\n"
          "cutover_check_outcome{" +
          port +
          ",outcome=\"passed\"} 1\n"
          "cutover_check_outcome{" +
          port +
          ",outcome=\"failed\"} 0\n"
          "cutover_check_outcome{" +
          port +
          ",outcome=\"error\"} 0\n"
          "cutover_check_outcome{" +
          port +
          ",outcome=\"skipped\"} 0\n"
          "cutover_check_outcome{" +
          reindex +
          ",outcome=\"passed\"} 1\n"
          "cutover_check_outcome{" +
          reindex +
          ",outcome=\"failed\"} 0\n"
          "cutover_check_outcome{" +
          reindex +
          ",outcome=\"error\"} 0\n"
          "cutover_check_outcome{" +
          reindex +
          ",outcome=\"skipped\"} 0\n"
          "# HELP cutover_check_duration_seconds From the start of the check's first attempt to "
          "the end of its last; 0 if skipped.\n"
          "# TYPE cutover_check_duration_seconds gauge\n"
          "cutover_check_duration_seconds{" +
          port +
          "} 0.00125\n"
          "cutover_check_duration_seconds{" +
          reindex +
          "} 0.02\n"
          "# HELP cutover_check_attempts Attempts the check took; 0 if skipped.\n"
          "# TYPE cutover_check_attempts gauge\n"
          "cutover_check_attempts{" +
          port +
          "} 1\n"
          "cutover_check_attempts{" +
          reindex +
          "} 1\n"
          "# HELP cutover_check_measurement A value the check measured; name and unit as the "
          "check reports them.\n"
          "# TYPE cutover_check_measurement gauge\n"
          "cutover_check_measurement{" +
          port + ",name=\"latency_ms\",unit=\"ms\"} 1.25\n" + kRunPassed);
}

TEST(PrometheusReporter, EscapesLabelValues) {
  loopback::TempDir dir;
  const auto path = dir.path() / "cutover.prom";
  write(path,
        {entry(make_check("db", "pre", "say \"hi\"\nC:\\tmp", "tcp"),
               make_result(Outcome::passed, milliseconds(1)))},
        summary_of(1, 0));
  EXPECT_NE(
      loopback::read_file(path).find(
          "cutover_check_passed{suite=\"db\",phase=\"pre\",check=\"say \\\"hi\\\"\\nC:\\\\tmp\","
          "kind=\"tcp\"} 1\n"),
      std::string::npos)
      << loopback::read_file(path);
}

TEST(PrometheusReporter, NamesThatCleanUpAlikeGetACopyLabel) {
  loopback::TempDir dir;
  const auto path = dir.path() / "cutover.prom";
  write(path,
        {entry(make_check("db", "pre", "x", "tcp"), make_result(Outcome::passed, milliseconds(1))),
         entry(make_check("db", "pre", "\x1b[0mx", "tcp"),
               make_result(Outcome::failed, milliseconds(1)))},
        summary_of(1, 1));
  const std::string text = loopback::read_file(path);
  EXPECT_NE(
      text.find("cutover_check_passed{suite=\"db\",phase=\"pre\",check=\"x\",kind=\"tcp\"} 1\n"
                "cutover_check_passed{suite=\"db\",phase=\"pre\",check=\"x\",kind=\"tcp\","
                "copy=\"2\"} 0\n"),
      std::string::npos)
      << text;
}

TEST(PrometheusReporter, AFailedRunCarriesTheLastSuccessOver) {
  loopback::TempDir dir;
  const auto path = dir.path() / "cutover.prom";
  const auto port = [] { return make_check("db", "pre", "port", "tcp"); };
  write(path, {entry(port(), make_result(Outcome::passed, milliseconds(1)))}, summary_of(1, 0));
  const std::string last = "cutover_run_last_success_timestamp_seconds 1795644063.75\n";
  ASSERT_NE(loopback::read_file(path).find(last), std::string::npos);

  write(path, {entry(port(), make_result(Outcome::failed, milliseconds(1)))}, summary_of(0, 1));
  std::string text = loopback::read_file(path);
  EXPECT_NE(text.find("cutover_run_success 0\n"), std::string::npos);
  EXPECT_NE(text.find(last), std::string::npos) << text;

  // With no earlier success, the metric is left out rather than made up.
  std::filesystem::remove(path);
  write(path, {entry(port(), make_result(Outcome::failed, milliseconds(1)))}, summary_of(0, 1));
  text = loopback::read_file(path);
  EXPECT_EQ(text.find("cutover_run_last_success_timestamp_seconds"), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with("cutover_run_duration_seconds 1.5\n")) << text;
}

// The previous last-success time is read only from a regular file: /dev/zero, a device written
// in place, has no line end and never ends, and reading it grew until memory ran out.
TEST(PrometheusReporter, ADeviceHasNoPreviousLastSuccessToRead) {
  write("/dev/zero", {}, summary_of(0, 1));
  SUCCEED();
}

}  // namespace
}  // namespace cutover
