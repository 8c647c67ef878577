#include "checks/postgres/connect.hpp"

#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/connection>

#include "checks/builtin.hpp"
#include "harness/registry.hpp"
#include "loopback/certificates.hpp"
#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/check_runner.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_postgres;
using nlohmann::json;
using test::expect_result;
using test::FieldMap;
using test::find_measurement;

// A database of the shared cluster, declared as `source`.
std::shared_ptr<const Database> source(const std::string& database) {
  loopback::shared_postgres().create_database(database);
  return declare("source", loopback::shared_postgres().dsn(database));
}

test::Completed run_check(FieldMap fields, Duration timeout = test::kCheckTimeout) {
  return test::run_check(*test::make_check<PostgresConnectCheck>(std::move(fields)), timeout);
}

std::vector<std::string> construction_errors(FieldMap fields) {
  return test::construction_errors<PostgresConnectCheck>(std::move(fields));
}

// "15.18", as the check writes the fixture's version.
std::string server_version(const loopback::PostgresCluster& cluster) {
  const int number = std::stoi(cluster.query_value("postgres", "SHOW server_version_num"));
  return std::to_string(number / 10000) + "." + std::to_string(number % 10000);
}

std::string connected(const loopback::PostgresCluster& cluster = loopback::shared_postgres()) {
  return "connected to PostgreSQL " + server_version(cluster) + " as postgres";
}

TEST(PostgresConnect, ReachableServerPassesAndMeasuresTheConnection) {
  const test::Completed run = run_check({{"database", source("pgc_plain")}});
  expect_result(run, Outcome::passed, connected());

  const Measurement* connect = find_measurement(run.result, "connect_ms");
  ASSERT_NE(connect, nullptr);
  EXPECT_EQ(connect->unit, "ms");
  EXPECT_GT(connect->value, 0);
  const Measurement* version = find_measurement(run.result, "server_version_num");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(version->value, std::stod(loopback::shared_postgres().query_value(
                                "postgres", "SHOW server_version_num")));
}

TEST(PostgresConnect, MinVersionHoldsOrFails) {
  auto database = source("pgc_version");
  const std::string version = server_version(loopback::shared_postgres());
  const std::string major = version.substr(0, version.find('.'));
  const int minor = std::stoi(version.substr(version.find('.') + 1));

  expect_result(run_check({{"database", database}, {"min_version", std::string("14")}}),
                Outcome::passed, connected() + "; version at least 14");
  expect_result(run_check({{"database", database}, {"min_version", version}}), Outcome::passed,
                connected() + "; version at least " + version);
  expect_result(run_check({{"database", database}, {"min_version", std::string("9.6.3")}}),
                Outcome::passed, connected() + "; version at least 9.6.3");

  const std::string next_minor = major + "." + std::to_string(minor + 1);
  expect_result(
      run_check({{"database", database}, {"min_version", next_minor}}), Outcome::failed,
      "expected PostgreSQL " + next_minor + " or later, got " + version + " (" + connected() + ")");
  expect_result(run_check({{"database", database}, {"min_version", std::string("99")}}),
                Outcome::failed,
                "expected PostgreSQL 99 or later, got " + version + " (" + connected() + ")");
}

TEST(PostgresConnect, SettingsThatMatchAreListed) {
  const json settings = {{"password_encryption", "scram-sha-256"},
                         {"max_connections", 100},
                         {"fsync", false},
                         {"TimeZone", "UTC"}};
  expect_result(run_check({{"database", source("pgc_settings")}, {"settings", settings}}),
                Outcome::passed,
                connected() +
                    "; TimeZone is UTC, fsync is off, max_connections is 100, "
                    "password_encryption is scram-sha-256");
}

TEST(PostgresConnect, EverySettingThatDiffersIsNamed) {
  const json settings = {{"ssl", "on"},
                         {"password_encryption", "md5"},
                         {"wal_level", "logical"},
                         {"no_such_setting", "1"}};
  const test::Completed run =
      run_check({{"database", source("pgc_settings_differ")}, {"settings", settings}});
  expect_result(run, Outcome::failed,
                "no_such_setting is not a setting of this server, expected 1; "
                "password_encryption is scram-sha-256, expected md5; ssl is off, expected on (" +
                    connected() + ")");
  EXPECT_NE(find_measurement(run.result, "connect_ms"), nullptr);
}

TEST(PostgresConnect, RequireTlsFailsOnAServerThatTakesPlainConnections) {
  expect_result(run_check({{"database", source("pgc_no_tls")}, {"require_tls", true}}),
                Outcome::failed,
                "the connection is not encrypted, expected TLS; a connection with "
                "sslmode=disable was accepted, expected it to be rejected (" +
                    connected() + ")");
}

