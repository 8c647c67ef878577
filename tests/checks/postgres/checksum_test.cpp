#include "checks/postgres/checksum.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/transaction>

#include "checks/builtin.hpp"
#include "harness/registry.hpp"
#include "harness/suite.hpp"
#include "loopback/postgres_cluster.hpp"
#include "tests/support/check_runner.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::shared_postgres;
using test::Completed;
using test::expect_result;
using test::FieldMap;
using Strings = std::vector<std::string>;

// Every common column type, 50 rows. Enum types are created in each database, so their OIDs
// differ between source and target as they would after a migration.
constexpr const char* kAllTypes =
    "CREATE TYPE mood AS ENUM ('calm', 'angry'); "
    "CREATE TABLE public.t (id int PRIMARY KEY, c_int int, c_bigint bigint, "
    "c_numeric numeric(12,2), c_text text, c_varchar varchar(20), c_char char(5), "
    "c_bool boolean, c_float float8, c_date date, c_ts timestamp, c_tstz timestamptz, "
    "c_interval interval, c_uuid uuid, c_jsonb jsonb, c_bytea bytea, c_array int[], "
    "c_enum mood, c_text2 text); "
    "INSERT INTO public.t SELECT g, g, g * 1000000000::bigint, g * 1.25, 'text' || g, 'vc' || g, "
    "'ch', g % 2 = 0, g / 3.0, date '2026-01-01' + g, "
    "timestamp '2026-01-01 00:00:00.123456' + g * interval '1 min', "
    "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour', g * interval '1 day', "
    "md5(g::text)::uuid, jsonb_build_object('a', g, 'b', 'x'), decode(md5(g::text), 'hex'), "
    "ARRAY[g, g + 1], 'calm', '' FROM generate_series(1, 50) g";

class PostgresChecksumTest : public ::testing::Test {
 protected:
  PostgresChecksumTest() {
    static std::atomic<int> counter{0};
    const int n = ++counter;
    source_name_ = "ck_source_" + std::to_string(n);
    target_name_ = "ck_target_" + std::to_string(n);
    for (const std::string& name : {source_name_, target_name_})
      loopback::shared_postgres().create_database(name);
  }

  void both(const std::string& sql) {
    loopback::shared_postgres().execute(source_name_, sql);
    loopback::shared_postgres().execute(target_name_, sql);
  }
  void on_source(const std::string& sql) { loopback::shared_postgres().execute(source_name_, sql); }
  void on_target(const std::string& sql) { loopback::shared_postgres().execute(target_name_, sql); }

  std::shared_ptr<const Database> source() {
    return loopback::declare("src", loopback::shared_postgres().dsn(source_name_));
  }
  std::shared_ptr<const Database> target() {
    return loopback::declare("tgt", loopback::shared_postgres().dsn(target_name_));
  }

  FieldMap compare(Strings tables, FieldMap more = {}) {
    more.emplace("source", source());
    more.emplace("target", target());
    more.emplace("tables", std::move(tables));
    return more;
  }

  Completed run(FieldMap fields, Duration timeout = 10s) {
    auto check = test::make_check<PostgresChecksumCheck>(std::move(fields), timeout);
    return test::run_check(*check, timeout);
  }

  std::string source_name_;
  std::string target_name_;
};

TEST_F(PostgresChecksumTest, IdenticalTablesPassInBothModes) {
  both(kAllTypes);
  for (const char* mode : {"native", "canonical"}) {
    SCOPED_TRACE(mode);
    const Completed result = run(compare({"t"}, {{"mode", std::string(mode)}}));
    expect_result(result, Outcome::passed,
                  "1 table is identical on source and target (50 rows on each side, 1 segment)");
    EXPECT_EQ(result.result.details,
              "table     source  target  segments  missing  extra  changed\n"
              "public.t      50      50         1        0      0        0");
  }
}

struct Mutation {
  std::string name;
  std::string sql;      // on the target
  std::string message;  // the check's
  std::string listed;   // the details' list of differences, after its header line
};

