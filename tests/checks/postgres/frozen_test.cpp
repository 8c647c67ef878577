#include "checks/postgres/frozen.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "loopback/postgres_cluster.hpp"
#include "tests/support/check_runner.hpp"

namespace cutover {
namespace {

using loopback::shared_postgres;
using test::declared;
using test::expect_result;
using test::expect_result_matching;
using test::FieldMap;
using namespace std::chrono_literals;

class PostgresFrozenTest : public ::testing::Test {
 protected:
  // A fresh database per test with two tables. Each fixture statement runs in a new session, so
  // its counters are published before the statement returns (a session's first flush is
  // immediate; later ones come at most once a second).
  PostgresFrozenTest() {
    static std::atomic<int> counter{0};
    name_ = "frozen_" + std::to_string(++counter);
    loopback::shared_postgres().create_database(name_);
    loopback::shared_postgres().execute(
        name_,
        "CREATE TABLE public.orders (id int PRIMARY KEY, note text); "
        "CREATE TABLE public.items (id int); "
        "INSERT INTO public.orders SELECT g, '' FROM generate_series(1, 3) g; "
        "INSERT INTO public.items VALUES (1), (2)");
  }

  std::shared_ptr<const Database> shop() {
    return loopback::declare("shop", loopback::shared_postgres().dsn(name_));
  }

  FieldMap watch(Duration window, FieldMap more = {}) {
    more["database"] = shop();
    more["window"] = window;
    return more;
  }

  // Runs the check on another thread and `during` on this one once the window has begun.
  test::Completed run_while(PostgresFrozenCheck& check, const std::function<void()>& during) {
    auto run = std::async(std::launch::async, [&check] { return test::run_check(check); });
    std::this_thread::sleep_for(400ms);
    during();
    return run.get();
  }

  std::string name_;
};

TEST_F(PostgresFrozenTest, AQuietDatabasePasses) {
  auto check = test::make_check<PostgresFrozenCheck>(watch(1s));
  const auto run = test::run_check(*check);
  expect_result(run, Outcome::passed, "no writes to 2 tables of 'shop' during 1s");
  EXPECT_EQ(run.result.details, "");
  EXPECT_EQ(run.completions, 1);
  ASSERT_NE(test::find_measurement(run.result, "inserts"), nullptr);
  EXPECT_EQ(test::find_measurement(run.result, "inserts")->value, 0);
  ASSERT_NE(test::find_measurement(run.result, "window_ms"), nullptr);
  EXPECT_GE(test::find_measurement(run.result, "window_ms")->value, 1000);
  EXPECT_NE(test::find_measurement(run.result, "wal_bytes"), nullptr);
}

TEST_F(PostgresFrozenTest, AWriterRunningDuringTheWindowFailsNamingTheTable) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    pqxx::connection connection(loopback::shared_postgres().dsn(name_));
    for (int id = 100; !stop; ++id) {
      pqxx::nontransaction work(connection);
      work.exec("INSERT INTO public.orders VALUES (" + std::to_string(id) + ", 'w')");
      std::this_thread::sleep_for(100ms);
    }
  });
  auto check = test::make_check<PostgresFrozenCheck>(watch(2s));
  const auto run = test::run_check(*check);
  stop = true;
  writer.join();
  expect_result_matching(run, Outcome::failed,
                         "during 2s: public\\.orders: [0-9]+ inserts?"
                         "(; 1 session had an open write transaction)?");
  EXPECT_TRUE(
      run.result.details.starts_with("table          inserts  updates  deletes\n"
                                     "public.orders"))
      << run.result.details;
}

TEST_F(PostgresFrozenTest, UpdatesDeletesAndNewTablesAreCounted) {
  auto check = test::make_check<PostgresFrozenCheck>(watch(1500ms));
  const auto run = run_while(*check, [this] {
    loopback::shared_postgres().execute(name_,
                                        "UPDATE public.orders SET note = 'x' WHERE id <= 2; "
                                        "DELETE FROM public.items WHERE id = 1; "
                                        "CREATE TABLE public.fresh (id int); "
                                        "INSERT INTO public.fresh VALUES (1)");
  });
  expect_result(run, Outcome::failed,
                "during 1.5s: public.fresh: created during the window, 1 insert; public.items: "
                "1 delete; public.orders: 2 updates");
  EXPECT_EQ(run.result.details,
            "table                   inserts  updates  deletes\n"
            "public.fresh (created)        1        0        0\n"
            "public.items                  0        0        1\n"
            "public.orders                 0        2        0");
  EXPECT_EQ(test::find_measurement(run.result, "updates")->value, 2);
}

