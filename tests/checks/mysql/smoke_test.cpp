#include "checks/mysql/smoke.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checks/builtin.hpp"
#include "checks/mysql/session.hpp"
#include "harness/registry.hpp"
#include "harness/suite.hpp"
#include "loopback/mariadb_server.hpp"
#include "loopback/postgres_cluster.hpp"
#include "tests/support/check_runner.hpp"
#include "tests/support/job_runner.hpp"

// db.smoke on MySQL/MariaDB, against a real MariaDB server: whatever happens, nothing the steps
// wrote persists.

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_mariadb;
using nlohmann::json;
using test::Completed;
using test::expect_result;
using test::expect_result_matching;
using test::FieldMap;
using test::find_measurement;

class MysqlSmokeTest : public ::testing::Test {
 protected:
  // A database of its own for each test: an InnoDB table with three items.
  MysqlSmokeTest() {
    static std::atomic<int> counter{0};
    name_ = "mysmoke_" + std::to_string(++counter);
    shared_mariadb().create_database(name_);
    shared_mariadb().execute(
        "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL) ENGINE=InnoDB; "
        "INSERT INTO items VALUES (1, 'apple'), (2, 'pear'), (3, 'fig')",
        name_);
  }

  std::shared_ptr<const Database> shop() const {
    return declare("shop", shared_mariadb().dsn(name_));
  }

  FieldMap smoke(json steps) const { return {{"database", shop()}, {"steps", std::move(steps)}}; }

  static Completed run(FieldMap fields, Duration timeout = test::kCheckTimeout,
                       std::optional<Duration> cancel_after = std::nullopt) {
    return test::run_check(*test::make_check<MysqlSmokeCheck>(std::move(fields), timeout), timeout,
                           cancel_after);
  }

  // What the table holds, read by the fixture: "1:apple,2:pear,3:fig".
  std::string items() const {
    return shared_mariadb().query_value("SELECT GROUP_CONCAT(id, ':', name ORDER BY id) FROM items",
                                        name_);
  }

  std::string count() const {
    return shared_mariadb().query_value("SELECT COUNT(*) FROM items", name_);
  }

  // Open transactions on the server that changed rows, and the smoke check's connections left.
  static std::string open_write_transactions() {
    return shared_mariadb().query_value(
        "SELECT COUNT(*) FROM information_schema.INNODB_TRX WHERE trx_rows_modified > 0");
  }

  std::string name_;
};

const json kInsertKiwi = {{"sql", "INSERT INTO items VALUES (10, 'kiwi')"}, {"rows", 1}};

TEST_F(MysqlSmokeTest, StepsPassAndTheWriteIsRolledBack) {
  const Completed passed = run(
      smoke(json::array({kInsertKiwi,
                         {{"sql", "SELECT name FROM items WHERE id = 10"}, {"expect", "kiwi"}},
                         {{"sql", "SELECT COUNT(*) FROM items"}, {"expect", 4}},
                         {{"sql", "UPDATE items SET name = UPPER(name) WHERE id < 3"}, {"rows", 2}},
                         // Rows matched, as PostgreSQL counts them: the value is already 'fig'.
                         {{"sql", "UPDATE items SET name = 'fig' WHERE id = 3"}, {"rows", 1}},
                         {{"sql", "DELETE FROM items WHERE id = 3"}, {"rows", 1}},
                         {{"sql", "SELECT * FROM items WHERE id > 100"}, {"empty", true}},
                         {{"sql", "CREATE TEMPORARY TABLE scratch (id INT) ENGINE=InnoDB"}},
                         {{"sql", "SELECT @@in_transaction"}, {"expect", "1"}}})));
  expect_result(passed, Outcome::passed, "9 steps passed; rolled back");
  EXPECT_EQ(passed.result.details,
            "step 1 (INSERT INTO items VALUES (10, 'kiwi')): 1 row affected\n"
            "step 2 (SELECT name FROM items WHERE id = 10): 1 row: 'kiwi'\n"
            "step 3 (SELECT COUNT(*) FROM items): 1 row: 4\n"
            "step 4 (UPDATE items SET name = UPPER(name) WHERE id < 3): 2 rows affected\n"
            "step 5 (UPDATE items SET name = 'fig' WHERE id = 3): 1 row affected\n"
            "step 6 (DELETE FROM items WHERE id = 3): 1 row affected\n"
            "step 7 (SELECT * FROM items WHERE id > 100): no rows\n"
            "step 8 (CREATE TEMPORARY TABLE scratch (id INT) ENGINE=InnoDB): done\n"
            "step 9 (SELECT @@in_transaction): 1 row: 1\n"
            "rolled back");
  ASSERT_NE(find_measurement(passed.result, "total_ms"), nullptr);
  EXPECT_EQ(find_measurement(passed.result, "total_ms")->unit, "ms");
  EXPECT_EQ(count(), "3");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig");
  EXPECT_EQ(open_write_transactions(), "0");
}