TEST_F(PostgresChecksumTest, EveryMutationIsFoundWithItsKeyAndColumnInBothModes) {
  both(kAllTypes);
  // ('ab', 'c') on both sides for a value moved between two adjacent columns.
  both("UPDATE public.t SET c_text = 'ab', c_text2 = 'c' WHERE id = 9");
  const auto changed = [](std::string column, std::string sql) {
    return Mutation{column, sql, "public.t: 1 row changed: id=7 (" + column + ")",
                    "public.t  id=7  changed     " + column};
  };
  const std::vector<Mutation> mutations = {
      changed("c_int", "UPDATE public.t SET c_int = c_int + 1 WHERE id = 7"),
      changed("c_bigint", "UPDATE public.t SET c_bigint = c_bigint - 1 WHERE id = 7"),
      changed("c_numeric", "UPDATE public.t SET c_numeric = c_numeric + 0.01 WHERE id = 7"),
      changed("c_text", "UPDATE public.t SET c_text = 'Text7' WHERE id = 7"),
      changed("c_varchar", "UPDATE public.t SET c_varchar = 'vc7 ' WHERE id = 7"),
      changed("c_char", "UPDATE public.t SET c_char = 'cH' WHERE id = 7"),
      changed("c_bool", "UPDATE public.t SET c_bool = NOT c_bool WHERE id = 7"),
      changed("c_float", "UPDATE public.t SET c_float = c_float + 1e-12 WHERE id = 7"),
      changed("c_date", "UPDATE public.t SET c_date = c_date + 1 WHERE id = 7"),
      changed("c_ts", "UPDATE public.t SET c_ts = c_ts + interval '1 microsecond' WHERE id = 7"),
      changed("c_tstz",
              "UPDATE public.t SET c_tstz = c_tstz + interval '1 microsecond' WHERE id = 7"),
      changed("c_interval", "UPDATE public.t SET c_interval = interval '168 hours' WHERE id = 7"),
      changed("c_uuid", "UPDATE public.t SET c_uuid = md5('x')::uuid WHERE id = 7"),
      changed("c_jsonb",
              "UPDATE public.t SET c_jsonb = jsonb_set(c_jsonb, '{b}', '\"y\"') WHERE id = 7"),
      changed("c_bytea", "UPDATE public.t SET c_bytea = c_bytea || '\\x00' WHERE id = 7"),
      changed("c_array",
              "UPDATE public.t SET c_array = ARRAY[c_array[2], c_array[1]] WHERE id = 7"),
      changed("c_enum", "UPDATE public.t SET c_enum = 'angry' WHERE id = 7"),
      Mutation{"empty string to NULL", "UPDATE public.t SET c_text2 = NULL WHERE id = 7",
               "public.t: 1 row changed: id=7 (c_text2)", "public.t  id=7  changed     c_text2"},
      Mutation{"empty string to the text NULL", "UPDATE public.t SET c_text2 = 'NULL' WHERE id = 7",
               "public.t: 1 row changed: id=7 (c_text2)", "public.t  id=7  changed     c_text2"},
      Mutation{"missing row", "DELETE FROM public.t WHERE id = 7",
               "public.t: 1 row missing on target: id=7", "public.t  id=7  missing on target"},
      Mutation{"extra row", "INSERT INTO public.t (id) VALUES (51)",
               "public.t: 1 row extra on target: id=51", "public.t  id=51  extra on target"},
      Mutation{"two rows' values swapped",
               "UPDATE public.t SET c_text = CASE id WHEN 7 THEN 'text8' ELSE 'text7' END "
               "WHERE id IN (7, 8)",
               "public.t: 2 rows changed: id=7 (c_text), id=8 (c_text)",
               "public.t  id=7  changed     c_text\npublic.t  id=8  changed     c_text"},
      Mutation{"a value moved between adjacent columns",
               "UPDATE public.t SET c_text = 'a', c_text2 = 'bc' WHERE id = 9",
               "public.t: 1 row changed: id=9 (c_text, c_text2)",
               "public.t  id=9  changed     c_text, c_text2"},
  };
  for (const Mutation& mutation : mutations) {
    SCOPED_TRACE(mutation.name);
    on_target("BEGIN; " + mutation.sql + "; COMMIT");
    for (const char* mode : {"native", "canonical"}) {
      SCOPED_TRACE(mode);
      const Completed result = run(compare({"t"}, {{"mode", std::string(mode)}}));
      expect_result(result, Outcome::failed, mutation.message);
      const std::size_t list = result.result.details.find("\n\ntable");
      ASSERT_NE(list, std::string::npos) << result.result.details;
      const std::string listed = result.result.details.substr(list + 2);
      EXPECT_EQ(listed.substr(listed.find('\n') + 1), mutation.listed);
    }
    // Back to the source's rows for the next mutation.
    on_target("DROP TABLE public.t; DROP TYPE mood; " + std::string(kAllTypes) +
              "; UPDATE public.t SET c_text = 'ab', c_text2 = 'c' WHERE id = 9");
  }
}

