#include "checks/postgres/pool.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <pqxx/connection>
#include <pqxx/transaction>

#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "tests/support/job_runner.hpp"

// The pool is driven directly here, as check kinds drive it: jobs on a thread pool, answers on
// the event loop.

namespace cutover {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using loopback::declare;
using loopback::shared_postgres;
using postgres::Session;

// A database of its own for a test, declared under the same name.
std::shared_ptr<const Database> fresh_database(const std::string& name, int max_connections = 4) {
  loopback::shared_postgres().create_database(name);
  return declare(name, loopback::shared_postgres().dsn(name), max_connections);
}

using Runner = test::JobRunner;
using test::Answer;

template <typename T>
void submit(Runner& runner, Duration timeout, const std::shared_ptr<const Database>& database,
            std::function<T(Session&)> job, Answer<T>& answer,
            std::shared_ptr<Cancellation> cancellation = nullptr,
            postgres::RunOptions options = {}) {
  CheckContext context = runner.context(timeout, std::move(cancellation));
  postgres::run<T>(context, database, std::move(job), answer.recorder(), options);
}

std::string scalar(Session& session, const std::string& sql) {
  pqxx::read_transaction transaction(session.connection());
  const pqxx::field value = transaction.exec1(sql)[0];
  return value.is_null() ? "NULL" : value.c_str();
}

std::function<std::string(Session&)> query(std::string sql) {
  return [sql = std::move(sql)](Session& session) { return scalar(session, sql); };
}

struct Backend {
  int pid = 0;
  bool connected = false;  // the connection was opened for this job
};

Backend backend(Session& session) {
  return {std::stoi(scalar(session, "SELECT pg_backend_pid()")),
          session.connect_time().has_value()};
}

// Queries from cutover still running `fragment` on the server, seen by the fixture.
std::string running_from_cutover(const std::string& database, const std::string& fragment) {
  return loopback::shared_postgres().query_value(
      "postgres",
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutover' "
      "AND datname = '" +
          database + "' AND state = 'active' AND query LIKE '%" + fragment + "%'");
}

std::string connections_from_cutover(const std::string& database) {
  return loopback::shared_postgres().query_value(
      "postgres",
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutover' "
      "AND datname = '" +
          database + "'");
}

TEST(PostgresPool, SessionsAreReadOnlyWithFixedOutputSettings) {
  auto database = fresh_database("pool_settings");
  Runner runner;
  Answer<std::vector<std::string>> answer;
  submit<std::vector<std::string>>(
      runner, 5s, database,
      [](Session& session) {
        std::vector<std::string> values;
        for (const char* name : {"TimeZone", "DateStyle", "IntervalStyle", "extra_float_digits",
                                 "bytea_output", "default_transaction_read_only",
                                 "application_name", "lock_timeout", "client_min_messages"}) {
          values.push_back(scalar(session, std::string("SHOW ") + name));
        }
        values.push_back(scalar(session, "SELECT now()::timestamptz(0)::text LIKE '%+00'"));
        values.push_back(scalar(session, "SHOW transaction_read_only"));
        return values;
      },
      answer);
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error, "");
  ASSERT_TRUE(answer.value);
  EXPECT_EQ(*answer.value, (std::vector<std::string>{"UTC", "ISO, YMD", "postgres", "3", "hex",
                                                     "on", "cutover", "5s", "error", "t", "on"}));
}

TEST(PostgresPool, StatementTimeoutIsWhatIsLeftOfTheBudget) {
  auto database = fresh_database("pool_statement_timeout");
  Runner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database,
                      query("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'"),
                      answer);
  runner.run();

  ASSERT_TRUE(answer.value) << answer.error;
  // The check's own budget is 4.9s of the 5s timeout; the connection took a little of it.
  const int milliseconds = std::stoi(*answer.value);
  EXPECT_LE(milliseconds, 4900);
  EXPECT_GT(milliseconds, 3000);
}

