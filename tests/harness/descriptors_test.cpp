#include "harness/descriptors.hpp"

#include <cerrno>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "loopback/process.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;

TEST(ConcurrencyWithin, KeepsWhatFitsAndCutsWhatDoesNot) {
  EXPECT_EQ(concurrency_within(1'048'576, 500, 4), 500u);
  // 64 descriptors: 32 kept free, 4 for database connections, 2 per check.
  EXPECT_EQ(concurrency_within(64, 500, 4), 14u);
  EXPECT_EQ(concurrency_within(64, 10, 4), 10u);
  // Never below one: the run still goes, and reports what it cannot open.
  EXPECT_EQ(concurrency_within(16, 500, 4), 1u);
}

TEST(FitConcurrency, SaysSoOnlyWhenItCuts) {
  std::ostringstream notes;
  EXPECT_EQ(fit_concurrency(8, 4, notes), 8u);
  EXPECT_EQ(notes.str(), "");
}

TEST(DescriptorError, OutOfDescriptorsSaysWhatToDo) {
  const boost::system::error_code emfile(EMFILE, boost::system::system_category());
  EXPECT_EQ(descriptor_error(emfile).message(),
            fmt::format("too many open files (the limit is {}; lower --concurrency or raise "
                        "ulimit -n)",
                        open_file_limit()));
  const boost::system::error_code refused(ECONNREFUSED, boost::system::system_category());
  EXPECT_EQ(descriptor_error(refused), refused);
}

class DescriptorLimitTest : public ::testing::Test {
 protected:
  // 500 checks of an open port, all at once, as `prlimit --nofile=LIMITS` runs cutover.
  loopback::ProcessResult run_under(const std::string& limits) {
    std::string suite = "suite: many\nchecks:\n";
    for (int i = 0; i < 500; ++i) {
      suite += fmt::format("  - {{ name: c{}, kind: tcp, host: 127.0.0.1, port: {} }}\n", i,
                           server.port());
    }
    const std::string file = dir.write("many.yaml", suite).string();
    loopback::Process process({"/usr/bin/prlimit", "--nofile=" + limits, CUTOVER_BINARY, "run",
                               file, "--concurrency", "500", "-q"});
    return process.wait(60s);
  }

  loopback::TempDir dir;
  loopback::AcceptingServer server;
};

// Issue 15: with `ulimit -n 64`, 446 of 500 checks said "could not connect ...: Operation
// canceled" (EMFILE). The concurrency is cut to what fits, once said.
TEST_F(DescriptorLimitTest, AHardLimitCutsTheConcurrencyAndEveryCheckRuns) {
  const loopback::ProcessResult result = run_under("64:64");
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.err,
            "cutover: note: running at most 14 checks at once, not 500: the open-file limit is 64 "
            "(raise ulimit -n for more)\n");
  EXPECT_EQ(result.out.find("Operation canceled"), std::string::npos) << result.out;
}

// A soft limit below the hard one is raised first: nothing to cut.
TEST_F(DescriptorLimitTest, ASoftLimitIsRaisedToTheHardOne) {
  const loopback::ProcessResult result = run_under("64:4096");
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.err, "");
}

}  // namespace
}  // namespace cutover
