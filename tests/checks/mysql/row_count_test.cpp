#include "checks/row_count.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/mariadb_server.hpp"
#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "tests/support/check_runner.hpp"

// db.row_count on MySQL/MariaDB, and from MariaDB to PostgreSQL, against real servers.

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_mariadb;
using loopback::shared_postgres;
using nlohmann::json;
using test::expect_result;
using test::FieldMap;

// A MariaDB database with `orders` (`orders_rows` rows) and `items` (2 rows).
std::shared_ptr<const Database> mariadb(const std::string& label, const std::string& name,
                                        int orders_rows) {
  shared_mariadb().create_database(name);
  std::string sql =
      "CREATE TABLE orders (id INT PRIMARY KEY); CREATE TABLE items (id INT PRIMARY KEY);"
      "INSERT INTO items VALUES (1), (2);";
  for (int i = 1; i <= orders_rows; ++i)
    sql += "INSERT INTO orders VALUES (" + std::to_string(i) + ");";
  shared_mariadb().execute(sql, name);
  return declare(label, shared_mariadb().dsn(name));
}

// The same tables in a PostgreSQL database's public schema.
std::shared_ptr<const Database> postgres(const std::string& label, const std::string& name,
                                         int orders_rows) {
  shared_postgres().create_database(name);
  shared_postgres().execute(name,
                            "CREATE TABLE orders (id int PRIMARY KEY);"
                            "CREATE TABLE items (id int PRIMARY KEY);"
                            "INSERT INTO items VALUES (1), (2);"
                            "INSERT INTO orders SELECT generate_series(1, " +
                                std::to_string(orders_rows) + ");");
  return declare(label, shared_postgres().dsn(name));
}

test::Completed run_check(FieldMap fields, Duration timeout = test::kCheckTimeout) {
  return test::run_check(*test::make_check<RowCountCheck>(std::move(fields)), timeout);
}

const std::vector<std::string> kBoth{"orders", "items"};

TEST(MysqlRowCount, SameCountsOnTwoMariadbDatabasesPass) {
  const test::Completed run = run_check({{"source", mariadb("source", "myrc_same_a", 3)},
                                         {"target", mariadb("target", "myrc_same_b", 3)},
                                         {"tables", kBoth}});
  expect_result(run, Outcome::passed,
                "2 tables have the same row counts on source and target (5 rows each)");
  EXPECT_EQ(run.result.details,
            "table               source  target  delta\n"
            "myrc_same_a.items        2       2     +0\n"
            "myrc_same_a.orders       3       3     +0");
}

TEST(MysqlRowCount, ADifferentCountAndAMissingTableFail) {
  auto target = mariadb("target", "myrc_diff_b", 2);
  shared_mariadb().execute("DROP TABLE items", "myrc_diff_b");
  const test::Completed run = run_check(
      {{"source", mariadb("source", "myrc_diff_a", 3)}, {"target", target}, {"tables", kBoth}});
  expect_result(run, Outcome::failed,
                "myrc_diff_a.items is missing on target; myrc_diff_a.orders differs (source 3, "
                "target 2, -1)");
}

TEST(MysqlRowCount, MariadbToPostgresMatchesTheDefaultSchemas) {
  const test::Completed same = run_check({{"source", mariadb("source", "myrc_cross_a", 4)},
                                          {"target", postgres("target", "myrc_cross_b", 4)},
                                          {"tables", kBoth}});
  expect_result(same, Outcome::passed,
                "2 tables have the same row counts on source and target (6 rows each)");

  const test::Completed lost = run_check({{"source", mariadb("source", "myrc_cross_c", 4)},
                                          {"target", postgres("target", "myrc_cross_d", 3)},
                                          {"tables", std::vector<std::string>{"myrc_cross_c.*"}}});
  expect_result(lost, Outcome::failed, "myrc_cross_c.orders differs (source 4, target 3, -1)");
}

// pgloader's default puts MySQL's shop into PostgreSQL's schema shop; moved into public, the
// source's default schema stands for public. A target with both is ambiguous: an error, not a
// guess.
TEST(MysqlRowCount, TwoTablesStandingForOneNameAreAnError) {
  auto target = postgres("target", "myrc_clash_b", 4);
  shared_postgres().execute(
      "myrc_clash_b", "CREATE SCHEMA myrc_clash_a; CREATE TABLE myrc_clash_a.orders (id int)");
  const test::Completed run = run_check(
      {{"source", mariadb("source", "myrc_clash_a", 4)}, {"target", target}, {"tables", kBoth}});
  expect_result(run, Outcome::error,
                "target: myrc_clash_a.orders and public.orders both stand for myrc_clash_a.orders: "
                "name the tables with their schemas, or leave one out");
}