TEST_F(PostgresFrozenTest, WritesOutsideTheTablesWatchedPass) {
  auto check = test::make_check<PostgresFrozenCheck>(
      watch(1s, {{"tables", std::vector<std::string>{"orders"}}}));
  const auto run = run_while(*check, [this] {
    loopback::shared_postgres().execute(name_, "INSERT INTO public.items VALUES (3)");
  });
  expect_result(run, Outcome::passed, "no writes to 1 table of 'shop' during 1s");
}

TEST_F(PostgresFrozenTest, ExcludeAndMissingTables) {
  auto excluded = test::make_check<PostgresFrozenCheck>(
      watch(1s, {{"exclude", std::vector<std::string>{"items"}}}));
  const auto run = run_while(*excluded, [this] {
    loopback::shared_postgres().execute(name_, "DELETE FROM public.items");
  });
  expect_result(run, Outcome::passed, "no writes to 1 table of 'shop' during 1s");

  auto missing = test::make_check<PostgresFrozenCheck>(
      watch(1s, {{"tables", std::vector<std::string>{"nothing", "sales.*"}}}));
  expect_result(test::run_check(*missing), Outcome::failed,
                "no table matches 'sales.*'; no table public.nothing (in 'shop')");
}

TEST_F(PostgresFrozenTest, APartitionCountsWithItsTable) {
  loopback::shared_postgres().execute(
      name_,
      "CREATE SCHEMA sales; "
      "CREATE TABLE sales.events (at date) PARTITION BY RANGE (at); "
      "CREATE TABLE sales.events_2026 PARTITION OF sales.events "
      "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')");
  auto named = test::make_check<PostgresFrozenCheck>(
      watch(1s, {{"tables", std::vector<std::string>{"sales.events"}}}));
  const auto run = run_while(*named, [this] {
    loopback::shared_postgres().execute(name_, "INSERT INTO sales.events VALUES ('2026-05-01')");
  });
  expect_result(run, Outcome::failed, "during 1s: sales.events_2026: 1 insert");

  auto excluded = test::make_check<PostgresFrozenCheck>(
      watch(1s, {{"exclude", std::vector<std::string>{"sales.events"}}}));
  const auto quiet = run_while(*excluded, [this] {
    loopback::shared_postgres().execute(name_, "INSERT INTO sales.events VALUES ('2026-06-01')");
  });
  expect_result(quiet, Outcome::passed, "no writes to 2 tables of 'shop' during 1s");
}

TEST_F(PostgresFrozenTest, MaxWalBytesFailsOnWalFromAnyWrite) {
  auto check = test::make_check<PostgresFrozenCheck>(watch(
      1s, {{"tables", std::vector<std::string>{"orders"}}, {"max_wal_bytes", std::int64_t{0}}}));
  const auto run = run_while(*check, [this] {
    loopback::shared_postgres().execute(name_, "INSERT INTO public.items VALUES (3)");
  });
  expect_result_matching(run, Outcome::failed,
                         "during 1s: WAL advanced [1-9][0-9]* bytes, more than max_wal_bytes 0 "
                         "\\(WAL is cluster-wide\\)");
}

TEST_F(PostgresFrozenTest, ASessionOfAListedRoleFails) {
  const std::string role = "frozen_app_" + name_;
  loopback::shared_postgres().execute("postgres", "DROP ROLE IF EXISTS " + role + "; CREATE ROLE " +
                                                      role + " LOGIN PASSWORD 'app-pass-7q'");
  {
    pqxx::connection app(loopback::shared_postgres().dsn(name_, role, "app-pass-7q"));
    auto check = test::make_check<PostgresFrozenCheck>(
        watch(1s, {{"roles", std::vector<std::string>{role, "nobody_else"}}}));
    const auto run = test::run_check(*check);
    expect_result(run, Outcome::failed, "during 1s: role " + role + " had 1 session");
    EXPECT_EQ(run.result.details, "role " + role + ": pids " + std::to_string(app.backendpid()));
    EXPECT_EQ(test::find_measurement(run.result, "role_sessions")->value, 1);
  }
  auto check =
      test::make_check<PostgresFrozenCheck>(watch(1s, {{"roles", std::vector<std::string>{role}}}));
  expect_result(test::run_check(*check), Outcome::passed,
                "no writes to 2 tables of 'shop' during 1s, and no sessions of " + role);
  loopback::shared_postgres().execute("postgres", "DROP ROLE " + role);
}