// A cluster of its own with TLS on: the shared one must keep taking plain connections.
class TlsCluster {
 public:
  TlsCluster() {
    std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
    loopback::TestCa ca(dir_);
    const loopback::Certificate certificate = ca.issue({.ip_addresses = {"127.0.0.1"}});
    const auto certificate_file =
        dir_.write("server.crt", loopback::read_file(certificate.chain_file));
    const auto key_file = dir_.write("server.key", loopback::read_file(certificate.key_file));
    // The server refuses a key others can read; it runs as `postgres` when the tests run as root.
    std::filesystem::permissions(key_file, std::filesystem::perms(0600));
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgres");
      if (user == nullptr || ::chown(key_file.c_str(), user->pw_uid, user->pw_gid) != 0 ||
          ::chown(certificate_file.c_str(), user->pw_uid, user->pw_gid) != 0) {
        throw std::runtime_error("cannot hand the key to the postgres user");
      }
    }
    cluster_.execute("postgres",
                     "ALTER SYSTEM SET ssl_cert_file = '" + certificate_file.string() + "'");
    cluster_.execute("postgres", "ALTER SYSTEM SET ssl_key_file = '" + key_file.string() + "'");
    cluster_.execute("postgres", "ALTER SYSTEM SET ssl = on");
    cluster_.execute("postgres", "SELECT pg_reload_conf()");
    cluster_.create_database("pgc_tls");
    await([this] { return connects(cluster_.dsn("pgc_tls") + " sslmode=require"); });
  }

  // Rejects connections without TLS, as a server that requires it does.
  void reject_plain() {
    const std::filesystem::path hba = cluster_.query_value("postgres", "SHOW hba_file");
    const std::string rules = loopback::read_file(hba);
    std::ofstream(hba, std::ios::trunc) << "hostnossl all all 127.0.0.1/32 reject\n" << rules;
    cluster_.execute("postgres", "SELECT pg_reload_conf()");
    await([this] { return !connects(cluster_.dsn("pgc_tls") + " sslmode=disable"); });
  }

  const loopback::PostgresCluster& cluster() const { return cluster_; }

 private:
  static bool connects(const std::string& dsn) {
    try {
      pqxx::connection connection(dsn);
      return true;
    } catch (const pqxx::broken_connection&) {
      return false;
    }
  }

  // A reload takes effect a moment later.
  template <typename Condition>
  static void await(Condition condition) {
    for (int i = 0; i < 200; ++i) {
      if (condition()) return;
      std::this_thread::sleep_for(25ms);
    }
    throw std::runtime_error("the TLS cluster did not take its new settings");
  }

  loopback::TempDir dir_;
  loopback::PostgresCluster cluster_;
};

TEST(PostgresConnect, RequireTlsPassesWhenPlainConnectionsAreRejected) {
  TlsCluster tls;
  auto database = declare("secure", tls.cluster().dsn("pgc_tls"));

  // TLS on, plain connections still taken.
  expect_result(
      run_check({{"database", database}, {"require_tls", true}, {"settings", json{{"ssl", "on"}}}}),
      Outcome::failed,
      "a connection with sslmode=disable was accepted, expected it to be rejected (" +
          connected(tls.cluster()) + ")");

  tls.reject_plain();
  expect_result(
      run_check({{"database", database}, {"require_tls", true}, {"settings", json{{"ssl", "on"}}}}),
      Outcome::passed,
      connected(tls.cluster()) +
          "; ssl is on; over TLS, a connection with sslmode=disable was rejected");

  // A DSN asking for no TLS is rejected itself: an error, as the check cannot be carried out.
  const test::Completed plain =
      run_check({{"database", declare("secure", tls.cluster().dsn("pgc_tls") + " sslmode=disable")},
                 {"require_tls", true}});
  expect_result(plain, Outcome::error,
                "cannot connect to database 'secure': connection to server at \"127.0.0.1\", "
                "port " +
                    std::to_string(tls.cluster().port()) +
                    " failed: pg_hba.conf rejects connection for host \"127.0.0.1\", user "
                    "\"postgres\", database \"pgc_tls\", no encryption");
}

TEST(PostgresConnect, ARefusedConnectionIsAnError) {
  const std::uint16_t port = loopback::unused_port();
  expect_result(
      run_check({{"database", declare("down", "host=127.0.0.1 port=" + std::to_string(port) +
                                                  " user=postgres")}}),
      Outcome::error,
      "cannot connect to database 'down': connection to server at \"127.0.0.1\", port " +
          std::to_string(port) +
          " failed: Connection refused Is the server running on that host and "
          "accepting TCP/IP connections?");
}