// The list of differences in a result's details, without its header line.
std::string listed(const Completed& result) {
  const std::size_t list = result.result.details.find("\n\ntable");
  if (list == std::string::npos) return "";
  const std::string text = result.result.details.substr(list + 2);
  return text.substr(text.find('\n') + 1);
}

double measured(const Completed& result, const std::string& name) {
  const Measurement* measurement = test::find_measurement(result.result, name);
  return measurement ? measurement->value : -1;
}

// Values that hash alike in PostgreSQL's own hash functions, or whose hashes cancel out in a
// sum, yet differ: every one must be found, in both modes.
TEST_F(PostgresChecksumTest, ValuesPostgresHashesAlikeAreStillToldApart) {
  both(
      "CREATE EXTENSION IF NOT EXISTS citext; "
      "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false); "
      "CREATE TABLE v (id int PRIMARY KEY, n numeric, f float8, b bigint, a int[], j jsonb, "
      "c citext, t text COLLATE ci, ts timestamp)");
  struct Case {
    std::string name;
    std::string source;  // rows on the source
    std::string target;  // the same ids on the target
    std::string message;
  };
  const std::vector<Case> cases = {
      {"numeric NaN and Infinity", "(1, 'NaN')", "(1, 'Infinity')",
       "public.v: 1 row changed: id=1 (n)"},
      {"numeric 0 and NULL", "(1, 0)", "(1, NULL)", "public.v: 1 row changed: id=1 (n)"},
      {"NaN and 0 swapped between rows", "(1, 'NaN'), (2, 0)", "(1, 0), (2, 'NaN')",
       "public.v: 2 rows changed: id=1 (n), id=2 (n)"},
      {"1 and 10000 swapped between rows", "(1, 1), (2, 10000)", "(1, 10000), (2, 1)",
       "public.v: 2 rows changed: id=1 (n), id=2 (n)"},
  };
  const std::vector<Case> floats = {
      {"float 0 and NULL", "(0, NULL, 0)", "(0, NULL, NULL)", "public.v: 1 row changed: id=0 (f)"},
      {"float 0 moved between rows", "(1, NULL, NULL), (2, NULL, NULL), (3, NULL, 0)",
       "(1, NULL, 0), (2, NULL, 0), (3, NULL, NULL)",
       "public.v: 3 rows changed: id=1 (f), id=2 (f), id=3 (f)"},
      {"bigint 1 and 4294967296", "(1, NULL, NULL, 1)", "(1, NULL, NULL, 4294967296)",
       "public.v: 1 row changed: id=1 (b)"},
      {"array bounds", "(1, NULL, NULL, NULL, '{1,2,3,4}')",
       "(1, NULL, NULL, NULL, '[5:8]={1,2,3,4}')", "public.v: 1 row changed: id=1 (a)"},
      {"array dimensions", "(1, NULL, NULL, NULL, '{1,2,3,4}')",
       "(1, NULL, NULL, NULL, '{{1,2},{3,4}}')", "public.v: 1 row changed: id=1 (a)"},
      {"jsonb structure", "(1, NULL, NULL, NULL, NULL, '[[],[]]')",
       "(1, NULL, NULL, NULL, NULL, '[[[]]]')", "public.v: 1 row changed: id=1 (j)"},
      {"jsonb empty containers", "(1, NULL, NULL, NULL, NULL, '{}')",
       "(1, NULL, NULL, NULL, NULL, '[]')", "public.v: 1 row changed: id=1 (j)"},
      {"citext case", "(1, NULL, NULL, NULL, NULL, NULL, 'ABC')",
       "(1, NULL, NULL, NULL, NULL, NULL, 'abc')", "public.v: 1 row changed: id=1 (c)"},
      {"nondeterministic collation", "(1, NULL, NULL, NULL, NULL, NULL, NULL, 'ABC')",
       "(1, NULL, NULL, NULL, NULL, NULL, NULL, 'abc')", "public.v: 1 row changed: id=1 (t)"},
      // 1 and 2^32 microseconds after 2000-01-01: the halves of both fold to 1.
      {"timestamps 2^32 microseconds apart",
       "(1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2000-01-01 00:00:00.000001')",
       "(1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2000-01-01 01:11:34.967296')",
       "public.v: 1 row changed: id=1 (ts)"},
  };
  std::vector<Case> all = cases;
  all.insert(all.end(), floats.begin(), floats.end());
  for (const Case& c : all) {
    SCOPED_TRACE(c.name);
    on_source("TRUNCATE v; INSERT INTO v VALUES " + c.source);
    on_target("TRUNCATE v; INSERT INTO v VALUES " + c.target);
    for (const char* mode : {"native", "canonical"}) {
      SCOPED_TRACE(mode);
      expect_result(run(compare({"v"}, {{"mode", std::string(mode)}})), Outcome::failed, c.message);
    }
  }
}

