#include "checks/postgres/replication.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/transaction>

#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "tests/support/check_runner.hpp"

namespace cutover {
namespace {

using test::declared;
using namespace std::chrono_literals;
using loopback::shared_postgres;
using test::expect_result;
using test::FieldMap;

class PostgresReplicationTest : public ::testing::Test {
 protected:
  // A source with a published table and a target with the same table, fresh for each test.
  PostgresReplicationTest() {
    static std::atomic<int> counter{0};
    const std::string n = std::to_string(++counter);
    source_name_ = "repl_source_" + n;
    target_name_ = "repl_target_" + n;
    subscription_ = "repl_sub_" + n;
    loopback::shared_postgres().create_database(source_name_);
    loopback::shared_postgres().create_database(target_name_);
    loopback::shared_postgres().execute(source_name_,
                                        "CREATE TABLE items (id int PRIMARY KEY); "
                                        "CREATE TABLE unpublished (id int); "
                                        "CREATE PUBLICATION repl_pub FOR TABLE items");
    loopback::shared_postgres().execute(target_name_, "CREATE TABLE items (id int PRIMARY KEY)");
  }

  // Drops the target's subscriptions, and with them their slots on the source.
  ~PostgresReplicationTest() override {
    try {
      const std::string names = loopback::shared_postgres().query_value(
          target_name_,
          "SELECT coalesce(string_agg(subname, ','), '') FROM pg_subscription s JOIN pg_database "
          "d ON d.oid = s.subdbid WHERE d.datname = current_database()");
      std::size_t start = 0;
      while (start < names.size()) {
        std::size_t end = names.find(',', start);
        if (end == std::string::npos) end = names.size();
        loopback::shared_postgres().execute(
            target_name_, "DROP SUBSCRIPTION " + names.substr(start, end - start));
        start = end + 1;
      }
    } catch (const std::exception& error) {
      ADD_FAILURE() << "cleanup: " << error.what();
    }
  }

  // A real subscription: the slot made on its own (it needs a transaction without writes).
  void subscribe() {
    loopback::shared_postgres().execute(
        source_name_,
        "SELECT pg_create_logical_replication_slot('" + subscription_ + "', 'pgoutput')");
    loopback::shared_postgres().execute(target_name_,
                                        "CREATE SUBSCRIPTION " + subscription_ + " CONNECTION '" +
                                            loopback::shared_postgres().dsn(source_name_) +
                                            "' PUBLICATION repl_pub WITH (create_slot = false, "
                                            "slot_name = '" +
                                            subscription_ + "')");
  }

  // A subscription that never connects and has no slot.
  void subscribe_without_slot(const std::string& name) {
    loopback::shared_postgres().execute(target_name_,
                                        "CREATE SUBSCRIPTION " + name + " CONNECTION '" +
                                            loopback::shared_postgres().dsn(source_name_) +
                                            "' PUBLICATION repl_pub WITH (connect = false, "
                                            "slot_name = NONE)");
  }