TEST(PostgresPool, JobsBeyondMaxConnectionsWaitAndAllFinish) {
  auto database = fresh_database("pool_limit", 2);
  Runner runner(6);
  constexpr int kJobs = 6;
  std::vector<Answer<std::vector<int>>> answers(kJobs);
  for (auto& answer : answers) {
    submit<std::vector<int>>(
        runner, 10s, database,
        [](Session& session) {
          pqxx::read_transaction transaction(session.connection());
          const pqxx::row row = transaction.exec1(
              "SELECT pg_backend_pid(), (SELECT count(*) FROM pg_stat_activity WHERE "
              "application_name = 'cutover' AND datname = 'pool_limit'), pg_sleep(0.2)");
          return std::vector<int>{row[0].as<int>(), row[1].as<int>()};
        },
        answer);
  }
  runner.run();

  std::set<int> backends;
  int most_open = 0;
  for (const auto& answer : answers) {
    EXPECT_EQ(answer.calls, 1);
    ASSERT_TRUE(answer.value) << answer.error;
    backends.insert((*answer.value)[0]);
    most_open = std::max(most_open, (*answer.value)[1]);
  }
  EXPECT_EQ(backends.size(), 2u) << "two connections, reused";
  EXPECT_EQ(most_open, 2);
  EXPECT_EQ(connections_from_cutover("pool_limit"), "2") << "kept open for the next jobs";
}

TEST(PostgresPool, AQueryPastTheDeadlineIsCancelledOnTheServer) {
  auto database = fresh_database("pool_deadline");
  Runner runner;
  // A pooled connection for the query below.
  Answer<Backend> before;
  submit<Backend>(runner, 5s, database, backend, before);
  runner.run();
  ASSERT_TRUE(before.value) << before.error;

  Answer<std::string> sleeper;
  submit<std::string>(runner, 1s, database, query("SELECT pg_sleep(30)"), sleeper);
  runner.run();

  EXPECT_EQ(sleeper.calls, 1);
  EXPECT_EQ(sleeper.error, "the server cancelled the query after 900ms (statement_timeout)");
  EXPECT_LT(sleeper.elapsed, 5s) << "cancelled, not waited for";
  EXPECT_EQ(running_from_cutover("pool_deadline", "pg_sleep"), "0");

  // The next job works, on the same connection when the server's statement_timeout stopped the
  // query, on a new one when the pool's own cancel request did (it could land on what the
  // connection runs next; both end at about the same moment here), and no connection is left in
  // a transaction.
  Answer<Backend> after;
  submit<Backend>(runner, 5s, database, backend, after);
  runner.run();
  ASSERT_TRUE(after.value) << after.error;
  EXPECT_EQ(loopback::shared_postgres().query_value(
                "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cutover' AND "
                "datname = 'pool_deadline' AND state LIKE 'idle in transaction%'"),
            "0");
}

// statement_timeout covers one statement; a job of several is stopped at its deadline too.
TEST(PostgresPool, AJobOfSeveralStatementsIsCancelledAtItsDeadline) {
  auto database = fresh_database("pool_deadline_steps");
  Runner runner;
  Answer<std::string> answer;
  submit<std::string>(
      runner, 1s, database,
      [](Session& session) {
        for (int i = 0; i < 10; ++i)
          scalar(session, "SELECT pg_sleep(0.4)");
        return std::string("all done");
      },
      answer);
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error, "the server cancelled the query after 900ms (statement_timeout)");
  EXPECT_LT(answer.elapsed, 3s);
  EXPECT_EQ(running_from_cutover("pool_deadline_steps", "pg_sleep"), "0");

  // The pool sent a cancel request on that connection, which could still land on the next
  // statement: the next job gets a new connection, and it works.
  Answer<Backend> after;
  submit<Backend>(runner, 5s, database, backend, after);
  runner.run();
  ASSERT_TRUE(after.value) << after.error;
  EXPECT_TRUE(after.value->connected);
}

TEST(PostgresPool, CancellationCancelsTheRunningQueryOnTheServer) {
  auto database = fresh_database("pool_cancel");
  // One thread, busy with the query: the cancel request must not wait for it.
  Runner runner(1);
  auto cancellation = std::make_shared<Cancellation>();
  Answer<std::string> answer;
  submit<std::string>(runner, 60s, database, query("SELECT pg_sleep(30)"), answer, cancellation);
  asio::steady_timer timer(runner.io(), 300ms);
  timer.async_wait([&](boost::system::error_code) { cancellation->cancel(); });
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error, "cancelled while running a query on database 'pool_cancel'");
  EXPECT_LT(answer.elapsed, 10s) << "cancelled, not waited for";
  EXPECT_EQ(running_from_cutover("pool_cancel", "pg_sleep"), "0");
}

