// The command line, by running the built binary: exit codes are an API, so they are tested the
// way CI scripts see them.
#include <csignal>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/process.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/reports/junit_schema.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover::test {
namespace {

using namespace std::chrono_literals;

class CliTest : public ::testing::Test {
 protected:
  // A suite with one check that passes and, if asked, one that fails.
  std::string suite_file(bool with_failure = false) {
    std::string text = fmt::format(
        "suite: s\n"
        "checks:\n"
        "  - {{ name: open port, kind: tcp, host: 127.0.0.1, port: {}, tags: [network] }}\n",
        server.port());
    if (with_failure) {
      text += fmt::format(
          "  - {{ name: closed port, kind: tcp, host: 127.0.0.1, port: {}, phase: post }}\n",
          loopback::unused_port());
    }
    return dir.write("suite.yaml", text).string();
  }

  // A check that passes at once, then one that waits a minute for `silent`; `more` adds checks.
  std::string quick_then_stuck_suite(std::uint16_t silent, const std::string& more = "") {
    return dir
        .write("slow.yaml",
               fmt::format("suite: s\n"
                           "checks:\n"
                           "  - {{ name: quick, kind: tcp, host: 127.0.0.1, port: {} }}\n"
                           "  - {{ name: stuck, kind: tcp, host: 127.0.0.1, port: {}, timeout: "
                           "1m, needs: [quick] }}\n",
                           server.port(), silent) +
                   more)
        .string();
  }