TEST_F(PostgresChecksumTest, ColumnsAreMatchedByNameNotPosition) {
  on_source(
      "CREATE TABLE t (id int PRIMARY KEY, a text, b int); "
      "INSERT INTO t SELECT g, 'a' || g, g FROM generate_series(1, 20) g");
  on_target(
      "CREATE TABLE t (b int, a text, id int PRIMARY KEY); "
      "INSERT INTO t SELECT g, 'a' || g, g FROM generate_series(1, 20) g");
  expect_result(run(compare({"t"})), Outcome::passed,
                "1 table is identical on source and target (20 rows on each side, 1 segment)");
}

TEST_F(PostgresChecksumTest, MissingTablesAndColumnsFail) {
  both(
      "CREATE TABLE t (id int PRIMARY KEY, a text); CREATE TABLE u (id int PRIMARY KEY); "
      "INSERT INTO t VALUES (1, 'x')");
  on_target("ALTER TABLE t DROP COLUMN a; ALTER TABLE t ADD COLUMN z int; DROP TABLE u");
  const Completed result = run(compare({"t", "u", "archive.*"}));
  expect_result(result, Outcome::failed,
                "no table matches 'archive.*'; public.t: column a missing on target; column z "
                "missing on source; public.u: missing on target");
  EXPECT_EQ(result.result.details,
            "table     source   target  segments  missing  extra  changed\n"
            "public.t       1        1         1        0      0        0\n"
            "public.u       0  missing         0        0      0        0");
}

TEST_F(PostgresChecksumTest, EmptyTablesPassAndAnEmptyTargetFails) {
  both("CREATE TABLE t (id bigint PRIMARY KEY, a text)");
  expect_result(run(compare({"t"})), Outcome::passed,
                "1 table is identical on source and target (0 rows on each side, 0 segments)");
  on_source("INSERT INTO t SELECT g, 'x' FROM generate_series(1, 3) g");
  const Completed result = run(compare({"t"}));
  expect_result(result, Outcome::failed, "public.t: 3 rows missing on target: id=1, id=2, id=3");
  EXPECT_EQ(listed(result),
            "public.t  id=1  missing on target\n"
            "public.t  id=2  missing on target\n"
            "public.t  id=3  missing on target");
}

TEST_F(PostgresChecksumTest, TablesWithoutAKeyAreComparedByRowHashCounts) {
  both(
      "CREATE TABLE log (at int, message text); "
      "INSERT INTO log SELECT g % 5, 'm' || g FROM generate_series(1, 30) g");
  for (const char* mode : {"native", "canonical"}) {
    SCOPED_TRACE(mode);
    expect_result(run(compare({"log"}, {{"mode", std::string(mode)}})), Outcome::passed,
                  "1 table is identical on source and target (30 rows on each side, 1 segment)");
  }
  // A duplicated row: the same rows once more is still caught.
  on_target("INSERT INTO log SELECT * FROM log WHERE message = 'm7'");
  for (const char* mode : {"native", "canonical"}) {
    SCOPED_TRACE(mode);
    const Completed result = run(compare({"log"}, {{"mode", std::string(mode)}}));
    expect_result(result, Outcome::failed,
                  "public.log: 1 row extra on target; no primary key or unique not-null key, so "
                  "the rows cannot be named");
    EXPECT_EQ(listed(result), "");
  }
  // Values swapped between two rows of one column: a plain sum of linear row hashes would not
  // see it.
  on_target(
      "DELETE FROM log WHERE ctid IN (SELECT max(ctid) FROM log WHERE message = 'm7'); "
      "UPDATE log SET at = CASE message WHEN 'm1' THEN 2 ELSE 1 END "
      "WHERE message IN ('m1', 'm2')");
  for (const char* mode : {"native", "canonical"}) {
    SCOPED_TRACE(mode);
    expect_result(run(compare({"log"}, {{"mode", std::string(mode)}})), Outcome::failed,
                  "public.log: 2 rows missing on target; 2 rows extra on target; no primary key "
                  "or unique not-null key, so the rows cannot be named");
  }
}

