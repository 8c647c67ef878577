#include "checks/mysql/session.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/steady_timer.hpp>

#include "loopback/certificates.hpp"
#include "loopback/mariadb_server.hpp"
#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/job_runner.hpp"

// The MySQL/MariaDB session on the engine-neutral pool, against a real MariaDB server.

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_mariadb;
using mysql::Session;
using test::Answer;
using test::JobRunner;

// A database of its own for a test, declared under the same name.
std::shared_ptr<const Database> fresh_database(const std::string& name) {
  shared_mariadb().create_database(name);
  return declare(name, shared_mariadb().dsn(name));
}

template <typename T>
void submit(JobRunner& runner, Duration timeout, const std::shared_ptr<const Database>& database,
            std::function<T(Session&)> job, Answer<T>& answer,
            std::shared_ptr<Cancellation> cancellation = nullptr) {
  CheckContext context = runner.context(timeout, std::move(cancellation));
  mysql::run<T>(context, database, std::move(job), answer.recorder());
}

std::function<std::string(Session&)> value_of(std::string sql) {
  return [sql = std::move(sql)](Session& session) { return session.value(sql).value_or("NULL"); };
}

// A query that runs for minutes unless stopped (10^10 rows of MariaDB's sequence engine).
constexpr const char* kEndless =
    "SELECT COUNT(*) FROM seq_1_to_100000 AS endless_a, seq_1_to_100000 AS endless_b";

// Queries still running the endless one on the server, as the fixture sees them.
std::string endless_queries_running() {
  return shared_mariadb().query_value(
      "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%endless_a%' AND "
      "id <> CONNECTION_ID()");
}

TEST(MysqlSession, SessionsAreReadOnlyUtf8mb4AndInUtc) {
  auto database = fresh_database("my_settings");
  JobRunner runner;
  Answer<std::string> answer;
  submit<std::string>(
      runner, 5s, database,
      [](Session& session) {
        return session
            .value(
                "SELECT CONCAT_WS(',', @@session.tx_read_only, "
                "@@session.time_zone, @@character_set_client, "
                "@@character_set_results, @@session.max_statement_time > 0)")
            .value_or("NULL");
      },
      answer);
  runner.run();
  EXPECT_EQ(answer.value, "ON,+00:00,utf8mb4,utf8mb4,1") << answer.error;

  Answer<std::string> write;
  submit<std::string>(
      runner, 5s, database,
      [](Session& session) {
        session.execute("CREATE TABLE written (id INT)");
        return std::string("written");
      },
      write);
  runner.run();
  EXPECT_EQ(write.error,
            "query failed: Cannot execute statement in a READ ONLY transaction (error 1792)");
  EXPECT_EQ(shared_mariadb().query_value("SELECT COUNT(*) FROM information_schema.tables WHERE "
                                         "table_schema = 'my_settings'"),
            "0");
}

TEST(MysqlSession, RowsKeepNullApartFromTextAndBytesExact) {
  auto database = fresh_database("my_rows");
  JobRunner runner;
  Answer<std::vector<mysql::Row>> answer;
  submit<std::vector<mysql::Row>>(
      runner, 5s, database,
      [](Session& session) {
        return session.query(
            "SELECT NULL, 'NULL', '', _utf8mb4 'caf\xc3\xa9', X'00FF' UNION ALL "
            "SELECT 1, 2, 3, 4, 5");
      },
      answer);
  runner.run();
  ASSERT_TRUE(answer.value) << answer.error;
  ASSERT_EQ(answer.value->size(), 2u);
  const mysql::Row& first = answer.value->front();
  EXPECT_EQ(first[0], std::nullopt);
  EXPECT_EQ(first[1], "NULL");
  EXPECT_EQ(first[2], "");
  EXPECT_EQ(first[3], "caf\xc3\xa9");
  EXPECT_EQ(first[4], std::string("\x00\xff", 2));
}

TEST(MysqlSession, AQueryPastTheDeadlineIsStoppedOnTheServer) {
  auto database = fresh_database("my_deadline");
  JobRunner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 1s, database, value_of(kEndless), answer);
  runner.run();
  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error, "the server cancelled the query after 900ms (max_statement_time)");
  EXPECT_LT(answer.elapsed, 3s);
  EXPECT_EQ(endless_queries_running(), "0");

  // The next job works.
  Answer<std::string> after;
  submit<std::string>(runner, 5s, database, value_of("SELECT 7"), after);
  runner.run();
  EXPECT_EQ(after.value, "7") << after.error;
}

