// The files `cutover run`, `merge` and `report` read and write, through the built binary as root,
// as CI runs it (issue 15, items 5 and 6): special files are written in place or refused, never
// replaced; "-" is standard input or output; suite files are capped and never block.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <chrono>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/process.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Single quotes for sh.
std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class CliFilesTest : public ::testing::Test {
 protected:
  // A suite whose one check passes: nothing listens on the port.
  std::string suite_file(const std::string& name = "suite.yaml") {
    return dir
        .write(name, fmt::format("suite: s\n"
                                 "checks:\n"
                                 "  - {{ name: shut, kind: tcp, host: 127.0.0.1, port: {}, "
                                 "expect: closed }}\n",
                                 loopback::unused_port()))
        .string();
  }

  // Runs `script` with sh, `$CUTOVER` being the binary: for pipes and standard input.
  loopback::ProcessResult shell(const std::string& script) {
    return loopback::run_command({"/bin/sh", "-c",
                                  "CUTOVER=" + quoted(CUTOVER_BINARY) + "; cd " +
                                      quoted(dir.path().string()) + " && " + script});
  }

  // A node of its own for /dev/full (1, 7), so a regression cannot replace the machine's.
  fs::path full_device() {
    const fs::path path = dir.path() / "full";
    EXPECT_EQ(::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, 7)), 0) << "tests run as root";
    return path;
  }

  static bool is_character_device(const fs::path& path) {
    struct stat status {};
    return ::lstat(path.c_str(), &status) == 0 && S_ISCHR(status.st_mode);
  }

  loopback::TempDir dir;
};

TEST_F(CliFilesTest, AReportToAFullDeviceExitsThreeAndLeavesTheDevice) {
  const fs::path full = full_device();
  loopback::ProcessResult result = run_cutover({"run", suite_file(), "--junit", full.string()});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.err.find("cutover: error: cannot write " + full.string() +
                            ": write: No space left on device\n"),
            std::string::npos)
      << result.err;
  EXPECT_TRUE(is_character_device(full));
}

