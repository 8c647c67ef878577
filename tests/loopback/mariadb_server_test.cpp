#include "loopback/mariadb_server.hpp"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"

// The fixture every MariaDB check test relies on: these tests pin down what it promises. They
// reach the server over TCP with the `mariadb` client, as a check would with the DSN's parts.

namespace cutover::test {
namespace {

using namespace std::chrono_literals;
using loopback::MariadbServer;
using Rows = std::vector<std::vector<std::optional<std::string>>>;

// `mariadb -e SQL` over TCP as root (the password by default), tab-separated, no header.
loopback::ProcessResult over_tcp(const MariadbServer& server, const std::string& sql,
                                 const std::vector<std::string>& options = {},
                                 std::string_view password = MariadbServer::kRootPassword) {
  std::vector<std::string> arguments{"/usr/bin/mariadb",
                                     "--no-defaults",
                                     "--protocol=TCP",
                                     "--host=127.0.0.1",
                                     "--port=" + std::to_string(server.port()),
                                     "--user=root",
                                     "--password=" + std::string(password),
                                     "--batch",
                                     "--skip-column-names",
                                     "--connect-timeout=5"};
  arguments.insert(arguments.end(), options.begin(), options.end());
  arguments.insert(arguments.end(), {"-e", sql});
  return loopback::run_command(arguments);
}

std::string tcp_value(const MariadbServer& server, const std::string& sql,
                      const std::vector<std::string>& options = {}) {
  const loopback::ProcessResult result = over_tcp(server, sql, options);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::string out = result.out;
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool process_exists(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

TEST(MariadbServer, ServesADatabaseOverTcpWithThePassword) {
  MariadbServer& server = loopback::shared_mariadb();
  ASSERT_TRUE(server.running());
  server.create_database("fixture_tcp");
  EXPECT_EQ(tcp_value(server, "SELECT CURRENT_USER(), @@port, DATABASE()", {"fixture_tcp"}),
            "root@127.0.0.1\t" + std::to_string(server.port()) + "\tfixture_tcp");
}

TEST(MariadbServer, RefusesAWrongPassword) {
  MariadbServer& server = loopback::shared_mariadb();
  const loopback::ProcessResult result = over_tcp(server, "SELECT 1", {}, "not-the-pass-3v8d");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("Access denied for user 'root'@'127.0.0.1'"), std::string::npos)
      << result.err;
}

TEST(MariadbServer, SpeaksTlsWithACertificateItsCaVerifies) {
  MariadbServer& server = loopback::shared_mariadb();
  const std::vector<std::string> verified{"--ssl", "--ssl-ca=" + server.ca_file().string(),
                                          "--ssl-verify-server-cert"};
  EXPECT_EQ(tcp_value(server, "SHOW SESSION STATUS LIKE 'Ssl_version'", verified).substr(0, 15),
            "Ssl_version\tTLS");

  // Without the CA the certificate does not verify: the CA is what the client must trust.
  const loopback::ProcessResult untrusted =
      over_tcp(server, "SELECT 1", {"--ssl", "--ssl-verify-server-cert"});
  EXPECT_NE(untrusted.exit_code, 0);
  EXPECT_NE(untrusted.err.find("certificate"), std::string::npos) << untrusted.err;
  // Not required: a client may still connect without TLS.
  EXPECT_EQ(tcp_value(server, "SHOW SESSION STATUS LIKE 'Ssl_version'", {"--skip-ssl"}),
            "Ssl_version\t");
}

TEST(MariadbServer, QueryTellsNullFromTheTextNull) {
  MariadbServer& server = loopback::shared_mariadb();
  const Rows rows = server.query(
      "SELECT NULL, 'NULL', '', '   ', CONCAT('a', CHAR(9), 'b', CHAR(10), 'c', CHAR(13), 'd'),"
      " '<&>\"''', 'h\\\\é✓' UNION ALL SELECT 1, 2, 3, 4, 5, 6, 7");
  const Rows expected{
      {std::nullopt, "NULL", "", "   ", "a\tb\nc\rd", "<&>\"'", "h\\é✓"},
      {"1", "2", "3", "4", "5", "6", "7"},
  };
  EXPECT_EQ(rows, expected);

  // Every result set's rows, in order; statements without one add none.
  EXPECT_EQ(server.query("SET @x = 'set'; SELECT @x; SELECT 1 WHERE FALSE; SELECT 2"),
            (Rows{{"set"}, {"2"}}));
  EXPECT_EQ(server.query_value("SELECT NULL"), "");
  EXPECT_EQ(server.query_value("SELECT 1 WHERE FALSE"), "");
  EXPECT_EQ(server.query_value("SELECT @@character_set_client"), "utf8mb4");
}

TEST(MariadbServer, ExecuteReportsTheClientsError) {
  MariadbServer& server = loopback::shared_mariadb();
  server.create_database("fixture_errors");
  try {
    server.execute(
        "CREATE TABLE kept (id int); SELECT * FROM no_such_table; CREATE TABLE never (id int)",
        "fixture_errors");
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& error) {
    EXPECT_EQ(std::string(error.what()),
              "MariadbServer: ERROR 1146 (42S02) at line 1: Table 'fixture_errors.no_such_table' "
              "doesn't exist");
  }
  // The statements before the error ran; none after it.
  EXPECT_EQ(server.query_value("SELECT GROUP_CONCAT(TABLE_NAME) FROM information_schema.TABLES"
                               " WHERE TABLE_SCHEMA = 'fixture_errors'"),
            "kept");
}

TEST(MariadbServer, DsnPercentEncodesItsParts) {
  MariadbServer& server = loopback::shared_mariadb();
  const std::string port = std::to_string(server.port());
  EXPECT_EQ(server.dsn("shop"), "mysql://root:fixture-pass-7m2q@127.0.0.1:" + port + "/shop");
  EXPECT_EQ(server.dsn("shop", "reader", ""), "mysql://reader@127.0.0.1:" + port + "/shop");
  EXPECT_EQ(server.dsn("my shop", "o'neil", "p@ss:w/rd%"),
            "mysql://o%27neil:p%40ss%3Aw%2Frd%25@127.0.0.1:" + port + "/my%20shop");
}

TEST(MariadbServer, CreateDatabaseDropsAndMakesItInUtf8mb4) {
  MariadbServer& server = loopback::shared_mariadb();
  server.create_database("fixture_created");
  server.execute("CREATE TABLE t (id int)", "fixture_created");
  server.create_database("fixture_created");
  EXPECT_EQ(server.query_value("SELECT COUNT(*) FROM information_schema.TABLES"
                               " WHERE TABLE_SCHEMA = 'fixture_created'"),
            "0");
  EXPECT_EQ(server.query("SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM"
                         " information_schema.SCHEMATA WHERE SCHEMA_NAME = 'fixture_created'"),
            (Rows{{"utf8mb4", "utf8mb4_general_ci"}}));
}

TEST(MariadbServer, HasTheSettingsItPromises) {
  MariadbServer& server = loopback::shared_mariadb();
  EXPECT_EQ(
      server.query("SELECT @@port, @@server_id, @@bind_address, @@log_bin, @@binlog_format,"
                   " @@log_slave_updates, @@character_set_server, @@collation_server,"
                   " @@innodb_flush_log_at_trx_commit, @@sync_binlog, @@have_ssl,"
                   " @@require_secure_transport, @@read_only, @@default_storage_engine"),
      (Rows{{std::to_string(server.port()), std::to_string(server.server_id()), "127.0.0.1", "1",
             "ROW", "1", "utf8mb4", "utf8mb4_general_ci", "0", "0", "YES", "0", "0", "InnoDB"}}));
}

TEST(MariadbServer, KeepsDataAcrossStopAndStart) {
  MariadbServer& server = loopback::shared_mariadb();
  server.create_database("fixture_restart");
  server.execute("CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (1), (2), (3)",
                 "fixture_restart");
  const int port = server.port();

  server.stop();
  EXPECT_FALSE(server.running());
  EXPECT_NE(over_tcp(server, "SELECT 1").exit_code, 0);
  EXPECT_THROW(server.query_value("SELECT 1"), std::runtime_error);
  server.start();

  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.query_value("SELECT SUM(id) FROM kept", "fixture_restart"), "6");
  EXPECT_EQ(tcp_value(server, "SELECT COUNT(*) FROM fixture_restart.kept"), "3");
}

TEST(MariadbServer, ReplicaReceivesWhatTheSourceWritesAfterItStarts) {
  MariadbServer& source = loopback::shared_mariadb();
  source.create_database("fixture_before_replica");  // before the replica: not replicated
  const std::unique_ptr<MariadbServer> replica = source.start_replica();
  ASSERT_TRUE(replica->running());
  EXPECT_NE(replica->port(), source.port());
  EXPECT_NE(replica->server_id(), source.server_id());
  EXPECT_EQ(replica->query_value("SELECT @@read_only"), "1");
  EXPECT_EQ(tcp_value(*replica, "SELECT CURRENT_USER()"), "root@127.0.0.1");

  source.create_database("fixture_replicated");
  source.execute(
      "CREATE TABLE items (id int PRIMARY KEY, name varchar(20));"
      "INSERT INTO items VALUES (1, 'first'), (2, 'second')",
      "fixture_replicated");
  std::string names;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    names = replica->query_value(
        "SELECT IF(COUNT(*) = 0, '', (SELECT GROUP_CONCAT(name ORDER BY id)"
        " FROM fixture_replicated.items)) FROM information_schema.TABLES"
        " WHERE TABLE_SCHEMA = 'fixture_replicated' AND TABLE_NAME = 'items'");
    if (names == "first,second") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(names, "first,second");
  EXPECT_EQ(replica->query_value("SELECT COUNT(*) FROM information_schema.SCHEMATA"
                                 " WHERE SCHEMA_NAME = 'fixture_before_replica'"),
            "0");
  EXPECT_EQ(replica->query_value("SELECT @@gtid_slave_pos"),
            source.query_value("SELECT @@gtid_binlog_pos"));
}

TEST(MariadbServer, LeavesNoProcessOrFolderBehind) {
  pid_t source_pid = 0;
  pid_t replica_pid = 0;
  std::filesystem::path data;
  int port = 0;
  {
    MariadbServer source;
    const std::unique_ptr<MariadbServer> replica = source.start_replica();
    source_pid = std::stoi(loopback::read_file(source.query_value("SELECT @@pid_file")));
    replica_pid = std::stoi(loopback::read_file(replica->query_value("SELECT @@pid_file")));
    data = source.query_value("SELECT @@datadir");
    port = source.port();
    ASSERT_TRUE(process_exists(source_pid));
    ASSERT_TRUE(process_exists(replica_pid));
    ASSERT_TRUE(std::filesystem::exists(data));
  }
  EXPECT_FALSE(process_exists(source_pid));
  EXPECT_FALSE(process_exists(replica_pid));
  EXPECT_FALSE(std::filesystem::exists(data)) << data;
  EXPECT_NE(loopback::run_command({"/usr/bin/mariadb", "--no-defaults", "--protocol=TCP",
                                   "--host=127.0.0.1", "--port=" + std::to_string(port),
                                   "--connect-timeout=2", "-e", "SELECT 1"})
                .exit_code,
            0);
}

TEST(MariadbServer, SaysWhenTheBinariesAreThere) {
  EXPECT_TRUE(loopback::mariadb_installed());
}

}  // namespace
}  // namespace cutover::test