  // Replication is asynchronous: waits for the target to hold `rows` rows, its table ready.
  void wait_for_rows(const std::string& rows) {
    std::string count;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      count = loopback::shared_postgres().query_value(target_name_, "SELECT count(*) FROM items");
      if (count == rows) break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(count, rows);
    // The rows arrive before the table's state moves from s (synchronized) to r (ready).
    std::string pending;
    while (std::chrono::steady_clock::now() < deadline) {
      pending = loopback::shared_postgres().query_value(
          target_name_, "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'");
      if (pending == "0") break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(pending, "0");
  }

  FieldMap fields(FieldMap extra = {}) {
    FieldMap values{
        {"source", loopback::declare("src", loopback::shared_postgres().dsn(source_name_))},
        {"target", loopback::declare("tgt", loopback::shared_postgres().dsn(target_name_))}};
    values.merge(extra);
    return values;
  }

  std::string source_name_;
  std::string target_name_;
  std::string subscription_;
};

TEST_F(PostgresReplicationTest, ACaughtUpSubscriptionPassesAndStaysCaughtUpWhenIdle) {
  subscribe();
  loopback::shared_postgres().execute(source_name_,
                                      "INSERT INTO items SELECT generate_series(1, 100)");
  wait_for_rows("100");

  // The slot may confirm the last transaction a moment after it is applied: poll as
  // retry: until: would.
  auto check = test::make_check<PostgresReplicationCheck>(fields());
  test::Completed run;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  do {
    run = test::run_check(*check);
  } while (run.result.outcome != Outcome::passed && std::chrono::steady_clock::now() < deadline);
  expect_result(run, Outcome::passed,
                "subscription " + subscription_ + " enabled, 1 table ready, lag 0 bytes");
  ASSERT_NE(test::find_measurement(run.result, "tables_ready"), nullptr);
  EXPECT_EQ(test::find_measurement(run.result, "tables_ready")->value, 1);
  ASSERT_NE(test::find_measurement(run.result, "lag_bytes"), nullptr);
  EXPECT_EQ(test::find_measurement(run.result, "lag_bytes")->value, 0);

  // WAL with nothing for the publication: the slot confirms it on the walsender's keepalive,
  // which one attempt waits for.
  loopback::shared_postgres().execute(source_name_,
                                      "INSERT INTO unpublished SELECT generate_series(1, 1000)");
  auto timed = test::make_check<PostgresReplicationCheck>(
      fields({{"subscription", subscription_}, {"max_lag", Duration(1s)}}));
  const auto idle = test::run_check(*timed);
  expect_result(idle, Outcome::passed,
                "subscription " + subscription_ + " enabled, 1 table ready, lag 0 bytes, 0ms");
  ASSERT_NE(test::find_measurement(idle.result, "lag_ms"), nullptr);
  EXPECT_EQ(test::find_measurement(idle.result, "lag_ms")->value, 0);
}

TEST_F(PostgresReplicationTest, ADisabledSubscriptionFailsAndFallsBehind) {
  subscribe();
  loopback::shared_postgres().execute(source_name_, "INSERT INTO items VALUES (1)");
  wait_for_rows("1");
  loopback::shared_postgres().execute(target_name_,
                                      "ALTER SUBSCRIPTION " + subscription_ + " DISABLE");

  // Other databases write WAL meanwhile: a large allowance isolates the disabled state.
  auto disabled = test::make_check<PostgresReplicationCheck>(
      fields({{"max_lag_bytes", std::int64_t{1} << 40}}));
  expect_result(test::run_check(*disabled), Outcome::failed,
                "subscription " + subscription_ + " is disabled");

  loopback::shared_postgres().execute(source_name_,
                                      "INSERT INTO items SELECT generate_series(2, 1000)");
  auto behind = test::make_check<PostgresReplicationCheck>(fields({{"max_lag", Duration(1s)}}));
  const auto run = test::run_check(*behind);
  test::expect_result_matching(run, Outcome::failed,
                               "subscription " + subscription_ +
                                   " is disabled; lag [1-9][0-9]* bytes, at most 0 allowed; lag "
                                   "in time unknown: no apply worker reports for subscription " +
                                   subscription_);
  ASSERT_NE(test::find_measurement(run.result, "lag_bytes"), nullptr);
  EXPECT_GT(test::find_measurement(run.result, "lag_bytes")->value, 1000);
}

TEST_F(PostgresReplicationTest, TheSubscriptionMustBeFoundOnTheTarget) {
  auto check = test::make_check<PostgresReplicationCheck>(fields());
  expect_result(test::run_check(*check), Outcome::error,
                "target: database 'tgt' has no subscription (expected the one replicating from "
                "source)");

  subscribe_without_slot("repl_b_" + subscription_);
  subscribe_without_slot("repl_a_" + subscription_);
  expect_result(test::run_check(*check), Outcome::error,
                "target: database 'tgt' has 2 subscriptions (repl_a_" + subscription_ +
                    ", repl_b_" + subscription_ + "): name one with subscription");

  auto named =
      test::make_check<PostgresReplicationCheck>(fields({{"subscription", std::string("nope")}}));
  expect_result(test::run_check(*named), Outcome::error,
                "target: database 'tgt' has no subscription 'nope' (it has: repl_a_" +
                    subscription_ + ", repl_b_" + subscription_ + ")");

  auto slotless = test::make_check<PostgresReplicationCheck>(
      fields({{"subscription", "repl_a_" + subscription_}}));
  expect_result(test::run_check(*slotless), Outcome::failed,
                "subscription repl_a_" + subscription_ + " is disabled; subscription repl_a_" +
                    subscription_ + " has no replication slot (slot_name = NONE)");
}

TEST_F(PostgresReplicationTest, AQueryPastTheDeadlineIsCancelledByTheServer) {
  subscribe_without_slot(subscription_);
  pqxx::connection locker(loopback::shared_postgres().dsn(target_name_));
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE pg_subscription_rel IN ACCESS EXCLUSIVE MODE");
  auto check = test::make_check<PostgresReplicationCheck>(fields(), 1s);
  const auto run = test::run_check(*check, 1s);
  expect_result(run, Outcome::error,
                "target: the server cancelled the query after 900ms (statement_timeout)");
  EXPECT_LT(run.elapsed, 2s);
}

TEST_F(PostgresReplicationTest, MistakesInFieldsArePlaced) {
  EXPECT_EQ(
      test::construction_errors<PostgresReplicationCheck>({}),
      (std::vector<std::string>{"suite.yaml:7:5: error: source: expected the name of a database",
                                "suite.yaml:7:5: error: target: expected the name of a database"}));
  const KindSpec spec = PostgresReplicationCheck::spec();
  EXPECT_TRUE(declared(spec, "subscription").non_empty);
  EXPECT_EQ(declared(spec, "max_lag_bytes").min, 0);
  EXPECT_EQ(declared(spec, "mode").choices, (std::vector<std::string>{"logical", "physical"}));
}

TEST_F(PostgresReplicationTest, DescribesWhatItWaitsFor) {
  auto check = test::make_check<PostgresReplicationCheck>(
      fields({{"subscription", std::string("sub1")}, {"max_lag", Duration(5s)}}));
  EXPECT_EQ(check->describe(), "subscription sub1 from src to tgt, lag at most 0 bytes and 5s");
}

TEST_F(PostgresReplicationTest, PhysicalModeHasNoSubscription) {
  EXPECT_EQ(test::construction_errors<PostgresReplicationCheck>(
                fields({{"mode", std::string("physical")}, {"subscription", std::string("sub1")}})),
            std::vector<std::string>{"suite.yaml:7:5: error: subscription: only with mode "
                                     "logical; a physical standby has no subscription"});
  auto check = test::make_check<PostgresReplicationCheck>(
      fields({{"mode", std::string("physical")}, {"max_lag_bytes", std::int64_t{1024}}}));
  EXPECT_EQ(check->describe(), "standby tgt of src, lag at most 1024 bytes");
}

TEST_F(PostgresReplicationTest, PhysicalModeFailsWhenTheTargetIsNotAStandby) {
  auto check =
      test::make_check<PostgresReplicationCheck>(fields({{"mode", std::string("physical")}}));
  expect_result(test::run_check(*check), Outcome::failed,
                "target is not a standby (pg_is_in_recovery() is false): mode physical expects a "
                "streaming standby of source");
}

TEST_F(PostgresReplicationTest, PhysicalModeTimesOutOnATargetThatDoesNotAnswer) {
  loopback::UnansweringServer server;
  auto check = test::make_check<PostgresReplicationCheck>(
      {{"source", loopback::declare("src", loopback::shared_postgres().dsn(source_name_))},
       {"target",
        loopback::declare(
            "silent", "host=127.0.0.1 port=" + std::to_string(server.port()) + " user=postgres")},
       {"mode", std::string("physical")}},
      1s);
  const auto run = test::run_check(*check, 1s);
  expect_result(run, Outcome::error,
                "target: timed out after 900ms connecting to database 'silent'");
  EXPECT_LT(run.elapsed, 1500ms);
}

// A primary of its own with a streaming standby, so the shared cluster's WAL stays out of it.
class PostgresStandbyTest : public ::testing::Test {
 protected:
  PostgresStandbyTest() : standby_(primary_.start_standby()) {}

