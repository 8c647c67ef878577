// `cutover help [COMMAND]` prints what `cutover [COMMAND] --help` does, with the same exit code.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/run_cutover.hpp"

namespace cutover::test {
namespace {

TEST(CliHelp, HelpAloneIsTheProgramsHelp) {
  const auto alias = run_cutover({"help"});
  const auto flag = run_cutover({"--help"});
  EXPECT_EQ(alias.exit_code, 0);
  EXPECT_EQ(alias.exit_code, flag.exit_code);
  EXPECT_EQ(alias.out, flag.out);
  EXPECT_NE(alias.out.find("schema"), std::string::npos) << alias.out;
  EXPECT_NE(alias.out.find("help"), std::string::npos) << alias.out;
}

// The harness's own commands, and the commands main adds (their options are listed too).
TEST(CliHelp, HelpCommandIsTheCommandsHelp) {
  for (const std::string command : {"run", "kinds", "schema", "demo", "merge", "report"}) {
    const auto alias = run_cutover({"help", command});
    const auto flag = run_cutover({command, "--help"});
    EXPECT_EQ(alias.exit_code, 0) << command << ": " << alias.err;
    EXPECT_EQ(alias.out, flag.out) << command;
    EXPECT_FALSE(alias.out.empty()) << command;
  }
  EXPECT_NE(run_cutover({"help", "run"}).out.find("--dry-run"), std::string::npos);
  EXPECT_NE(run_cutover({"help", "demo"}).out.find("--break"), std::string::npos);
  EXPECT_NE(run_cutover({"help", "merge"}).out.find("--junit FILE"), std::string::npos);
}

TEST(CliHelp, HelpForAnUnknownCommandIsAUsageError) {
  const auto result = run_cutover({"help", "rnu"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find("unknown command 'rnu' (did you mean 'run'?)"), std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace cutover::test