TEST(PostgresConnect, AWrongPasswordIsAnErrorThatDoesNotShowIt) {
  loopback::shared_postgres().create_database("pgc_auth");
  const std::string password = "not-the-pass-5v8";
  const test::Completed run = run_check(
      {{"database",
        declare("source", loopback::shared_postgres().dsn("pgc_auth", "postgres", password))}});
  expect_result(run, Outcome::error,
                "cannot connect to database 'source': connection to server at \"127.0.0.1\", "
                "port " +
                    std::to_string(loopback::shared_postgres().port()) +
                    " failed: password authentication failed for user \"postgres\"");
  EXPECT_EQ(run.result.message.find(password), std::string::npos);
}

TEST(PostgresConnect, AServerThatDoesNotAnswerTimesOut) {
  loopback::UnansweringServer server;
  const test::Completed run = run_check(
      {{"database", declare("silent", "host=127.0.0.1 port=" + std::to_string(server.port()) +
                                          " user=postgres")}},
      1s);
  expect_result(run, Outcome::error, "timed out after 900ms connecting to database 'silent'");
  EXPECT_LT(run.elapsed, 1500ms);
}

TEST(PostgresConnect, CancellingWhileConnectingAnswersAtOnce) {
  loopback::UnansweringServer server;
  auto check = test::make_check<PostgresConnectCheck>(
      {{"database", declare("silent", "host=127.0.0.1 port=" + std::to_string(server.port()) +
                                          " user=postgres")}});
  const test::Completed run = test::run_check(*check, 10s, 200ms);
  expect_result(run, Outcome::error, "cancelled while connecting on database 'silent'");
  EXPECT_LT(run.elapsed, 1s);

  const test::CancelledBeforeStart before = test::run_cancelled_before_start(*check);
  EXPECT_EQ(before.completions_inside_start, 0);
  expect_result(before.run, Outcome::error,
                "cancelled before the query started on database 'silent'");
}

TEST(PostgresConnect, MistakesInFieldsArePlaced) {
  auto database = declare("source", "host=127.0.0.1");
  EXPECT_EQ(construction_errors({{"database", database}, {"min_version", std::string("fourteen")}}),
            std::vector<std::string>{"suite.yaml:7:5: error: expected a PostgreSQL version like "
                                     "14 or 15.4, got \"fourteen\""});
  EXPECT_EQ(construction_errors({{"database", database}, {"min_version", std::string("15.4.1")}}),
            std::vector<std::string>{"suite.yaml:7:5: error: expected a PostgreSQL version like "
                                     "14 or 15.4, got \"15.4.1\""});
  EXPECT_EQ(construction_errors({{"database", database}, {"settings", json("ssl=on")}}),
            std::vector<std::string>{
                "suite.yaml:7:5: error: expected a map of setting names to values, got a value"});
  EXPECT_EQ(construction_errors({{"database", database}, {"settings", json::object()}}),
            std::vector<std::string>{"suite.yaml:7:5: error: expected at least one setting"});
  EXPECT_EQ(construction_errors(
                {{"database", database},
                 {"settings",
                  json{{"ssl", json::array({"on"})}, {"bad name", "x"}, {"work_mem", nullptr}}}}),
            (std::vector<std::string>{
                "suite.yaml:7:5: error: \"bad name\" is not a setting name",
                "suite.yaml:7:5: error: ssl: expected the text SHOW gives, got a list",
                "suite.yaml:7:5: error: work_mem: expected the text SHOW gives, got null"}));
  EXPECT_EQ(construction_errors({}),
            std::vector<std::string>{"suite.yaml:7:5: error: expected the name of a database"});
}

TEST(PostgresConnect, DescribeNamesTheDatabaseAndAssertions) {
  auto check =
      test::make_check<PostgresConnectCheck>({{"database", declare("source", "host=127.0.0.1")},
                                              {"min_version", std::string("15.4")},
                                              {"settings", json{{"ssl", "on"}}},
                                              {"require_tls", true}});
  EXPECT_EQ(check->describe(), "database 'source', version at least 15.4, ssl = on, TLS required");
}

TEST(PostgresConnect, IsRegisteredAsPostgresConnect) {
  Registry registry;
  register_builtin_checks(registry);
  const Kind* kind = registry.find("postgres.connect");
  ASSERT_NE(kind, nullptr);
  std::vector<std::string> fields;
  for (const FieldSpec& field : kind->spec.fields)
    fields.push_back(field.name);
  EXPECT_EQ(fields,
            (std::vector<std::string>{"database", "min_version", "settings", "require_tls"}));
}

}  // namespace
}  // namespace cutover
