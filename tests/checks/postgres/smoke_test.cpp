#include "checks/postgres/smoke.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "loopback/postgres_cluster.hpp"
#include "tests/support/check_runner.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_postgres;
using nlohmann::json;
using test::Completed;
using test::expect_result;
using test::FieldMap;
using test::find_measurement;

class PostgresSmokeTest : public ::testing::Test {
 protected:
  // A database of its own for each test: a table with three items.
  PostgresSmokeTest() {
    static std::atomic<int> counter{0};
    name_ = "pgsmoke_" + std::to_string(++counter);
    loopback::shared_postgres().create_database(name_);
    loopback::shared_postgres().execute(
        name_,
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL); "
        "INSERT INTO items VALUES (1, 'apple'), (2, 'pear'), (3, 'fig')");
  }

  std::shared_ptr<const Database> shop() const {
    return declare("shop", loopback::shared_postgres().dsn(name_));
  }

  FieldMap smoke(json steps, bool commit = false) const {
    FieldMap fields{{"database", shop()}, {"steps", std::move(steps)}};
    if (commit) fields.emplace("commit", true);
    return fields;
  }

  static Completed run(FieldMap fields, Duration timeout = test::kCheckTimeout) {
    return test::run_check(*test::make_check<PostgresSmokeCheck>(std::move(fields)), timeout);
  }

  std::string value(const std::string& sql) const {
    return loopback::shared_postgres().query_value(name_, sql);
  }

  std::string items() const {
    return value("SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM items");
  }

  std::string name_;
};

const json kInsertKiwi = {{"sql", "INSERT INTO items VALUES (10, 'kiwi')"}, {"rows", 1}};

TEST_F(PostgresSmokeTest, StepsPassAndTheWriteIsRolledBack) {
  const Completed passed = run(
      smoke(json::array({kInsertKiwi,
                         {{"sql", "SELECT name FROM items WHERE id = 10"}, {"expect", "kiwi"}},
                         {{"sql", "SELECT count(*) FROM items"}, {"expect", 4}},
                         {{"sql", "UPDATE items SET name = upper(name) WHERE id < 3"}, {"rows", 2}},
                         {{"sql", "SELECT * FROM items WHERE id > 100"}, {"empty", true}},
                         {{"sql", "CREATE TABLE scratch (id int)"}}})));
  expect_result(passed, Outcome::passed, "6 steps passed; rolled back");
  EXPECT_EQ(passed.result.details,
            "step 1 (INSERT INTO items VALUES (10, 'kiwi')): 1 row affected\n"
            "step 2 (SELECT name FROM items WHERE id = 10): 1 row: 'kiwi'\n"
            "step 3 (SELECT count(*) FROM items): 1 row: 4\n"
            "step 4 (UPDATE items SET name = upper(name) WHERE id < 3): 2 rows affected\n"
            "step 5 (SELECT * FROM items WHERE id > 100): no rows\n"
            "step 6 (CREATE TABLE scratch (id int)): done\n"
            "rolled back");
  ASSERT_NE(find_measurement(passed.result, "total_ms"), nullptr);
  EXPECT_EQ(find_measurement(passed.result, "total_ms")->unit, "ms");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig");
  EXPECT_EQ(value("SELECT count(*) FROM pg_class WHERE relname = 'scratch'"), "0");
}

TEST_F(PostgresSmokeTest, CommitTrueKeepsTheWrite) {
  expect_result(run(smoke(json::array({kInsertKiwi}), true)), Outcome::passed,
                "1 step passed; committed");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig,10:kiwi");
}

TEST_F(PostgresSmokeTest, AFailingAssertionStopsAndRollsBackEarlierSteps) {
  const Completed failed =
      run(smoke(json::array({kInsertKiwi,
                             {{"sql", "UPDATE items SET name = 'x' WHERE id = 99"}, {"rows", 1}},
                             {{"sql", "DELETE FROM items"}}}),
                true));
  expect_result(failed, Outcome::failed,
                "step 2 (UPDATE items SET name = 'x' WHERE id = 99): expected 1 row, got 0");
  EXPECT_EQ(failed.result.details,
            "step 1 (INSERT INTO items VALUES (10, 'kiwi')): 1 row affected\n"
            "step 2 (UPDATE items SET name = 'x' WHERE id = 99): no rows affected (expected 1 "
            "row, got 0)\n"
            "rolled back");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig");

  expect_result(run(smoke(json::array(
                    {{{"sql", "SELECT name FROM items WHERE id = 1"}, {"expect", "Apple"}}}))),
                Outcome::failed,
                "step 1 (SELECT name FROM items WHERE id = 1): expected 'Apple', got 'apple'");
  expect_result(run(smoke(json::array({{{"sql", "SELECT id FROM items"}, {"expect", "1"}}}))),
                Outcome::failed,
                "step 1 (SELECT id FROM items): expected one row with the value 1, got 3");
  expect_result(run(smoke(json::array({{{"sql", "SELECT id FROM items"}, {"empty", true}}}))),
                Outcome::failed, "step 1 (SELECT id FROM items): expected no rows, got 3");
  expect_result(
      run(smoke(json::array({{{"sql", "SELECT id FROM items WHERE id = 7"}, {"empty", false}}}))),
      Outcome::failed, "step 1 (SELECT id FROM items WHERE id = 7): expected rows, got none");
}

