#include "checks/query.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <csignal>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "checks/builtin.hpp"
#include "harness/registry.hpp"
#include "loopback/postgres_cluster.hpp"
#include "loopback/process.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/check_runner.hpp"

namespace cutover {
namespace {

using test::declared;
using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_postgres;
using test::Completed;
using test::expect_result;
using test::FieldMap;
using test::find_measurement;

constexpr const char* kShopTables =
    "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(10, 2)); "
    "CREATE SEQUENCE ticket; "
    "CREATE FUNCTION sneaky_write() RETURNS int LANGUAGE sql "
    "AS 'INSERT INTO items VALUES (99, ''sneaky'', 0) RETURNING id'; ";

class PostgresQueryTest : public ::testing::Test {
 protected:
  // A database `shop` of its own for each test: three items, one without a price.
  PostgresQueryTest() {
    static std::atomic<int> counter{0};
    const int n = ++counter;
    shop_name_ = "pgq_shop_" + std::to_string(n);
    copy_name_ = "pgq_copy_" + std::to_string(n);
    loopback::shared_postgres().create_database(shop_name_);
    loopback::shared_postgres().execute(
        shop_name_, std::string(kShopTables) +
                        "INSERT INTO items VALUES (1, 'apple', 1.50), (2, 'pear', NULL), "
                        "(3, 'fig', 3.00)");
  }

  // A second database `copy` with the same table, holding `rows`.
  void make_copy(const std::string& rows) {
    loopback::shared_postgres().create_database(copy_name_);
    loopback::shared_postgres().execute(
        copy_name_, std::string(kShopTables) + "INSERT INTO items VALUES " + rows);
  }

  std::shared_ptr<const Database> shop() const {
    return declare("shop", loopback::shared_postgres().dsn(shop_name_));
  }
  std::shared_ptr<const Database> copy() const {
    return declare("copy", loopback::shared_postgres().dsn(copy_name_));
  }

  FieldMap query(std::string sql, FieldMap assertions) const {
    assertions.emplace("database", shop());
    assertions.emplace("sql", std::move(sql));
    return assertions;
  }

  static Completed run(FieldMap fields, Duration timeout = test::kCheckTimeout) {
    return test::run_check(*test::make_check<QueryCheck>(std::move(fields)), timeout);
  }

  std::string shop_value(const std::string& sql) const {
    return loopback::shared_postgres().query_value(shop_name_, sql);
  }

  // Nothing was written: the rows, the sequence and the tables are as they were.
  void expect_untouched() const {
    EXPECT_EQ(shop_value("SELECT string_agg(id || ':' || name || ':' || coalesce(price::text, "
                         "'-'), ',' ORDER BY id) FROM items"),
              "1:apple:1.50,2:pear:-,3:fig:3.00");
    EXPECT_EQ(shop_value("SELECT is_called FROM ticket"), "f");
    EXPECT_EQ(shop_value("SELECT count(*) FROM pg_class WHERE relname = 'written'"), "0");
  }

