// What the command line says to a mistyped or incomplete command: each message names the
// mistake and how to put it right, and exits 2.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "loopback/temp_dir.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover::test {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kCommandList = "run, kinds, schema, help, completion, demo, merge, report";

TEST(CliMessages, AnUnknownCommandIsNamedWithTheCommands) {
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"validate"}, {"validate", "suite.yaml"}, {"help", "validate"}}) {
    const auto result = run_cutover(arguments);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(result.err,
              fmt::format("cutover: error: unknown command 'validate'; the commands are "
                          "{}\nRun 'cutover help' for more.\n",
                          kCommandList));
  }
}

TEST(CliMessages, AMisspeltCommandGetsDidYouMean) {
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"rnu", "suite.yaml"}, {"help", "rnu"}}) {
    const auto result = run_cutover(arguments);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err,
              fmt::format("cutover: error: unknown command 'rnu' (did you mean 'run'?); "
                          "the commands are {}\nRun 'cutover help' for more.\n",
                          kCommandList));
  }
}

TEST(CliMessages, NoCommandListsTheCommands) {
  const auto result = run_cutover({});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err, fmt::format("cutover: error: no command given; the commands are {}\n"
                                    "Run 'cutover help' for more.\n",
                                    kCommandList));
}

TEST(CliMessages, AKnownCommandWithoutItsArgumentNamesTheArgument) {
  auto result = run_cutover({"completion"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "cutover: error: cutover completion needs the shell: bash, zsh or fish\n"
            "Run 'cutover help completion' for more.\n");
  result = run_cutover({"run"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.err,
            "cutover: error: cutover run needs the suite files (YAML or JSON)\n"
            "Run 'cutover help run' for more.\n");
}

TEST(CliMessages, FormatAsGossWritesItNamesTheReportFlags) {
  const loopback::TempDir dir;
  const std::string file = dir.write("x.yaml", "suite: s\nchecks: []\n").string();
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"run", file, "--format", "junit"},
        {"run", file, "--format=junit"},
        {"run", "-f", "junit", file}}) {
    const auto result = run_cutover(arguments);
    EXPECT_EQ(result.exit_code, 2) << fmt::format("{}", fmt::join(arguments, " "));
    EXPECT_EQ(result.err,
              "cutover: error: there is no --format: each report has a flag of its own that names "
              "its file, here --junit FILE; several at once are fine. The report flags are "
              "--junit FILE, --json FILE, --html FILE, --markdown FILE, --prometheus FILE\n")
        << fmt::format("{}", fmt::join(arguments, " "));
  }
  const auto unknown = run_cutover({"run", file, "--format", "tap"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err,
            "cutover: error: there is no --format: each report has a flag of its own that names "
            "its file; several at once are fine. The report flags are --junit FILE, --json FILE, "
            "--html FILE, --markdown FILE, --prometheus FILE\n");
}

TEST(CliMessages, AnEmptySuiteSaysItHasNoChecks) {
  const loopback::TempDir dir;
  const std::string file = dir.write("empty.yaml", "suite: s\nchecks: []\n").string();
  for (const std::vector<std::string>& arguments : {std::vector<std::string>{"run", file},
                                                    {"run", file, "--list"},
                                                    {"run", file, "--filter", "x*"}}) {
    const auto result = run_cutover(arguments);
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(result.err, fmt::format("cutover: error: suite 's' ({}) has no checks: there is "
                                      "nothing to run\n",
                                      file));
  }
}

TEST(CliMessages, HelpListsTheExitCodesAndThatPhaseAndTagTakeCommas) {
  const std::string exit_codes =
      "Exit codes:\n"
      "  0    every selected check passed\n"
      "  1    a check failed, errored or was skipped\n"
      "  2    the command line or a suite file is wrong\n"
      "  3    internal error, or a report could not be written\n"
      "  130  interrupted (Ctrl-C, SIGTERM); the reports were still written\n";
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"--help"}, {"run", "--help"}, {"demo", "--help"}}) {
    const auto result = run_cutover(arguments);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_TRUE(contains(result.out, exit_codes)) << result.out;
  }
  const std::string run = run_cutover({"run", "--help"}).out;
  EXPECT_TRUE(contains(run,
                       "run only these phases, comma-separated (--phase pre,post) or "
                       "repeated"))
      << run;
  EXPECT_TRUE(contains(run,
                       "run only checks with one of these tags, comma-separated "
                       "(--tag dns,http) or repeated; '!tag' excludes"))
      << run;
}

TEST(CliMessages, KindsKindPrintsThatKindAlone) {
  const auto all = run_cutover({"kinds"});
  const auto http = run_cutover({"kinds", "http"});
  EXPECT_EQ(http.exit_code, 0) << http.err;
  EXPECT_TRUE(http.out.starts_with("http\n  Sends an HTTP(S) request")) << http.out;
  EXPECT_FALSE(contains(http.out, "\ntcp\n")) << http.out;
  EXPECT_FALSE(contains(http.out, "dns")) << http.out;
  EXPECT_TRUE(contains(all.out, http.out)) << "the same block as in the whole list";

  const auto markdown = run_cutover({"kinds", "http", "--markdown"});
  EXPECT_TRUE(markdown.out.starts_with("### `http`\n")) << markdown.out;
  EXPECT_FALSE(contains(markdown.out, "### `tcp`")) << markdown.out;
}

TEST(CliMessages, AnUnknownKindGetsDidYouMean) {
  const auto result = run_cutover({"kinds", "htp"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(
      result.err.starts_with("cutover: error: unknown kind 'htp' (did you mean 'http'?); "
                             "the kinds are db.connect, db.frozen, db.query, db.replication, "
                             "db.row_count, db.smoke, dns, http, "))
      << result.err;
}

// Each kind's field lines: the name, the type and the description each start in one column,
// however long the longest name or type is.
TEST(CliMessages, KindsAlignsEveryFieldColumn) {
  const std::string text = run_cutover({"kinds"}).out;
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  ASSERT_GT(lines.size(), 10u) << text;
  // A kind is its name, its description, then one line per field, then an empty line.
  std::size_t type_column = std::string::npos;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty() || !line.starts_with("  ")) {
      type_column = std::string::npos;  // the next kind
      continue;
    }
    if (i == 0 || !lines[i - 1].starts_with("  ")) continue;  // the kind's description
    if (line.starts_with("      ")) continue;  // a long type's description, on a line of its own
    const std::size_t name_end = line.find(' ', 2);
    const std::size_t type_start = line.find_first_not_of(' ', name_end);
    if (type_column == std::string::npos) type_column = type_start;
    EXPECT_EQ(type_start, type_column) << line;
    EXPECT_GE(type_start - name_end, 2u) << line;
  }
  // Descriptions start in one column too: fields with short types, long names among them.
  const auto description_column = [&text](const std::string& start) {
    const std::size_t at = text.find(start);
    return at - text.rfind('\n', at);
  };
  EXPECT_EQ(description_column("Values that must be among"),
            description_column("Values that must not be among"))
      << text;
  EXPECT_EQ(description_column("Values that must be among"), description_column("Ask over TCP"))
      << text;
}

}  // namespace
}  // namespace cutover::test
