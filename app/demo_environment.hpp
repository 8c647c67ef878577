#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace cutover::demo {

// The stand-ins for one migration, all on loopback: the old environment on 127.0.0.2 and the new
// one on 127.0.0.3 (HTTPS services with certificates from a CA made at start, plain HTTP on the
// new side), a DNS server for shop.test whose records point at the old environment until
// cut_over(), and a PostgreSQL cluster with a source and a target database, the target
// subscribed to the source; and, when MariaDB is installed, a MariaDB server whose inventory the
// demo copies into the cluster. Everything is stopped and removed on destruction.
// Starting the environment was cut short by a signal.
struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

class Environment {
 public:
  // Starts everything, loads the sample data into the source and waits until the target's
  // subscription has copied it. With `inject_faults`, the target then gets a changed row, a
  // missing row and a sequence left behind, the inventory copy loses a stock row, the new
  // certificate expires in a few days, and cut_over() leaves one DNS name behind. A cluster that
  // cannot start (no PostgreSQL server binaries) is not an error: has_databases() is false then,
  // and database_note() says why. Throws std::runtime_error when anything else cannot start, and
  // Interrupted when `stop_requested` says so between steps; what had started is stopped and
  // removed either way.
  Environment(bool inject_faults, std::function<bool()> stop_requested);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  // Every address, port, file and connection string the shipped suites read.
  const std::map<std::string, std::string>& variables() const;

  bool has_databases() const;
  const std::string& database_note() const;

  // The MariaDB part: an inventory database in MariaDB, copied into PostgreSQL. Left out (and
  // mariadb_note() says why) without the MariaDB binaries or without PostgreSQL.
  bool has_mariadb() const;
  const std::string& mariadb_note() const;

  // The DNS switch: the shop.test names move to the new environment. Thread-safe.
  void cut_over();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cutover::demo