  std::string shop_name_;
  std::string copy_name_;
};

TEST_F(PostgresQueryTest, ExpectPassesOnTheExactText) {
  const Completed counted =
      run(query("SELECT count(*) FROM items", {{"expect", std::string("3")}}));
  expect_result(counted, Outcome::passed, "'shop' returned 1 row: 3");
  ASSERT_NE(find_measurement(counted.result, "rows"), nullptr);
  EXPECT_EQ(find_measurement(counted.result, "rows")->value, 1);
  EXPECT_EQ(find_measurement(counted.result, "rows")->unit, "rows");
  ASSERT_NE(find_measurement(counted.result, "query_ms"), nullptr);

  expect_result(
      run(query("SELECT name FROM items WHERE id = 1", {{"expect", std::string("apple")}})),
      Outcome::passed, "'shop' returned 1 row: 'apple'");
}

TEST_F(PostgresQueryTest, ExpectFailsWithExpectedAndFound) {
  expect_result(run(query("SELECT count(*) FROM items", {{"expect", std::string("4")}})),
                Outcome::failed, "expected 4, got 3");
  expect_result(
      run(query("SELECT name FROM items WHERE id = 1", {{"expect", std::string("Apple")}})),
      Outcome::failed, "expected 'Apple', got 'apple'");
  expect_result(run(query("SELECT 'it''s'", {{"expect", std::string("its")}})), Outcome::failed,
                "expected 'its', got 'it''s'");
}

TEST_F(PostgresQueryTest, NullIsOnlyExpectedWithExpectNull) {
  const std::string sql = "SELECT price FROM items WHERE id = 2";
  expect_result(run(query(sql, {{"expect", std::string("null")}})), Outcome::failed,
                "expected 'null', got NULL");
  expect_result(run(query(sql, {{"expect", std::string("")}})), Outcome::failed,
                "expected '', got NULL");
  expect_result(run(query(sql, {{"expect_null", true}})), Outcome::passed,
                "'shop' returned 1 row: NULL");
  expect_result(run(query("SELECT price FROM items WHERE id = 1", {{"expect_null", true}})),
                Outcome::failed, "expected NULL, got 1.50");
  expect_result(run(query(sql, {{"expect_min", 1.0}})), Outcome::failed,
                "expected a number, got NULL");
}

TEST_F(PostgresQueryTest, BoundsCompareNumerically) {
  const std::string sql = "SELECT sum(price) FROM items";
  expect_result(run(query(sql, {{"expect_min", 4.0}, {"expect_max", 5.0}})), Outcome::passed,
                "'shop' returned 1 row: 4.50");
  // Numerically: as text, "10" < "4.50".
  expect_result(run(query(sql, {{"expect_max", 10.0}})), Outcome::passed,
                "'shop' returned 1 row: 4.50");
  expect_result(run(query(sql, {{"expect_min", 5.0}})), Outcome::failed,
                "expected at least 5, got 4.50");
  expect_result(run(query(sql, {{"expect_max", 4.4}})), Outcome::failed,
                "expected at most 4.4, got 4.50");
  expect_result(run(query("SELECT name FROM items WHERE id = 1", {{"expect_min", 0.0}})),
                Outcome::failed, "expected a number, got 'apple'");
}

TEST_F(PostgresQueryTest, ValueAssertionsNeedExactlyOneRow) {
  expect_result(run(query("SELECT id FROM items ORDER BY id", {{"expect", std::string("1")}})),
                Outcome::failed, "expected one row with the value, got 3 rows");
  expect_result(run(query("SELECT id FROM items WHERE false", {{"expect_null", true}})),
                Outcome::failed, "expected one row with the value, got no rows");
}

TEST_F(PostgresQueryTest, RowsAndEmpty) {
  const std::string all = "SELECT * FROM items";
  const std::string none = "SELECT * FROM items WHERE price > 100";
  expect_result(run(query(all, {{"rows", std::int64_t{3}}})), Outcome::passed,
                "'shop' returned 3 rows");
  expect_result(run(query(all, {{"rows", std::int64_t{2}}})), Outcome::failed,
                "expected 2 rows, got 3");
  expect_result(run(query(none, {{"rows", std::int64_t{1}}})), Outcome::failed,
                "expected 1 row, got 0");
  expect_result(run(query(none, {{"empty", true}})), Outcome::passed, "'shop' returned no rows");
  expect_result(run(query(all, {{"empty", true}})), Outcome::failed, "expected no rows, got 3");
  expect_result(run(query(all, {{"empty", false}})), Outcome::passed, "'shop' returned 3 rows");
  expect_result(run(query(none, {{"empty", false}})), Outcome::failed, "expected rows, got none");
}

TEST_F(PostgresQueryTest, AssertionsCombineAndEveryFailureIsListed) {
  expect_result(
      run(query("SELECT name FROM items WHERE id = 1",
                {{"rows", std::int64_t{1}},
                 {"expect", std::string("apple")},
                 {"same_as", declare("copy", loopback::shared_postgres().dsn(shop_name_))}})),
      Outcome::passed, "'shop' returned 1 row: 'apple', the same as 'copy'");
  make_copy("(1, 'apple', 1.50)");
  expect_result(run(query("SELECT count(*), min(name) FROM items",
                          {{"expect", std::string("1")}, {"same_as", copy()}})),
                Outcome::failed,
                "expected 1, got 3; results differ: 'shop' returned 1 row, 'copy' 1 row; only "
                "on 'shop': (3, 'apple'); only on 'copy': (1, 'apple')");
}

TEST_F(PostgresQueryTest, SameAsPassesOnTheSameRowsInAnyOrder) {
  make_copy("(3, 'fig', 3.00), (2, 'pear', NULL), (1, 'apple', 1.50)");
  const Completed run_same = run(query("SELECT * FROM items", {{"same_as", copy()}}));
  expect_result(run_same, Outcome::passed, "'shop' returned 3 rows, the same as 'copy'");
}

TEST_F(PostgresQueryTest, SameAsNamesTheRowsThatDiffer) {
  make_copy("(1, 'apple', 1.50), (2, 'Pear', NULL), (3, 'fig', 3.00), (4, 'kiwi', 2.00)");
  const Completed differs = run(query("SELECT * FROM items", {{"same_as", copy()}}));
  expect_result(differs, Outcome::failed,
                "results differ: 'shop' returned 3 rows, 'copy' 4 rows; only on 'shop': (2, "
                "'pear', NULL); only on 'copy': (2, 'Pear', NULL), (4, 'kiwi', 2.00)");
  EXPECT_EQ(differs.result.details,
            "only on 'shop' (1 row):\n"
            "  (2, 'pear', NULL)\n"
            "only on 'copy' (2 rows):\n"
            "  (2, 'Pear', NULL)\n"
            "  (4, 'kiwi', 2.00)");
}

TEST_F(PostgresQueryTest, SameAsCountsDuplicates) {
  make_copy("(1, 'apple', 1.50), (2, 'pear', NULL), (3, 'fig', 3.00), (4, 'fig', 3.00)");
  expect_result(run(query("SELECT name FROM items", {{"same_as", copy()}})), Outcome::failed,
                "results differ: 'shop' returned 3 rows, 'copy' 4 rows; only on 'copy': ('fig')");
}

TEST_F(PostgresQueryTest, SameAsShowsTheFirstDifferencesAndCountsTheRest) {
  make_copy("(1, 'apple', 1.50)");
  const Completed differs =
      run(query("SELECT g FROM generate_series(1, 10 * (SELECT count(*) FROM items)) g",
                {{"same_as", copy()}}));
  // Rows sort as text.
  expect_result(differs, Outcome::failed,
                "results differ: 'shop' returned 30 rows, 'copy' 10 rows; only on 'shop': (11), "
                "(12), (13) and 17 more");
  EXPECT_EQ(differs.result.details,
            "only on 'shop' (20 rows):\n  (11)\n  (12)\n  (13)\n  (14)\n  (15)\n  (16)\n  (17)\n  "
            "(18)\n  (19)\n  (20)\n  (21)\n  (22)\n  (23)\n  (24)\n  (25)\n  (26)\n  (27)\n  "
            "(28)\n  (29)\n  (30)");
}

TEST_F(PostgresQueryTest, SameAsComparesColumnCounts) {
  loopback::shared_postgres().create_database(copy_name_);
  loopback::shared_postgres().execute(copy_name_, "CREATE TABLE items (id int, name text)");
  expect_result(run(query("SELECT * FROM items", {{"same_as", copy()}})), Outcome::failed,
                "results differ: 'shop' returns 3 columns, 'copy' 2");
}

TEST_F(PostgresQueryTest, SameAsReportsWhichDatabaseFailed) {
  const std::uint16_t port = loopback::unused_port();
  const Completed failed = run(query(
      "SELECT 1",
      {{"same_as", declare("copy", "host=127.0.0.1 user=postgres port=" + std::to_string(port))}}));
  expect_result(failed, Outcome::error,
                "copy: cannot connect to database 'copy': connection to server at \"127.0.0.1\", "
                "port " +
                    std::to_string(port) +
                    " failed: Connection refused Is the server running on that host and "
                    "accepting TCP/IP connections?");
}

TEST_F(PostgresQueryTest, AFailureOnOneSideStopsTheQueryOnTheOther) {
  // The same query sleeps on `shop` and fails after a moment on `copy`.
  loopback::shared_postgres().execute(shop_name_,
                                      "CREATE FUNCTION boom() RETURNS int LANGUAGE plpgsql "
                                      "AS 'BEGIN PERFORM pg_sleep(30); RETURN 1; END'");
  make_copy("(1, 'apple', 1.50)");
  loopback::shared_postgres().execute(
      copy_name_,
      "CREATE FUNCTION boom() RETURNS int LANGUAGE plpgsql "
      "AS 'BEGIN PERFORM pg_sleep(0.3); RAISE EXCEPTION ''boom''; END'");
  auto check = test::make_check<QueryCheck>(
      query("SELECT boom()", {{"rows", std::int64_t{1}}, {"same_as", copy()}}));

  // Two threads, one per side (test::run_check has one: the sides would take turns).
  boost::asio::io_context io;
  boost::asio::thread_pool pool(2);
  const auto started = std::chrono::steady_clock::now();
  CheckContext context{io, pool, started + 60s, 60s, std::make_shared<Cancellation>()};
  std::vector<CheckResult> results;
  check->start(context, [&](CheckResult result) { results.push_back(std::move(result)); });
  io.run();  // until both jobs are over
  pool.join();

  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].message,
            "copy: query failed: boom CONTEXT: PL/pgSQL function boom() line 1 at RAISE "
            "(SQLSTATE P0001)");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s)
      << "the query on 'shop' was cancelled, not waited for";
  EXPECT_EQ(loopback::shared_postgres().query_value(
                "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                "'cutover' AND state = 'active' AND query LIKE '%boom%'"),
            "0");
}