  // Waits until the standby has replayed all the primary has written so far.
  void wait_until_replayed() {
    const std::string lsn = primary_.query_value("postgres", "SELECT pg_current_wal_lsn()");
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string replayed;
    while (std::chrono::steady_clock::now() < deadline) {
      replayed = standby_->query_value("postgres",
                                       "SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn");
      if (replayed == "t") break;
      std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(replayed, "t");
  }

  std::int64_t lsn_difference(const std::string& primary_sql, const std::string& standby_sql) {
    const std::string primary = primary_.query_value("postgres", primary_sql);
    const std::string standby = standby_->query_value("postgres", standby_sql);
    return std::stoll(primary_.query_value(
        "postgres", "SELECT pg_wal_lsn_diff('" + primary + "', '" + standby + "')::bigint"));
  }

  FieldMap fields(FieldMap extra = {}) {
    FieldMap values{{"source", loopback::declare("primary", primary_.dsn("postgres"))},
                    {"target", loopback::declare("standby", standby_->dsn("postgres"))},
                    {"mode", std::string("physical")}};
    values.merge(extra);
    return values;
  }

  loopback::PostgresCluster primary_;
  std::unique_ptr<loopback::PostgresCluster> standby_;
};

TEST_F(PostgresStandbyTest, ACaughtUpStandbyPasses) {
  primary_.execute("postgres", "CREATE TABLE items (id int); INSERT INTO items VALUES (1)");
  wait_until_replayed();
  auto check = test::make_check<PostgresReplicationCheck>(fields({{"max_lag", Duration(5s)}}));
  const auto run = test::run_check(*check);
  expect_result(run, Outcome::passed, "target is a standby, lag 0 bytes, 0ms");
  EXPECT_TRUE(std::regex_match(run.result.details,
                               std::regex("source WAL at [0-9A-F]+/[0-9A-F]+ when checked\n"
                                          "target replayed up to [0-9A-F]+/[0-9A-F]+\n"
                                          "WAL receiver: streaming from 127\\.0\\.0\\.1:" +
                                          std::to_string(primary_.port()))))
      << run.result.details;
  EXPECT_EQ(test::find_measurement(run.result, "lag_bytes")->value, 0);
}

TEST_F(PostgresStandbyTest, APausedStandbyFallsBehindByTheBytesWritten) {
  primary_.execute("postgres", "CREATE TABLE items (id int)");
  wait_until_replayed();
  standby_->execute("postgres", "SELECT pg_wal_replay_pause()");
  std::string state;
  for (int i = 0; i < 600 && state != "paused"; ++i) {
    state = standby_->query_value("postgres", "SELECT pg_get_wal_replay_pause_state()");
    if (state != "paused") std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(state, "paused");
  primary_.execute("postgres", "INSERT INTO items SELECT generate_series(1, 1000)");
  const std::int64_t before =
      lsn_difference("SELECT pg_current_wal_lsn()", "SELECT pg_last_wal_replay_lsn()");
  ASSERT_GT(before, 0);

  auto check = test::make_check<PostgresReplicationCheck>(fields({{"max_lag_bytes", before - 1}}));
  const auto run = test::run_check(*check);
  const std::int64_t after =
      lsn_difference("SELECT pg_current_wal_lsn()", "SELECT pg_last_wal_replay_lsn()");
  ASSERT_NE(test::find_measurement(run.result, "lag_bytes"), nullptr);
  const auto lag =
      static_cast<std::int64_t>(test::find_measurement(run.result, "lag_bytes")->value);
  EXPECT_GE(lag, before);
  EXPECT_LE(lag, after);
  expect_result(run, Outcome::failed,
                "lag " + std::to_string(lag) + " bytes, at most " + std::to_string(before - 1) +
                    " allowed (replay is paused on target)");
  EXPECT_LT(run.elapsed, 2s) << "a paused standby is not waited for";

  auto roomy = test::make_check<PostgresReplicationCheck>(
      fields({{"max_lag_bytes", std::int64_t{1} << 30}}));
  test::expect_result_matching(test::run_check(*roomy), Outcome::passed,
                               "target is a standby, lag [1-9][0-9]* bytes");
}

}  // namespace
}  // namespace cutover