TEST(MysqlSession, CancellationKillsTheRunningQueryOnTheServer) {
  auto database = fresh_database("my_cancel");
  // One thread, busy with the query: the KILL QUERY must not wait for it.
  JobRunner runner(1);
  auto cancellation = std::make_shared<Cancellation>();
  Answer<std::string> answer;
  submit<std::string>(runner, 60s, database, value_of(kEndless), answer, cancellation);
  boost::asio::steady_timer timer(runner.io(), 500ms);
  std::string running_at_cancel;
  timer.async_wait([&](boost::system::error_code) {
    running_at_cancel = endless_queries_running();
    cancellation->cancel();
  });
  runner.run();

  EXPECT_EQ(running_at_cancel, "1") << "the query ran on the server when it was cancelled";
  EXPECT_EQ(answer.calls, 1);
  EXPECT_EQ(answer.error, "cancelled while running a query on database 'my_cancel'");
  EXPECT_LT(answer.elapsed, 10s) << "cancelled, not waited for";
  // KILL QUERY stopped it: the server runs it no more, long before its 60s limit.
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (endless_queries_running() != "0" && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  EXPECT_EQ(endless_queries_running(), "0");
}

TEST(MysqlSession, AServerErrorNamesItsNumber) {
  auto database = fresh_database("my_error");
  JobRunner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database, value_of("SELECT * FROM missing_table"), answer);
  runner.run();
  EXPECT_EQ(answer.error,
            "query failed: Table 'my_error.missing_table' doesn't exist (error 1146)");
}

TEST(MysqlSession, AWrongPasswordIsRefusedWithoutShowingIt) {
  shared_mariadb().create_database("my_auth");
  const std::string wrong = "not-the-pass-3k9z";
  auto database = declare("auth", shared_mariadb().dsn("my_auth", "root", wrong));
  JobRunner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database, value_of("SELECT 1"), answer);
  runner.run();
  EXPECT_EQ(
      answer.error.rfind("cannot connect to database 'auth': Access denied for user 'root'", 0), 0u)
      << answer.error;
  EXPECT_EQ(answer.error.find(wrong), std::string::npos);
}

TEST(MysqlSession, AServerThatDoesNotAnswerTimesOut) {
  loopback::UnansweringServer server;
  auto database =
      declare("silent", "mysql://root@127.0.0.1:" + std::to_string(server.port()) + "/x");
  JobRunner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 1s, database, value_of("SELECT 1"), answer);
  runner.run();
  EXPECT_EQ(answer.error, "timed out after 900ms connecting to database 'silent'");
  EXPECT_LT(answer.elapsed, 1500ms);
}

// "localhost" is not the default Unix socket (another server, whatever the port): always TCP.
TEST(MysqlSession, LocalhostIsReachedOverTcpAtItsPort) {
  shared_mariadb().create_database("my_localhost");
  auto database = declare(
      "local", "mysql://root:" + std::string(loopback::MariadbServer::kRootPassword) +
                   "@localhost:" + std::to_string(shared_mariadb().port()) + "/my_localhost");
  JobRunner runner;
  Answer<std::string> answer;
  submit<std::string>(runner, 5s, database, value_of("SELECT @@port"), answer);
  runner.run();
  EXPECT_EQ(answer.value, std::to_string(shared_mariadb().port())) << answer.error;
}

TEST(MysqlSession, RequiredTlsIsUsedAndVerifiedAgainstTheCa) {
  shared_mariadb().create_database("my_tls");
  const std::string dsn = shared_mariadb().dsn("my_tls");
  JobRunner runner;
  auto tls_version = [](Session& session) {
    return session.query("SHOW SESSION STATUS LIKE 'Ssl_version'").at(0).at(1).value_or("");
  };
  Answer<std::string> verified;
  submit<std::string>(runner, 5s,
                      declare("verified", dsn + "?ssl-mode=VERIFY_IDENTITY&ssl-ca=" +
                                              shared_mariadb().ca_file().string()),
                      tls_version, verified);
  Answer<std::string> plain;
  submit<std::string>(runner, 5s, declare("plain", dsn + "?ssl-mode=DISABLED"), tls_version, plain);
  runner.run();
  EXPECT_EQ(verified.value, "TLSv1.3") << verified.error;
  EXPECT_EQ(plain.value, "") << plain.error;

  // Another CA's certificate is not trusted.
  loopback::TempDir dir;
  loopback::TestCa other(dir, "Other CA");
  Answer<std::string> untrusted;
  submit<std::string>(
      runner, 5s,
      declare("untrusted", dsn + "?ssl-mode=VERIFY_CA&ssl-ca=" + other.ca_file().string()),
      tls_version, untrusted);
  runner.run();
  EXPECT_EQ(untrusted.error.rfind("cannot connect to database 'untrusted': ", 0), 0u)
      << untrusted.error;
}

}  // namespace
}  // namespace cutover
