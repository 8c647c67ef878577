#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "harness/database.hpp"
#include "loopback/temp_dir.hpp"

namespace cutover::loopback {

// A throwaway PostgreSQL cluster: `initdb` into a temp folder and `pg_ctl start` on 127.0.0.1 at a
// free port, run as the `postgres` user (through `runuser`) when the tests run as root, as CI does.
// Stopped (`pg_ctl stop -m immediate`) and removed on destruction.
//
// Settings: wal_level=logical (logical replication between its databases), max_connections=100,
// fsync=off (a test cluster), password authentication (scram-sha-256) over TCP for every user,
// trust over the cluster's own Unix socket (its folder) for the fixture's admin work.
class PostgresCluster {
 public:
  static constexpr std::string_view kSuperuser = "postgres";
  static constexpr std::string_view kPassword = "fixture-pass-9f3k";  // the superuser's, over TCP

  // Throws std::runtime_error with initdb's or pg_ctl's output when the cluster cannot start.
  PostgresCluster();
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  int port() const { return port_; }

  // A key/value connection string over TCP to 127.0.0.1 as `user` (the superuser by default,
  // with kPassword); `password` empty leaves the password out.
  std::string dsn(std::string_view database, std::string_view user = kSuperuser,
                  std::string_view password = kPassword) const;

  // Runs SQL (several statements allowed) in `database` as the superuser over the Unix socket,
  // outside a transaction block, so CREATE DATABASE and CREATE SUBSCRIPTION work. Throws
  // std::runtime_error with the server's message.
  void execute(std::string_view database, std::string_view sql) const;

  // The first column of the first row of a query, as text ("" for NULL or no row).
  std::string query_value(std::string_view database, std::string_view sql) const;

  // Creates a database (dropping one of that name first).
  void create_database(std::string_view name) const;

  // A streaming physical standby of this cluster, in a folder of its own: `pg_basebackup -R -X
  // stream` over TCP as the superuser (initdb's pg_hba.conf lets `replication` in from 127.0.0.1
  // with a password), started as a hot standby on its own free port, with the same settings.
  // Stopped and removed on destruction; read-only, but pg_wal_replay_pause() works through
  // execute(). Throws std::runtime_error with pg_basebackup's or pg_ctl's output.
  std::unique_ptr<PostgresCluster> start_standby() const;

  // pg_ctl stop -m fast / pg_ctl start again on the same port and data.
  void stop();
  void start();
  bool running() const { return running_; }

 private:
  struct StandbyOf {
    const PostgresCluster& primary;
  };
  explicit PostgresCluster(StandbyOf standby);

  TempDir dir_;
  std::filesystem::path bin_;
  std::filesystem::path data_;
  std::filesystem::path socket_dir_;
  int port_ = 0;
  bool running_ = false;
};

// One cluster for the whole test program, started on first use and stopped at exit. The server
// binaries are found under /usr/lib/postgresql/N/bin (the newest N); without them the cluster
// cannot start and the tests fail: scripts/setup.sh installs them.
PostgresCluster& shared_postgres();

// A database as a suite's `databases:` would declare it, its engine read from the DSN.
std::shared_ptr<const Database> declare(const std::string& name, const std::string& dsn,
                                        int max_connections = 4);

}  // namespace cutover::loopback