// Issue 15: nextval() in a smoke transaction moves the sequence for good, as PostgreSQL never
// rolls sequences back: the details name the sequences the steps advanced, and only those (not
// one another session advanced meanwhile).
TEST_F(PostgresSmokeTest, TheDetailsNameTheSequencesTheStepsAdvanced) {
  loopback::shared_postgres().execute(
      name_,
      "CREATE SEQUENCE ticket; CREATE SEQUENCE \"Other Seq\"; CREATE SEQUENCE untouched; "
      "CREATE TABLE orders (id serial PRIMARY KEY, item int); "
      "INSERT INTO orders (item) VALUES (1), (2), (3)");
  std::thread other([this] {
    std::this_thread::sleep_for(100ms);
    value("SELECT nextval('\"Other Seq\"')");
  });
  const Completed passed =
      run(smoke(json::array({{{"sql", "SELECT nextval('ticket')"}, {"expect", "1"}},
                             {{"sql", "SELECT nextval('ticket')"}, {"expect", "2"}},
                             {{"sql", "INSERT INTO orders (item) VALUES (4)"}, {"rows", 1}},
                             {{"sql", "SELECT pg_sleep(0.4)"}}})));
  other.join();
  expect_result(passed, Outcome::passed, "4 steps passed; rolled back");
  EXPECT_EQ(
      passed.result.details,
      "step 1 (SELECT nextval('ticket')): 1 row: 1\n"
      "step 2 (SELECT nextval('ticket')): 1 row: 2\n"
      "step 3 (INSERT INTO orders (item) VALUES (4)): 1 row affected\n"
      "step 4 (SELECT pg_sleep(0.4)): 1 row: ''\n"
      "rolled back\n"
      "sequences advanced, which a rollback does not undo: public.orders_id_seq to 4 (was 3), "
      "public.ticket to 2 (was unused)");
  EXPECT_EQ(value("SELECT last_value FROM ticket"), "2");
}

TEST_F(PostgresSmokeTest, LongSqlIsShortenedInTheMessage) {
  expect_result(
      run(smoke(json::array({{{"sql",
                               "SELECT name\n  FROM items\n  WHERE id = 1 AND name <> "
                               "'some rather long text to cut'"},
                              {"rows", 2}}}))),
      Outcome::failed,
      "step 1 (SELECT name FROM items WHERE id = 1 AND name <> 'some rather...): expected 2 rows, "
      "got 1");
}

// The message cuts the SQL after redacting it whole: a secret across the cut leaves no piece.
TEST_F(PostgresSmokeTest, ASecretAcrossTheCutOfTheSqlLeavesNoPiece) {
  const std::string secret = "Tok3n-0123456789abcdef";
  Redactor redactor;
  redactor.add_secret(secret);
  const std::string sql = "SELECT name FROM items WHERE id = 1 AND name <> 'prefix " + secret + "'";
  const Completed run = test::run_check(
      *test::make_check<PostgresSmokeCheck>(smoke(json::array({{{"sql", sql}, {"rows", 2}}}))),
      test::kCheckTimeout, std::nullopt, redactor);
  expect_result(run, Outcome::failed,
                "step 1 (SELECT name FROM items WHERE id = 1 AND name <> 'prefix ***'): expected "
                "2 rows, got 1");
}

TEST_F(PostgresSmokeTest, AnSqlErrorInAStepFailsWithTheServerMessage) {
  const Completed failed = run(smoke(json::array(
      {kInsertKiwi, {{"sql", "INSERT INTO items VALUES (1, 'again')"}}, {{"sql", "SELECT 1"}}})));
  expect_result(failed, Outcome::failed,
                "step 2 (INSERT INTO items VALUES (1, 'again')): duplicate key value violates "
                "unique constraint \"items_pkey\" DETAIL: Key (id)=(1) already exists. (SQLSTATE "
                "23505)");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig");

  expect_result(run(smoke(json::array({{{"sql", "SELECT 1; DELETE FROM items"}}}))),
                Outcome::failed,
                "step 1 (SELECT 1; DELETE FROM items): cannot insert multiple commands into a "
                "prepared statement (SQLSTATE 42601)");
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig");
}

