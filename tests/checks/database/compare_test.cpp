#include "checks/database/compare.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "checks/database/differences.hpp"
#include "checks/database/localise.hpp"
#include "checks/database/segments.hpp"

namespace cutover::database {
namespace {

using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

RowHashes row(std::string key, std::string hash, std::vector<std::optional<std::string>> columns) {
  return {.key = std::move(key), .hash = std::move(hash), .columns = std::move(columns)};
}

TEST(DatabaseSegments, SumsParseExactlyPast64Bits) {
  EXPECT_EQ(parse_sum("-36893488147419103232"), -(Int128{1} << 65));
  EXPECT_EQ(parse_sum("18446744073709551616"), Int128{1} << 64);
}

TEST(DatabaseSegments, IntegerSegmentsCoverTheKeyRange) {
  const IntegerSegments segments = integer_segments(1, 1000, 10);
  EXPECT_EQ(segments.width, 100);
  EXPECT_EQ(segments.offset, 1);
  EXPECT_EQ(integer_segment(segments, 3), (std::pair<std::int64_t, std::int64_t>{301, 400}));
  // Keys spanning every bigint: no offset, or key - low would overflow.
  EXPECT_EQ(integer_segments(INT64_MIN, INT64_MAX, 4).offset, 0);
}

TEST(DatabaseSegments, DifferingSegmentsAndRowCounts) {
  TableCompare table{.name = "public.t", .planned = true};
  compare_segments(table, {Segments{{0, {10, 5}}, {1, {10, 7}}},
                           Segments{{0, {10, 5}}, {1, {10, 8}}, {2, {1, 1}}}});
  EXPECT_EQ(table.rows, (std::array<std::int64_t, 2>{20, 21}));
  EXPECT_EQ(table.differing, (std::vector<std::int64_t>{1, 2}));
}

TEST(DatabaseDifferences, RowsAreMissingExtraOrChangedByKey) {
  Differences found;
  compare_rows({std::vector<RowHashes>{row("id=1", "a", {"x", "1"}), row("id=2", "b", {"y", "2"}),
                                       row("id=3", "c", {"z", "3"})},
                std::vector<RowHashes>{row("id=2", "b", {"y", "2"}), row("id=3", "d", {"z", "4"}),
                                       row("id=3", "d", {"z", "4"}), row("id=9", "e", {"w", "9"})}},
               {"name", "qty"}, 100, found);
  EXPECT_EQ(found.missing, 1);
  EXPECT_EQ(found.extra, 2);  // id=9, and id=3 twice on the target
  EXPECT_EQ(found.changed, 1);
  EXPECT_EQ(found.changed_columns, (std::map<std::string, std::int64_t>{{"qty", 1}}));
  EXPECT_FALSE(found.unexplained);
  ASSERT_EQ(found.examples.size(), 4u);
  EXPECT_EQ(found.examples[0].key, "id=1");
  EXPECT_EQ(found.examples[0].kind, DiffKind::missing);
}

TEST(DatabaseDifferences, MatchingRowsLeaveTheSegmentUnexplained) {
  Differences found;
  compare_rows({std::vector<RowHashes>{row("id=1", "a", {"x"})},
                std::vector<RowHashes>{row("id=1", "a", {"x"})}},
               {"name"}, 100, found);
  EXPECT_TRUE(found.unexplained);
  EXPECT_FALSE(found.missing + found.extra + found.changed > 0);
}

TEST(DatabaseDifferences, HashCountsOfKeylessTables) {
  Differences found;
  compare_hash_counts({{"h1", {2, 1}}, {"h2", {0, 3}}, {"h3", {1, 1}}}, found);
  EXPECT_EQ(found.missing, 1);
  EXPECT_EQ(found.extra, 3);
}

TEST(DatabaseDifferences, KeysSortNumbersByValue) {
  EXPECT_TRUE(key_less("id=9", "id=10"));
  EXPECT_TRUE(key_less("id=-5", "id=2"));
  EXPECT_TRUE(key_less("code='a'", "code='b'"));
}

TEST(DatabaseLocalisation, BigIntegerSegmentsAreRefinedSmallOnesFetched) {
  std::vector<TableCompare> tables(1);
  tables[0].bucketing = Bucketing::integer;
  tables[0].segments = {Segments{{0, {5000, 1}}, {1, {10, 1}}, {2, {7, 1}}},
                        Segments{{0, {5000, 2}}, {1, {10, 2}}}};
  tables[0].differing = {0, 1, 2};
  Localisation localisation(100);
  localisation.queue_table(tables, 0, [](std::int64_t bucket) {
    return std::pair<std::int64_t, std::int64_t>{bucket * 10000, bucket * 10000 + 9999};
  });
  ASSERT_FALSE(localisation.empty());
  const Work refine = localisation.next();
  EXPECT_EQ(refine.type, Work::Type::refine);
  EXPECT_EQ(refine_width(refine), 625);
  EXPECT_EQ(localisation.next().type, Work::Type::rows);
  const Work one_sided = localisation.next();
  EXPECT_EQ(one_sided.one_sided, DiffKind::missing);
  EXPECT_EQ(one_sided.limit, 7);
  EXPECT_TRUE(localisation.empty());
  EXPECT_EQ(tables[0].differences.missing, 7);  // counted before any row is fetched
}

TEST(DatabaseCompare, ResultNamesWhatDiffers) {
  std::vector<TableCompare> tables(2);
  tables[0] = {.name = "public.a", .exists = {true, true}, .planned = true};
  tables[0].bucketing = Bucketing::integer;
  tables[0].rows = {3, 3};
  tables[0].segments = {Segments{{0, {3, 1}}}, Segments{{0, {3, 2}}}};
  tables[0].differences.missing = 1;
  tables[0].differences.changed = 2;
  tables[0].differences.changed_columns = {{"qty", 2}};
  tables[0].differences.examples = {{.key = "id=10", .kind = DiffKind::changed, .columns = {"qty"}},
                                    {.key = "id=9", .kind = DiffKind::missing, .columns = {}}};
  tables[1] = {.name = "public.b", .exists = {true, false}};
  tables[1].problems = {"missing on target"};
  const CheckResult result = summarise(tables, {"sales.*"}, {.max_diffs = 100, .rechecked = 2s});
  EXPECT_EQ(result.outcome, Outcome::failed);
  EXPECT_EQ(result.message,
            "no table matches 'sales.*'; public.a: 1 row missing on target: id=9; 2 rows changed: "
            "id=10 (qty) and 1 more; public.b: missing on target");
  EXPECT_NE(result.details.find("id=9"), std::string::npos);
  EXPECT_LT(result.details.find("id=9"), result.details.find("id=10"));
  EXPECT_NE(result.details.find("read again after 2s"), std::string::npos);
}

TEST(DatabaseCompare, IdenticalTablesPass) {
  std::vector<TableCompare> tables(1);
  tables[0] = {.name = "public.a", .exists = {true, true}, .planned = true};
  tables[0].rows = {1, 1};
  tables[0].segments = {Segments{{0, {1, 1}}}, Segments{{0, {1, 1}}}};
  const CheckResult result = summarise(tables, {}, {});
  EXPECT_EQ(result.outcome, Outcome::passed);
  EXPECT_EQ(result.message,
            "1 table is identical on source and target (1 row on each side, 1 segment)");
}

}  // namespace
}  // namespace cutover::database
