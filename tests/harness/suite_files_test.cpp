// Which files the loader reads and how much of them (issue 15, items 6 and 13): regular files
// only, never past the cap, never blocking; mistakes point at the include's own entry.
#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "harness/input_file.hpp"
#include "harness/suite.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/test_checks.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;

class SuiteFilesTest : public ::testing::Test {
 protected:
  SuiteFilesTest() { test::register_test_checks(registry, stats); }

  // Every diagnostic of loading `files`, one per line, as the CLI prints them.
  std::string errors(const std::vector<std::filesystem::path>& files) {
    auto result = load_suites(files, registry, options);
    if (result) return "(no errors)";
    std::string out;
    for (const Diagnostic& diagnostic : result.error())
      out += to_string(diagnostic) + "\n";
    return out;
  }

  // A suite that includes `included` on its line 3, at column 5.
  std::filesystem::path includer(const std::string& included) {
    return dir.write("main.yaml", "suite: s\ninclude:\n  - " + included +
                                      "\nchecks:\n  - { name: a, kind: probe, text: t }\n");
  }

  loopback::TempDir dir;
  Registry registry;
  test::ScriptStats stats;
  LoadOptions options;
};

TEST_F(SuiteFilesTest, ADeviceIsRefusedBeforeItIsRead) {
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(errors({"/dev/zero"}),
            "/dev/zero: error: cannot open suite file: it is a character device, not a regular "
            "file\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(SuiteFilesTest, AnIncludedDeviceIsRefusedAtItsEntry) {
  const auto main = includer("/dev/zero");
  EXPECT_EQ(errors({main}), main.string() +
                                ":3:5: error: include: cannot open '/dev/zero' (/dev/zero): it is "
                                "a character device, not a regular file\n");
}

TEST_F(SuiteFilesTest, AnIncludedFifoIsRefusedWithoutWaitingForAWriter) {
  ASSERT_EQ(::mkfifo((dir.path() / "pipe.yaml").c_str(), 0600), 0);
  const auto main = includer("pipe.yaml");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(errors({main}), main.string() + ":3:5: error: include: cannot open 'pipe.yaml' (" +
                                (dir.path() / "pipe.yaml").string() +
                                "): it is a FIFO (named pipe), not a regular file\n");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(SuiteFilesTest, AnIncludedDirectoryIsNamedAsOneAtTheIncludesEntry) {
  std::filesystem::create_directory(dir.path() / "checks");
  const auto main = includer("checks");
  EXPECT_EQ(errors({main}), main.string() + ":3:5: error: include: 'checks' (" +
                                (dir.path() / "checks").string() +
                                ") is a directory; include the suite files in it by name\n");
}

TEST_F(SuiteFilesTest, EachIncludeMistakePointsAtItsOwnEntry) {
  dir.write("ok.yaml", "checks: []\n");
  const auto main = dir.write("main.yaml", "suite: s\ninclude: [ok.yaml, gone.yaml]\nchecks: []\n");
  EXPECT_EQ(errors({main}), main.string() + ":2:20: error: include: cannot open 'gone.yaml' (" +
                                (dir.path() / "gone.yaml").string() +
                                "): No such file or directory\n");
}

TEST_F(SuiteFilesTest, ASuiteFileOverTheCapNamesTheFileAndTheLimit) {
  options.max_file_bytes = 1024;
  const auto big =
      dir.write("big.yaml", "suite: s\n# " + std::string(2000, 'x') + "\nchecks: []\n");
  EXPECT_EQ(errors({big}), big.string() +
                               ": error: cannot open suite file: it is over the 1 KiB limit "
                               "(--max-suite-size raises it)\n");
  options.max_file_bytes = 4096;
  EXPECT_EQ(errors({big}), "(no errors)");
}

TEST_F(SuiteFilesTest, AnIncludedFileOverTheCapIsRefusedAtItsEntry) {
  options.max_file_bytes = 1024;
  dir.write("big.yaml", "# " + std::string(2000, 'x') + "\nchecks: []\n");
  const auto main = includer("big.yaml");
  EXPECT_EQ(errors({main}), main.string() + ":3:5: error: include: cannot open 'big.yaml' (" +
                                (dir.path() / "big.yaml").string() +
                                "): it is over the 1 KiB limit (--max-suite-size raises it)\n");
}

TEST_F(SuiteFilesTest, TheCapIsDefaultSixteenMebibytes) {
  EXPECT_EQ(LoadOptions{}.max_file_bytes, std::uint64_t{16} << 20);
  EXPECT_EQ(byte_size_text(LoadOptions{}.max_file_bytes), "16 MiB");
}

TEST_F(SuiteFilesTest, IncludingStandardInputIsAMistake) {
  const auto main = includer("'-'");
  EXPECT_EQ(errors({main}), main.string() +
                                ":3:5: error: include: '-' (standard input) can be named only on "
                                "the command line; name the file ('./-' for a file called '-')\n");
}

TEST(InputFile, CountsBytesAsTheyArriveNotTheSizeAFileClaims) {
  // /proc files say they are empty.
  struct stat status {};
  ASSERT_EQ(::stat("/proc/self/status", &status), 0);
  ASSERT_EQ(status.st_size, 0);
  auto text = read_input_file("/proc/self/status", 16);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "it is over the 16 bytes limit");
  EXPECT_TRUE(text.error().over_limit);
  auto whole = read_input_file("/proc/self/status", 1 << 20);
  ASSERT_TRUE(whole) << whole.error().message;
  EXPECT_NE(whole.value().find("Name:"), std::string::npos);
}

TEST(InputFile, SaysSizesInWholeUnits) {
  EXPECT_EQ(byte_size_text(1), "1 byte");
  EXPECT_EQ(byte_size_text(1000), "1000 bytes");
  EXPECT_EQ(byte_size_text(1536), "1536 bytes");
  EXPECT_EQ(byte_size_text(64 * 1024), "64 KiB");
  EXPECT_EQ(byte_size_text(std::uint64_t{3} << 30), "3 GiB");
}

}  // namespace
}  // namespace cutover
