#include "reports/replay.hpp"

#include <regex>
#include <string>

#include <sys/stat.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/process.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "reports/json.hpp"
#include "reports/results_file.hpp"
#include "tests/reports/junit_schema.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover {
namespace {

using namespace std::chrono;
using Json = nlohmann::json;
using loopback::read_file;
using loopback::TempDir;

// Tests may run in GitHub Actions: their runs stay out of the job's step summary.
loopback::ProcessResult run_cutover(const std::vector<std::string>& arguments) {
  return test::run_cutover(arguments, {{"GITHUB_STEP_SUMMARY", ""}});
}

const system_clock::time_point kStart =
    sys_days{year{2026} / 11 / 25} + hours{22} + minutes{1} + seconds{2} + milliseconds{123};

RecordedCheck recorded(std::string suite, std::string phase, std::string name, Outcome outcome) {
  RecordedCheck entry;
  entry.check.suite = std::move(suite);
  entry.check.phase = std::move(phase);
  entry.check.name = std::move(name);
  entry.check.kind = "tcp";
  entry.result.outcome = outcome;
  if (outcome != Outcome::skipped) {
    entry.result.started = kStart + milliseconds(7);
    entry.result.duration = microseconds(2'500);
  }
  return entry;
}

ResultsFile sample_run() {
  ResultsFile run;
  run.info.tool_version = "0.1.0";
  run.info.hostname = "ci-runner-7";
  run.info.started = kStart;
  run.info.suites = {{"db", "Row \"counts\"", "suites/db.yaml"}, {"web", "", "web.yaml"}};
  run.info.phases = {"pre", "post"};
  run.info.selected_phases = {"pre"};
  run.info.selected_tags = {"smoke", "!slow"};
  run.info.filter = "db*";
  run.info.shard_index = 1;
  run.info.shard_count = 3;

  RecordedCheck rows = recorded("db", "pre", "rows", Outcome::passed);
  rows.check.kind = "postgres.row_count";
  rows.check.tags = {"smoke", "db"};
  rows.check.description = "users match";
  rows.check.location = {"suites/db.yaml", 12, 5};
  rows.result.message = "3 rows";
  rows.result.measurements = {{"rows", 3, "rows"}, {"latency_ms", 1.25, "ms"}};
  rows.result.attempts = {
      {Outcome::failed, "2 rows", "table\tsource\n\"x\"", kStart + milliseconds(7),
       microseconds(1'000)},
      {Outcome::passed, "3 rows", "", kStart + milliseconds(9), microseconds(500)}};
  RecordedCheck home = recorded("web", "pre", "home", Outcome::error);
  home.check.location = {"web.yaml", 3, 0};
  home.result.message = "refused ünïcode";
  home.result.attempts = {
      {Outcome::error, "refused ünïcode", "", kStart + milliseconds(7), microseconds(2'500)}};
  home.result.interrupted = true;
  RecordedCheck later = recorded("db", "post", "later", Outcome::skipped);
  later.check.location = {"code", 0, 0};
  later.result.message = "needs rows";
  run.checks = {rows, later, home};

  run.info.selected_checks = run.checks.size();
  run.summary.counts = {
      {Outcome::passed, 1}, {Outcome::failed, 0}, {Outcome::error, 1}, {Outcome::skipped, 1}};
  run.summary.flaky = 1;
  run.summary.duration = microseconds(12'345'678);
  run.summary.interrupted = true;
  return run;
}

void expect_same_check(const RecordedCheck& a, const RecordedCheck& b) {
  EXPECT_EQ(a.check.suite, b.check.suite);
  EXPECT_EQ(a.check.name, b.check.name);
  EXPECT_EQ(a.check.kind, b.check.kind);
  EXPECT_EQ(a.check.phase, b.check.phase);
  EXPECT_EQ(a.check.tags, b.check.tags);
  EXPECT_EQ(a.check.description, b.check.description);
  EXPECT_EQ(a.check.location.file, b.check.location.file);
  EXPECT_EQ(a.check.location.line, b.check.location.line);
  EXPECT_EQ(a.check.location.column, b.check.location.column);
  EXPECT_EQ(a.result.outcome, b.result.outcome);
  EXPECT_EQ(a.result.message, b.result.message);
  EXPECT_EQ(a.result.details, b.result.details);
  EXPECT_EQ(a.result.started, b.result.started);
  EXPECT_EQ(a.result.duration, b.result.duration);
  EXPECT_EQ(a.result.interrupted, b.result.interrupted);
  ASSERT_EQ(a.result.measurements.size(), b.result.measurements.size());
  for (std::size_t i = 0; i < a.result.measurements.size(); ++i) {
    EXPECT_EQ(a.result.measurements[i].name, b.result.measurements[i].name);
    EXPECT_EQ(a.result.measurements[i].value, b.result.measurements[i].value);
    EXPECT_EQ(a.result.measurements[i].unit, b.result.measurements[i].unit);
  }
  ASSERT_EQ(a.result.attempts.size(), b.result.attempts.size());
  for (std::size_t i = 0; i < a.result.attempts.size(); ++i) {
    EXPECT_EQ(a.result.attempts[i].outcome, b.result.attempts[i].outcome);
    EXPECT_EQ(a.result.attempts[i].message, b.result.attempts[i].message);
    EXPECT_EQ(a.result.attempts[i].details, b.result.attempts[i].details);
    EXPECT_EQ(a.result.attempts[i].started, b.result.attempts[i].started);
    EXPECT_EQ(a.result.attempts[i].duration, b.result.attempts[i].duration);
  }
}

TEST(ResultsFile, ReadsBackWhatTheJsonReporterWrote) {
  loopback::TempDir dir;
  const auto path = dir.path() / "results.json";
  const ResultsFile run = sample_run();
  JsonReporter reporter(path);
  replay(run, reporter);

  auto read = read_results_file(path);
  ASSERT_TRUE(read) << read.error().message;
  const ResultsFile& back = read.value();
  EXPECT_EQ(back.info.tool_version, run.info.tool_version);
  EXPECT_EQ(back.info.hostname, run.info.hostname);
  EXPECT_EQ(back.info.started, run.info.started);
  ASSERT_EQ(back.info.suites.size(), 2u);
  EXPECT_EQ(back.info.suites[0].name, "db");
  EXPECT_EQ(back.info.suites[0].description, "Row \"counts\"");
  EXPECT_EQ(back.info.suites[0].file, "suites/db.yaml");
  EXPECT_EQ(back.info.phases, run.info.phases);
  EXPECT_EQ(back.info.selected_phases, run.info.selected_phases);
  EXPECT_EQ(back.info.selected_tags, run.info.selected_tags);
  EXPECT_EQ(back.info.filter, run.info.filter);
  EXPECT_EQ(back.info.shard_index, 1);
  EXPECT_EQ(back.info.shard_count, 3);
  EXPECT_EQ(back.info.selected_checks, 3u);
  EXPECT_EQ(back.summary.counts, run.summary.counts);
  EXPECT_EQ(back.summary.flaky, 1u);
  EXPECT_EQ(back.summary.duration, run.summary.duration);
  EXPECT_TRUE(back.summary.interrupted);
  // The file lists checks in report order: by suite, then phase.
  ASSERT_EQ(back.checks.size(), 3u);
  expect_same_check(back.checks[0], run.checks[0]);
  expect_same_check(back.checks[1], run.checks[1]);
  expect_same_check(back.checks[2], run.checks[2]);

  // Written again, the file comes out byte for byte the same.
  const auto again = dir.path() / "again.json";
  JsonReporter second(again);
  replay(back, second);
  EXPECT_EQ(loopback::read_file(again), loopback::read_file(path));
}

TEST(ResultsFile, SaysWhatIsWrongWithAFile) {
  const auto error = [](std::string_view text) {
    auto read = parse_results(text, "r.json");
    return read ? std::string("no error") : read.error().message;
  };
  EXPECT_EQ(error("{"), "r.json: not valid JSON");
  EXPECT_EQ(error(R"({"format": "junit"})"),
            "r.json: not a cutover-results file (its \"format\" is not \"cutover-results\")");
  EXPECT_EQ(error(R"({"format": "cutover-results", "version": 2})"),
            "r.json: cutover-results version 2 is not supported (expected 1)");
  EXPECT_EQ(error(R"({"format": "cutover-results", "version": 1})"), "r.json: .tool: missing");
  EXPECT_EQ(read_results_file("/nonexistent/r.json").error().message,
            "/nonexistent/r.json: cannot be read: No such file or directory");
  // Only regular files: /dev/zero was read until memory ran out, and a FIFO without a writer
  // blocked for ever.
  EXPECT_EQ(read_results_file("/dev/zero").error().message,
            "/dev/zero: cannot be read: it is a character device, not a regular file");
  {
    TempDir fifo_dir;
    const auto fifo = fifo_dir.path() / "r.json";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(read_results_file(fifo).error().message,
              fifo.string() + ": cannot be read: it is a FIFO (named pipe), not a regular file");
  }

  loopback::TempDir dir;
  const auto path = dir.path() / "results.json";
  JsonReporter reporter(path);
  replay(sample_run(), reporter);
  Json document = Json::parse(loopback::read_file(path));
  document["checks"][1]["outcome"] = "maybe";
  EXPECT_EQ(error(document.dump()),
            "r.json: .checks[1].outcome: expected one of passed, failed, error, skipped, got "
            "'maybe'");
  document["checks"][1]["outcome"] = "passed";
  document["checks"][2]["attempts"][0]["started"] = "yesterday";
  EXPECT_EQ(error(document.dump()),
            "r.json: .checks[2].attempts[0].started: expected a UTC time like "
            "2026-11-25T22:01:02.123Z, got 'yesterday'");
}

TEST(MergeResults, RejectsACheckInTwoFiles) {
  ResultsFile run = sample_run();
  run.info.shard_index = 0;
  run.info.shard_count = 1;
  auto merged = merge_results({run, run}, {"a.json", "b.json"});
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().message,
            "check 'db/rows' is in both a.json and b.json: the files are not shards of one run");
}

TEST(MergeResults, NeedsEveryShardOfTheRunOnce) {
  const auto merge = [](std::vector<std::pair<int, int>> shards) {
    std::vector<ResultsFile> files;
    std::vector<std::string> names;
    for (const auto& [index, count] : shards) {
      ResultsFile file = sample_run();
      file.checks.clear();
      file.info.shard_index = index;
      file.info.shard_count = count;
      files.push_back(std::move(file));
      names.push_back(fmt::format("s{}.json", names.size()));
    }
    auto merged = merge_results(files, names);
    return merged ? std::string("merged") : merged.error().message;
  };
  EXPECT_EQ(merge({{0, 3}, {2, 3}}),
            "shard 1 of 3 (--shard-index 1) is missing: merge every shard of the run");
  EXPECT_EQ(merge({{0, 2}, {0, 2}}), "s0.json and s1.json are both shard 0 of 2 (--shard-index 0)");
  EXPECT_EQ(merge({{0, 2}, {1, 3}}),
            "s1.json is shard 1 of 3, but s0.json is one of 2: not shards of one run");
  EXPECT_EQ(merge({{1, 2}, {0, 2}}), "merged");
  EXPECT_EQ(merge({{0, 1}, {0, 1}}), "merged");  // separate runs combine
}

TEST(MergeResults, SpansTheShardsAndRecomputesTheSummary) {
  ResultsFile first = sample_run();
  first.checks.erase(first.checks.begin() + 1);  // rows, home
  ResultsFile second = sample_run();
  second.checks.erase(second.checks.begin());  // later, and home renamed
  second.checks[1].check.name = "api";
  second.checks[1].result.outcome = Outcome::passed;
  second.checks[1].result.interrupted = false;
  second.info.phases = {"pre", "verify", "post"};
  second.info.hostname = "ci-runner-8";
  second.info.started = kStart + seconds(20);
  second.summary.duration = seconds(3);
  second.summary.interrupted = false;
  first.info.shard_index = 0;
  first.info.shard_count = 2;
  second.info.shard_index = 1;
  second.info.shard_count = 2;

  auto merged = merge_results({first, second}, {"a.json", "b.json"});
  ASSERT_TRUE(merged) << merged.error().message;
  const ResultsFile& run = merged.value();
  EXPECT_EQ(run.info.started, kStart);
  EXPECT_EQ(run.summary.duration, seconds(23));
  EXPECT_EQ(run.info.hostname, "ci-runner-7, ci-runner-8");
  EXPECT_EQ(run.info.phases, (std::vector<std::string>{"pre", "verify", "post"}));
  EXPECT_EQ(run.info.shard_index, 0);
  EXPECT_EQ(run.info.shard_count, 1);
  EXPECT_EQ(run.info.selected_checks, 4u);
  EXPECT_TRUE(run.summary.interrupted);
  EXPECT_EQ(
      run.summary.counts,
      (std::map<Outcome, std::size_t>{
          {Outcome::passed, 2}, {Outcome::failed, 0}, {Outcome::error, 1}, {Outcome::skipped, 1}}));
  EXPECT_EQ(run.summary.flaky, 1u);
  std::vector<std::string> names;
  for (const RecordedCheck& check : run.checks) {
    names.push_back(check.check.suite + "/" + check.check.phase + "/" + check.check.name);
  }
  // Suite, phase, place in the suite file, then the order of the files.
  EXPECT_EQ(names, (std::vector<std::string>{"db/pre/rows", "db/post/later", "web/pre/home",
                                             "web/pre/api"}));
}

// Times and durations differ between runs, also as measured values and in messages
// ("connected to 127.0.0.1:5 in 0.37ms"); everything else must not.
Json without_times(Json checks) {
  const std::regex time_taken(" in [0-9.]+ms");
  const auto strip = [&time_taken](Json& object) {
    object.erase("started");
    object.erase("duration_ms");
    object["message"] = std::regex_replace(object["message"].get<std::string>(), time_taken, "");
  };
  for (Json& check : checks) {
    strip(check);
    for (Json& attempt : check["attempts"]) {
      strip(attempt);
    }
    for (Json& measurement : check["measurements"]) {
      measurement.erase("value");
    }
  }
  return checks;
}

class MergeCommand : public ::testing::Test {
 protected:
  // Eight checks in two phases and two suites, with needs, so shards get groups of checks.
  void SetUp() override {
    const std::uint16_t closed = loopback::unused_port();
    for (const char* suite : {"alpha", "beta"}) {
      std::string text = fmt::format("suite: {}\nphases: [pre, post]\nchecks:\n", suite);
      for (int i = 0; i < 4; ++i) {
        text += fmt::format(
            "  - {{ name: open {0}, kind: tcp, host: 127.0.0.1, port: {1}, phase: {2} }}\n", i,
            server.port(), i % 2 == 0 ? "pre" : "post");
      }
      text += fmt::format(
          "  - {{ name: closed, kind: tcp, host: 127.0.0.1, port: {}, phase: post, tags: [x] }}\n"
          "  - {{ name: after closed, kind: tcp, host: 127.0.0.1, port: {}, phase: post, needs: "
          "[closed] }}\n",
          closed, server.port());
      files.push_back(dir.write(fmt::format("{}.yaml", suite), text).string());
    }
  }

  std::string path(const std::string& name) const { return (dir.path() / name).string(); }

  loopback::ProcessResult run(std::vector<std::string> extra) {
    std::vector<std::string> arguments{"run", files[0], files[1]};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return run_cutover(arguments);
  }

  loopback::TempDir dir;
  loopback::AcceptingServer server;
  std::vector<std::string> files;
};

TEST_F(MergeCommand, MergedShardsEqualAnUnshardedRun) {
  ASSERT_EQ(run({"--json", path("whole.json")}).exit_code, 1);
  const auto shard0 = run({"--json", path("0.json"), "--shard-index", "0", "--shard-count", "2"});
  const auto shard1 = run({"--json", path("1.json"), "--shard-index", "1", "--shard-count", "2"});
  ASSERT_NE(shard0.exit_code, 2) << shard0.out << shard0.err;
  ASSERT_NE(shard1.exit_code, 2) << shard1.out << shard1.err;

  const loopback::ProcessResult merge = run_cutover(
      {"merge", path("0.json"), path("1.json"), "--json", path("merged.json"), "--junit",
       path("merged.xml"), "--markdown", path("merged.md"), "--prometheus", path("merged.prom")});
  EXPECT_EQ(merge.exit_code, 1) << merge.out << merge.err;
  EXPECT_NE(merge.out.find("12 checks: 8 passed, 2 failed, 0 error, 2 skipped\n"),
            std::string::npos)
      << merge.out;

  const Json whole = Json::parse(loopback::read_file(path("whole.json")));
  const Json merged = Json::parse(loopback::read_file(path("merged.json")));
  const Json first = Json::parse(loopback::read_file(path("0.json")));
  const Json second = Json::parse(loopback::read_file(path("1.json")));
  ASSERT_FALSE(first["checks"].empty());
  ASSERT_FALSE(second["checks"].empty());
  EXPECT_EQ(without_times(merged["checks"]), without_times(whole["checks"]));
  EXPECT_EQ(merged["summary"], whole["summary"]);
  EXPECT_EQ(merged["suites"], whole["suites"]);
  EXPECT_EQ(merged["run"]["phases"], whole["run"]["phases"]);
  EXPECT_EQ(merged["run"]["selection"], whole["run"]["selection"]);
  EXPECT_EQ(merged["run"]["started"], std::min(first["run"]["started"].get<std::string>(),
                                               second["run"]["started"].get<std::string>()));

  EXPECT_NE(loopback::read_file(path("merged.xml")).find("<testsuites"), std::string::npos);
  EXPECT_EQ(test::junit_schema_errors(path("merged.xml")), "");
  EXPECT_NE(loopback::read_file(path("merged.md")).find("| failed | beta | post | closed | tcp |"),
            std::string::npos)
      << loopback::read_file(path("merged.md"));
  EXPECT_NE(
      loopback::read_file(path("merged.prom")).find("cutover_run_checks{outcome=\"passed\"} 8\n"),
      std::string::npos);

  // `cutover report` renders one file again: JSON comes back byte for byte.
  const loopback::ProcessResult report =
      run_cutover({"report", path("whole.json"), "--json", path("again.json")});
  EXPECT_EQ(report.exit_code, 1) << report.out << report.err;
  EXPECT_EQ(loopback::read_file(path("again.json")), loopback::read_file(path("whole.json")));
}

// merge and report end with the counts as `cutover run` does, the flaky checks included.
TEST(ReportCommand, TheCountsNameTheFlakyChecksAsRunDoes) {
  loopback::TempDir dir;
  const auto path = dir.path() / "results.json";
  ResultsFile run = sample_run();  // one flaky check
  run.summary.interrupted = false;
  run.info.shard_index = 0;
  run.info.shard_count = 1;
  JsonReporter reporter(path);
  replay(run, reporter);
  for (const std::string command : {"report", "merge"}) {
    const loopback::ProcessResult result =
        run_cutover({command, path.string(), "--json", (dir.path() / "again.json").string()});
    EXPECT_NE(result.out.find("; 1 flaky (passed after retries)\n"), std::string::npos)
        << command << ": " << result.out << result.err;
  }
}

TEST_F(MergeCommand, BadInputExitsTwo) {
  ASSERT_NE(run({"--json", path("0.json"), "--shard-index", "0", "--shard-count", "2"}).exit_code,
            2);
  loopback::ProcessResult result =
      run_cutover({"merge", path("0.json"), path("0.json"), "--junit", path("m.xml")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find(path("0.json") + " and " + path("0.json") +
                            " are both shard 0 of 2 (--shard-index 0)"),
            std::string::npos)
      << result.err;
  EXPECT_FALSE(std::filesystem::exists(path("m.xml")));
  // The second shard missing: its checks would vanish from a passing report.
  result = run_cutover({"merge", path("0.json"), "--junit", path("m.xml")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(
      result.err.find("shard 1 of 2 (--shard-index 1) is missing: merge every shard of the run"),
      std::string::npos)
      << result.err;

  const std::string junk = dir.write("junk.json", "[1, 2").string();
  result = run_cutover({"merge", path("0.json"), junk, "--junit", path("m.xml")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cutover merge: error: " + junk + ": not valid JSON\n");

  result = run_cutover({"report", files[0], "--junit", path("m.xml")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, "cutover report: error: " + files[0] + ": not valid JSON\n");

  result = run_cutover({"report", path("0.json")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("name at least one report"), std::string::npos) << result.err;

  result = run_cutover({"report", path("0.json"), path("0.json"), "--junit", path("m.xml")});
  EXPECT_EQ(result.exit_code, 2) << result.err;
}

}  // namespace
}  // namespace cutover