TEST(PostgresPool, ADroppedConnectionIsAnErrorAndTheNextJobReconnects) {
  auto database = fresh_database("pool_drop");
  Runner runner;
  Answer<Backend> first;
  submit<Backend>(runner, 5s, database, backend, first);
  runner.run();
  ASSERT_TRUE(first.value) << first.error;

  Answer<std::string> dropped;
  submit<std::string>(runner, 20s, database, query("SELECT pg_sleep(15)"), dropped);
  std::thread terminator([] {
    const auto give_up = Clock::now() + 10s;
    while (running_from_cutover("pool_drop", "pg_sleep") != "1" && Clock::now() < give_up)
      std::this_thread::sleep_for(20ms);
    loopback::shared_postgres().execute(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = 'cutover' AND datname = 'pool_drop'");
  });
  runner.run();
  terminator.join();

  EXPECT_EQ(dropped.calls, 1);
  EXPECT_EQ(dropped.error,
            "lost the connection to database 'pool_drop' (closed by the server or the network)");

  Answer<Backend> next;
  submit<Backend>(runner, 5s, database, backend, next);
  runner.run();
  ASSERT_TRUE(next.value) << next.error;
  EXPECT_NE(next.value->pid, first.value->pid);
  EXPECT_TRUE(next.value->connected);
}

TEST(PostgresPool, ARefusedConnectionNamesTheServer) {
  const std::uint16_t port = loopback::unused_port();
  const std::string password = "refused-pass-4d2";
  auto database = declare("down", "host=127.0.0.1 port=" + std::to_string(port) +
                                      " dbname=postgres user=postgres password=" + password);
  Runner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database, query("SELECT 1"), answer);
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error,
            "cannot connect to database 'down': connection to server at "
            "\"127.0.0.1\", port " +
                std::to_string(port) +
                " failed: Connection refused Is the server running on that host "
                "and accepting TCP/IP connections?");
}

TEST(PostgresPool, AWrongPasswordIsRefusedWithoutShowingIt) {
  loopback::shared_postgres().create_database("pool_auth");
  const std::string password = "wrong-pass-8k2";
  auto database =
      declare("auth", loopback::shared_postgres().dsn("pool_auth", "postgres", password));
  Runner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database, query("SELECT 1"), answer);
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error,
            "cannot connect to database 'auth': connection to server at "
            "\"127.0.0.1\", port " +
                std::to_string(loopback::shared_postgres().port()) +
                " failed: password authentication failed for user \"postgres\"");
  EXPECT_EQ(answer.error.find(password), std::string::npos);
}

// Issue 15: a password of one letter masked everywhere turned "connect" into "conn***ct", which
// shows it. A password under 4 bytes is masked only where a password stands.
TEST(PostgresPool, AShortPasswordIsNotMaskedInsideWords) {
  loopback::shared_postgres().create_database("pool_auth");
  auto database = declare("auth", loopback::shared_postgres().dsn("pool_auth", "postgres", "e"));
  Runner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database, query("SELECT 1"), answer);
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error,
            "cannot connect to database 'auth': connection to server at "
            "\"127.0.0.1\", port " +
                std::to_string(loopback::shared_postgres().port()) +
                " failed: password authentication failed for user \"postgres\"");
}

TEST(PostgresPool, PasswordsInLibpqMessagesAreMasked) {
  // libpq quotes a URI it cannot parse in full, password included.
  auto database = declare("broken", "postgresql://postgres:uri-secret-31@[::1/postgres");
  Runner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database, query("SELECT 1"), answer);
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error,
            "cannot connect to database 'broken': end of string reached when looking for "
            "matching \"]\" in IPv6 host address in URI: \"postgresql://postgres:***@[::1/"
            "postgres?connect_timeout=5\"");
}