TEST_F(PostgresChecksumTest, KeylessTablesAreRecheckedBySegment) {
  // A column named like the query's own aliases, and more rows than one segment.
  both(
      "CREATE TABLE log (h int, b text); "
      "INSERT INTO log SELECT g % 50, 'm' || g FROM generate_series(1, 3000) g; ANALYZE log");
  on_target("DELETE FROM log WHERE b = 'm7'");
  const Completed result =
      run(compare({"log"}, {{"segment_rows", std::int64_t{100}}, {"recheck", Duration(100ms)}}));
  expect_result(result, Outcome::failed,
                "public.log: 1 row missing on target; no primary key or unique not-null key, so "
                "the rows cannot be named");
}

TEST_F(PostgresChecksumTest, TablesWithNothingToCompareAreNotPassedSilently) {
  both("CREATE TABLE t (a int, b int); INSERT INTO t VALUES (1, 1); CREATE TABLE z ()");
  on_target("INSERT INTO t VALUES (2, 2); INSERT INTO z DEFAULT VALUES");
  const Completed excluded = run(compare({"t"}, {{"exclude_columns", Strings{"a", "b"}}}));
  expect_result(excluded, Outcome::failed,
                "public.t: no columns left to compare (columns, exclude_columns)");
  // A table without columns: its rows are counted.
  const Completed empty = run(compare({"z"}));
  expect_result(empty, Outcome::failed,
                "public.z: 1 row extra on target; no primary key or unique not-null key, so the "
                "rows cannot be named");
}

TEST_F(PostgresChecksumTest, ANullKeyOnTheTargetIsAnError) {
  on_source("CREATE TABLE t (id int PRIMARY KEY, a int); INSERT INTO t VALUES (1, 1)");
  on_target("CREATE TABLE t (id int, a int); INSERT INTO t VALUES (1, 1), (NULL, 2)");
  expect_result(run(compare({"t"})), Outcome::error,
                "target: a row has NULL in its key columns (the source's key is not NOT NULL on "
                "this side)");
}

TEST_F(PostgresChecksumTest, DifferingSegmentsAreBisectedDownToTheRows) {
  both(
      "CREATE TABLE big (id bigint PRIMARY KEY, v text); "
      "INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 5000) g; ANALYZE big");
  on_target(
      "UPDATE big SET v = 'changed' WHERE id = 1234; DELETE FROM big WHERE id = 4000; "
      "INSERT INTO big VALUES (7000, 'new')");
  // Segments of about 2,300 rows, split in 16 until at most 1,000 rows, then read row by row.
  const Completed result = run(compare({"big"}, {{"segment_rows", std::int64_t{2000}}}));
  expect_result(result, Outcome::failed,
                "public.big: 1 row missing on target: id=4000; 1 row extra on target: id=7000; 1 "
                "row changed: id=1234 (v)");
  EXPECT_EQ(listed(result),
            "public.big  id=1234  changed            v\n"
            "public.big  id=4000  missing on target\n"
            "public.big  id=7000  extra on target");
  EXPECT_EQ(measured(result, "segments"), 3);
  EXPECT_EQ(measured(result, "rows_source"), 5000);
  EXPECT_EQ(measured(result, "rows_changed"), 1);
}

TEST_F(PostgresChecksumTest, ScansSplitOverConnectionsShareOneSnapshot) {
  // About 1,000 pages: several ctid chunks per side, read by four connections each.
  both(
      "CREATE TABLE wide (id int PRIMARY KEY, pad text); "
      "INSERT INTO wide SELECT g, repeat('x', 60) FROM generate_series(1, 100000) g; "
      "ANALYZE wide");
  const Completed equal = run(compare({"wide"}));
  expect_result(
      equal, Outcome::passed,
      "1 table is identical on source and target (100000 rows on each side, 10 segments)");
  on_target("UPDATE wide SET pad = 'y' WHERE id IN (5, 99999)");
  const Completed changed = run(compare({"wide"}));
  expect_result(changed, Outcome::failed,
                "public.wide: 2 rows changed: id=99999 (pad), id=5 (pad)");
  EXPECT_EQ(listed(changed),
            "public.wide  id=5      changed     pad\n"
            "public.wide  id=99999  changed     pad");
}