TEST_F(MysqlSmokeTest, AFailingAssertionStopsAndRollsBackEarlierSteps) {
  const Completed failed =
      run(smoke(json::array({kInsertKiwi,
                             {{"sql", "UPDATE items SET name = 'x' WHERE id = 99"}, {"rows", 1}},
                             {{"sql", "DELETE FROM items"}}})));
  expect_result(failed, Outcome::failed,
                "step 2 (UPDATE items SET name = 'x' WHERE id = 99): expected 1 row, got 0");
  EXPECT_EQ(failed.result.details,
            "step 1 (INSERT INTO items VALUES (10, 'kiwi')): 1 row affected\n"
            "step 2 (UPDATE items SET name = 'x' WHERE id = 99): no rows affected (expected 1 "
            "row, got 0)\n"
            "rolled back");
  EXPECT_EQ(count(), "3");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig");

  expect_result(
      run(smoke(json::array(
          {kInsertKiwi, {{"sql", "SELECT name FROM items WHERE id = 1"}, {"expect", "Apple"}}}))),
      Outcome::failed,
      "step 2 (SELECT name FROM items WHERE id = 1): expected 'Apple', got 'apple'");
  EXPECT_EQ(count(), "3");
  expect_result(run(smoke(json::array({{{"sql", "SELECT id FROM items"}, {"expect", "1"}}}))),
                Outcome::failed,
                "step 1 (SELECT id FROM items): expected one row with the value 1, got 3");
  expect_result(run(smoke(json::array({{{"sql", "SELECT id FROM items"}, {"empty", true}}}))),
                Outcome::failed, "step 1 (SELECT id FROM items): expected no rows, got 3");
  expect_result(
      run(smoke(json::array({{{"sql", "SELECT id FROM items WHERE id = 7"}, {"empty", false}}}))),
      Outcome::failed, "step 1 (SELECT id FROM items WHERE id = 7): expected rows, got none");
  expect_result(run(smoke(json::array({{{"sql", "SELECT NULL"}, {"expect", "NULL"}}}))),
                Outcome::failed, "step 1 (SELECT NULL): expected 'NULL', got NULL");
  EXPECT_EQ(open_write_transactions(), "0");
}

TEST_F(MysqlSmokeTest, AnSqlErrorInAStepFailsWithTheServerMessage) {
  const Completed failed = run(smoke(json::array(
      {kInsertKiwi, {{"sql", "INSERT INTO items VALUES (1, 'again')"}}, {{"sql", "SELECT 1"}}})));
  expect_result(failed, Outcome::failed,
                "step 2 (INSERT INTO items VALUES (1, 'again')): Duplicate entry '1' for key "
                "'PRIMARY' (error 1062)");
  EXPECT_EQ(count(), "3");

  // An error numbered past the client's range (MariaDB's 4025) is the step's failure too.
  shared_mariadb().execute(
      "CREATE TABLE stock (qty INT, CONSTRAINT stock_qty CHECK (qty >= 0)) ENGINE=InnoDB", name_);
  expect_result_matching(
      run(smoke(json::array({kInsertKiwi, {{"sql", "INSERT INTO stock VALUES (-1)"}}}))),
      Outcome::failed,
      "step 2 \\(INSERT INTO stock VALUES \\(-1\\)\\): CONSTRAINT `stock_qty` failed for "
      "`mysmoke_[0-9]+`\\.`stock` \\(error 4025\\)");
  EXPECT_EQ(count(), "3");

  // One statement per step: the connection does not take several.
  expect_result_matching(run(smoke(json::array({{{"sql", "SELECT 1; DELETE FROM items"}}}))),
                         Outcome::failed,
                         "step 1 \\(SELECT 1; DELETE FROM items\\): You have an error in your "
                         "SQL syntax.*\\(error 1064\\)");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig");
}

