#include "harness/selection.hpp"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "harness/suite.hpp"
#include "tests/support/test_checks.hpp"

namespace cutover {
namespace {

class SelectionTest : public ::testing::Test {
 protected:
  SelectionTest() {
    test::register_test_checks(registry, stats);
    auto loaded = load_suite_text(R"(suite: web
checks:
  - { name: api port open, kind: probe, text: x, phase: pre, tags: [network] }
  - { name: api answers, kind: probe, text: x, phase: pre, tags: [network, slow], needs: [api port open] }
  - { name: db port open, kind: probe, text: x, phase: pre, tags: [database] }
  - { name: dns moved, kind: probe, text: x, phase: post, tags: [network] }
  - { name: rows equal, kind: probe, text: x, phase: post, tags: [database, slow] }
  - { name: smoke, kind: probe, text: x, phase: post, needs: [rows equal] }
)",
                                  "web.yaml", registry);
    plan = std::move(loaded).value();
  }

  std::vector<std::string> names(const Selection& selection) {
    auto selected = select_checks(plan, selection);
    if (!selected) return {"ERROR: " + selected.error().message};
    std::vector<std::string> out;
    for (std::size_t i : selected.value())
      out.push_back(plan.checks[i].name);
    return out;
  }

  Registry registry;
  test::ScriptStats stats;
  Plan plan;
};

using Names = std::vector<std::string>;

TEST(MatchesFilter, FollowsGoogleTestSyntax) {
  EXPECT_TRUE(matches_filter("", {"anything"}));
  EXPECT_TRUE(matches_filter("*", {"anything"}));
  EXPECT_TRUE(matches_filter("api*", {"api port open"}));
  EXPECT_FALSE(matches_filter("api*", {"db port open"}));
  EXPECT_TRUE(matches_filter("db*:api*", {"api port open"}));
  EXPECT_TRUE(matches_filter("*port?open", {"db port open"}));
  EXPECT_FALSE(matches_filter("*-*port*", {"db port open"}));
  EXPECT_TRUE(matches_filter("-*port*", {"dns moved"}));
  EXPECT_FALSE(matches_filter("-*port*:dns*", {"dns moved"}));
  EXPECT_TRUE(matches_filter("a*b*c", {"aXXbYYbZc"}));
  EXPECT_FALSE(matches_filter("a*b*c", {"aXXbYYbZ"}));
}

TEST_F(SelectionTest, EverythingByDefault) {
  EXPECT_EQ(names({}).size(), 6u);
}

TEST_F(SelectionTest, ByPhase) {
  EXPECT_EQ(names({.phases = {"post"}}), (Names{"dns moved", "rows equal", "smoke"}));
}

TEST_F(SelectionTest, ByTagWithExclusion) {
  EXPECT_EQ(names({.tags = {"network"}}), (Names{"api port open", "api answers", "dns moved"}));
  EXPECT_EQ(names({.tags = {"network", "!slow"}}), (Names{"api port open", "dns moved"}));
  EXPECT_EQ(names({.tags = {"!slow"}}),
            (Names{"api port open", "db port open", "dns moved", "smoke"}));
}

TEST_F(SelectionTest, ByFilterOnNameOrSuiteAndName) {
  EXPECT_EQ(names({.filter = "*port open-db*"}), (Names{"api port open"}));
  EXPECT_EQ(names({.filter = "web/rows*"}), (Names{"rows equal"}));
}

TEST_F(SelectionTest, TyposAreErrorsNotEmptyRuns) {
  EXPECT_EQ(names({.phases = {"pots"}}),
            Names{"ERROR: no check has the phase 'pots' (did you mean 'post'?)"});
  EXPECT_EQ(names({.tags = {"netwrok"}}),
            Names{"ERROR: no check has the tag 'netwrok' (did you mean 'network'?)"});
  EXPECT_EQ(names({.tags = {"!zzz"}}),
            Names{"ERROR: no check has the tag 'zzz' (the suites have: database, network, "
                  "slow)"});
  EXPECT_EQ(names({.filter = "nothing*"}),
            Names{"ERROR: no check matches the selection (--phase, --tag, --filter)"});
  EXPECT_EQ(names({.shard_index = 3, .shard_count = 3}),
            Names{"ERROR: --shard-index must be from 0 to --shard-count - 1 (got index 3 of 3 "
                  "shards)"});
}

TEST_F(SelectionTest, ShardsPartitionTheSelectionAndKeepNeedsTogether) {
  for (int count = 1; count <= 7; ++count) {
    std::multiset<std::string> seen;
    for (int index = 0; index < count; ++index) {
      Names shard = names({.shard_index = index, .shard_count = count});
      if (shard.size() == 1 && shard[0].starts_with("ERROR")) FAIL() << shard[0];
      const auto has = [&](const char* name) {
        return std::find(shard.begin(), shard.end(), name) != shard.end();
      };
      EXPECT_EQ(has("api port open"), has("api answers")) << count << "/" << index;
      EXPECT_EQ(has("rows equal"), has("smoke")) << count << "/" << index;
      seen.insert(shard.begin(), shard.end());
    }
    // Union is the whole suite, each check exactly once.
    EXPECT_EQ(seen, (std::multiset<std::string>{"api port open", "api answers", "db port open",
                                                "dns moved", "rows equal", "smoke"}))
        << count;
  }
}

TEST_F(SelectionTest, ShardsAreBalancedByGroupSize) {
  EXPECT_EQ(names({.shard_index = 0, .shard_count = 2}),
            (Names{"api port open", "api answers", "db port open"}));
  EXPECT_EQ(names({.shard_index = 1, .shard_count = 2}),
            (Names{"dns moved", "rows equal", "smoke"}));
}

TEST_F(SelectionTest, ShardsApplyAfterFilters) {
  EXPECT_EQ(names({.phases = {"post"}, .shard_index = 0, .shard_count = 2}),
            (Names{"rows equal", "smoke"}));
  EXPECT_EQ(names({.phases = {"post"}, .shard_index = 1, .shard_count = 2}), (Names{"dns moved"}));
}

}  // namespace
}  // namespace cutover