TEST_F(PostgresQueryTest, ResultsBeyondTheLimitAreAnError) {
  expect_result(
      run(query("SELECT g FROM generate_series(1, 100000) g", {{"rows", std::int64_t{100000}}})),
      Outcome::passed, "'shop' returned 100000 rows");
  expect_result(run(query("SELECT g FROM generate_series(1, 100001) g", {{"empty", false}})),
                Outcome::error,
                "the query returned more than 100000 rows, too many to compare in memory; "
                "compare tables with postgres.checksum");
}

TEST_F(PostgresQueryTest, WritesAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"INSERT INTO items VALUES (10, 'plum', 1)",
       "query failed: cannot execute INSERT in a read-only transaction (SQLSTATE 25006)"},
      {"UPDATE items SET price = 0",
       "query failed: cannot execute UPDATE in a read-only transaction (SQLSTATE 25006)"},
      {"DELETE FROM items RETURNING id",
       "query failed: cannot execute DELETE in a read-only transaction (SQLSTATE 25006)"},
      // PostgreSQL names the statement, not the data-modifying WITH inside it.
      {"WITH gone AS (DELETE FROM items RETURNING *) SELECT count(*) FROM gone",
       "query failed: cannot execute SELECT in a read-only transaction (SQLSTATE 25006)"},
      {"CREATE TABLE written (id int)",
       "query failed: cannot execute CREATE TABLE in a read-only transaction (SQLSTATE 25006)"},
      {"SELECT nextval('ticket')",
       "query failed: cannot execute nextval() in a read-only transaction (SQLSTATE 25006)"},
      {"SELECT sneaky_write()",
       "query failed: cannot execute INSERT in a read-only transaction CONTEXT: SQL function "
       "\"sneaky_write\" statement 1 (SQLSTATE 25006)"},
      {"SELECT * FROM items FOR UPDATE",
       "query failed: cannot execute SELECT FOR UPDATE in a read-only transaction (SQLSTATE "
       "25006)"},
  };
  for (const auto& [sql, message] : cases) {
    SCOPED_TRACE(sql);
    expect_result(run(query(sql, {{"rows", std::int64_t{1}}})), Outcome::error, message);
  }
  expect_untouched();
}

