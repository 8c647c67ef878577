#include "checks/query.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "loopback/mariadb_server.hpp"
#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "tests/support/check_runner.hpp"

// db.query on MySQL/MariaDB, and the same query on MariaDB and PostgreSQL, against real servers.

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_mariadb;
using loopback::shared_postgres;
using test::expect_result;
using test::FieldMap;

// A MariaDB database `name` with items (id, name, price): apple 1.50, pear NULL, fig 3.00.
std::shared_ptr<const Database> shop(const std::string& name) {
  shared_mariadb().create_database(name);
  shared_mariadb().execute(
      "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(6,2));"
      "INSERT INTO items VALUES (1, 'apple', 1.50), (2, 'pear', NULL), (3, 'fig', 3.00);",
      name);
  return declare("shop", shared_mariadb().dsn(name));
}

test::Completed run(std::shared_ptr<const Database> database, const std::string& sql,
                    FieldMap fields, Duration timeout = test::kCheckTimeout) {
  fields["database"] = std::move(database);
  fields["sql"] = sql;
  return test::run_check(*test::make_check<QueryCheck>(std::move(fields)), timeout);
}

TEST(MysqlQuery, AssertionsOnAValuePassAndFail) {
  auto database = shop("myq_value");
  expect_result(run(database, "SELECT COUNT(*) FROM items", {{"expect", std::string("3")}}),
                Outcome::passed, "'shop' returned 1 row: 3");
  expect_result(run(database, "SELECT COUNT(*) FROM items", {{"expect", std::string("4")}}),
                Outcome::failed, "expected 4, got 3");
  expect_result(run(database, "SELECT price FROM items WHERE id = 2", {{"expect_null", true}}),
                Outcome::passed, "'shop' returned 1 row: NULL");
  expect_result(run(database, "SELECT price FROM items WHERE id = 1", {{"expect_min", 2.0}}),
                Outcome::failed, "expected at least 2, got 1.50");
  expect_result(run(database, "SELECT id FROM items", {{"rows", std::int64_t{2}}}), Outcome::failed,
                "expected 2 rows, got 3");
  expect_result(run(database, "SHOW TABLES", {{"rows", std::int64_t{1}}}), Outcome::passed,
                "'shop' returned 1 row");
}

TEST(MysqlQuery, AQueryThatWouldWriteFailsAndNothingItTookOutlivesIt) {
  auto database = shop("myq_write");
  // The client splits statements at ';' unless told otherwise.
  shared_mariadb().execute(
      "DELIMITER //\nCREATE FUNCTION add_item() RETURNS INT DETERMINISTIC MODIFIES SQL DATA "
      "BEGIN INSERT INTO items VALUES (9, 'kiwi', NULL); RETURN 1; END//\nDELIMITER ;\n",
      "myq_write");
  expect_result(run(database, "SELECT add_item()", {{"rows", std::int64_t{1}}}), Outcome::error,
                "query failed: Cannot execute statement in a READ ONLY transaction (error 1792)");
  const test::Completed two =
      run(database, "SELECT 1; DELETE FROM items", {{"rows", std::int64_t{1}}});
  EXPECT_EQ(two.result.outcome, Outcome::error) << two.result.message;
  EXPECT_EQ(shared_mariadb().query_value("SELECT COUNT(*) FROM items", "myq_write"), "3");

  // A lock a query takes ends with the check: its connection serves no other job.
  expect_result(run(database, "SELECT GET_LOCK('myq_lock', 0)", {{"expect", std::string("1")}}),
                Outcome::passed, "'shop' returned 1 row: 1");
  EXPECT_EQ(shared_mariadb().query_value("SELECT IS_FREE_LOCK('myq_lock')"), "1");
}

TEST(MysqlQuery, WhatIsNotAQueryIsALoadErrorOnMysql) {
  auto database = declare("shop", "mysql://app@127.0.0.1/shop");
  const auto errors = [&](const std::string& sql) {
    return test::construction_errors<QueryCheck>(
        {{"database", database}, {"sql", sql}, {"empty", true}});
  };
  EXPECT_EQ(errors("CALL refresh()"),
            std::vector<std::string>{"suite.yaml:7:5: error: on MySQL/MariaDB, expected one query "
                                     "(SELECT, WITH, SHOW, TABLE, VALUES, DESCRIBE or EXPLAIN), "
                                     "got call"});
  EXPECT_EQ(errors("/* x */ SET GLOBAL read_only = ON").size(), 1u);
  EXPECT_EQ(errors("SELECT id INTO @last FROM items"),
            std::vector<std::string>{"suite.yaml:7:5: error: on MySQL/MariaDB, SELECT ... INTO "
                                     "writes a file or sets variables: leave INTO out"});
  EXPECT_EQ(errors("SELECT 'into' AS word"), std::vector<std::string>{});
}

TEST(MysqlQuery, TheSameQueryOnMariadbAndPostgres) {
  auto source = shop("myq_cross");
  shared_postgres().create_database("myq_cross");
  shared_postgres().execute("myq_cross",
                            "CREATE TABLE items (id int PRIMARY KEY, name varchar(20) NOT NULL, "
                            "price numeric(6,2));"
                            "INSERT INTO items VALUES (1, 'apple', 1.50), (2, 'pear', NULL), "
                            "(3, 'fig', 3.00);");
  auto target = declare("target", shared_postgres().dsn("myq_cross"));
  expect_result(run(source, "SELECT id, name, price FROM items", {{"same_as", target}}),
                Outcome::passed, "'shop' returned 3 rows, the same as 'target'");

  shared_postgres().execute("myq_cross", "UPDATE items SET price = 3.10 WHERE id = 3");
  expect_result(run(source, "SELECT id, name, price FROM items", {{"same_as", target}}),
                Outcome::failed,
                "results differ: 'shop' returned 3 rows, 'target' 3 rows; only on 'shop': (3, "
                "'fig', 3.00); only on 'target': (3, 'fig', 3.10)");
}

TEST(MysqlQuery, AQueryPastTheDeadlineIsStopped) {
  auto database = shop("myq_slow");
  const test::Completed slow =
      run(database, "SELECT COUNT(*) FROM seq_1_to_100000 a, seq_1_to_100000 b",
          {{"rows", std::int64_t{1}}}, 1s);
  expect_result(slow, Outcome::error,
                "the server cancelled the query after 900ms (max_statement_time)");
  EXPECT_LT(slow.elapsed, 3s);
}

}  // namespace
}  // namespace cutover