// A procedure that commits is not recognisable at load: the check sees the transaction end,
// fails, and says the changes were committed.
TEST_F(MysqlSmokeTest, AStepThatCommitsAnywayFailsSayingSo) {
  shared_mariadb().execute(
      "DELIMITER //\n"
      "CREATE PROCEDURE add_plum() BEGIN INSERT INTO items VALUES (20, 'plum'); COMMIT; END//\n"
      "DELIMITER ;",
      name_);
  const Completed failed =
      run(smoke(json::array({kInsertKiwi, {{"sql", "CALL add_plum()"}}, {{"sql", "SELECT 1"}}})));
  expect_result(failed, Outcome::failed,
                "step 2 (CALL add_plum()): ended the check's transaction (an implicit commit): "
                "the changes of this step and those before it were committed");
  EXPECT_EQ(failed.result.details,
            "step 1 (INSERT INTO items VALUES (10, 'kiwi')): 1 row affected\n"
            "step 2 (CALL add_plum()): done (ended the transaction)\n"
            "committed implicitly");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig,10:kiwi,20:plum");
}

TEST_F(MysqlSmokeTest, AStepPastTheDeadlineIsAnErrorAndRollsBack) {
  const Completed late =
      run(smoke(json::array(
              {kInsertKiwi,
               {{"sql", "SELECT COUNT(*) FROM seq_1_to_100000 AS a, seq_1_to_100000 AS b"}}})),
          1s);
  expect_result_matching(late, Outcome::error,
                         "the server cancelled the query after [0-9]+ms \\(max_statement_time\\)");
  EXPECT_LT(late.elapsed, 3s);
  EXPECT_EQ(late.completions, 1);
  EXPECT_EQ(count(), "3");
  EXPECT_EQ(open_write_transactions(), "0");
}

TEST_F(MysqlSmokeTest, CancellingStopsTheStepAndRollsBack) {
  const Completed cancelled =
      run(smoke(json::array(
              {kInsertKiwi,
               {{"sql", "SELECT COUNT(*) FROM seq_1_to_100000 AS a, seq_1_to_100000 AS b"}}})),
          30s, 500ms);
  expect_result(cancelled, Outcome::error, "cancelled while running a query on database 'shop'");
  EXPECT_LT(cancelled.elapsed, 5s);
  EXPECT_EQ(count(), "3");
  // The KILL QUERY landed, and the connection closed: the server rolled the insert back.
  for (int i = 0; i < 50 && open_write_transactions() != "0"; ++i)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(open_write_transactions(), "0");
}

