#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loopback/temp_dir.hpp"

namespace cutover::loopback {

class Process;

// A throwaway MariaDB server: `mariadb-install-db` into a temp folder and `mariadbd` on 127.0.0.1
// at a free port, both with --no-defaults (no my.cnf, no system service's socket or port), as
// the `mysql` user when the tests run as root, as CI does (mariadb-install-db through `runuser`,
// mariadbd with --user=mysql, so that mariadbd itself is the fixture's child process). Killed
// (SIGKILL) and removed on destruction; a test that fails or throws leaves nothing behind, as the
// server dies with its MariadbServer.
//
// Settings: InnoDB, utf8mb4 with utf8mb4_general_ci as the server's default collation (the
// common case-insensitive one), a binary log with GTIDs (log_bin, server_id, log_slave_updates)
// so a replica can follow it, TLS on with a certificate for 127.0.0.1 from a TestCa of its own
// (ca_file()), not required (require_secure_transport OFF), no networking other than
// 127.0.0.1, innodb_flush_log_at_trx_commit=0 and sync_binlog=0 (a test server).
//
// `root` has kRootPassword over TCP (root@'127.0.0.1', as the server skips name resolution) and
// unix_socket authentication over the server's own socket, which the fixture's admin work
// (execute, query) uses through the `mariadb` client. (When the tests do not run as root, the
// admin work connects as the user running them, whom mariadb-install-db gives the same rights.)
// The fixture's own accounts are made with sql_log_bin=0: they never replicate.
class MariadbServer {
 public:
  static constexpr std::string_view kRootUser = "root";
  static constexpr std::string_view kRootPassword = "fixture-pass-7m2q";

  // Throws std::runtime_error with mariadb-install-db's output, or the server's error log, when
  // the server cannot start.
  MariadbServer();
  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  int port() const { return port_; }
  int server_id() const { return server_id_; }

  // PEM of the CA that signed the server's certificate: trust this (ssl-ca=...).
  const std::filesystem::path& ca_file() const { return ca_file_; }

  // mysql://USER:PASSWORD@127.0.0.1:PORT/DATABASE, root with kRootPassword by default;
  // `password` empty leaves it (and the ':') out. The user, password and database are
  // percent-encoded (all but A-Z a-z 0-9 - . _ ~).
  std::string dsn(std::string_view database, std::string_view user = kRootUser,
                  std::string_view password = kRootPassword) const;

  // Runs SQL (several statements separated by ';' allowed) as root over the Unix socket, with
  // `database` as the default one when not empty. The SQL goes to the client's stdin, so its size
  // is not bound by the command line's. The statements run in order up to the first that fails;
  // then this throws std::runtime_error with the client's message:
  // "MariadbServer: ERROR 1146 (42S02) at line 1: Table 'shop.nope' doesn't exist".
  void execute(std::string_view sql, std::string_view database = {}) const;

  // The rows of a query as text (nullopt for NULL, so NULL and the text 'NULL' differ), in order;
  // with several statements, the rows of every result set one after the other. Read from the
  // client's --xml output: values keep their bytes (tabs, newlines, CR, blanks) except a NUL
  // byte, which the client prints as a space. query_value gives the first column of the first
  // row ("" for NULL or no row).
  std::vector<std::vector<std::optional<std::string>>> query(std::string_view sql,
                                                             std::string_view database = {}) const;
  std::string query_value(std::string_view sql, std::string_view database = {}) const;

  // Creates a database (dropping one of that name first), utf8mb4 with utf8mb4_general_ci.
  void create_database(std::string_view name) const;

  // A replica of this server on its own free port with its own server_id, cloned empty (fresh
  // mariadb-install-db) and following this one by GTID (gtid_slave_pos set to this server's
  // gtid_binlog_pos at the call, CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos as a replication
  // account over TCP, then START SLAVE), so it replicates what this server writes after the
  // call, and nothing from before: a test makes its databases and tables after this call, or
  // writes to older ones break the replica's SQL thread. The replica's IO and SQL threads are
  // running when it returns. read_only is ON on it; its root has the same kRootPassword. Throws
  // std::runtime_error when it cannot start or connect.
  std::unique_ptr<MariadbServer> start_replica() const;

  // Stops the server (SIGTERM, a clean shutdown, waiting for mariadbd to exit) / starts it again
  // on the same port and data.
  void stop();
  void start();
  bool running() const { return running_; }

 private:
  struct ReplicaOf {
    const MariadbServer& source;
  };
  explicit MariadbServer(std::optional<ReplicaOf> replica);
  void install();
  std::vector<std::string> server_arguments() const;
  void set_up_accounts() const;
  void follow(const MariadbServer& source);

  TempDir dir_;
  std::filesystem::path data_;
  std::filesystem::path run_;  // socket, pid file, error log
  std::filesystem::path ca_file_;
  int port_ = 0;
  int server_id_ = 1;
  bool running_ = false;
  bool read_only_ = false;  // a replica's
  std::string admin_user_;  // the unix_socket account execute() and query() connect as
  std::filesystem::path certificate_file_;
  std::filesystem::path key_file_;
  std::unique_ptr<Process> server_;  // mariadbd itself; declared last, so killed first
};

// Whether the MariaDB server binaries (mariadbd, mariadb-install-db, mariadb) are installed:
// the demo leaves its MariaDB part out without them.
bool mariadb_installed();

// One server for the whole test program, started on first use and killed at exit (a normal
// exit, gtest's included, even when tests failed). Without the binaries it cannot start and the
// tests fail: scripts/setup.sh installs them. A failed start is not retried: later calls throw
// the same message.
MariadbServer& shared_mariadb();

}  // namespace cutover::loopback
