#include "reports/markdown.hpp"

#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "loopback/process.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "reports/results_file.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover {
namespace {

using namespace std::chrono;
using loopback::read_file;
using loopback::TempDir;

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

Result make_result(Outcome outcome, std::string message, std::string details = "") {
  Result result;
  result.outcome = outcome;
  result.message = std::move(message);
  result.details = std::move(details);
  result.started = kStart;
  result.duration = milliseconds(5);
  if (outcome != Outcome::skipped) {
    result.attempts.push_back({outcome, result.message, result.details, kStart, result.duration});
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
  info.tool_version = "0.1.0";
  info.hostname = "ci-runner-7";
  info.started = kStart;
  info.suites = {{"db", "", "db.yaml"}, {"web", "", "web.yaml"}};
  info.phases = {"pre", "post"};
  return info;
}

RunSummary summary_of(std::size_t passed, std::size_t failed, std::size_t error,
                      std::size_t skipped = 0) {
  RunSummary summary;
  summary.counts = {{Outcome::passed, passed},
                    {Outcome::failed, failed},
                    {Outcome::error, error},
                    {Outcome::skipped, skipped}};
  summary.duration = milliseconds(1'500);
  return summary;
}

// Feeds the checks (all started first) and returns what the reporter wrote.
std::string render(const std::vector<RecordedCheck>& checks, const RunSummary& summary) {
  loopback::TempDir dir;
  const auto path = dir.path() / "summary.md";
  MarkdownReporter reporter(path);
  reporter.run_started(make_info());
  for (const RecordedCheck& entry : checks) {
    reporter.check_started(entry.check);
  }
  for (const RecordedCheck& entry : checks) {
    reporter.check_finished(entry.check, entry.result);
  }
  reporter.run_finished(make_info(), summary);
  return loopback::read_file(path);
}

constexpr const char* kHeaderPassed =
    "## Cutover: ✅ PASSED\n"
    "\n"
    "| checks | passed | failed | error | skipped | flaky | duration |\n"
    "|---:|---:|---:|---:|---:|---:|---:|\n"
    "| 2 | 2 | 0 | 0 | 0 | 0 | 1.500 s |\n"
    "\n"
    "Suites: db, web · started 2026-11-25 22:01:02 UTC on ci-runner-7 · cutover 0.1.0\n";

TEST(MarkdownReporter, APassingRunIsTheVerdictAndTheCounts) {
  const std::string text =
      render({entry(make_check("db", "pre", "rows"), make_result(Outcome::passed, "ok")),
              entry(make_check("web", "post", "home"), make_result(Outcome::passed, "ok"))},
             summary_of(2, 0, 0));
  EXPECT_EQ(text, kHeaderPassed);
}

// A skipped check fails the run too, so it is listed with its reason.
TEST(MarkdownReporter, AFailingRunListsFailedErrorAndSkippedChecksInReportOrderWithDetails) {
  const std::string text = render(
      {entry(make_check("web", "pre", "home"), make_result(Outcome::error, "connection refused")),
       entry(make_check("db", "post", "reindex"), make_result(Outcome::passed, "ok")),
       entry(make_check("db", "pre", "rows"),
             make_result(Outcome::failed, "expected 3 rows, got 2",
                         "table  source  target\nusers       3       2")),
       entry(make_check("db", "post", "vacuum"), make_result(Outcome::skipped, "needs rows"))},
      summary_of(1, 1, 1, 1));
  EXPECT_EQ(text,
            "## Cutover: ❌ FAILED\n"
            "\n"
            "| checks | passed | failed | error | skipped | flaky | duration |\n"
            "|---:|---:|---:|---:|---:|---:|---:|\n"
            "| 4 | 1 | 1 | 1 | 1 | 0 | 1.500 s |\n"
            "\n"
            "Suites: db, web · started 2026-11-25 22:01:02 UTC on ci-runner-7 · cutover 0.1.0\n"
            "\n"
            "### Failed, error and skipped checks\n"
            "\n"
            "| outcome | suite | phase | check | kind | message |\n"
            "|---|---|---|---|---|---|\n"
            "| failed | db | pre | rows | tcp | expected 3 rows, got 2 |\n"
            "| skipped | db | post | vacuum | tcp | needs rows |\n"
            "| error | web | pre | home | tcp | connection refused |\n"
            "\n"
            "<details><summary>db / pre / rows</summary>\n"
            "\n"
            "<pre>\n"
            "table  source  target\n"
            "users       3       2</pre>\n"
            "\n"
            "</details>\n");
}

TEST(MarkdownReporter, EscapesTableCellsAndDetails) {
  const std::string text =
      render({entry(make_check("db", "pre", "a|b *bold* _x_"),
                    make_result(Outcome::failed, "got `x` | [link](y) <script>&\nnext\\line",
                                "</pre><script>alert(1)</script>\n\n# not a heading"))},
             summary_of(0, 1, 0));
  EXPECT_NE(text.find("| failed | db | pre | a\\|b \\*bold\\* \\_x\\_ | tcp | got \\`x\\` \\| "
                      "\\[link\\](y) &lt;script&gt;&amp;<br>next\\\\line |\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("<details><summary>db / pre / a|b *bold* _x_</summary>\n\n<pre>\n"
                "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n\n# not a heading</pre>\n"),
      std::string::npos)
      << text;
}

TEST(MarkdownReporter, ANameWithBlankLinesStaysInsideItsDetailsSummary) {
  const std::string text =
      render({entry(make_check("db", "pre", "a\n\n[click](https://evil.example)\n\n# H"),
                    make_result(Outcome::failed, "no", "details"))},
             summary_of(0, 1, 0));
  EXPECT_NE(text.find("<details><summary>db / pre / a [click](https://evil.example) # "
                      "H</summary>\n\n<pre>\ndetails</pre>"),
            std::string::npos)
      << text;
}

TEST(MarkdownReporter, StaysUnderOneMebibyteAndSaysHowManyChecksWereLeftOut) {
  std::vector<RecordedCheck> checks;
  const std::size_t count = 3'000;
  for (std::size_t i = 0; i < count; ++i) {
    checks.push_back(
        entry(make_check("db", "pre", fmt::format("check {:04}", i)),
              make_result(Outcome::failed, std::string(300, 'm'), std::string(300, 'd'))));
  }
  const std::string text = render(checks, summary_of(0, count, 0));
  EXPECT_LE(text.size(), kMarkdownLimit);
  EXPECT_GT(text.size(), kMarkdownLimit - 2'000);
  std::size_t rows = 0;
  for (std::size_t at = text.find("| failed | db |"); at != std::string::npos;
       at = text.find("| failed | db |", at + 1)) {
    ++rows;
  }
  EXPECT_GT(rows, 1'000u);
  EXPECT_LT(rows, count);
  ASSERT_GT(text.size(), 400u);
  EXPECT_NE(text.find(fmt::format(
                "\n_{} more failed, error or skipped checks left out: the summary stays "
                "under 1 MiB. The JSON, JUnit and HTML reports list every "
                "check._\n",
                count - rows)),
            std::string::npos)
      << text.substr(text.find("\n_"), 300);
  EXPECT_NE(text.find("<details><summary>db / pre / check 0000</summary>"), std::string::npos);
  EXPECT_EQ(text.find(fmt::format("| check {:04} |", rows)), std::string::npos);
}

TEST(MarkdownReporter, AppendModeAddsToTheFile) {
  loopback::TempDir dir;
  const auto path = dir.write("summary.md", "earlier step\n");
  MarkdownReporter reporter(path, MarkdownReporter::Mode::append);
  reporter.run_started(make_info());
  reporter.run_finished(make_info(), summary_of(0, 0, 0));
  EXPECT_TRUE(loopback::read_file(path).starts_with("earlier step\n\n## Cutover: ✅ PASSED\n"))
      << loopback::read_file(path);
}

TEST(MarkdownReporter, TheCliAppendsToGithubStepSummaryAndWritesMarkdownOnRequest) {
  loopback::TempDir dir;
  loopback::AcceptingServer server;
  const std::string suite =
      dir.write("suite.yaml", fmt::format("suite: s\n"
                                          "checks:\n"
                                          "  - {{ name: open, kind: tcp, host: "
                                          "127.0.0.1, port: {} }}\n",
                                          server.port()))
          .string();
  const auto step_summary = dir.write("step_summary.md", "# Build\n");
  const auto markdown = dir.path() / "out.md";
  loopback::ProcessResult result =
      test::run_cutover({"run", suite, "--markdown", markdown.string()},
                        {{"GITHUB_STEP_SUMMARY", step_summary.string()}});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string written = loopback::read_file(markdown);
  EXPECT_TRUE(written.starts_with("## Cutover: ✅ PASSED\n")) << written;
  EXPECT_EQ(loopback::read_file(step_summary), "# Build\n\n" + written);

  // The variable alone is enough, no flag needed.
  result = test::run_cutover({"run", suite}, {{"GITHUB_STEP_SUMMARY", step_summary.string()}});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string twice = loopback::read_file(step_summary);
  EXPECT_EQ(twice.substr(0, 9 + written.size()), "# Build\n\n" + written);
  EXPECT_TRUE(twice.substr(9 + written.size()).starts_with("\n## Cutover: ✅ PASSED\n")) << twice;
}

}  // namespace
}  // namespace cutover
