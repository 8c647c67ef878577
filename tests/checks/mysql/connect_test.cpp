#include "checks/mysql/connect.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checks/builtin.hpp"
#include "harness/registry.hpp"
#include "harness/suite.hpp"
#include "loopback/mariadb_server.hpp"
#include "loopback/postgres_cluster.hpp"
#include "loopback/tcp_servers.hpp"
#include "tests/support/check_runner.hpp"

// db.connect on MySQL/MariaDB, against a real MariaDB server; and how db.* and postgres.* kinds
// treat databases of each engine.

namespace cutover {
namespace {

using namespace std::chrono_literals;
using loopback::declare;
using loopback::shared_mariadb;
using nlohmann::json;
using test::expect_result;
using test::expect_result_matching;
using test::FieldMap;

std::shared_ptr<const Database> database(const std::string& name, const std::string& query = "") {
  shared_mariadb().create_database(name);
  return declare("source", shared_mariadb().dsn(name) + query);
}

std::string verified_tls() {
  return "?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + shared_mariadb().ca_file().string();
}

test::Completed run_check(FieldMap fields, Duration timeout = test::kCheckTimeout) {
  return test::run_check(*test::make_check<MysqlConnectCheck>(std::move(fields)), timeout);
}

// "10.11.19": the fixture's version as the check writes it.
std::string version() {
  const std::string full = shared_mariadb().query_value("SELECT VERSION()");
  return full.substr(0, full.find('-'));
}

TEST(MysqlConnect, ReachableServerPassesWithItsVersionAndUser) {
  const test::Completed run = run_check({{"database", database("myc_plain")}});
  expect_result_matching(run, Outcome::passed,
                         "connected to MariaDB " + version() + " as root@[^ ]+( over TLSv1.3)?");
  const Measurement* connect = test::find_measurement(run.result, "connect_ms");
  ASSERT_NE(connect, nullptr);
  EXPECT_GT(connect->value, 0);
}

TEST(MysqlConnect, MinVersionHoldsOrFails) {
  const test::Completed held =
      run_check({{"database", database("myc_version")}, {"min_version", std::string("10.6")}});
  EXPECT_EQ(held.result.outcome, Outcome::passed) << held.result.message;
  EXPECT_NE(held.result.message.find("; version at least 10.6"), std::string::npos);

  const test::Completed failed =
      run_check({{"database", database("myc_version")}, {"min_version", std::string("11.4")}});
  EXPECT_EQ(failed.result.outcome, Outcome::failed);
  EXPECT_EQ(failed.result.message.rfind("expected MariaDB 11.4 or later, got " + version(), 0), 0u)
      << failed.result.message;
}

TEST(MysqlConnect, GlobalVariablesAreComparedAsShowGlobalVariablesGivesThem) {
  const test::Completed held =
      run_check({{"database", database("myc_settings")},
                 {"settings", json{{"read_only", false}, {"character_set_server", "utf8mb4"}}}});
  EXPECT_EQ(held.result.outcome, Outcome::passed) << held.result.message;
  EXPECT_NE(held.result.message.find("character_set_server is utf8mb4, read_only is OFF"),
            std::string::npos)
      << held.result.message;

  const test::Completed failed = run_check(
      {{"database", database("myc_settings")},
       {"settings", json{{"require_secure_transport", "on"}, {"super_read_only", "ON"}}}});
  EXPECT_EQ(failed.result.outcome, Outcome::failed);
  EXPECT_EQ(failed.result.message.rfind(
                "require_secure_transport is OFF, expected on; super_read_only is not a variable "
                "of this server, expected ON (connected to MariaDB",
                0),
            0u)
      << failed.result.message;
}

TEST(MysqlConnect, TlsVersionAndRequiredTls) {
  const test::Completed encrypted = run_check({{"database", database("myc_tls", verified_tls())},
                                               {"min_tls_version", std::string("TLSv1.2")}});
  EXPECT_EQ(encrypted.result.outcome, Outcome::passed) << encrypted.result.message;
  EXPECT_NE(encrypted.result.message.find(" over TLSv1.3; TLS at least TLSv1.2"), std::string::npos)
      << encrypted.result.message;

  // The server takes connections without TLS: require_tls fails, saying so.
  const test::Completed accepted =
      run_check({{"database", database("myc_tls", verified_tls())}, {"require_tls", true}});
  EXPECT_EQ(accepted.result.outcome, Outcome::failed);
  EXPECT_EQ(accepted.result.message.rfind(
                "a connection with ssl-mode=DISABLED was accepted, expected it to be rejected", 0),
            0u)
      << accepted.result.message;

  // Without TLS, both fail.
  const test::Completed plain = run_check({{"database", database("myc_tls", "?ssl-mode=DISABLED")},
                                           {"require_tls", true},
                                           {"min_tls_version", std::string("TLSv1.2")}});
  EXPECT_EQ(plain.result.outcome, Outcome::failed);
  EXPECT_EQ(plain.result.message.rfind(
                "the connection is not encrypted, expected TLS; a connection with "
                "ssl-mode=DISABLED was accepted, expected it to be rejected; the connection is "
                "not encrypted, expected TLSv1.2 or later",
                0),
            0u)
      << plain.result.message;

  // An account that requires TLS refuses the plain connection.
  shared_mariadb().execute(
      "CREATE OR REPLACE USER 'tls_only'@'%' IDENTIFIED BY 'tls-pass-8c2v' REQUIRE SSL;"
      "GRANT SELECT ON myc_tls.* TO 'tls_only'@'%'");
  const test::Completed required = run_check(
      {{"database", declare("source", shared_mariadb().dsn("myc_tls", "tls_only", "tls-pass-8c2v") +
                                          verified_tls())},
       {"require_tls", true}});
  EXPECT_EQ(required.result.outcome, Outcome::passed) << required.result.message;
  EXPECT_NE(required.result.message.find("a connection with ssl-mode=DISABLED was rejected"),
            std::string::npos);
}

// The server's own refusal counts; a refusal for another reason says nothing of TLS.
TEST(MysqlConnect, RequiredTlsTellsARefusalForTlsFromOtherFailures) {
  shared_mariadb().create_database("myc_transport");
  shared_mariadb().execute("SET GLOBAL require_secure_transport = ON");
  const test::Completed refused =
      run_check({{"database", database("myc_transport", verified_tls())}, {"require_tls", true}});
  shared_mariadb().execute("SET GLOBAL require_secure_transport = OFF");
  EXPECT_EQ(refused.result.outcome, Outcome::passed) << refused.result.message;

  // One connection at most: the plain one is refused for that, not for being plain.
  shared_mariadb().execute(
      "CREATE OR REPLACE USER 'single'@'%' IDENTIFIED BY 'single-pass-5r1m' WITH "
      "MAX_USER_CONNECTIONS 1; GRANT SELECT ON myc_transport.* TO 'single'@'%'");
  const test::Completed unknown = run_check(
      {{"database",
        declare("source", shared_mariadb().dsn("myc_transport", "single", "single-pass-5r1m") +
                              verified_tls())},
       {"require_tls", true}});
  EXPECT_EQ(unknown.result.outcome, Outcome::error);
  EXPECT_EQ(unknown.result.message.rfind(
                "could not tell whether a connection with ssl-mode=DISABLED is rejected: ", 0),
            0u)
      << unknown.result.message;
}

TEST(MysqlConnect, TheAccountsAuthenticationPluginIsChecked) {
  shared_mariadb().create_database("myc_auth");
  shared_mariadb().execute(
      "CREATE OR REPLACE USER 'native'@'%' IDENTIFIED BY 'native-pass-4j7w';"
      "GRANT SELECT ON myc_auth.* TO 'native'@'%'");
  const test::Completed native = run_check(
      {{"database",
        declare("source", shared_mariadb().dsn("myc_auth", "native", "native-pass-4j7w"))},
       {"auth_plugins", std::vector<std::string>{"caching_sha2_password", "ed25519"}}});
  EXPECT_EQ(native.result.outcome, Outcome::failed);
  EXPECT_EQ(native.result.message.rfind("native@% authenticates with mysql_native_password, "
                                        "expected one of caching_sha2_password, ed25519",
                                        0),
            0u)
      << native.result.message;
  EXPECT_EQ(native.result.message.find("native-pass"), std::string::npos);

  if (shared_mariadb().query_value("SELECT COUNT(*) FROM information_schema.plugins WHERE "
                                   "plugin_name = 'ed25519'") == "0") {
    shared_mariadb().execute("INSTALL SONAME 'auth_ed25519'");
  }
  shared_mariadb().execute(
      "CREATE OR REPLACE USER 'modern'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('ed-pass-6t1q');"
      "GRANT SELECT ON myc_auth.* TO 'modern'@'%'");
  const test::Completed modern = run_check(
      {{"database", declare("source", shared_mariadb().dsn("myc_auth", "modern", "ed-pass-6t1q"))},
       {"auth_plugins", std::vector<std::string>{"caching_sha2_password", "ed25519"}}});
  EXPECT_EQ(modern.result.outcome, Outcome::passed) << modern.result.message;
  EXPECT_NE(modern.result.message.find("authenticates with ed25519"), std::string::npos);
}

TEST(MysqlConnect, AWrongPasswordIsAnErrorThatDoesNotShowIt) {
  shared_mariadb().create_database("myc_wrong");
  const std::string wrong = "wrong-pass-2h8d";
  const test::Completed run = run_check(
      {{"database", declare("source", shared_mariadb().dsn("myc_wrong", "root", wrong))}});
  EXPECT_EQ(run.result.outcome, Outcome::error);
  EXPECT_EQ(run.result.message.rfind("cannot connect to database 'source': Access denied", 0), 0u)
      << run.result.message;
  EXPECT_EQ(run.result.message.find(wrong), std::string::npos);
}

TEST(MysqlConnect, AServerThatDoesNotAnswerTimesOut) {
  loopback::UnansweringServer server;
  const test::Completed run = run_check(
      {{"database",
        declare("silent", "mysql://root@127.0.0.1:" + std::to_string(server.port()) + "/x")}},
      1s);
  expect_result(run, Outcome::error, "timed out after 900ms connecting to database 'silent'");
  EXPECT_LT(run.elapsed, 1500ms);
}

TEST(MysqlConnect, DescribeNamesTheAssertions) {
  auto check = test::make_check<MysqlConnectCheck>(
      {{"database", declare("source", "mysql://app@127.0.0.1/shop")},
       {"min_version", std::string("8.0")},
       {"settings", json{{"require_secure_transport", true}}},
       {"require_tls", true},
       {"min_tls_version", std::string("TLSv1.2")},
       {"auth_plugins", std::vector<std::string>{"caching_sha2_password", "ed25519"}}});
  EXPECT_EQ(check->describe(),
            "database 'source', version at least 8.0, require_secure_transport = ON, TLS "
            "required, TLS at least TLSv1.2, authenticates with caching_sha2_password or ed25519");
  EXPECT_EQ(test::construction_errors<MysqlConnectCheck>(
                {{"database", declare("source", "mysql://app@127.0.0.1/shop")},
                 {"min_version", std::string("eight")}}),
            std::vector<std::string>{"suite.yaml:7:5: error: expected a MySQL/MariaDB version "
                                     "like 8.0 or 10.11.6, got \"eight\""});
}

// The loader's messages for a suite declaring a PostgreSQL and a MySQL database.
std::vector<std::string> load_errors(const std::string& check) {
  return test::load_check_errors(
      "  pg: { dsn: \"postgresql://app@127.0.0.1/shop\" }\n"
      "  my: { dsn: \"mysql://app@127.0.0.1/shop\" }\n",
      check);
}

TEST(EngineKinds, DbConnectTakesEitherEngineAndRefusesTheOthersFields) {
  EXPECT_EQ(load_errors("{name: a, kind: db.connect, database: pg, min_version: '14'}"),
            std::vector<std::string>{});
  EXPECT_EQ(load_errors("{name: a, kind: db.connect, database: my, min_version: '8.0', "
                        "auth_plugins: [ed25519]}"),
            std::vector<std::string>{});
  EXPECT_EQ(load_errors("{name: a, kind: db.connect, database: pg, min_tls_version: TLSv1.3}"),
            std::vector<std::string>{
                "suite.yaml:6:64: error: check 'a': min_tls_version works on MySQL/MariaDB "
                "only, and database 'pg' is PostgreSQL"});
}

TEST(EngineKinds, PostgresKindsRefuseAMysqlDatabase) {
  EXPECT_EQ(load_errors("{name: a, kind: postgres.connect, database: my}"),
            std::vector<std::string>{
                "suite.yaml:6:49: error: check 'a': database 'my' is MySQL/MariaDB: "
                "postgres.connect checks PostgreSQL databases only (use db.connect)"});
  EXPECT_EQ(
      load_errors("{name: a, kind: postgres.checksum, source: pg, target: my, tables: [t]}"),
      std::vector<std::string>{"suite.yaml:6:60: error: check 'a': database 'my' is MySQL/MariaDB: "
                               "postgres.checksum checks PostgreSQL databases only"});
}

}  // namespace
}  // namespace cutover