TEST_F(PostgresQueryTest, TheTransactionCannotBeMadeReadWrite) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"SET TRANSACTION READ WRITE",
       "query failed: transaction read-write mode must be set before any query (SQLSTATE "
       "25001)"},
      {"SELECT set_config('transaction_read_only', 'off', true)",
       "query failed: transaction read-write mode must be set before any query (SQLSTATE "
       "25001)"},
      {"SET TRANSACTION READ WRITE; DELETE FROM items",
       "query failed: cannot insert multiple commands into a prepared statement (SQLSTATE "
       "42601)"},
      {"COMMIT; DELETE FROM items",
       "query failed: cannot insert multiple commands into a prepared statement (SQLSTATE "
       "42601)"},
      {"SELECT 1; DELETE FROM items",
       "query failed: cannot insert multiple commands into a prepared statement (SQLSTATE "
       "42601)"},
      {"COMMIT",
       "the statement returned no rows to check: postgres.query runs one query (SELECT, "
       "VALUES, TABLE, WITH ..., SHOW)"},
  };
  for (const auto& [sql, message] : cases) {
    SCOPED_TRACE(sql);
    expect_result(run(query(sql, {{"rows", std::int64_t{1}}})), Outcome::error, message);
  }
  expect_untouched();
}

// Two checks in one run share a connection (max_connections 1): what the first one's query sets
// is rolled back with its transaction.
TEST_F(PostgresQueryTest, SettingsChangedByAQueryDoNotOutliveIt) {
  const auto database = declare("shop", loopback::shared_postgres().dsn(shop_name_), 1);
  auto first = test::make_check<QueryCheck>(
      {{"database", database},
       {"sql", std::string("SELECT set_config('default_transaction_read_only', 'off', false)")},
       {"expect", std::string("off")}});
  auto second =
      test::make_check<QueryCheck>({{"database", database},
                                    {"sql", std::string("SHOW default_transaction_read_only")},
                                    {"expect", std::string("on")}});

  boost::asio::io_context io;
  boost::asio::thread_pool pool(2);
  const auto deadline = std::chrono::steady_clock::now() + test::kCheckTimeout;
  CheckContext context{io, pool, deadline, test::kCheckTimeout, std::make_shared<Cancellation>()};
  std::vector<CheckResult> results;
  first->start(context, [&](CheckResult result) {
    results.push_back(std::move(result));
    second->start(context, [&](CheckResult result) { results.push_back(std::move(result)); });
  });
  io.run();
  pool.join();

  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].message, "'shop' returned 1 row: 'off'");
  EXPECT_EQ(results[1].message, "'shop' returned 1 row: 'on'");
}