TEST_F(PostgresFrozenTest, AnOpenWriteTransactionFails) {
  pqxx::connection holder(loopback::shared_postgres().dsn(name_));
  pqxx::work open(holder);
  open.exec("INSERT INTO public.items VALUES (9)");
  auto check = test::make_check<PostgresFrozenCheck>(watch(1s));
  const auto run = test::run_check(*check);
  expect_result(run, Outcome::failed, "during 1s: 1 session had an open write transaction");
  EXPECT_EQ(run.result.details,
            "open write transactions: pids " + std::to_string(holder.backendpid()));
}

TEST_F(PostgresFrozenTest, AWindowLongerThanTheBudgetIsAnError) {
  auto check = test::make_check<PostgresFrozenCheck>(watch(2s));
  const auto run = test::run_check(*check, 2s);
  expect_result_matching(run, Outcome::error,
                         "the window of 2s does not fit in the 1\\.[0-9]+s left of the attempt's "
                         "budget \\(the readings need 500ms more\\): shorten window or raise "
                         "timeout");
  EXPECT_LT(run.elapsed, 500ms);
  EXPECT_EQ(run.completions, 1);
}

TEST_F(PostgresFrozenTest, CancellingStopsTheWindowAtOnce) {
  auto check = test::make_check<PostgresFrozenCheck>(watch(3s));
  const auto run = test::run_check(*check, test::kCheckTimeout, 700ms);
  expect_result_matching(run, Outcome::error, "cancelled [0-9]+ms into the window of 3s");
  EXPECT_LT(run.elapsed, 1500ms);
  EXPECT_EQ(run.completions, 1);

  const auto before = test::run_cancelled_before_start(*check);
  EXPECT_EQ(before.completions_inside_start, 0);
  expect_result(before.run, Outcome::error, "cancelled");
  EXPECT_EQ(before.run.completions, 1);
}

TEST_F(PostgresFrozenTest, AnUnreachableDatabaseIsAnError) {
  auto check = test::make_check<PostgresFrozenCheck>(
      {{"database",
        loopback::declare("down", "host=127.0.0.1 port=1 dbname=x user=u password=pw-9x")},
       {"window", Duration(1s)}});
  const auto run = test::run_check(*check);
  expect_result_matching(run, Outcome::error,
                         "cannot connect to database 'down': .*Connection refused.*");
  EXPECT_EQ(run.result.message.find("pw-9x"), std::string::npos);
}

TEST_F(PostgresFrozenTest, MistakesInFieldsArePlaced) {
  EXPECT_EQ(test::construction_errors<PostgresFrozenCheck>({}),
            (std::vector<std::string>{"suite.yaml:7:5: error: database: give the database to watch",
                                      "suite.yaml:7:5: error: window: 5s leaves less than 1s of "
                                      "the check's timeout (5s) for the readings: shorten window "
                                      "or raise timeout to 6s"}));
  const KindSpec spec = PostgresFrozenCheck::spec();
  for (const char* list : {"tables", "exclude", "roles"})
    EXPECT_TRUE(declared(spec, list).non_empty) << list;
  EXPECT_EQ(declared(spec, "max_wal_bytes").min, 0);
  EXPECT_EQ(declared(spec, "max_wal_bytes").max, std::nullopt);
  auto check = test::make_check<PostgresFrozenCheck>(
      watch(2s, {{"tables", std::vector<std::string>{"orders", "sales.*"}},
                 {"exclude", std::vector<std::string>{"sales.tmp_*"}},
                 {"roles", std::vector<std::string>{"app_rw"}}}));
  EXPECT_EQ(check->describe(),
            "shop frozen for 2s: public.orders, sales.* except sales.tmp_*; no sessions of app_rw");
}

}  // namespace
}  // namespace cutover
