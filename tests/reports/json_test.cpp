#include "reports/json.hpp"

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/temp_dir.hpp"
#include "reports/builtin.hpp"

namespace cutover {
namespace {

using namespace std::chrono;
using Json = nlohmann::ordered_json;

const system_clock::time_point kStart =
    sys_days{year{2026} / 11 / 25} + hours{22} + minutes{1} + seconds{2} + milliseconds{123};

PlannedCheck make_check(std::string suite, std::string phase, std::string name) {
  PlannedCheck check;
  check.suite = std::move(suite);
  check.phase = std::move(phase);
  check.name = std::move(name);
  check.kind = "tcp";
  return check;
}

Attempt make_attempt(Outcome outcome, std::string message, Duration started, Duration duration) {
  return {outcome, std::move(message), "", kStart + started, duration};
}

Result make_result(std::vector<Attempt> attempts) {
  Result result;
  const Attempt& last = attempts.back();
  result.outcome = last.outcome;
  result.message = last.message;
  result.started = attempts.front().started;
  result.duration = duration_cast<Duration>(last.started + last.duration - result.started);
  result.attempts = std::move(attempts);
  return result;
}

RunInfo make_info() {
  RunInfo info;
  info.tool_version = "0.1.0";
  info.hostname = "ci-runner-7";
  info.started = kStart;
  info.suites = {{"db", "Row counts", "suites/db.yaml"}, {"web", "", "suites/web.yaml"}};
  info.phases = {"pre", "post"};
  info.targets = {{"database source", "host=db.internal password=***"}};
  info.selected_phases = {"pre", "post"};
  info.shard_count = 1;
  info.selected_checks = 4;
  return info;
}

RunSummary make_summary() {
  RunSummary summary;
  summary.counts = {{Outcome::passed, 3}, {Outcome::skipped, 1}};
  summary.flaky = 1;
  summary.duration = microseconds(12'345'600);
  return summary;
}

Json write_and_read(const std::filesystem::path& path) {
  JsonReporter reporter(path);
  PlannedCheck rows = make_check("db", "pre", "rows");
  rows.kind = "postgres.rowcount";
  rows.tags = {"smoke", "db"};
  rows.description = "users match";
  rows.location = {"suites/db.yaml", 12, 5};
  const PlannedCheck flaky = make_check("db", "pre", "flaky");
  PlannedCheck reindex = make_check("db", "post", "reindex");
  reindex.needs = {"rows"};
  const PlannedCheck home = make_check("web", "pre", "home");

  reporter.run_started(make_info());
  reporter.check_started(rows);
  reporter.check_started(flaky);
  reporter.check_started(home);
  reporter.check_finished(
      home, make_result({make_attempt(Outcome::passed, "got \x1b[32m200\x1b[0m \xff", 500ms,
                                      microseconds(1500))}));
  Result flaky_result =
      make_result({make_attempt(Outcome::failed, "expected 1, got 0", 1000ms, 400ms),
                   make_attempt(Outcome::passed, "1 row", 1500ms, 200ms)});
  flaky_result.attempts.front().details = "cold cache";
  reporter.check_finished(flaky, flaky_result);
  Result reindex_result;
  reindex_result.message = "needs 'rows', which did not finish";
  reindex_result.interrupted = true;
  reporter.check_finished(reindex, reindex_result);
  Result rows_result = make_result({make_attempt(Outcome::passed, "1204 rows", 1000ms, 500ms)});
  rows_result.details = "source: 1204\ntarget: 1204\n";
  rows_result.measurements = {{"rows", 1204, "rows"}, {"latency_ms", 12.5, "ms"}};
  reporter.check_finished(rows, rows_result);
  reporter.run_finished(make_info(), make_summary());

  return Json::parse(loopback::read_file(path));
}

TEST(JsonReporter, WritesTheDocumentedDocument) {
  loopback::TempDir folder;
  const Json document = write_and_read(folder.path() / "results.json");

  // ordered_json compares keys in order, so this pins the documented layout too.
  EXPECT_EQ(document, Json::parse(R"({
    "format": "cutover-results",
    "version": 1,
    "tool": {"name": "cutover", "version": "0.1.0"},
    "run": {
      "started": "2026-11-25T22:01:02.123Z",
      "duration_ms": 12345.6,
      "hostname": "ci-runner-7",
      "interrupted": false,
      "selection": {"phases": ["pre", "post"], "tags": [], "filter": null,
                    "shard_index": 0, "shard_count": 1},
      "phases": ["pre", "post"],
      "targets": [{"name": "database source", "address": "host=db.internal password=***"}]
    },
    "suites": [
      {"name": "db", "description": "Row counts", "file": "suites/db.yaml"},
      {"name": "web", "description": "", "file": "suites/web.yaml"}
    ],
    "summary": {"total": 4, "passed": 3, "failed": 0, "error": 0, "skipped": 1, "flaky": 1},
    "checks": [
      {
        "suite": "db", "name": "rows", "kind": "postgres.rowcount", "phase": "pre",
        "tags": ["smoke", "db"], "description": "users match",
        "location": "suites/db.yaml:12:5", "needs": [],
        "outcome": "passed", "message": "1204 rows", "details": "source: 1204\ntarget: 1204\n",
        "started": "2026-11-25T22:01:03.123Z", "duration_ms": 500.0,
        "measurements": [{"name": "rows", "value": 1204.0, "unit": "rows"},
                         {"name": "latency_ms", "value": 12.5, "unit": "ms"}],
        "attempts": [{"outcome": "passed", "message": "1204 rows", "details": "",
                      "started": "2026-11-25T22:01:03.123Z", "duration_ms": 500.0}],
        "interrupted": false
      },
      {
        "suite": "db", "name": "flaky", "kind": "tcp", "phase": "pre", "tags": [],
        "description": "", "location": "", "needs": [],
        "outcome": "passed", "message": "1 row", "details": "",
        "started": "2026-11-25T22:01:03.123Z", "duration_ms": 700.0,
        "measurements": [],
        "attempts": [{"outcome": "failed", "message": "expected 1, got 0",
                      "details": "cold cache",
                      "started": "2026-11-25T22:01:03.123Z", "duration_ms": 400.0},
                     {"outcome": "passed", "message": "1 row", "details": "",
                      "started": "2026-11-25T22:01:03.623Z", "duration_ms": 200.0}],
        "interrupted": false
      },
      {
        "suite": "db", "name": "reindex", "kind": "tcp", "phase": "post", "tags": [],
        "description": "", "location": "", "needs": ["rows"],
        "outcome": "skipped", "message": "needs 'rows', which did not finish", "details": "",
        "started": null, "duration_ms": 0.0, "measurements": [], "attempts": [],
        "interrupted": true
      },
      {
        "suite": "web", "name": "home", "kind": "tcp", "phase": "pre", "tags": [],
        "description": "", "location": "", "needs": [],
        "outcome": "passed", "message": "got 200 \ufffd", "details": "",
        "started": "2026-11-25T22:01:02.623Z", "duration_ms": 1.5,
        "measurements": [],
        "attempts": [{"outcome": "passed", "message": "got 200 \ufffd", "details": "",
                      "started": "2026-11-25T22:01:02.623Z", "duration_ms": 1.5}],
        "interrupted": false
      }
    ]
  })"));
}

// Strings that need escaping, numbers of every shape, empty and full lists: the file must be
// exactly nlohmann's pretty print (indent 2) of the document it holds, plus a newline.
std::string write_awkward(const std::filesystem::path& path) {
  JsonReporter reporter(path);
  RunInfo info = make_info();
  info.hostname = "h\"o\\st\t\x01\x7f";
  info.selected_tags = {"a b", "\xc3\xa9t\xc3\xa9", "\xf0\x9f\x98\x80"};
  info.filter = "db/*";
  info.suites.clear();
  PlannedCheck odd = make_check("s\"q", "pre", "line\nbreak\r\n\b\f/\u2028");
  odd.tags = {""};
  odd.location = {"a.yaml", 1, 1};
  Result odd_result =
      make_result({make_attempt(Outcome::error, "x", 0ms, microseconds(1)),
                   make_attempt(Outcome::failed, "", 1ms, microseconds(123'456'789'012))});
  odd_result.measurements = {{"tiny", 1e-7, ""},           {"huge", 1.5e300, "x"},
                             {"negative", -0.25, "ms"},    {"zero", -0.0, ""},
                             {"nan", std::nan(""), ""},    {"big_int", 1e15, ""},
                             {"third", 1.0 / 3.0, "\x02"}, {"inf", HUGE_VAL, ""}};
  const PlannedCheck plain = make_check("web", "post", "plain");
  reporter.run_started(info);
  reporter.check_finished(odd, odd_result);
  reporter.check_started(plain);
  reporter.check_finished(plain, Result{});
  RunSummary summary = make_summary();
  summary.interrupted = true;
  summary.duration = nanoseconds(1);
  reporter.run_finished(info, summary);
  return loopback::read_file(path);
}

TEST(JsonReporter, WritesNlohmannPrettyPrintByteForByte) {
  loopback::TempDir folder;
  write_and_read(folder.path() / "documented.json");
  JsonReporter(folder.path() / "empty.json").run_finished(make_info(), RunSummary{});
  const std::vector<std::string> texts = {loopback::read_file(folder.path() / "documented.json"),
                                          loopback::read_file(folder.path() / "empty.json"),
                                          write_awkward(folder.path() / "awkward.json")};
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(texts[i], Json::parse(texts[i]).dump(2) + "\n");
  }
}

TEST(JsonReporter, WritesAtomicallyIntoANewFolder) {
  loopback::TempDir folder;
  const std::filesystem::path path = folder.path() / "out" / "nested" / "results.json";
  write_and_read(path);
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(path.parent_path())) {
    files.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(files, std::vector<std::string>{"results.json"});
}

TEST(JsonReporter, ThrowsWhenItCannotWrite) {
  loopback::TempDir folder;
  JsonReporter reporter(folder.path());  // a folder, not a file
  EXPECT_THROW(reporter.run_finished(make_info(), make_summary()), std::runtime_error);
}

TEST(JsonReporter, IsABuiltinFormat) {
  loopback::TempDir folder;
  const std::filesystem::path path = folder.path() / "empty.json";
  std::vector<std::string> names;
  for (const ReportFormat& format : builtin_report_formats()) {
    names.push_back(format.name);
    if (format.name == "json") {
      format.make(path)->run_finished(make_info(), RunSummary{});
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"junit", "json", "html", "markdown", "prometheus"}));
  const Json document = Json::parse(loopback::read_file(path));
  EXPECT_EQ(document["summary"]["total"], 0);
  EXPECT_EQ(document["checks"], Json::array());
}

}  // namespace
}  // namespace cutover