TEST(PostgresPool, AConnectionThatDoesNotAnswerTimesOutAtTheDeadline) {
  loopback::UnansweringServer server;
  auto database = declare("silent", "host=127.0.0.1 port=" + std::to_string(server.port()) +
                                        " dbname=postgres user=postgres");
  Runner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 1s, database, query("SELECT 1"), answer);
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error, "timed out after 900ms connecting to database 'silent'");
  EXPECT_LT(answer.elapsed, 1500ms) << "answered at the deadline, not at libpq's connect_timeout";
}

TEST(PostgresPool, AJobWaitingForAConnectionTimesOut) {
  auto database = fresh_database("pool_wait", 1);
  Runner runner;
  Answer<std::string> busy;
  Answer<std::string> waiting;
  submit<std::string>(runner, 10s, database, query("SELECT pg_sleep(1.5)::text"), busy);
  submit<std::string>(runner, 500ms, database, query("SELECT 'never'"), waiting);
  runner.run();

  EXPECT_EQ(busy.calls, 1);
  EXPECT_EQ(busy.value, "");
  EXPECT_EQ(waiting.calls, 1);
  EXPECT_EQ(waiting.error,
            "timed out after 450ms waiting for a free connection to database 'pool_wait' "
            "(max_connections 1)");
  EXPECT_LT(waiting.elapsed, 1s);
}

TEST(PostgresPool, AJobWaitingForAThreadTimesOut) {
  auto busy_database = fresh_database("pool_thread_a");
  auto other_database = fresh_database("pool_thread_b");
  Runner runner(1);
  Answer<std::string> busy;
  Answer<std::string> waiting;
  submit<std::string>(runner, 10s, busy_database, query("SELECT pg_sleep(1.5)::text"), busy);
  submit<std::string>(runner, 500ms, other_database, query("SELECT 'never'"), waiting);
  runner.run();

  EXPECT_EQ(busy.value, "");
  EXPECT_EQ(waiting.calls, 1);
  EXPECT_EQ(waiting.error,
            "timed out after 450ms waiting for a worker thread for database 'pool_thread_b' (all "
            "are busy)");
  EXPECT_EQ(connections_from_cutover("pool_thread_b"), "0") << "skipped, never connected";
}

TEST(PostgresPool, CancellingAWaitingJobDropsIt) {
  auto database = fresh_database("pool_wait_cancel", 1);
  Runner runner;
  auto cancellation = std::make_shared<Cancellation>();
  Answer<std::string> busy;
  Answer<std::string> waiting;
  submit<std::string>(runner, 10s, database, query("SELECT pg_sleep(1)::text"), busy);
  submit<std::string>(runner, 10s, database, query("SELECT 'never'"), waiting, cancellation);
  asio::steady_timer timer(runner.io(), 100ms);
  timer.async_wait([&](boost::system::error_code) { cancellation->cancel(); });
  runner.run();

  EXPECT_EQ(busy.calls, 1);
  EXPECT_EQ(busy.value, "");
  EXPECT_EQ(waiting.calls, 1);
  EXPECT_EQ(waiting.error,
            "cancelled while waiting for a connection on database 'pool_wait_cancel'");
  EXPECT_LT(waiting.elapsed, 900ms);
}

TEST(PostgresPool, AnAttemptCancelledBeforehandAnswersOnceFromTheLoop) {
  auto database = fresh_database("pool_cancelled_before");
  Runner runner;
  auto cancellation = std::make_shared<Cancellation>();
  cancellation->cancel();
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database, query("SELECT 1"), answer, cancellation);
  EXPECT_EQ(answer.calls, 0) << "never from inside run()";
  runner.run();

  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error, "cancelled before the query started on database 'pool_cancelled_before'");
  EXPECT_EQ(connections_from_cutover("pool_cancelled_before"), "0");
}