TEST_F(PostgresQueryTest, QueriesOtherThanSelectRunAsWritten) {
  expect_result(run(query("SHOW TimeZone", {{"expect", std::string("UTC")}})), Outcome::passed,
                "'shop' returned 1 row: 'UTC'");
  expect_result(run(query("VALUES (1), (2)", {{"rows", std::int64_t{2}}})), Outcome::passed,
                "'shop' returned 2 rows");
  expect_result(run(query("TABLE items;", {{"rows", std::int64_t{3}}})), Outcome::passed,
                "'shop' returned 3 rows");
  expect_result(run(query("SELEC 1", {{"rows", std::int64_t{1}}})), Outcome::error,
                "query failed: syntax error at or near \"SELEC\" LINE 1: SELEC 1 ^ (SQLSTATE "
                "42601)");
}

TEST_F(PostgresQueryTest, ValuesAreRenderedTheSameOnEveryServer) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"SELECT timestamptz '2024-05-01 12:00:00+02'", "2024-05-01 10:00:00+00"},
      {"SELECT date '2024-05-01'", "2024-05-01"},
      {"SELECT interval '1 day 2 hours'", "1 day 02:00:00"},
      {"SELECT '\\x01ff'::bytea", "\\x01ff"},
      {"SELECT 0.1::float8 + 0.2::float8", "0.30000000000000004"},
  };
  for (const auto& [sql, text] : cases) {
    SCOPED_TRACE(sql);
    const Completed result = run(query(sql, {{"expect", text}}));
    EXPECT_EQ(to_string(result.result.outcome), "passed") << result.result.message;
  }
}

