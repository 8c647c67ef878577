#include "checks/row_count.hpp"

#include <atomic>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/transaction>

#include "loopback/postgres_cluster.hpp"
#include "tests/support/check_runner.hpp"

namespace cutover {
namespace {

using loopback::shared_postgres;
using test::expect_result;
using test::FieldMap;

class PostgresRowCountTest : public ::testing::Test {
 protected:
  // Two fresh databases for each test, with the same tables, rows added per test.
  PostgresRowCountTest() {
    static std::atomic<int> counter{0};
    const int n = ++counter;
    source_name_ = "rc_source_" + std::to_string(n);
    target_name_ = "rc_target_" + std::to_string(n);
    for (const std::string& name : {source_name_, target_name_}) {
      loopback::shared_postgres().create_database(name);
      loopback::shared_postgres().execute(
          name,
          "CREATE SCHEMA sales; "
          "CREATE TABLE public.orders (id bigint PRIMARY KEY); "
          "CREATE TABLE sales.items (id int); "
          "CREATE TABLE sales.events (at date) PARTITION BY RANGE (at); "
          "CREATE TABLE sales.events_2026 PARTITION OF sales.events "
          "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01'); "
          "INSERT INTO public.orders SELECT generate_series(1, 3); "
          "INSERT INTO sales.items VALUES (1), (2); "
          "INSERT INTO sales.events VALUES ('2026-05-01')");
    }
  }

  std::shared_ptr<const Database> source() {
    return loopback::declare("src", loopback::shared_postgres().dsn(source_name_));
  }
  std::shared_ptr<const Database> target() {
    return loopback::declare("tgt", loopback::shared_postgres().dsn(target_name_));
  }

  FieldMap compare(std::vector<std::string> tables) {
    return {{"source", source()}, {"target", target()}, {"tables", std::move(tables)}};
  }

  std::string source_name_;
  std::string target_name_;
};

TEST_F(PostgresRowCountTest, EqualTablesPassWithATableOfCounts) {
  auto check = test::make_check<RowCountCheck>(compare({"orders", "sales.*"}));
  const auto run = test::run_check(*check);
  expect_result(run, Outcome::passed,
                "3 tables have the same row counts on source and target (6 rows each)");
  EXPECT_EQ(run.result.details,
            "table          source  target  delta\n"
            "public.orders       3       3     +0\n"
            "sales.events        1       1     +0\n"
            "sales.items         2       2     +0");
  ASSERT_NE(test::find_measurement(run.result, "rows_target"), nullptr);
  EXPECT_EQ(test::find_measurement(run.result, "rows_target")->value, 6);
}

TEST_F(PostgresRowCountTest, DifferencesMissingTablesAndEmptyGlobsFail) {
  loopback::shared_postgres().execute(
      target_name_,
      "DELETE FROM public.orders WHERE id = 2; DROP TABLE sales.items; "
      "CREATE TABLE public.extra (id int)");
  auto check = test::make_check<RowCountCheck>(
      compare({"public.orders", "sales.*", "archive.*", "public.extra"}));
  const auto run = test::run_check(*check);
  expect_result(run, Outcome::failed,
                "no table matches 'archive.*'; public.extra is missing on source; public.orders "
                "differs (source 3, target 2, -1); and 1 more");
  EXPECT_EQ(run.result.details,
            "table           source   target  delta\n"
            "public.extra   missing        0\n"
            "public.orders        3        2     -1\n"
            "sales.events         1        1     +0\n"
            "sales.items          2  missing");
}

TEST_F(PostgresRowCountTest, ExcludeLeavesTablesOut) {
  loopback::shared_postgres().execute(target_name_, "DELETE FROM sales.items");
  FieldMap fields = compare({"sales.*"});
  fields["exclude"] = std::vector<std::string>{"sales.it*"};
  auto check = test::make_check<RowCountCheck>(fields);
  expect_result(test::run_check(*check), Outcome::passed,
                "1 table has the same row counts on source and target (1 rows each)");
}

TEST_F(PostgresRowCountTest, OneDatabaseAgainstExpectedCounts) {
  auto passing = test::make_check<RowCountCheck>(
      {{"database", source()}, {"expect", nlohmann::json{{"orders", 3}, {"sales.items", 2}}}});
  expect_result(test::run_check(*passing), Outcome::passed,
                "2 tables have the expected row counts (5 rows in all)");

  auto failing = test::make_check<RowCountCheck>(
      {{"database", source()}, {"expect", nlohmann::json{{"orders", 4}, {"sales.nothing", 0}}}});
  const auto run = test::run_check(*failing);
  expect_result(run, Outcome::failed,
                "public.orders has 3 rows, expected 4; sales.nothing is missing");
  EXPECT_EQ(run.result.details,
            "table              src  expected  delta\n"
            "public.orders        3         4     -1\n"
            "sales.nothing  missing         0");
}

TEST_F(PostgresRowCountTest, AnUnreachableDatabaseIsAnError) {
  auto check = test::make_check<RowCountCheck>(
      {{"source", source()},
       {"target", loopback::declare("tgt", "host=127.0.0.1 port=1 dbname=x user=u password=pw-9x")},
       {"tables", std::vector<std::string>{"orders"}}});
  const auto run = test::run_check(*check);
  test::expect_result_matching(run, Outcome::error,
                               "target: cannot connect to database 'tgt': .*Connection refused.*");
  EXPECT_EQ(run.result.message.find("pw-9x"), std::string::npos);
}

TEST_F(PostgresRowCountTest, ACountPastTheDeadlineIsCancelledByTheServer) {
  pqxx::connection locker(loopback::shared_postgres().dsn(target_name_));
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE public.orders IN ACCESS EXCLUSIVE MODE");
  auto check = test::make_check<RowCountCheck>(compare({"orders"}), std::chrono::seconds(1));
  const auto run = test::run_check(*check, std::chrono::seconds(1));
  expect_result(run, Outcome::error,
                "target: the server cancelled the query after 900ms (statement_timeout)");
  EXPECT_LT(run.elapsed, std::chrono::seconds(2));
}

TEST_F(PostgresRowCountTest, MistakesInFieldsArePlaced) {
  EXPECT_EQ(test::construction_errors<RowCountCheck>({}),
            std::vector<std::string>{"suite.yaml:7:5: error: give source and target (with "
                                     "tables), or database (with expect)"});
  EXPECT_EQ(test::construction_errors<RowCountCheck>({{"source", source()}}),
            (std::vector<std::string>{
                "suite.yaml:7:5: error: give both source and target (the databases to compare)",
                "suite.yaml:7:5: error: tables: expected at least one table name or glob (like "
                "sales.*)"}));
  EXPECT_EQ(
      test::construction_errors<RowCountCheck>({{"database", source()},
                                                {"tables", std::vector<std::string>{"x"}},
                                                {"expect", nlohmann::json{{"a", -1}, {"b*", 2}}}}),
      (std::vector<std::string>{
          "suite.yaml:7:5: error: with database, list the tables under expect with their "
          "row counts",
          "suite.yaml:7:5: error: expect: a: expected a row count (a whole number from 0) "
          "for a table named without globs",
          "suite.yaml:7:5: error: expect: b*: expected a row count (a whole number from 0) "
          "for a table named without globs"}));
}

}  // namespace
}  // namespace cutover
