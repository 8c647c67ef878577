#include "harness/suite_values.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "harness/suite.hpp"
#include "tests/support/test_checks.hpp"

namespace cutover {
namespace {

using Clock = std::chrono::steady_clock;

class SuiteValuesTest : public ::testing::Test {
 protected:
  SuiteValuesTest() { test::register_test_checks(registry, stats); }

  // The diagnostics, one per line, or "(no errors)"; the load must take less than `limit`.
  std::string errors(std::string_view text, Clock::duration limit = std::chrono::seconds(1)) {
    const auto start = Clock::now();
    auto result = load_suite_text(text, "suite.yaml", registry);
    EXPECT_LT(Clock::now() - start, limit);
    if (result) return "(no errors)";
    std::string out;
    for (const Diagnostic& diagnostic : result.error())
      out += to_string(diagnostic) + "\n";
    return out;
  }

  // A check whose object field (as request_body is) holds `value`, on line 5.
  static std::string suite_with_body(std::string_view value) {
    return "suite: s\nchecks:\n  - name: deep\n    kind: probe\n    extra: " + std::string(value) +
           "\n    text: t\n";
  }

  Registry registry;
  test::ScriptStats stats;
};

// 35,000 levels of '[' overflowed the stack (SIGSEGV); 100,000 took libyaml 26 s first.
TEST_F(SuiteValuesTest, ABodyNested100000DeepIsRefusedAtOnce) {
  constexpr int kDepth = 100'000;
  EXPECT_EQ(errors(suite_with_body(std::string(kDepth, '[') + std::string(kDepth, ']'))),
            "suite.yaml:5:265: error: syntax error: lists and mappings nest deeper than 256 "
            "levels\n");
  std::string json;
  for (int i = 0; i < kDepth; ++i)
    json += "{\"a\": ";
  EXPECT_EQ(errors(suite_with_body(json + "1" + std::string(kDepth, '}'))),
            "suite.yaml:5:1530: error: syntax error: lists and mappings nest deeper than 256 "
            "levels\n");
}

TEST_F(SuiteValuesTest, ABodyNestedJustWithinTheLimitIsRead) {
  // The suite's mapping, the checks list and the check take three levels.
  constexpr int kDepth = 256 - 3;
  EXPECT_EQ(errors(suite_with_body(std::string(kDepth, '[') + std::string(kDepth, ']'))),
            "(no errors)");
}

// Duplicate keys were looked for with a scan per key: 100,000 keys took minutes. (libyaml's own
// time grows with the nesting depth times the tokens, so the wide mapping sits near the top.)
TEST_F(SuiteValuesTest, AWideBodyIsReadInLinearTime) {
  std::string body;
  for (int i = 0; i < 10; ++i)
    body += "{\"level\": ";
  body += "{";
  for (int i = 0; i < 100'000; ++i)
    body.append("\"k").append(std::to_string(i)).append("\": \"v\", ");
  body += "\"last\": 1}" + std::string(10, '}');
  EXPECT_EQ(errors(suite_with_body(body), std::chrono::seconds(10)), "(no errors)");
}

TEST_F(SuiteValuesTest, DuplicateKeysAreStillFoundInAWideMapping) {
  std::string body = "{";
  for (int i = 0; i < 1000; ++i)
    body.append("k").append(std::to_string(i)).append(": 1, ");
  body += "k500: 2}";
  EXPECT_EQ(errors(suite_with_body(body)),
            "suite.yaml:5:8903: error: duplicate key 'k500' in extra (first at line 5)\n");
}

}  // namespace
}  // namespace cutover