// What the steps did to their session (a user variable, sql_mode, a temporary table) reaches no
// later job: the smoke check's connection is closed, and the next job gets a new one.
TEST_F(MysqlSmokeTest, TheSessionOfTheStepsIsNotReused) {
  const auto database = shop();
  auto check = test::make_check<MysqlSmokeCheck>(
      {{"database", database},
       {"steps", json::array({{{"sql", "SET @left_behind = 'smoke'"}},
                              {{"sql", "SET SESSION sql_mode = 'ANSI_QUOTES'"}},
                              {{"sql", "CREATE TEMPORARY TABLE scratch (id INT)"}},
                              {{"sql", "SELECT CONNECTION_ID()"}}})}});
  test::JobRunner runner;
  CheckContext context = runner.context(test::kCheckTimeout);
  std::vector<CheckResult> results;
  check->start(context, [&](CheckResult result) { results.push_back(std::move(result)); });
  runner.run();
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].outcome, Outcome::passed) << results[0].message;
  const std::string details = results[0].details;
  const std::string smoke_id =
      details.substr(details.find("1 row: ") + 7,
                     details.find('\n', details.find("1 row: ")) - details.find("1 row: ") - 7);

  test::Answer<std::string> after;
  mysql::run<std::string>(
      context, database,
      [](mysql::Session& session) {
        return session
            .value(
                "SELECT CONCAT_WS(',', CONNECTION_ID(), COALESCE(@left_behind, 'none'), "
                "@@session.sql_mode LIKE '%ANSI_QUOTES%')")
            .value_or("NULL");
      },
      after.recorder());
  runner.run();
  ASSERT_TRUE(after.value) << after.error;
  EXPECT_FALSE(after.value->starts_with(smoke_id + ",")) << *after.value;
  EXPECT_TRUE(after.value->ends_with(",none,0")) << *after.value;
}

// The message cuts the SQL after redacting it whole: a secret across the cut leaves no piece.
TEST_F(MysqlSmokeTest, ASecretAcrossTheCutOfTheSqlLeavesNoPiece) {
  const std::string secret = "Tok3n-0123456789abcdef";
  Redactor redactor;
  redactor.add_secret(secret);
  const std::string sql = "SELECT name FROM items WHERE id = 1 AND name <> 'prefix " + secret + "'";
  const Completed run = test::run_check(
      *test::make_check<MysqlSmokeCheck>(smoke(json::array({{{"sql", sql}, {"rows", 2}}}))),
      test::kCheckTimeout, std::nullopt, redactor);
  expect_result(run, Outcome::failed,
                "step 1 (SELECT name FROM items WHERE id = 1 AND name <> 'prefix ***'): expected "
                "2 rows, got 1");
}

TEST_F(MysqlSmokeTest, StatementsThatEndTheTransactionAreRefusedAtLoad) {
  const auto errors = [this](json steps) {
    return test::construction_errors<MysqlSmokeCheck>(smoke(std::move(steps)));
  };
  const std::string at = "suite.yaml:7:5: error: step ";
  const std::string ends =
      " would end or nest the check's transaction, which is always rolled "
      "back on MySQL/MariaDB";
  const std::string implicit =
      " would end the check's transaction: MySQL/MariaDB commits "
      "implicitly before it, keeping the changes of the steps before";
  EXPECT_EQ(errors(json::array({{{"sql", "COMMIT"}},
                                {{"sql", "  begin;"}},
                                {{"sql", "start transaction read write"}},
                                {{"sql", "ROLLBACK"}},
                                {{"sql", "SAVEPOINT a"}},
                                {{"sql", "/* why */ XA START 'x'"}}})),
            (std::vector<std::string>{
                at + "1: sql: COMMIT" + ends, at + "2: sql: BEGIN" + ends,
                at + "3: sql: START TRANSACTION" + ends, at + "4: sql: ROLLBACK" + ends,
                at + "5: sql: SAVEPOINT" + ends, at + "6: sql: XA START" + ends}));
  EXPECT_EQ(errors(json::array({{{"sql", "CREATE TABLE t (id INT)"}},
                                {{"sql", "alter table items add c int"}},
                                {{"sql", "DROP TABLE items"}},
                                {{"sql", "TRUNCATE items"}},
                                {{"sql", "RENAME TABLE items TO old"}},
                                {{"sql", "LOCK TABLES items WRITE"}},
                                {{"sql", "SET autocommit = 1"}},
                                {{"sql", "set @x = 1, @@session.autocommit = 0"}},
                                {{"sql", "GRANT ALL ON *.* TO x"}},
                                {{"sql", "/*!40101 CREATE INDEX i ON items (name) */"}},
                                {{"sql", "-- a comment\nFLUSH TABLES"}}})),
            (std::vector<std::string>{
                at + "1: sql: CREATE" + implicit, at + "2: sql: ALTER" + implicit,
                at + "3: sql: DROP" + implicit, at + "4: sql: TRUNCATE" + implicit,
                at + "5: sql: RENAME" + implicit, at + "6: sql: LOCK TABLES" + implicit,
                at + "7: sql: SET autocommit" + implicit, at + "8: sql: SET autocommit" + implicit,
                at + "9: sql: GRANT" + implicit, at + "10: sql: CREATE" + implicit,
                at + "11: sql: FLUSH" + implicit}));
  // Temporary tables do not commit; SET of other variables is the session's, which is closed.
  EXPECT_EQ(errors(json::array({{{"sql", "CREATE TEMPORARY TABLE t (id INT)"}},
                                {{"sql", "CREATE OR REPLACE TEMPORARY TABLE t (id INT)"}},
                                {{"sql", "DROP TEMPORARY TABLE t"}},
                                {{"sql", "SET @x = 'autocommit'"}},
                                {{"sql", "SELECT 'COMMIT'"}}})),
            std::vector<std::string>{});
  EXPECT_EQ(errors(json::array({{{"sql", "SELECT 1"}, {"expect", 1.5}}})),
            std::vector<std::string>{at + "1: expect: expected text as MySQL/MariaDB prints the "
                                          "value, got a number (quote it: '1.50', '1')"});
}

