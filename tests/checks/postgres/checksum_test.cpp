#include "checks/postgres/checksum.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/transaction>

#include "tests/support/check_runner.hpp"
#include "tests/support/postgres_cluster.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;
using test::Completed;
using test::expect_result;
using test::FieldMap;
using test::shared_postgres;
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
      shared_postgres().create_database(name);
  }

  void both(const std::string& sql) {
    shared_postgres().execute(source_name_, sql);
    shared_postgres().execute(target_name_, sql);
  }
  void on_source(const std::string& sql) { shared_postgres().execute(source_name_, sql); }
  void on_target(const std::string& sql) { shared_postgres().execute(target_name_, sql); }

  std::shared_ptr<const Database> source() {
    return test::declare("src", shared_postgres().dsn(source_name_));
  }
  std::shared_ptr<const Database> target() {
    return test::declare("tgt", shared_postgres().dsn(target_name_));
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
                  "1 table is identical on source and target (50 rows each, 1 segment)");
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
    return Mutation{column, sql, "public.t: 1 row changed (" + column + " 1)",
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
               "public.t: 1 row changed (c_text2 1)", "public.t  id=7  changed     c_text2"},
      Mutation{"empty string to the text NULL", "UPDATE public.t SET c_text2 = 'NULL' WHERE id = 7",
               "public.t: 1 row changed (c_text2 1)", "public.t  id=7  changed     c_text2"},
      Mutation{"missing row", "DELETE FROM public.t WHERE id = 7",
               "public.t: 1 row missing on target", "public.t  id=7  missing on target"},
      Mutation{"extra row", "INSERT INTO public.t (id) VALUES (51)",
               "public.t: 1 row extra on target", "public.t  id=51  extra on target"},
      Mutation{"two rows' values swapped",
               "UPDATE public.t SET c_text = CASE id WHEN 7 THEN 'text8' ELSE 'text7' END "
               "WHERE id IN (7, 8)",
               "public.t: 2 rows changed (c_text 2)",
               "public.t  id=7  changed     c_text\npublic.t  id=8  changed     c_text"},
      Mutation{"a value moved between adjacent columns",
               "UPDATE public.t SET c_text = 'a', c_text2 = 'bc' WHERE id = 9",
               "public.t: 1 row changed (c_text 1, c_text2 1)",
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

}  // namespace
}  // namespace cutover
