#include "checks/mysql/replication.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "checks/builtin.hpp"
#include "harness/registry.hpp"
#include "harness/scheduler.hpp"
#include "harness/suite.hpp"
#include "loopback/mariadb_server.hpp"
#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "tests/support/check_runner.hpp"

// db.replication on MySQL/MariaDB, against a real MariaDB source (the shared server) and a
// replica of its own for each test.

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_mariadb;
using test::expect_result;
using test::expect_result_matching;
using test::FieldMap;

class MysqlReplicationTest : public ::testing::Test {
 protected:
  // The replica follows what the shared server writes from now on; the test's database and
  // table come after it.
  MysqlReplicationTest() : replica_(shared_mariadb().start_replica()) {
    static std::atomic<int> counter{0};
    database_ = "myrepl_" + std::to_string(++counter);
    shared_mariadb().create_database(database_);
    shared_mariadb().execute("CREATE TABLE items (id int PRIMARY KEY)", database_);
    wait_until_applied();
  }

  // Waits until the replica has applied all the source has written so far.
  void wait_until_applied() {
    const std::string position = shared_mariadb().query_value("SELECT @@gtid_binlog_pos");
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string applied;
    while (std::chrono::steady_clock::now() < deadline) {
      applied = replica_->query_value("SELECT @@gtid_slave_pos");
      if (applied == position) break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(applied, position);
  }

  void insert(int from, int to) {
    for (int id = from; id <= to; ++id)
      shared_mariadb().execute("INSERT INTO items VALUES (" + std::to_string(id) + ")", database_);
  }

  // "0-1-57": the source's position.
  static std::string source_position() {
    return shared_mariadb().query_value("SELECT @@gtid_binlog_pos");
  }

  FieldMap fields(FieldMap extra = {}) {
    FieldMap values{{"source", declare("src", shared_mariadb().dsn(database_))},
                    {"target", declare("tgt", replica_->dsn(database_))}};
    values.merge(extra);
    return values;
  }

  // A suite with this pair as `src` and `tgt` and one check of `kind` named `c`.
  std::string suite(const std::string& check) {
    return "suite: s\ndatabases:\n  src: { dsn: \"" + shared_mariadb().dsn(database_) +
           "\" }\n  tgt: { dsn: \"" + replica_->dsn(database_) + "\" }\nchecks:\n  - " + check +
           "\n";
  }

  std::unique_ptr<loopback::MariadbServer> replica_;
  std::string database_;
};

// Runs a suite as `cutover run` would (with its retries), and gives the one check's result.
struct SuiteRun {
  Result result;
  std::size_t attempts = 0;
};
SuiteRun run_suite(const std::string& text) {
  Registry registry;
  register_builtin_checks(registry);
  auto loaded = load_suite_text(text, "suite.yaml", registry);
  if (!loaded) {
    ADD_FAILURE() << to_string(loaded.error().front());
    return {};
  }
  const Plan plan = std::move(loaded).value();
  boost::asio::io_context io;
  boost::asio::thread_pool blocking(2);
  Reporter reporter;
  Scheduler scheduler(io, blocking, reporter);
  scheduler.run(plan, {0}, RunInfo{});
  SuiteRun run{scheduler.results().at(0), scheduler.results().at(0).attempts.size()};
  scheduler.wait_for_abandoned(5s);
  blocking.join();
  return run;
}

TEST_F(MysqlReplicationTest, ACaughtUpReplicaPassesWithoutWritingToEitherSide) {
  insert(1, 3);
  wait_until_applied();
  const std::string source_before = source_position();
  const std::string replica_before = replica_->query_value("SELECT @@gtid_binlog_pos");

  auto check = test::make_check<MysqlReplicationCheck>(fields({{"max_lag", Duration(5s)}}));
  const auto run = test::run_check(*check);
  expect_result(run, Outcome::passed,
                "target is a replica, IO and SQL threads running, lag 0 transactions, 0ms");
  EXPECT_TRUE(std::regex_match(
      run.result.details,
      std::regex("source GTID position " + source_before + " when checked\ntarget applied up to " +
                 source_before + " \\(gtid_slave_pos\\)\nreplicating from 127\\.0\\.0\\.1:" +
                 std::to_string(shared_mariadb().port()) +
                 ": Slave_IO_Running Yes, Slave_SQL_Running Yes, Seconds_Behind_Master 0 .*")))
      << run.result.details;
  EXPECT_EQ(test::find_measurement(run.result, "lag_transactions")->value, 0);
  EXPECT_EQ(test::find_measurement(run.result, "lag_ms")->value, 0);

  EXPECT_EQ(source_position(), source_before) << "the check wrote to the source";
  EXPECT_EQ(replica_->query_value("SELECT @@gtid_binlog_pos"), replica_before)
      << "the check wrote to the replica";
}

TEST_F(MysqlReplicationTest, AStoppedSqlThreadFailsWithTheTransactionsNotApplied) {
  replica_->execute("STOP SLAVE SQL_THREAD");
  const std::string before = source_position();
  insert(1, 3);
  const std::string after = source_position();
  const std::int64_t first = std::stoll(before.substr(before.rfind('-') + 1));
  const std::int64_t last = std::stoll(after.substr(after.rfind('-') + 1));
  ASSERT_EQ(last - first, 3);

  auto check = test::make_check<MysqlReplicationCheck>(fields());
  const auto run = test::run_check(*check);
  expect_result(run, Outcome::failed,
                "Slave_SQL_Running is No, expected Yes; lag 3 transactions, at most 0 allowed "
                "(source at GTID " +
                    after + ", target's gtid_slave_pos has domain 0 at " + std::to_string(first) +
                    " of " + std::to_string(last) + ")");
  EXPECT_LT(run.elapsed, 2s) << "a stopped SQL thread is not waited for";
  EXPECT_EQ(test::find_measurement(run.result, "lag_transactions")->value, 3);

  auto timed = test::make_check<MysqlReplicationCheck>(
      fields({{"max_lag_transactions", std::int64_t{3}}, {"max_lag", Duration(10s)}}));
  expect_result(test::run_check(*timed), Outcome::failed,
                "Slave_SQL_Running is No, expected Yes; lag in time unknown: "
                "Seconds_Behind_Master is NULL (the SQL thread is stopped or the IO thread is not "
                "connected)");
}

TEST_F(MysqlReplicationTest, AnSqlErrorIsInTheMessage) {
  // A row the source does not have, written on the replica behind replication's back: the
  // source's insert of the same key stops the SQL thread with a duplicate key error.
  replica_->execute("SET SESSION sql_log_bin = 0; INSERT INTO items VALUES (7)", database_);
  insert(7, 7);
  auto check = test::make_check<MysqlReplicationCheck>(fields());
  test::Completed run;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  do {
    run = test::run_check(*check);
  } while (run.result.message.find("(last error 1062") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline);
  expect_result_matching(run, Outcome::failed,
                         "Slave_SQL_Running is No, expected Yes \\(last error 1062: .*Duplicate "
                         "entry '7' for key 'PRIMARY'.*\\); lag 1 transaction, at most 0 allowed "
                         "\\(.*\\)");
}

TEST_F(MysqlReplicationTest, LagPastTheLimitsFails) {
  // A delayed replica: both threads run, and the SQL thread applies each transaction 30s after
  // the source wrote it.
  replica_->execute("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 30; START SLAVE");
  insert(1, 1);
  auto behind = test::make_check<MysqlReplicationCheck>(fields());
  const auto run = test::run_check(*behind);
  expect_result_matching(run, Outcome::failed,
                         "lag 1 transaction, at most 0 allowed \\(source at GTID 0-1-[0-9]+, "
                         "target's gtid_slave_pos has domain 0 at [0-9]+ of [0-9]+\\)");
  EXPECT_GE(run.elapsed, 1500ms) << "a running replica gets up to 2s to catch up";

  std::this_thread::sleep_for(1500ms);
  auto slow = test::make_check<MysqlReplicationCheck>(
      fields({{"max_lag_transactions", std::int64_t{5}}, {"max_lag", Duration(1s)}}));
  const auto late = test::run_check(*slow);
  expect_result_matching(late, Outcome::failed,
                         "lag [2-9][0-9]*000ms \\(Seconds_Behind_Master\\), at most 1s allowed");
  EXPECT_GE(test::find_measurement(late.result, "lag_ms")->value, 2000);

  auto roomy = test::make_check<MysqlReplicationCheck>(
      fields({{"max_lag_transactions", std::int64_t{5}}, {"max_lag", Duration(1min)}}));
  expect_result_matching(test::run_check(*roomy), Outcome::passed,
                         "target is a replica, IO and SQL threads running, lag 1 transaction, "
                         "[0-9]+ms");
  replica_->execute("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0; START SLAVE");
}

TEST_F(MysqlReplicationTest, RetryUntilWaitsForTheReplicaToCatchUp) {
  replica_->execute("STOP SLAVE SQL_THREAD");
  insert(1, 50);
  std::thread restarter([this] {
    std::this_thread::sleep_for(1500ms);
    replica_->execute("START SLAVE SQL_THREAD");
  });
  const SuiteRun run =
      run_suite(suite("{name: c, kind: db.replication, source: src, target: tgt, max_lag: 5s, "
                      "retry: {until: 30s, interval: 200ms}}"));
  restarter.join();
  EXPECT_EQ(run.result.outcome, Outcome::passed) << run.result.message;
  EXPECT_EQ(run.result.message,
            "target is a replica, IO and SQL threads running, lag 0 transactions, 0ms");
  EXPECT_GT(run.attempts, 1u);
}

TEST_F(MysqlReplicationTest, RetryUntilGivesUpWhileTheSqlThreadIsStopped) {
  replica_->execute("STOP SLAVE SQL_THREAD");
  insert(1, 2);
  const auto started = std::chrono::steady_clock::now();
  const SuiteRun run =
      run_suite(suite("{name: c, kind: db.replication, source: src, target: tgt, timeout: 2s, "
                      "retry: {until: 1s, interval: 200ms}}"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(run.result.outcome, Outcome::failed);
  EXPECT_TRUE(std::regex_match(run.result.message,
                               std::regex("Slave_SQL_Running is No, expected Yes; lag 2 "
                                          "transactions, at most 0 allowed \\(.*\\)")))
      << run.result.message;
  EXPECT_GT(run.attempts, 1u);
}

TEST(MysqlReplication, ATargetThatIsNotAReplicaIsAnError) {
  shared_mariadb().create_database("myrepl_plain");
  auto check = test::make_check<MysqlReplicationCheck>(
      {{"source", declare("src", shared_mariadb().dsn("myrepl_plain"))},
       {"target", declare("tgt", shared_mariadb().dsn("myrepl_plain"))}});
  expect_result(test::run_check(*check), Outcome::error,
                "target: database 'tgt' is not a replica (SHOW REPLICA STATUS returned no row): "
                "expected a replica of source");
}

TEST(MysqlReplication, TimesOutOnATargetThatDoesNotAnswer) {
  shared_mariadb().create_database("myrepl_silent");
  loopback::UnansweringServer server;
  auto check = test::make_check<MysqlReplicationCheck>(
      {{"source", declare("src", shared_mariadb().dsn("myrepl_silent"))},
       {"target",
        declare("silent", "mysql://root@127.0.0.1:" + std::to_string(server.port()) + "/x")}},
      1s);
  const auto run = test::run_check(*check, 1s);
  expect_result(run, Outcome::error,
                "target: timed out after 900ms connecting to database 'silent'");
  EXPECT_LT(run.elapsed, 1500ms);
}

// Loader messages for db.replication on each engine.
std::vector<std::string> load_errors(const std::string& check) {
  return test::load_check_errors(
      "  pg: { dsn: \"postgresql://app@127.0.0.1/shop\" }\n"
      "  pg2: { dsn: \"postgresql://app@127.0.0.1/shop2\" }\n"
      "  my: { dsn: \"mysql://app@127.0.0.1/shop\" }\n"
      "  my2: { dsn: \"mysql://app@127.0.0.1/shop2\" }\n",
      check);
}

TEST(MysqlReplication, FieldsOfTheOtherEngineAreLoadErrors) {
  EXPECT_EQ(load_errors("{name: a, kind: db.replication, source: my, target: my2, max_lag: 5s, "
                        "max_lag_transactions: 10}"),
            std::vector<std::string>{});
  EXPECT_EQ(load_errors("{name: a, kind: db.replication, source: pg, target: pg2, max_lag: 5s, "
                        "mode: physical, max_lag_bytes: 100}"),
            std::vector<std::string>{});
  EXPECT_EQ(
      load_errors("{name: a, kind: db.replication, source: my, target: my2, max_lag_bytes: 10, "
                  "mode: physical, subscription: s}"),
      (std::vector<std::string>{
          "suite.yaml:8:87: error: check 'a': mode works on PostgreSQL only, and database 'my' "
          "is MySQL/MariaDB",
          "suite.yaml:8:111: error: check 'a': subscription works on PostgreSQL only, and "
          "database 'my' is MySQL/MariaDB",
          "suite.yaml:8:77: error: check 'a': max_lag_bytes works on PostgreSQL only, and "
          "database 'my' is MySQL/MariaDB"}));
  EXPECT_EQ(
      load_errors("{name: a, kind: db.replication, source: pg, target: pg2, "
                  "max_lag_transactions: 1}"),
      std::vector<std::string>{"suite.yaml:8:84: error: check 'a': max_lag_transactions works on "
                               "MySQL/MariaDB only, and database 'pg' is PostgreSQL"});
  EXPECT_EQ(load_errors("{name: a, kind: db.replication, source: my, target: pg}"),
            std::vector<std::string>{
                "suite.yaml:8:57: error: check 'a': database 'pg' is PostgreSQL, and database "
                "'my' (source) is MySQL/MariaDB: db.replication compares databases of one "
                "engine"});
  EXPECT_EQ(load_errors("{name: a, kind: postgres.replication, source: my, target: my2}"),
            (std::vector<std::string>{
                "suite.yaml:8:51: error: check 'a': database 'my' is MySQL/MariaDB: "
                "postgres.replication checks PostgreSQL databases only (use db.replication)",
                "suite.yaml:8:63: error: check 'a': database 'my2' is MySQL/MariaDB: "
                "postgres.replication checks PostgreSQL databases only (use db.replication)"}));
}

TEST(MysqlReplication, MistakesInFieldsArePlacedAndTheCheckDescribesItself) {
  EXPECT_EQ(
      test::construction_errors<MysqlReplicationCheck>({}),
      (std::vector<std::string>{"suite.yaml:7:5: error: source: expected the name of a database",
                                "suite.yaml:7:5: error: target: expected the name of a database"}));
  EXPECT_EQ(test::declared(MysqlReplicationCheck::spec(), "max_lag_transactions").min, 0);
  auto check = test::make_check<MysqlReplicationCheck>(
      {{"source", declare("src", "mysql://app@127.0.0.1/shop")},
       {"target", declare("tgt", "mysql://app@127.0.0.1:3307/shop")},
       {"max_lag", Duration(5s)}});
  EXPECT_EQ(check->describe(), "replica tgt of src, lag at most 0 transactions and 5s");
}

}  // namespace
}  // namespace cutover