TEST_F(PostgresSmokeTest, AStepPastTheDeadlineIsAnErrorAndRollsBack) {
  auto check = test::make_check<PostgresSmokeCheck>(
      smoke(json::array({kInsertKiwi, {{"sql", "SELECT pg_sleep(30)"}}}), true), 1s);
  // An io_context of our own keeps the pool, and its connection, alive after the attempt.
  boost::asio::io_context io;
  boost::asio::thread_pool pool(1);
  const auto started = std::chrono::steady_clock::now();
  CheckContext context{io, pool, started + 1s, 1s, std::make_shared<Cancellation>()};
  std::vector<CheckResult> results;
  check->start(context, [&](CheckResult result) { results.push_back(std::move(result)); });
  io.run();
  pool.join();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, Outcome::error);
  EXPECT_EQ(results[0].message, "the server cancelled the query after 900ms (statement_timeout)");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(items(), "1:apple,2:pear,3:fig");
  const std::string sessions =
      "SELECT coalesce(string_agg(state, ','), '-') FROM pg_stat_activity WHERE "
      "application_name = 'cutover' AND datname = '" +
      name_ + "'";
  // The connection is back in the pool, idle, or closed when the pool's own cancel request
  // stopped the step; never idle in transaction.
  const std::string state = loopback::shared_postgres().query_value("postgres", sessions);
  EXPECT_TRUE(state == "idle" || state == "-") << state;
}

TEST_F(PostgresSmokeTest, MistakesInStepsAreNamedByNumberAndKey) {
  const auto errors = [this](json steps) {
    return test::construction_errors<PostgresSmokeCheck>(smoke(std::move(steps)));
  };
  const std::string at = "suite.yaml:7:5: error: ";
  EXPECT_EQ(errors(json::object({{"sql", "SELECT 1"}})),
            std::vector<std::string>{
                at + "expected a list of steps like [{sql: \"...\", rows: 1}], got a mapping"});
  EXPECT_EQ(errors(json::array()),
            std::vector<std::string>{
                at + "expected a list of steps like [{sql: \"...\", rows: 1}], got an empty list"});
  EXPECT_EQ(errors(json::array({{{"sql", "SELECT 1"}}, "SELECT 2"})),
            std::vector<std::string>{
                at + "step 2: expected a mapping like {sql: \"...\", rows: 1}, got text"});
  EXPECT_EQ(errors(json::array({{{"sql", "SELECT 1"}, {"expects", "1"}}, {{"rows", 1}}})),
            (std::vector<std::string>{
                at + "step 1: unknown key 'expects' (known: sql, expect, rows, empty)",
                at + "step 2: sql is missing"}));
  EXPECT_EQ(errors(json::array({{{"sql", " ; "}},
                                {{"sql", "SELECT 1"}, {"rows", -1}},
                                {{"sql", "SELECT 1"}, {"empty", "yes"}},
                                {{"sql", "SELECT 1"}, {"expect", 1.5}}})),
            (std::vector<std::string>{
                at + "step 1: sql: expected one SQL statement",
                at + "step 2: rows: expected a row count (a whole number from 0)",
                at + "step 3: empty: expected true or false",
                at + "step 4: expect: expected text as PostgreSQL prints the value, got a "
                     "number (quote it: '1.50', 't')"}));
  EXPECT_EQ(errors(json::array({{{"sql", "SELECT 1"}, {"expect", "1"}, {"rows", 2}},
                                {{"sql", "SELECT 1"}, {"empty", true}, {"rows", 1}},
                                {{"sql", "SELECT 1"}, {"empty", false}, {"rows", 0}}})),
            (std::vector<std::string>{
                at + "step 1: expect reads a one-row result, but rows is 2",
                at + "step 2: empty: true contradicts expect or rows, which need rows",
                at + "step 3: empty: false contradicts rows: 0"}));
  EXPECT_EQ(errors(json::array({{{"sql", "COMMIT"}}, {{"sql", "  begin;"}}})),
            (std::vector<std::string>{
                at + "step 1: sql: COMMIT would end or nest the check's transaction; use "
                     "commit: true to keep the changes",
                at + "step 2: sql: BEGIN would end or nest the check's transaction; use "
                     "commit: true to keep the changes"}));
  EXPECT_EQ(test::construction_errors<PostgresSmokeCheck>({}),
            (std::vector<std::string>{
                at + "expected the name of a database",
                at + "expected a list of steps like [{sql: \"...\", rows: 1}], got nothing"}));
}

TEST_F(PostgresSmokeTest, DescribeNamesTheDatabaseAndSteps) {
  EXPECT_EQ(
      test::make_check<PostgresSmokeCheck>(smoke(json::array({kInsertKiwi}), true))->describe(),
      "database 'shop': 1 step, committed");
}

}  // namespace
}  // namespace cutover