TEST(PostgresPool, AFreshConnectionReplacesAnIdleOne) {
  auto database = fresh_database("pool_fresh", 1);
  Runner runner;
  Answer<Backend> first;
  Answer<Backend> reused;
  Answer<Backend> fresh;
  submit<Backend>(runner, 5s, database, backend, first);
  runner.run();
  submit<Backend>(runner, 5s, database, backend, reused);
  runner.run();
  submit<Backend>(runner, 5s, database, backend, fresh, nullptr, {.fresh_connection = true});
  runner.run();

  ASSERT_TRUE(first.value && reused.value && fresh.value);
  EXPECT_TRUE(first.value->connected);
  EXPECT_EQ(reused.value->pid, first.value->pid);
  EXPECT_FALSE(reused.value->connected);
  EXPECT_NE(fresh.value->pid, first.value->pid);
  EXPECT_TRUE(fresh.value->connected);
  // The old connection is gone: the server may take a moment to notice.
  std::string open;
  for (int i = 0; i < 100 && (open = connections_from_cutover("pool_fresh")) != "1"; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(open, "1");
}

TEST(PostgresPool, AJobErrorIsTheMessageAndSqlErrorsNameTheirState) {
  auto database = fresh_database("pool_errors");
  Runner runner;
  Answer<std::string> own;
  Answer<std::string> sql;
  Answer<std::string> write;
  submit<std::string>(
      runner, 5s, database,
      [](Session&) -> std::string { throw postgres::JobError("no table matches 'sales.*'"); }, own);
  submit<std::string>(runner, 5s, database, query("SELECT * FROM missing"), sql);
  submit<std::string>(
      runner, 5s, database,
      [](Session& session) {
        pqxx::work transaction(session.connection());
        transaction.exec("CREATE TABLE written (id int)");
        transaction.commit();
        return std::string("written");
      },
      write);
  runner.run();

  EXPECT_EQ(own.error, "no table matches 'sales.*'");
  EXPECT_EQ(sql.error,
            "query failed: relation \"missing\" does not exist LINE 1: SELECT * FROM missing ^ "
            "(SQLSTATE 42P01)");
  EXPECT_EQ(write.error,
            "query failed: cannot execute CREATE TABLE in a read-only transaction (SQLSTATE "
            "25006)");
  EXPECT_EQ(
      loopback::shared_postgres().query_value("pool_errors", "SELECT to_regclass('written')::text"),
      "");
}

TEST(PostgresPool, WithParameterAddsToEitherDsnForm) {
  EXPECT_EQ(postgres::with_parameter("host=db user=app", "sslmode", "disable"),
            "host=db user=app sslmode=disable");
  EXPECT_EQ(postgres::with_parameter("", "sslmode", "disable"), "sslmode=disable");
  EXPECT_EQ(postgres::with_parameter("postgresql://app@db/shop", "sslmode", "disable"),
            "postgresql://app@db/shop?sslmode=disable");
  EXPECT_EQ(postgres::with_parameter("postgres://db/shop?sslmode=require", "sslmode", "disable"),
            "postgres://db/shop?sslmode=require&sslmode=disable");
}

TEST(PostgresPool, ConnectTimeoutFollowsTheBudgetUnlessTheDsnSetsOne) {
  EXPECT_EQ(postgres::with_connect_timeout("host=db", 900ms), "host=db connect_timeout=2");
  EXPECT_EQ(postgres::with_connect_timeout("host=db", 4500ms), "host=db connect_timeout=5");
  EXPECT_EQ(postgres::with_connect_timeout("postgresql://db/shop", 10s),
            "postgresql://db/shop?connect_timeout=10");
  EXPECT_EQ(postgres::with_connect_timeout("host=db connect_timeout=1", 10s),
            "host=db connect_timeout=1");
}

// libpq honours the parameter added last: how require_tls overrides a DSN's own sslmode.
TEST(PostgresPool, TheParameterAddedLastWins) {
  loopback::PostgresCluster& cluster = loopback::shared_postgres();
  cluster.create_database("pool_override");
  const auto database_of = [](const std::string& dsn) {
    pqxx::connection connection(dsn);
    pqxx::read_transaction transaction(connection);
    return transaction.exec1("SELECT current_database()")[0].as<std::string>();
  };
  EXPECT_EQ(database_of(postgres::with_parameter(cluster.dsn("pool_no_such_database"), "dbname",
                                                 "pool_override")),
            "pool_override");
  // The test cluster has no TLS: sslmode=require alone would fail.
  const std::string uri = "postgresql://postgres:" + std::string(cluster.kPassword) +
                          "@127.0.0.1:" + std::to_string(cluster.port()) +
                          "/pool_override?sslmode=require";
  EXPECT_EQ(database_of(postgres::with_parameter(uri, "sslmode", "disable")), "pool_override");
}

}  // namespace
}  // namespace cutover