TEST_F(PostgresQueryTest, AQueryPastTheDeadlineIsCancelledOnTheServer) {
  const Completed slow = run(query("SELECT pg_sleep(30)", {{"rows", std::int64_t{1}}}), 1s);
  expect_result(slow, Outcome::error,
                "the server cancelled the query after 900ms (statement_timeout)");
  EXPECT_LT(slow.elapsed, 5s);
  EXPECT_EQ(loopback::shared_postgres().query_value(
                "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                "'cutover' AND state = 'active' AND query LIKE '%pg_sleep%'"),
            "0");
}

TEST_F(PostgresQueryTest, CancellingStopsTheQuery) {
  auto check =
      test::make_check<QueryCheck>(query("SELECT pg_sleep(30)", {{"rows", std::int64_t{1}}}));
  const Completed cancelled = test::run_check(*check, 60s, 300ms);
  expect_result(cancelled, Outcome::error, "cancelled while running a query on database 'shop'");
  EXPECT_LT(cancelled.elapsed, 10s);

  const test::CancelledBeforeStart before = test::run_cancelled_before_start(*check);
  EXPECT_EQ(before.completions_inside_start, 0);
  expect_result(before.run, Outcome::error,
                "cancelled before the query started on database 'shop'");
}

// Issue 15: a second Ctrl-C quit at once and left the query running on the server.
TEST_F(PostgresQueryTest, ASecondInterruptStillCancelsTheQueryOnTheServer) {
  const loopback::TempDir dir;
  const std::string suite =
      dir.write("slow.yaml",
                fmt::format("suite: s\n"
                            "databases:\n"
                            "  shop: {{ dsn: '{}' }}\n"
                            "checks:\n"
                            "  - {{ name: slow, kind: postgres.query, database: shop, timeout: "
                            "60s,\n"
                            "      sql: 'SELECT pg_sleep(30)', rows: 1 }}\n",
                            loopback::shared_postgres().dsn(shop_name_)))
          .string();
  // The query runs through a cursor: the server shows its FETCH.
  const std::string running = fmt::format(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutover' AND state = "
      "'active' AND datname = '{}'",
      shop_name_);
  loopback::Process process({CUTOVER_BINARY, "run", suite});
  const auto started = std::chrono::steady_clock::now();
  while (shop_value(running) != "1" && std::chrono::steady_clock::now() - started < 20s) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(shop_value(running), "1");

  process.send_signal(SIGINT);
  std::this_thread::sleep_for(50ms);
  process.send_signal(SIGINT);
  const loopback::ProcessResult result = process.wait(10s);
  EXPECT_EQ(result.exit_code, 130) << result.out << result.err;
  const auto stopped = std::chrono::steady_clock::now();
  while (shop_value(running) != "0" && std::chrono::steady_clock::now() - stopped < 1500ms) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(shop_value(running), "0") << "the query still runs on the server";
}

TEST_F(PostgresQueryTest, MistakesInFieldsArePlaced) {
  const auto errors = [this](FieldMap fields) {
    fields.emplace("database", shop());
    return test::construction_errors<QueryCheck>(std::move(fields));
  };
  const std::string at = "suite.yaml:7:5: error: ";
  EXPECT_EQ(errors({{"sql", std::string("SELECT 1")}}),
            std::vector<std::string>{at + "expected at least one assertion: expect, expect_null, "
                                          "expect_min, expect_max, rows, empty or same_as"});
  EXPECT_EQ(errors({{"sql", std::string(" ; ")}, {"rows", std::int64_t{1}}}),
            std::vector<std::string>{at + "expected one SQL query, got nothing"});
  EXPECT_EQ(
      errors(
          {{"sql", std::string("SELECT 1")}, {"expect", std::string("1")}, {"expect_null", true}}),
      std::vector<std::string>{at + "expect_null: true and expect cannot both hold"});
  EXPECT_EQ(errors({{"sql", std::string("SELECT 1")}, {"expect_null", true}, {"expect_max", 1.0}}),
            std::vector<std::string>{
                at + "expect_null: true and expect_min/expect_max cannot both hold"});
  EXPECT_EQ(errors({{"sql", std::string("SELECT 1")}, {"expect_min", 5.0}, {"expect_max", 1.5}}),
            std::vector<std::string>{at + "expected a bound at least expect_min (5), got 1.5"});
  EXPECT_EQ(declared(QueryCheck::spec(), "rows").min, 0);
  EXPECT_EQ(declared(QueryCheck::spec(), "rows").max, 100000);
  EXPECT_EQ(errors({{"sql", std::string("SELECT 1")},
                    {"rows", std::int64_t{3}},
                    {"expect", std::string("1")}}),
            std::vector<std::string>{at + "expect, expect_null, expect_min and expect_max read a "
                                          "one-row result, but rows is 3"});
  EXPECT_EQ(errors({{"sql", std::string("SELECT 1")}, {"empty", true}, {"rows", std::int64_t{2}}}),
            std::vector<std::string>{
                at + "empty: true contradicts the other assertions, which need rows"});
  EXPECT_EQ(errors({{"sql", std::string("SELECT 1")}, {"empty", false}, {"rows", std::int64_t{0}}}),
            std::vector<std::string>{at + "empty: false contradicts rows: 0"});
  const auto database = shop();
  EXPECT_EQ(test::construction_errors<QueryCheck>(
                {{"database", database}, {"sql", std::string("SELECT 1")}, {"same_as", database}}),
            std::vector<std::string>{at + "expected another database than 'shop'"});
}

TEST_F(PostgresQueryTest, DescribeShowsTheQueryAndAssertions) {
  auto check = test::make_check<QueryCheck>(query(
      "SELECT count(*)\n  FROM items",
      {{"expect_min", 1.0}, {"expect_max", 9.5}, {"same_as", declare("copy", "host=127.0.0.1")}}));
  EXPECT_EQ(check->describe(),
            "database 'shop' at least 1 at most 9.5 same as 'copy': SELECT count(*) FROM items");
}

TEST_F(PostgresQueryTest, IsRegisteredAsPostgresQuery) {
  Registry registry;
  register_builtin_checks(registry);
  const Kind* kind = registry.find("postgres.query");
  ASSERT_NE(kind, nullptr);
  std::vector<std::string> fields;
  for (const FieldSpec& field : kind->spec.fields)
    fields.push_back(field.name);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"database", "sql", "expect", "expect_null", "expect_min",
                                      "expect_max", "rows", "empty", "same_as"}));
}

}  // namespace
}  // namespace cutover