TEST_F(PostgresChecksumTest, PartitionedTablesAreComparedWithTheirPartitions) {
  both(
      "CREATE TABLE events (id bigint, at date, v text, PRIMARY KEY (id, at)) "
      "PARTITION BY RANGE (at); "
      "CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO "
      "('2026-02-01'); "
      "CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO "
      "('2026-03-01'); "
      "INSERT INTO events SELECT g, date '2026-01-01' + g % 59, 'v' || g "
      "FROM generate_series(1, 2000) g; ANALYZE events");
  FieldMap fields = compare({"events"}, {{"segment_rows", std::int64_t{500}}});
  expect_result(run(fields), Outcome::passed,
                "1 table is identical on source and target (2000 rows on each side, 4 segments)");
  on_target("UPDATE events SET v = 'x' WHERE id = 1500");
  const Completed result = run(fields);
  expect_result(result, Outcome::failed,
                "public.events: 1 row changed: (id, at)=(1500, '2026-01-26') (v)");
  EXPECT_EQ(listed(result), "public.events  (id, at)=(1500, '2026-01-26')  changed     v");
}

TEST_F(PostgresChecksumTest, TextAndCompositeKeysSplitInCOrder) {
  both(
      "CREATE TABLE words (w text PRIMARY KEY, n int); "
      "INSERT INTO words SELECT md5(g::text), g FROM generate_series(1, 3000) g; "
      "CREATE TABLE pairs (tenant text, id int, v int, PRIMARY KEY (tenant, id)); "
      "INSERT INTO pairs SELECT 't' || (g % 7), g, g FROM generate_series(1, 700) g; "
      "ANALYZE words, pairs");
  FieldMap fields = compare({"words", "pairs"}, {{"segment_rows", std::int64_t{100}}});
  const Completed equal = run(fields);
  ASSERT_EQ(equal.result.outcome, Outcome::passed) << equal.result.message;
  // 30 segments of words over sampled bounds, 7 of pairs (by tenant, the key's first column).
  EXPECT_EQ(measured(equal, "segments"), 37);

  on_target(
      "UPDATE words SET n = 0 WHERE w = md5('17'); DELETE FROM words WHERE w = md5('2'); "
      "INSERT INTO words VALUES ('ZZZ', 1); UPDATE pairs SET v = 0 WHERE id = 15");
  const Completed result = run(fields);
  expect_result(result, Outcome::failed,
                "public.pairs: 1 row changed: (tenant, id)=('t1', 15) (v); public.words: 1 row "
                "missing on target: w='c81e728d9d4c2f636f067f89cc14862c'; 1 row extra on target: "
                "w='ZZZ'; 1 row changed: w='70efdf2ec9b086079795c442636b55fb' (n)");
  EXPECT_EQ(listed(result),
            "public.pairs  (tenant, id)=('t1', 15)               changed            v\n"
            "public.words  w='70efdf2ec9b086079795c442636b55fb'  changed            n\n"
            "public.words  w='ZZZ'                               extra on target\n"
            "public.words  w='c81e728d9d4c2f636f067f89cc14862c'  missing on target");
}

TEST_F(PostgresChecksumTest, NormalisationOptions) {
  on_source(
      "CREATE TABLE n (id int PRIMARY KEY, f float8, ts timestamptz, c char(5)); "
      "INSERT INTO n VALUES (1, 0.1::float8 + 0.2::float8, "
      "'2026-01-01 00:00:00.123456+00', 'ab')");
  on_target(
      "CREATE TABLE n (id int PRIMARY KEY, f float8, ts timestamptz, c varchar(5)); "
      "INSERT INTO n VALUES (1, 0.3, '2026-01-01 00:00:00.123+00', 'ab')");
  for (const char* mode : {"native", "canonical"}) {
    SCOPED_TRACE(mode);
    const std::string m = mode;
    expect_result(run(compare({"n"}, {{"mode", m}})), Outcome::failed,
                  "public.n: 1 row changed: id=1 (f, ts)");
    expect_result(run(compare({"n"}, {{"mode", m},
                                      {"float_digits", std::int64_t{15}},
                                      {"timestamp_precision", std::int64_t{3}}})),
                  Outcome::passed,
                  "1 table is identical on source and target (1 row on each side, 1 segment)");
    // 17 digits tell 0.30000000000000004 from 0.3; char(5) keeps its padding when asked.
    expect_result(run(compare({"n"}, {{"mode", m},
                                      {"float_digits", std::int64_t{17}},
                                      {"timestamp_precision", std::int64_t{3}},
                                      {"trim_char", false}})),
                  Outcome::failed, "public.n: 1 row changed: id=1 (c, f)");
  }
}

