#include "harness/duration.hpp"

#include <gtest/gtest.h>

#include "harness/suite.hpp"
#include "tests/support/test_checks.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, ReadsEveryUnit) {
  EXPECT_EQ(parse_duration("5ns"), Duration(5ns));
  EXPECT_EQ(parse_duration("7us"), Duration(7us));
  EXPECT_EQ(parse_duration("250ms"), Duration(250ms));
  EXPECT_EQ(parse_duration("5s"), Duration(5s));
  EXPECT_EQ(parse_duration("2m"), Duration(2min));
  EXPECT_EQ(parse_duration("1h"), Duration(1h));
  EXPECT_EQ(parse_duration("1d"), Duration(24h));
}

TEST(ParseDuration, ReadsFractionsAndCompounds) {
  EXPECT_EQ(parse_duration("1.5s"), Duration(1500ms));
  EXPECT_EQ(parse_duration("1h30m"), Duration(90min));
  EXPECT_EQ(parse_duration("1m30s"), Duration(90s));
  EXPECT_EQ(parse_duration("0.25ms"), Duration(250us));
}

TEST(ParseDuration, RejectsAmbiguousOrMalformedText) {
  EXPECT_EQ(parse_duration(""), std::nullopt);
  EXPECT_EQ(parse_duration("5"), std::nullopt);
  EXPECT_EQ(parse_duration("s"), std::nullopt);
  EXPECT_EQ(parse_duration("5 s"), std::nullopt);
  EXPECT_EQ(parse_duration("5sec"), std::nullopt);
  EXPECT_EQ(parse_duration("-5s"), std::nullopt);
  EXPECT_EQ(parse_duration("5x"), std::nullopt);
  EXPECT_EQ(parse_duration("1.2.3s"), std::nullopt);
  EXPECT_EQ(parse_duration("999999999d"), std::nullopt);
}

TEST(ParseDuration, ReadsUpToACentury) {
  EXPECT_EQ(parse_duration("36500d"), kMaxDuration);
  EXPECT_EQ(parse_duration("36500d1ns"), std::nullopt);
}

TEST(ParsePositiveDuration, SaysWhatIsWrong) {
  EXPECT_EQ(parse_positive_duration("1h30m").value(), Duration(90min));
  EXPECT_EQ(parse_positive_duration("0s").error().message,
            "expected a positive duration like 500ms, 5s, 2m or 1h, got '0s'");
  EXPECT_EQ(parse_positive_duration("5").error().message,
            "expected a positive duration like 500ms, 5s, 2m or 1h, got '5'");
  EXPECT_EQ(parse_positive_duration("2000000h").error().message,
            "'2000000h' is too long: the longest duration is 36500d (100 years)");
  EXPECT_EQ(parse_positive_duration("36501d").error().message,
            "'36501d' is too long: the longest duration is 36500d (100 years)");
}

// Issue 15: a timeout of 2000000h was rejected as "expected a positive duration".
TEST(ParsePositiveDuration, ASuiteIsToldTheLongestDuration) {
  Registry registry;
  test::ScriptStats stats;
  test::register_test_checks(registry, stats);
  const auto result = load_suite_text(R"(suite: s
checks:
  - { name: a, kind: probe, text: x, timeout: 2000000h }
)",
                                      "suite.yaml", registry, {});
  ASSERT_FALSE(result);
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(to_string(result.error().front()),
            "suite.yaml:3:47: error: timeout: '2000000h' is too long: the longest duration is "
            "36500d (100 years)");
}

TEST(FormatDuration, WritesTheShortestExactForm) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(2s), "2s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(61500ms), "1m1.5s");
  EXPECT_EQ(format_duration(-2500ms), "-2.5s");
  EXPECT_EQ(format_duration(26h), "1d2h");
  EXPECT_EQ(format_duration(1500us), "1500us");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (Duration d : {Duration(1ns), Duration(3ms), Duration(61s), Duration(1h), Duration(4321ms)}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
  }
}

TEST(FormatSeconds, HasExactlyThreeDecimalsAndNoLocale) {
  EXPECT_EQ(format_seconds(0ms), "0.000");
  EXPECT_EQ(format_seconds(500ms), "0.500");
  EXPECT_EQ(format_seconds(13515526us), "13.516");
  EXPECT_EQ(format_seconds(2h), "7200.000");
  EXPECT_EQ(format_seconds(Duration(499'999)), "0.000");
  EXPECT_EQ(format_seconds(Duration(500'000)), "0.001");
}

TEST(FormatMilliseconds, HasOneDecimalAndTwoBelowOneMillisecond) {
  EXPECT_EQ(format_milliseconds(0ns), "0.00ms");
  EXPECT_EQ(format_milliseconds(420us), "0.42ms");
  EXPECT_EQ(format_milliseconds(Duration(994'999)), "0.99ms");
  EXPECT_EQ(format_milliseconds(1ms), "1.0ms");
  EXPECT_EQ(format_milliseconds(12345us), "12.3ms");
  EXPECT_EQ(format_milliseconds(2500ms), "2500.0ms");
}

TEST(ToMilliseconds, KeepsTheFraction) {
  EXPECT_DOUBLE_EQ(to_milliseconds(1500us), 1.5);
  EXPECT_DOUBLE_EQ(to_milliseconds(0ns), 0.0);
  EXPECT_DOUBLE_EQ(to_milliseconds(2s), 2000.0);
}

}  // namespace
}  // namespace cutover