  loopback::TempDir dir;
  loopback::AcceptingServer server;
};

TEST_F(CliTest, ExitsZeroWhenEveryCheckPasses) {
  loopback::ProcessResult result = run_cutover({"run", suite_file()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("PASS  open port"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("1 check: 1 passed, 0 failed, 0 error, 0 skipped"), std::string::npos)
      << result.out;
}

TEST_F(CliTest, ExitsOneWhenACheckFails) {
  loopback::ProcessResult result = run_cutover({"run", suite_file(/*with_failure=*/true)});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("ms): expected open, got refused: 127.0.0.1:"), std::string::npos)
      << result.out;
}

TEST_F(CliTest, ExitsTwoOnSuiteErrorsAndNamesEveryOne) {
  const std::string file =
      dir.write("bad.yaml",
                "suite: s\n"
                "checks:\n"
                "  - { name: a, kind: tcp, host: 127.0.0.1, port: 1, expct: open }\n"
                "  - { name: b, kind: tcp, host: 127.0.0.1, port: 1, timeout: 5 }\n")
          .string();
  loopback::ProcessResult result = run_cutover({"run", file});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            file +
                ":3:53: error: unknown key 'expct' in check 'a' of kind 'tcp' (did you mean "
                "'expect'?)\n" +
                file +
                ":4:62: error: timeout: expected a positive duration like 500ms, 5s, 2m or 1h, "
                "got '5'\n"
                "cutover: 2 errors in the suite files; nothing was run\n");
  EXPECT_EQ(result.out, "");
}

TEST_F(CliTest, ExitsTwoOnCommandLineMistakes) {
  const std::string file = suite_file();
  const std::vector<std::vector<std::string>> mistakes{
      {"run", file, "--no-such-flag"},
      {"run", dir.path() / "missing.yaml"},
      {"run", file, "--var", "NOEQUALS"},
      {"run", file, "--phase", "nope"},
      {"run", file, "--tag", "nope"},
      {"run", file, "--filter", "nothing*"},
      {"run", file, "--shard-index", "1"},
      {"run", file, "--shard-index", "2", "--shard-count", "2"},
      {"run", file, "--concurrency", "0"},
      {"frobnicate"},
      {},
  };
  for (const auto& arguments : mistakes) {
    loopback::ProcessResult result = run_cutover(arguments);
    EXPECT_EQ(result.exit_code, 2) << fmt::format("{}", fmt::join(arguments, " ")) << "\n"
                                   << result.out << result.err;
    EXPECT_FALSE(result.err.empty()) << fmt::format("{}", fmt::join(arguments, " "));
  }
}

TEST_F(CliTest, NamesTheUnknownPhase) {
  loopback::ProcessResult result = run_cutover({"run", suite_file(), "--phase", "pots"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("'pots'"), std::string::npos) << result.err;
}

TEST_F(CliTest, AReportPathThatCannotBeAFileIsACommandLineMistake) {
  const std::string file = suite_file();
  // A regular file stands where the report's folder should be: said before anything runs.
  const std::string blocked = (dir.write("not-a-folder", "") / "results.json").string();
  loopback::ProcessResult result = run_cutover({"run", file, "--json", blocked});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.err, "cutover: error: --json " + blocked +
                            ": Not a directory; name a file, or '-' for standard output\n");
}

TEST_F(CliTest, ListPrintsTheSelectionAndRunsNothing) {
  loopback::ProcessResult result = run_cutover({"run", suite_file(true), "--list"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "s/open port\ns/closed port\n");

  result = run_cutover({"run", suite_file(true), "--list", "--filter", "*-closed*"});
  EXPECT_EQ(result.out, "s/open port\n");
  result = run_cutover({"run", suite_file(true), "--list", "--phase", "post"});
  EXPECT_EQ(result.out, "s/closed port\n");
  result = run_cutover({"run", suite_file(true), "--list", "--tag", "!network"});
  EXPECT_EQ(result.out, "s/closed port\n");
}

TEST_F(CliTest, DryRunPrintsThePlanAndRunsNothing) {
  // The failing check would make a real run exit 1.
  loopback::ProcessResult result = run_cutover({"run", suite_file(true), "--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out.starts_with("2 checks selected\n\nphase main\n  s/open port  [tcp]"))
      << result.out;
  EXPECT_NE(result.out.find("\nphase post\n  s/closed port  [tcp]"), std::string::npos)
      << result.out;
}

TEST_F(CliTest, ShardsPartitionTheSuite) {
  std::string text = "suite: s\nchecks:\n";
  for (int i = 0; i < 7; ++i) {
    text += fmt::format("  - {{ name: c{}, kind: tcp, host: 127.0.0.1, port: {} }}\n", i,
                        server.port());
  }
  const std::string file = dir.write("many.yaml", text).string();
  std::string all;
  for (int shard = 0; shard < 3; ++shard) {
    loopback::ProcessResult result = run_cutover(
        {"run", file, "--list", "--shard-index", std::to_string(shard), "--shard-count", "3"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    all += result.out;
  }
  std::vector<std::string> names;
  for (std::size_t start = 0, end; (end = all.find('\n', start)) != std::string::npos;
       start = end + 1) {
    names.push_back(all.substr(start, end - start));
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"s/c0", "s/c1", "s/c2", "s/c3", "s/c4", "s/c5", "s/c6"}));
}

TEST_F(CliTest, VarsFromTheCommandLineReachTheChecks) {
  const std::string file =
      dir.write("vars.yaml",
                "suite: s\n"
                "vars: { port: '1' }\n"
                "checks:\n"
                "  - { name: a, kind: tcp, host: 127.0.0.1, port: '${port}' }\n")
          .string();
  loopback::ProcessResult result =
      run_cutover({"run", file, "--var", fmt::format("port={}", server.port())});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

TEST_F(CliTest, SecretsAppearInNoOutput) {
  const std::string secret = "hunter2-s3cret";
  const std::uint16_t closed = loopback::unused_port();
  const std::string file =
      dir.write("secret.yaml",
                "suite: s\n"
                "vars: { token: '${secret:API_TOKEN}' }\n"
                "description: 'deploys with ${token}'\n"
                "checks:\n"
                "  - name: uses the token\n"
                "    description: 'login with ${token}'\n"
                "    kind: tcp\n"
                "    host: 127.0.0.1\n"
                "    port: '${secret:SECRET_PORT}'\n"
                "  - { name: bad, kind: tcp, host: 127.0.0.1, port: '${token}' }\n")
          .string();
  const std::map<std::string, std::string> environment{{"API_TOKEN", secret},
                                                       {"SECRET_PORT", std::to_string(closed)}};

  // A suite error that quotes the secret.
  loopback::ProcessResult result = run_cutover({"run", file}, environment);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("port: expected an integer from 1 to 65535, got '***'"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find(secret), std::string::npos) << result.err;

  // A run whose failure message quotes the secret port.
  const std::string runnable =
      dir.write("runnable.yaml",
                loopback::read_file(file).substr(0, loopback::read_file(file).find("  - {")))
          .string();
  const std::string junit = (dir.path() / "out/junit.xml").string();
  const std::string json = (dir.path() / "out/results.json").string();
  result = run_cutover({"run", runnable, "-v", "--junit", junit, "--json", json}, environment);
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const std::string plan = run_cutover({"run", runnable, "--dry-run"}, environment).out;
  for (const std::string& output :
       {result.out, result.err, loopback::read_file(junit), loopback::read_file(json), plan}) {
    EXPECT_EQ(output.find(secret), std::string::npos) << output;
    EXPECT_EQ(output.find(std::to_string(closed)), std::string::npos) << output;
  }
  EXPECT_NE(result.out.find("127.0.0.1:*** refused the connection"), std::string::npos)
      << result.out;
  EXPECT_NE(plan.find("login with ***"), std::string::npos) << plan;
}

// --dry-run redacts a check's description whole, then cuts it: a secret across either cut (the
// query's old 80 bytes of SQL, the line's 160 bytes now) leaves no piece of itself.
TEST_F(CliTest, DryRunCutsADescriptionAfterRedactingIt) {
  const std::string secret = "Tok3n-0123456789abcdef";
  const auto sql = [](std::size_t before) {
    return "SELECT 1 WHERE '" + std::string(before - 16, 'x') + "${secret:LIST_TOKEN}' <> ''";
  };
  const std::string file =
      dir.write("list.yaml",
                "suite: s\n"
                "databases: { db: { dsn: 'host=127.0.0.1 dbname=app' } }\n"
                "checks:\n"
                "  - { name: q1, kind: postgres.query, database: db, empty: false, sql: \"" +
                    sql(74) +
                    "\" }\n"
                    "  - { name: q2, kind: postgres.query, database: db, empty: false, sql: \"" +
                    sql(130) + "\" }\n")
          .string();
  const loopback::ProcessResult result =
      run_cutover({"run", file, "--dry-run"}, {{"LIST_TOKEN", secret}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.find(secret.substr(0, 4)), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("[postgres.query] database 'db' not empty: SELECT 1 WHERE 'xx"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("x***' <> ''"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("x***' ..."), std::string::npos) << result.out;
}

// The declared databases are the run's targets in every report's metadata, passwords masked.
TEST_F(CliTest, ReportsNameTheDeclaredDatabasesWithPasswordsMasked) {
  const std::string file =
      dir.write("db.yaml",
                fmt::format("suite: s\n"
                            "databases:\n"
                            "  shop: {{ dsn: 'host=10.9.8.7 dbname=shop password=pw-5k2' }}\n"
                            "  old: {{ dsn: \"host=10.9.8.6 password='sp ace\\\\'s-9'\" }}\n"
                            "checks:\n"
                            "  - {{ name: open, kind: tcp, host: 127.0.0.1, port: {} }}\n",
                            server.port()))
          .string();
  const std::string json = (dir.path() / "results.json").string();
  const std::string html = (dir.path() / "report.html").string();
  const loopback::ProcessResult result = run_cutover({"run", file, "--json", json, "--html", html});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(nlohmann::json::parse(loopback::read_file(json))["run"]["targets"],
            nlohmann::json::parse(R"([{"name": "database shop",
                                       "address": "host=10.9.8.7 dbname=shop password=***"},
                                      {"name": "database old",
                                       "address": "host=10.9.8.6 password=***"}])"));
  const std::string page = loopback::read_file(html);
  EXPECT_NE(page.find("host=10.9.8.7 dbname=shop password=***"), std::string::npos);
  EXPECT_EQ(page.find("pw-5k2"), std::string::npos);
  EXPECT_EQ(page.find("9'"), std::string::npos);
}

// Console lines are flushed on a short timer, not after each line: a line must still show while
// another check runs on, also when the output is a file, as in CI logs.
TEST_F(CliTest, AFinishedCheckIsPrintedWhileAnotherStillRuns) {
  loopback::UnansweringServer silent;
  loopback::Process process({CUTOVER_BINARY, "run", quick_then_stuck_suite(silent.port())});
  EXPECT_TRUE(process.wait_for_output("PASS  quick", 2s));
  process.send_signal(SIGINT);
  const loopback::ProcessResult result = process.wait(20s);
  EXPECT_EQ(result.exit_code, 130) << result.out << result.err;
}

// Ctrl-C in the middle of a run: the check in flight is cancelled and marked interrupted, and
// every report is still written, completely.
class CliSignalTest : public CliTest, public ::testing::WithParamInterface<int> {};

TEST_P(CliSignalTest, InterruptWritesReportsAndExits130) {
  loopback::UnansweringServer silent;
  const std::string file = quick_then_stuck_suite(
      silent.port(),
      fmt::format("  - {{ name: after, kind: tcp, host: 127.0.0.1, port: {}, phase: post }}\n",
                  server.port()));
  const std::string junit = (dir.path() / "junit.xml").string();
  const std::string json = (dir.path() / "results.json").string();
  loopback::Process process({CUTOVER_BINARY, "run", file, "--junit", junit, "--json", json});
  ASSERT_TRUE(process.wait_for_output("PASS  quick", 10s));
  process.send_signal(GetParam());
  loopback::ProcessResult result = process.wait(20s);
  EXPECT_EQ(result.exit_code, 130) << result.out << result.err;
  EXPECT_NE(result.out.find("ERROR stuck ("), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("SKIP  after: not run: the run was interrupted\n"), std::string::npos)
      << result.out;

  auto document = nlohmann::json::parse(loopback::read_file(json));
  EXPECT_EQ(document["run"]["interrupted"], true);
  ASSERT_EQ(document["checks"].size(), 3u);
  EXPECT_EQ(document["checks"][0]["outcome"], "passed");
  EXPECT_EQ(document["checks"][1]["outcome"], "error");
  EXPECT_EQ(document["checks"][1]["interrupted"], true);
  EXPECT_EQ(document["checks"][2]["outcome"], "skipped");
  EXPECT_EQ(document["checks"][2]["message"], "not run: the run was interrupted");

  const std::string xml = loopback::read_file(junit);
  EXPECT_NE(xml.find("<property name=\"cutover.interrupted\" value=\"true\"/>"), std::string::npos)
      << xml;
  EXPECT_EQ(junit_schema_errors(junit), "");
}

INSTANTIATE_TEST_SUITE_P(Signals, CliSignalTest, ::testing::Values(SIGINT, SIGTERM),
                         [](const auto& info) {
                           return info.param == SIGINT ? "SIGINT" : "SIGTERM";
                         });

TEST(Cli, KindsListsEveryKindWithItsFields) {
  loopback::ProcessResult result = run_cutover({"kinds"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("tcp\n  Connects to a TCP port"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  expect "), std::string::npos) << result.out;

  result = run_cutover({"kinds", "--markdown"});
  EXPECT_NE(result.out.find("### `tcp`\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("| `host` | non-empty string | yes |"), std::string::npos)
      << result.out;
}

TEST(Cli, TheReadmeDocumentsEveryKindAsCutoverKindsPrintsIt) {
  loopback::ProcessResult result = run_cutover({"kinds", "--markdown"});
  const std::string readme =
      loopback::read_file(std::filesystem::path(CUTOVER_SOURCE_DIR) / "README.md");
  EXPECT_NE(readme.find(result.out), std::string::npos)
      << "README.md is out of date; paste the output of `cutover kinds --markdown`:\n"
      << result.out;
}

// The quickstart shows `cutover kinds tcp` whole, as the program prints it.
TEST(Cli, TheQuickstartShowsTheTcpKindAsCutoverKindsPrintsIt) {
  loopback::ProcessResult result = run_cutover({"kinds", "tcp"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string quickstart =
      loopback::read_file(std::filesystem::path(CUTOVER_SOURCE_DIR) / "examples" / "QUICKSTART.md");
  std::string shown = result.out;
  while (shown.ends_with("\n\n"))
    shown.pop_back();  // the blank line that ends each kind
  EXPECT_NE(quickstart.find("$ ./build/cutover kinds tcp\n" + shown + "```"), std::string::npos)
      << "examples/QUICKSTART.md is out of date; paste the output of `cutover kinds tcp`:\n"
      << result.out;
}

TEST(Cli, PrintsItsVersion) {
  loopback::ProcessResult result = run_cutover({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_TRUE(result.out.starts_with(std::string("cutover ") + CUTOVER_VERSION)) << result.out;
}

// Built from a git checkout (this tree is one), the version names the commit it was built from.
TEST(Cli, TheVersionNamesTheCommitOfTheCheckout) {
  const std::string source = CUTOVER_SOURCE_DIR;
  if (!std::filesystem::exists(std::filesystem::path(source) / ".git")) {
    GTEST_SKIP() << "not built from a git checkout";
  }
  loopback::ProcessResult head =
      loopback::run_command({"/usr/bin/git", "-C", source, "rev-parse", "HEAD"});
  ASSERT_EQ(head.exit_code, 0) << head.err;
  const std::string commit = head.out.substr(0, 12);
  loopback::ProcessResult result = run_cutover({"--version"});
  EXPECT_NE(result.out.find("(" + commit), std::string::npos)
      << "expected the commit " << commit << " in: " << result.out;
}

}  // namespace
}  // namespace cutover::test