TEST_F(PostgresChecksumTest, WhereColumnsAndMaxDiffsNarrowTheCompare) {
  both(
      "CREATE TABLE t (id int PRIMARY KEY, a int, b int); "
      "INSERT INTO t SELECT g, g, g FROM generate_series(1, 10) g");
  on_target("UPDATE t SET a = 0 WHERE id IN (2, 3, 4); UPDATE t SET b = 0 WHERE id = 9");
  expect_result(
      run(compare({"t"}, {{"where", std::string("id < 5")}, {"exclude_columns", Strings{"a"}}})),
      Outcome::passed,
      "1 table is identical on source and target (4 rows on each side, 1 segment)");
  expect_result(run(compare({"t"}, {{"columns", Strings{"b"}}})), Outcome::failed,
                "public.t: 1 row changed: id=9 (b)");
  const Completed limited = run(compare({"t"}, {{"max_diffs", std::int64_t{2}}}));
  expect_result(limited, Outcome::failed,
                "public.t: 4 rows changed: id=2 (a), id=3 (a) and 2 more");
  EXPECT_EQ(listed(limited),
            "public.t  id=2  changed     a\n"
            "public.t  id=3  changed     a");
  EXPECT_EQ(measured(limited, "rows_changed"), 4);
}

TEST_F(PostgresChecksumTest, RecheckReadsTheDifferingSegmentsAgain) {
  both(
      "CREATE TABLE t (id int PRIMARY KEY, a int); "
      "INSERT INTO t SELECT g, g FROM generate_series(1, 10) g");
  on_target("UPDATE t SET a = 0 WHERE id = 3");
  // Replication catches up during the wait.
  std::thread catch_up([this] {
    std::this_thread::sleep_for(1500ms);
    on_target("UPDATE t SET a = 3 WHERE id = 3");
  });
  const Completed caught_up = run(compare({"t"}, {{"recheck", Duration(3s)}}));
  catch_up.join();
  expect_result(caught_up, Outcome::passed,
                "1 table is identical on source and target (10 rows on each side, 1 segment)");
  EXPECT_EQ(caught_up.result.details.substr(caught_up.result.details.rfind('\n') + 1),
            "read again after 3s");

  on_target("DELETE FROM t WHERE id = 4");
  const Completed still = run(compare({"t"}, {{"recheck", Duration(200ms)}}));
  expect_result(still, Outcome::failed, "public.t: 1 row missing on target: id=4");
}

TEST_F(PostgresChecksumTest, UnreachableDatabasesAndWrongPasswordsAreErrors) {
  both("CREATE TABLE t (id int PRIMARY KEY)");
  const Completed refused = run({{"source", source()},
                                 {"target", loopback::declare("tgt",
                                                              "host=127.0.0.1 port=1 "
                                                              "dbname=x user=u password=pw-9x")},
                                 {"tables", Strings{"t"}}});
  test::expect_result_matching(refused, Outcome::error,
                               "target: cannot connect to database 'tgt': .*Connection refused.*");
  EXPECT_EQ(refused.result.message.find("pw-9x"), std::string::npos);

  const Completed wrong = run(
      {{"source", loopback::declare("src", loopback::shared_postgres().dsn(source_name_, "postgres",
                                                                           "not-the-password-7q"))},
       {"target", target()},
       {"tables", Strings{"t"}}});
  test::expect_result_matching(
      wrong, Outcome::error,
      "source: cannot connect to database 'src': .*password authentication failed for user "
      "\"postgres\"");
  EXPECT_EQ(wrong.result.message.find("not-the-password-7q"), std::string::npos);
}

TEST_F(PostgresChecksumTest, AQueryPastTheDeadlineIsCancelledOnTheServer) {
  both("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)");
  // A writer holds the table: reading its key range waits on the lock.
  pqxx::connection locker(loopback::shared_postgres().dsn(target_name_));
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
  const Completed result = run(compare({"t"}), 1s);
  expect_result(result, Outcome::error,
                "target: the server cancelled the query after 900ms (statement_timeout)");
  lock.abort();
  EXPECT_EQ(loopback::shared_postgres().query_value(
                "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutover' AND "
                "state = 'active' AND datname = '" +
                    target_name_ + "'"),
            "0");
}

