// `cutover run --dry-run` and `--list` as a CI lint step runs them: without the secrets, which
// only the real run needs. Through the built binary, as CI sees it.
#include <string>

#include <gtest/gtest.h>

#include "loopback/temp_dir.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover::test {
namespace {

constexpr const char* kSourceSecret = "CUTOVER_LINT_TEST_SOURCE_DSN";
constexpr const char* kTargetSecret = "CUTOVER_LINT_TEST_TARGET_PASSWORD";

class CliLintTest : public ::testing::Test {
 protected:
  std::string suite_file(const std::string& more = "") {
    return dir
        .write("shop.yaml",
               "suite: shop\n"
               "databases:\n"
               "  source: { dsn: \"${secret:CUTOVER_LINT_TEST_SOURCE_DSN}\" }\n"
               "  target: { dsn: \"postgresql://app:${secret:CUTOVER_LINT_TEST_TARGET_PASSWORD}"
               "@127.0.0.1:1/shop\" }\n"
               "checks:\n"
               "  - { name: rows, kind: postgres.row_count, source: source, target: target, "
               "tables: [orders] }\n"
               "  - { name: port, kind: tcp, host: 127.0.0.1, port: 1, needs: [rows] }\n" +
                   more)
        .string();
  }

  static bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  }

  loopback::TempDir dir;
};

TEST_F(CliLintTest, DryRunWorksWithoutSecretsAndNamesTheUnsetOnes) {
  loopback::ProcessResult result = run_cutover({"run", "--dry-run", suite_file()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.out, "2 checks selected")) << result.out;
  EXPECT_TRUE(contains(result.err,
                       "cutover: note: secrets not set: CUTOVER_LINT_TEST_SOURCE_DSN, "
                       "CUTOVER_LINT_TEST_TARGET_PASSWORD (a placeholder stands for each; "
                       "'cutover run' needs them set)\n"))
      << result.err;
}

TEST_F(CliLintTest, ListWorksWithoutSecrets) {
  loopback::ProcessResult result = run_cutover({"run", "--list", suite_file()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(result.out, "shop/rows\nshop/port\n");
  EXPECT_TRUE(contains(result.err, "secrets not set: CUTOVER_LINT_TEST_SOURCE_DSN")) << result.err;
}

TEST_F(CliLintTest, ARunStillNeedsEverySecret) {
  loopback::ProcessResult result =
      run_cutover({"run", suite_file()}, {{kTargetSecret, "hunter2-lint"}});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  // One unset secret is one error: the checks naming its database report nothing of their own.
  EXPECT_TRUE(contains(result.err,
                       ":3:18: error: databases.source.dsn: secret "
                       "'CUTOVER_LINT_TEST_SOURCE_DSN' is not set in the environment\n"
                       "cutover: 1 error in the suite files; nothing was run\n"))
      << result.err;
  EXPECT_FALSE(contains(result.out + result.err, "hunter2-lint"));
}

TEST_F(CliLintTest, SetSecretsAreNeitherNamedUnsetNorShown) {
  loopback::ProcessResult result =
      run_cutover({"run", "--dry-run", suite_file()},
                  {{kSourceSecret, "host=127.0.0.1 port=1 password=s3cret-lint"},
                   {kTargetSecret, "hunter2-lint"}});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_FALSE(contains(result.err, "secrets not set")) << result.err;
  EXPECT_FALSE(contains(result.out + result.err, "hunter2-lint")) << result.out;
  EXPECT_FALSE(contains(result.out + result.err, "s3cret-lint")) << result.out;
}

TEST_F(CliLintTest, OtherMistakesStillFailTheLint) {
  loopback::ProcessResult result = run_cutover(
      {"run", "--dry-run",
       suite_file("  - { name: late, kind: tcp, host: 127.0.0.1, port: 1, needs: [prot] }\n")});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_TRUE(contains(result.err,
                       ":8:5: error: check 'late' needs 'prot', but suite 'shop' has no check of "
                       "that name (did you mean 'port'?)\n"
                       "cutover: 1 error in the suite files; nothing was run\n"))
      << result.err;
  EXPECT_TRUE(contains(result.err, "secrets not set: CUTOVER_LINT_TEST_SOURCE_DSN")) << result.err;
}

}  // namespace
}  // namespace cutover::test