// MariaDB lists a system-versioned table apart from base tables: it is a table all the same.
TEST(MysqlRowCount, ASystemVersionedTableIsCountedToo) {
  auto source = mariadb("source", "myrc_versioned_a", 2);
  shared_mariadb().execute(
      "CREATE TABLE prices (id INT PRIMARY KEY) WITH SYSTEM VERSIONING; "
      "INSERT INTO prices VALUES (1), (2)",
      "myrc_versioned_a");
  const test::Completed run = run_check({{"source", source},
                                         {"target", mariadb("target", "myrc_versioned_b", 2)},
                                         {"tables", std::vector<std::string>{"*"}}});
  expect_result(run, Outcome::failed, "myrc_versioned_a.prices is missing on target");
}

TEST(MysqlRowCount, ACountComparedWithItselfOrAnyDatabaseIsALoadError) {
  auto same = declare("target", "mysql://app@127.0.0.1/shop");
  EXPECT_EQ(test::construction_errors<RowCountCheck>(
                {{"source", declare("source", "mysql://app@127.0.0.1/shop")},
                 {"target", same},
                 {"tables", std::vector<std::string>{"orders"}}}),
            std::vector<std::string>{"suite.yaml:7:5: error: 'source' and 'target' are the same "
                                     "database: a count compared with itself always passes"});
  EXPECT_EQ(test::construction_errors<RowCountCheck>(
                {{"source", declare("source", "mysql://app@127.0.0.1/shop")},
                 {"target", declare("target", "mysql://app@127.0.0.2")},
                 {"tables", std::vector<std::string>{"orders"}}}),
            std::vector<std::string>{
                "suite.yaml:7:5: error: tables: 'orders' names no database, and the DSN of "
                "'target' names none: write database.orders"});
}

TEST(MysqlRowCount, OneDatabaseAgainstExpectedCounts) {
  auto database = mariadb("shop", "myrc_expect", 3);
  expect_result(run_check({{"database", database}, {"expect", json{{"orders", 3}, {"items", 2}}}}),
                Outcome::passed, "2 tables have the expected row counts (5 rows in all)");
  expect_result(run_check({{"database", database}, {"expect", json{{"orders", 4}}}}),
                Outcome::failed, "myrc_expect.orders has 3 rows, expected 4");
}

TEST(MysqlRowCount, EstimatesOnlyWhenAskedAndOnlyOnMysql) {
  auto database = mariadb("shop", "myrc_estimate", 3);
  shared_mariadb().execute("ANALYZE TABLE orders, items", "myrc_estimate");
  const test::Completed run =
      run_check({{"database", database}, {"expect", json{{"orders", 3}}}, {"estimate", true}});
  EXPECT_NE(run.result.outcome, Outcome::error) << run.result.message;

  EXPECT_EQ(test::construction_errors<RowCountCheck>(
                {{"database", declare("pg", "postgresql://app@127.0.0.1/shop")},
                 {"expect", json{{"orders", 3}}},
                 {"estimate", true}}),
            std::vector<std::string>{
                "suite.yaml:7:5: error: estimate: MySQL/MariaDB only, and database 'pg' is "
                "PostgreSQL"});
  EXPECT_EQ(test::construction_errors<RowCountCheck>(
                {{"source", declare("my", "mysql://app@127.0.0.1")},
                 {"target", declare("pg", "postgresql://app@127.0.0.1/shop")},
                 {"tables", std::vector<std::string>{"orders", "shop.items"}}}),
            std::vector<std::string>{
                "suite.yaml:7:5: error: tables: 'orders' names no database, and the DSN of 'my' "
                "names none: write database.orders"});
}

TEST(MysqlRowCount, AServerThatDoesNotAnswerTimesOut) {
  loopback::UnansweringServer server;
  const test::Completed run = run_check(
      {{"database",
        declare("silent", "mysql://root@127.0.0.1:" + std::to_string(server.port()) + "/x")},
       {"expect", json{{"orders", 1}}}},
      1s);
  expect_result(run, Outcome::error, "timed out after 900ms connecting to database 'silent'");
}

}  // namespace
}  // namespace cutover