TEST_F(CliFilesTest, AReportToDashGoesToStdoutAndTheConsoleToStderr) {
  loopback::ProcessResult result = run_cutover({"run", suite_file(), "--json", "-"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto json = nlohmann::json::parse(result.out);  // nothing else on stdout
  EXPECT_EQ(json["format"], "cutover-results");
  EXPECT_NE(result.err.find("PASS  shut"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("1 check: 1 passed"), std::string::npos) << result.err;
}

TEST_F(CliFilesTest, ALinkToStandardOutputIsWrittenThroughAndKept) {
  const fs::path link = dir.path() / "stdout-link";
  fs::create_symlink("/proc/self/fd/1", link);
  loopback::ProcessResult result = run_cutover({"run", suite_file(), "--json", link.string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(nlohmann::json::parse(result.out)["format"], "cutover-results");
  EXPECT_NE(result.err.find("PASS  shut"), std::string::npos) << result.err;
}

TEST_F(CliFilesTest, AReportToDashFillsAPipe) {
  suite_file();
  loopback::ProcessResult result =
      shell("\"$CUTOVER\" run suite.yaml --junit - | cat > piped.xml; echo \"exit $?\"");
  EXPECT_EQ(result.out, "exit 0\n") << result.err;
  const std::string xml = loopback::read_file(dir.path() / "piped.xml");
  EXPECT_EQ(xml.rfind("<?xml", 0), 0u) << xml;
  EXPECT_NE(xml.find("</testsuites>"), std::string::npos) << xml;
}

TEST_F(CliFilesTest, TwoReportsOnStandardOutputAreAMistake) {
  const std::string suite = suite_file();
  loopback::ProcessResult result = run_cutover({"run", suite, "--json", "-", "--junit", "-"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.err,
            "cutover: error: --json and --junit both write to standard output; at most one "
            "report can\n");
  EXPECT_EQ(result.out, "");

  const fs::path link = dir.path() / "stdout-link";
  fs::create_symlink("/proc/self/fd/1", link);
  result = run_cutover({"run", suite, "--html", link.string(), "--markdown", "-"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("--html and --markdown both write to standard output"),
            std::string::npos)
      << result.err;
}

TEST_F(CliFilesTest, AReportPathThatIsADirectoryIsRefusedBeforeAnythingRuns) {
  loopback::ProcessResult result = run_cutover({"run", suite_file(), "--json", dir.path()});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.err, "cutover: error: --json " + dir.path().string() +
                            ": it is a directory; name a file, or '-' for standard output\n");
  EXPECT_EQ(result.out, "");
}

TEST_F(CliFilesTest, MergeAndReportWriteToDashWithTheirSummaryOnStderr) {
  const fs::path results = dir.path() / "results.json";
  ASSERT_EQ(run_cutover({"run", suite_file(), "--json", results.string()}).exit_code, 0);
  loopback::ProcessResult result = run_cutover({"report", results.string(), "--markdown", "-"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out.rfind("## ", 0), 0u) << result.out;
  EXPECT_EQ(result.out.find("wrote"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("wrote markdown report to standard output"), std::string::npos)
      << result.err;

  result = run_cutover({"merge", results.string(), "--json", "-", "--html", "/proc/self/fd/1"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.err,
            "cutover merge: error: --json and --html both write to standard output; at most one "
            "report can\n");

  const fs::path full = full_device();
  result = run_cutover({"report", results.string(), "--junit", full.string()});
  EXPECT_EQ(result.exit_code, 3) << result.out << result.err;
  EXPECT_NE(result.err.find("cutover report: error: cannot write " + full.string()),
            std::string::npos)
      << result.err;
  EXPECT_TRUE(is_character_device(full));
}

TEST_F(CliFilesTest, ADeviceAsTheSuiteIsRefusedAtOnce) {
  const auto started = std::chrono::steady_clock::now();
  loopback::ProcessResult result = run_cutover({"run", "/dev/zero"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.err,
            "/dev/zero: error: cannot open suite file: it is a character device, not a regular "
            "file\ncutover: 1 error in the suite files; nothing was run\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(CliFilesTest, AFifoIncludeIsRefusedWithoutBlocking) {
  ASSERT_EQ(::mkfifo((dir.path() / "pipe.yaml").c_str(), 0600), 0);
  const std::string suite =
      dir.write("main.yaml", "suite: s\ninclude: [pipe.yaml]\nchecks: []\n").string();
  loopback::Process process({CUTOVER_BINARY, "run", suite, "--dry-run"});
  loopback::ProcessResult result = process.wait(10s);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("it is a FIFO (named pipe), not a regular file"), std::string::npos)
      << result.err;
}

TEST_F(CliFilesTest, DashReadsTheSuiteFromStandardInput) {
  suite_file();
  loopback::ProcessResult result = shell("\"$CUTOVER\" run - < suite.yaml");
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("PASS  shut"), std::string::npos) << result.out;

  result = shell("printf 'suite: s\\nchecks: 3\\n' | \"$CUTOVER\" run -");
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("<stdin>:2:9: error: checks: expected a list of checks"),
            std::string::npos)
      << result.err;

  result = shell("\"$CUTOVER\" run - - < suite.yaml");
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("<stdin>: error: '-' (standard input) is named twice; it can be read "
                            "only once"),
            std::string::npos)
      << result.err;
}

TEST_F(CliFilesTest, MaxSuiteSizeCapsEveryFileAndTakesUnits) {
  const std::string big =
      dir.write("big.yaml", fmt::format("suite: s\n# {}\nchecks: []\n", std::string(3000, 'x')))
          .string();
  loopback::ProcessResult result =
      run_cutover({"run", big, "--dry-run", "--max-suite-size", "2KiB"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find(big + ": error: cannot open suite file: it is over the 2 KiB limit "
                                  "(--max-suite-size raises it)"),
            std::string::npos)
      << result.err;

  result = run_cutover({"run", big, "--dry-run", "--max-suite-size", "1MB"});
  EXPECT_NE(result.err.find("has no checks"), std::string::npos) << result.out << result.err;
  EXPECT_EQ(result.err.find("limit"), std::string::npos) << result.err;

  for (const char* wrong : {"0", "12parsecs", "-5"}) {
    result = run_cutover({"run", big, "--dry-run", "--max-suite-size", wrong});
    EXPECT_EQ(result.exit_code, 2) << wrong << ": " << result.out << result.err;
    EXPECT_NE(result.err.find("--max-suite-size"), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace cutover::test