TEST_F(PostgresChecksumTest, CancellingStopsTheScan) {
  both("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100)");
  auto check = test::make_check<PostgresChecksumCheck>(
      compare({"t"}, {{"where", std::string("pg_sleep(0.2) IS NOT NULL")}}), 60s);
  const Completed cancelled = test::run_check(*check, 60s, 500ms);
  EXPECT_EQ(cancelled.result.outcome, Outcome::error);
  EXPECT_EQ(cancelled.completions, 1);
  EXPECT_LT(cancelled.elapsed, 10s);
}

TEST(PostgresChecksumServer, AServerStoppedMidChecksumIsAnError) {
  loopback::PostgresCluster cluster;
  for (const char* name : {"a", "b"}) {
    cluster.create_database(name);
    cluster.execute(name,
                    "CREATE TABLE t (id int PRIMARY KEY); "
                    "INSERT INTO t SELECT generate_series(1, 200)");
  }
  auto check = test::make_check<PostgresChecksumCheck>(
      {{"source", loopback::declare("a", cluster.dsn("a"))},
       {"target", loopback::declare("b", cluster.dsn("b"))},
       {"tables", Strings{"t"}},
       {"where", std::string("pg_sleep(0.05) IS NOT NULL")}},
      60s);
  std::thread stopper([&cluster] {
    std::this_thread::sleep_for(1500ms);
    cluster.stop();
  });
  const Completed result = test::run_check(*check, 60s);
  stopper.join();
  EXPECT_EQ(result.completions, 1);
  test::expect_result_matching(result, Outcome::error,
                               "(source|target): lost the connection to database '(a|b)' \\(closed "
                               "by the server or the network\\)");
}

TEST(PostgresChecksumFields, MistakesArePlaced) {
  const auto db = loopback::declare("db", "host=127.0.0.1 dbname=x");
  const auto errors = [&db](FieldMap fields) {
    fields.emplace("source", db);
    fields.emplace("target", db);
    return test::construction_errors<PostgresChecksumCheck>(std::move(fields));
  };
  EXPECT_EQ(errors({{"tables", Strings{}}}),
            Strings{"suite.yaml:7:5: error: tables: expected at least one table name or glob "
                    "(like sales.*)"});
  EXPECT_EQ(
      errors(
          {{"tables", Strings{"t"}}, {"columns", Strings{"a"}}, {"exclude_columns", Strings{"b"}}}),
      Strings{"suite.yaml:7:5: error: give columns or exclude_columns, not both"});
}

// Ranges and empty table names are declared in the KindSpec: the loader reports them.
TEST(PostgresChecksumFields, LoaderChecksDeclaredRanges) {
  Registry registry;
  register_builtin_checks(registry);
  const auto loaded = load_suite_text(R"(suite: s
databases:
  db: { dsn: "host=127.0.0.1 dbname=x" }
checks:
  - name: c
    kind: postgres.checksum
    source: db
    target: db
    tables: [t, ""]
    float_digits: 18
    timestamp_precision: 7
    segment_rows: 10
    max_diffs: -1
)",
                                      "suite.yaml", registry);
  ASSERT_FALSE(loaded.has_value());
  Strings errors;
  for (const Diagnostic& diagnostic : loaded.error())
    errors.push_back(to_string(diagnostic));
  EXPECT_EQ(errors,
            (Strings{"suite.yaml:9:13: error: tables: expected non-empty strings, got ''",
                     "suite.yaml:10:19: error: float_digits: expected an integer from 1 to 17, "
                     "got '18'",
                     "suite.yaml:11:26: error: timestamp_precision: expected an integer from 0 "
                     "to 6, got '7'",
                     "suite.yaml:12:19: error: segment_rows: expected an integer from 100 to "
                     "100000000, got '10'",
                     "suite.yaml:13:16: error: max_diffs: expected an integer from 0 to 100000, "
                     "got '-1'"}));
}

TEST(PostgresChecksumFields, DescribeNamesTheTables) {
  auto check = test::make_check<PostgresChecksumCheck>(
      {{"source", loopback::declare("old", "host=127.0.0.1")},
       {"target", loopback::declare("new", "host=127.0.0.1")},
       {"tables", Strings{"orders", "sales.*"}},
       {"exclude", Strings{"sales.tmp*"}},
       {"where", std::string("id > 10")}});
  EXPECT_EQ(check->describe(),
            "old vs new: public.orders, sales.* except sales.tmp* where id > 10");
}

}  // namespace
}  // namespace cutover
