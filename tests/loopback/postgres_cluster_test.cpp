#include "loopback/postgres_cluster.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>

// The fixture every PostgreSQL check test relies on: these tests pin down what it promises.

namespace cutover::test {
namespace {

using namespace std::chrono_literals;

// Over TCP with a password, as a check connects: the first column of the first row.
std::string remote_value(const std::string& dsn, const std::string& sql) {
  pqxx::connection connection(dsn);
  pqxx::nontransaction work(connection);
  const pqxx::result result = work.exec(sql);
  return result[0][0].is_null() ? "" : result[0][0].c_str();
}

std::string connection_error(const std::string& dsn) {
  try {
    pqxx::connection connection(dsn);
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

TEST(PostgresCluster, ServesTwoDatabasesOverTcpWithPassword) {
  loopback::PostgresCluster& cluster = loopback::shared_postgres();
  ASSERT_TRUE(cluster.running());
  cluster.create_database("fixture_alpha");
  cluster.create_database("fixture_beta");

  EXPECT_EQ(remote_value(cluster.dsn("fixture_alpha"), "SELECT current_database()"),
            "fixture_alpha");
  EXPECT_EQ(remote_value(cluster.dsn("fixture_beta"), "SELECT current_database()"), "fixture_beta");
  // inet_server_addr() is NULL over a Unix socket: this really went over TCP.
  EXPECT_EQ(remote_value(cluster.dsn("fixture_alpha"), "SELECT inet_server_addr()::text"),
            "127.0.0.1/32");
  EXPECT_EQ(remote_value(cluster.dsn("fixture_alpha"), "SELECT current_user"), "postgres");
}

TEST(PostgresCluster, RefusesAWrongPasswordWithoutEchoingIt) {
  loopback::PostgresCluster& cluster = loopback::shared_postgres();
  const std::string wrong = "not-the-pass-7c1q";
  EXPECT_THROW(pqxx::connection connection(cluster.dsn("postgres", "postgres", wrong)),
               pqxx::broken_connection);

  const std::string message = connection_error(cluster.dsn("postgres", "postgres", wrong));
  EXPECT_NE(message.find("password authentication failed for user \"postgres\""), std::string::npos)
      << message;
  EXPECT_EQ(message.find(wrong), std::string::npos) << message;
}

TEST(PostgresCluster, DsnQuotesValuesTheWayLibpqReadsThem) {
  loopback::PostgresCluster& cluster = loopback::shared_postgres();
  const std::string port = std::to_string(cluster.port());
  EXPECT_EQ(cluster.dsn("shop"), "host=127.0.0.1 port=" + port +
                                     " dbname=shop user=postgres password=fixture-pass-9f3k"
                                     " connect_timeout=5");
  EXPECT_EQ(cluster.dsn("shop", "reader", ""),
            "host=127.0.0.1 port=" + port + " dbname=shop user=reader connect_timeout=5");
  EXPECT_EQ(cluster.dsn("my shop", "o'neil", "back\\slash"),
            "host=127.0.0.1 port=" + port +
                R"( dbname='my shop' user='o\'neil' password='back\\slash' connect_timeout=5)");

  // And libpq agrees: a role and a database whose names and password need the quotes.
  cluster.create_database("my shop");
  cluster.execute("postgres",
                  "DROP ROLE IF EXISTS \"o'neil\";"
                  "CREATE ROLE \"o'neil\" LOGIN PASSWORD 'it''s a back\\slash'");
  EXPECT_EQ(remote_value(cluster.dsn("my shop", "o'neil", "it's a back\\slash"),
                         "SELECT current_database() || ' as ' || current_user"),
            "my shop as o'neil");
}

TEST(PostgresCluster, ExecuteReportsTheServersMessage) {
  loopback::PostgresCluster& cluster = loopback::shared_postgres();
  try {
    cluster.execute("postgres", "SELECT * FROM no_such_table");
    FAIL() << "expected std::runtime_error";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("relation \"no_such_table\" does not exist"),
              std::string::npos)
        << error.what();
  }
  EXPECT_EQ(cluster.query_value("postgres", "SELECT NULL"), "");
  EXPECT_EQ(cluster.query_value("postgres", "SELECT 1 WHERE false"), "");
}

TEST(PostgresCluster, KeepsDataAcrossStopAndStart) {
  loopback::PostgresCluster& cluster = loopback::shared_postgres();
  cluster.create_database("fixture_restart");
  cluster.execute("fixture_restart",
                  "CREATE TABLE kept (id int PRIMARY KEY);"
                  "INSERT INTO kept VALUES (1), (2), (3)");
  const int port = cluster.port();

  cluster.stop();
  EXPECT_FALSE(cluster.running());
  EXPECT_THROW(pqxx::connection connection(cluster.dsn("fixture_restart")),
               pqxx::broken_connection);
  cluster.start();

  EXPECT_TRUE(cluster.running());
  EXPECT_EQ(cluster.port(), port);
  EXPECT_EQ(cluster.query_value("fixture_restart", "SELECT sum(id) FROM kept"), "6");
  EXPECT_EQ(remote_value(cluster.dsn("fixture_restart"), "SELECT count(*) FROM kept"), "3");
}

TEST(PostgresCluster, HasTheSettingsItPromises) {
  loopback::PostgresCluster& cluster = loopback::shared_postgres();
  EXPECT_EQ(cluster.query_value("postgres", "SHOW wal_level"), "logical");
  EXPECT_EQ(cluster.query_value("postgres", "SHOW max_connections"), "100");
  EXPECT_EQ(cluster.query_value("postgres", "SHOW fsync"), "off");
  EXPECT_EQ(cluster.query_value("postgres", "SHOW listen_addresses"), "127.0.0.1");
  EXPECT_EQ(cluster.query_value("postgres", "SHOW port"), std::to_string(cluster.port()));
  EXPECT_EQ(cluster.query_value("postgres", "SHOW server_encoding"), "UTF8");
}

// The fixture's reason for wal_level=logical: one database subscribing to another. Within one
// cluster the slot is made beforehand, as CREATE SUBSCRIPTION would wait for itself otherwise.
TEST(PostgresCluster, ReplicatesLogicallyBetweenItsDatabases) {
  loopback::PostgresCluster& cluster = loopback::shared_postgres();
  cluster.create_database("fixture_source");
  cluster.create_database("fixture_target");
  cluster.execute("fixture_source",
                  "CREATE TABLE items (id int PRIMARY KEY, name text);"
                  "CREATE PUBLICATION fixture_pub FOR TABLE items");
  // On its own: a multi-statement string is one transaction, and a slot needs one without writes.
  cluster.execute("fixture_source",
                  "SELECT pg_create_logical_replication_slot('fixture_sub', 'pgoutput')");
  cluster.execute("fixture_target", "CREATE TABLE items (id int PRIMARY KEY, name text)");
  cluster.execute("fixture_target",
                  "CREATE SUBSCRIPTION fixture_sub CONNECTION '" + cluster.dsn("fixture_source") +
                      "' PUBLICATION fixture_pub WITH (create_slot = false, slot_name = "
                      "'fixture_sub')");
  cluster.execute("fixture_source", "INSERT INTO items VALUES (1, 'first'), (2, 'second')");

  // Replication is asynchronous: wait for the rows, with a generous bound for a loaded machine.
  std::string names;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    names = cluster.query_value("fixture_target",
                                "SELECT string_agg(name, ',' ORDER BY id) FROM items");
    if (names == "first,second") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(names, "first,second");

  // Drops the slot on the source too, so the databases can be dropped and made again.
  cluster.execute("fixture_target", "DROP SUBSCRIPTION fixture_sub");
  EXPECT_EQ(cluster.query_value("fixture_source", "SELECT count(*) FROM pg_replication_slots"),
            "0");
}

}  // namespace
}  // namespace cutover::test