TEST_F(MysqlSmokeTest, DescribeNamesTheDatabaseAndSteps) {
  EXPECT_EQ(test::make_check<MysqlSmokeCheck>(smoke(json::array({kInsertKiwi})))->describe(),
            "database 'shop': 1 step");
}

// The loader's messages for one check, with a PostgreSQL database `pg` and a MySQL one `my`.
std::vector<std::string> load_errors(const std::string& check) {
  return test::load_check_errors(
      "  pg: { dsn: \"postgresql://app@127.0.0.1/shop\" }\n"
      "  my: { dsn: \"mysql://app@127.0.0.1/shop\" }\n",
      check);
}

TEST(DbSmokeAndFrozen, EachEngineTakesItsOwnFields) {
  EXPECT_EQ(load_errors("{name: a, kind: db.smoke, database: pg, commit: true, steps: [{sql: "
                        "'CREATE TABLE t (id int)'}]}"),
            std::vector<std::string>{});
  EXPECT_EQ(load_errors("{name: a, kind: db.smoke, database: my, steps: [{sql: 'SELECT 1'}]}"),
            std::vector<std::string>{});
  EXPECT_EQ(load_errors("{name: a, kind: db.smoke, database: my, commit: true, steps: [{sql: "
                        "'SELECT 1'}]}"),
            std::vector<std::string>{"suite.yaml:6:53: error: check 'a': commit works on "
                                     "PostgreSQL only, and database 'my' is MySQL/MariaDB"});
  EXPECT_EQ(load_errors("{name: a, kind: db.frozen, database: my, window: 1s, users: [app], "
                        "require_read_only: false}"),
            std::vector<std::string>{});
  EXPECT_EQ(load_errors("{name: a, kind: db.frozen, database: pg, window: 1s, roles: [app]}"),
            std::vector<std::string>{});
  EXPECT_EQ(load_errors("{name: a, kind: db.frozen, database: my, window: 1s, roles: [app]}"),
            std::vector<std::string>{"suite.yaml:6:65: error: check 'a': roles works on "
                                     "PostgreSQL only, and database 'my' is MySQL/MariaDB"});
  EXPECT_EQ(
      load_errors("{name: a, kind: postgres.smoke, database: my, steps: [{sql: 'SELECT 1'}]}"),
      std::vector<std::string>{"suite.yaml:6:47: error: check 'a': database 'my' is "
                               "MySQL/MariaDB: postgres.smoke checks PostgreSQL databases "
                               "only (use db.smoke)"});
}

}  // namespace
}  // namespace cutover
