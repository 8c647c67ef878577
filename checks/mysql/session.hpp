#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks/database/pool.hpp"
#include "harness/check.hpp"
#include "harness/database.hpp"
#include "harness/expected.hpp"

// MySQL and MariaDB work for check kinds, through MariaDB Connector/C, on the engine-neutral pool
// (checks/database/pool.hpp). Every call into the connector stays in this folder.
namespace cutover::mysql {

// What the connector or the server refused: its error number (ER_*, CR_*), SQLSTATE and message.
struct Failure : std::runtime_error {
  Failure(unsigned code, std::string sqlstate, const std::string& message)
      : std::runtime_error(message), code(code), sqlstate(std::move(sqlstate)) {}
  unsigned code;
  std::string sqlstate;
};

class Connection;

// One row of a result as text, as the server sends it; nullopt for NULL.
using Row = std::vector<std::optional<std::string>>;

// A result with its column names, as the server names them.
struct NamedRows {
  std::vector<std::string> columns;
  std::vector<Row> rows;
};

// What one statement gave, without holding its rows: for statements whose result is judged by
// count and first value (db.smoke).
struct StatementResult {
  bool returns_rows = false;
  // Rows returned; else rows affected (an UPDATE's rows matched, as PostgreSQL counts them, not
  // only those whose values changed).
  std::uint64_t rows = 0;
  std::optional<Row> first_row;
};

// A pooled connection, ready for validation: SET SESSION TRANSACTION READ ONLY, utf8mb4,
// time_zone '+00:00', and each job's remaining budget as the server's own statement limit
// (MariaDB's max_statement_time, MySQL's max_execution_time).
class Session {
 public:
  // The session of a job the pool runs on one of its MySQL/MariaDB connections.
  explicit Session(database::Job& job);

  const Database& database() const { return database_; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }
  std::optional<Duration> connect_time() const { return connect_time_; }

  // True for a MariaDB server, false for MySQL: the two differ in variable names and features.
  bool mariadb() const;
  // "10.11.19-MariaDB-0+deb12u1", "8.0.36": the server's version string.
  std::string server_version() const;
  // 101119, 80036: the version as a number.
  unsigned long server_version_number() const;
  // The cipher of an encrypted session; empty when the session is not encrypted.
  std::string tls_cipher() const;

  // Sets the server's own statement limit to what is left of the budget (at least 1ms).
  void set_statement_timeout();

  // Runs one statement and discards any result.
  void execute(std::string_view sql);
  // Runs one query and returns all of its rows.
  std::vector<Row> query(std::string_view sql);
  // The first column of the first row (nullopt for NULL or no row).
  std::optional<std::string> value(std::string_view sql);
  // Runs one query and hands its rows over one at a time, as the server streams them, without
  // holding the result in memory.
  void for_each_row(std::string_view sql, const std::function<void(const Row&)>& visit);
  // Runs one query and returns its column names and all of its rows: for SHOW statements whose
  // columns differ between servers and versions (SHOW SLAVE STATUS, SHOW REPLICA STATUS).
  NamedRows query_named(std::string_view sql);

  // The columns of the last statement's result: 0 for a statement without one (SET, UPDATE).
  unsigned last_columns() const;

  // Runs one statement of any kind (a CALL's extra results are read and dropped).
  StatementResult run_statement(std::string_view sql);
  // Whether a transaction is open on the connection, as the server's last reply says
  // (SERVER_STATUS_IN_TRANS): false after a statement that committed implicitly.
  bool in_transaction() const;
  // Drops the connection once the job ends: the pool opens a new one for the next job, so what
  // a job did to its session (SET, temporary tables, user variables) reaches no other.
  void close();

  // Runs `read` inside START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY: every statement
  // of it sees one snapshot of the data. Rolled back when `read` throws.
  template <typename Read>
  auto in_snapshot(Read read) {
    execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    try {
      auto result = read();
      execute("COMMIT");
      return result;
    } catch (...) {
      roll_back();
      throw;
    }
  }

  // A string literal for SQL, escaped for this connection's character set: 'it\'s'.
  std::string quote_literal(std::string_view text) const;

 private:
  // ROLLBACK, ignoring a failure (the connection may be gone).
  void roll_back() noexcept;

  Connection& connection_;
  const Database& database_;
  std::chrono::steady_clock::time_point deadline_;
  std::optional<Duration> connect_time_;
};

// The MySQL/MariaDB client (Connector/C) behind database::run: connections with the settings
// above, KILL QUERY from a second connection to cancel, and the connector's and server's errors
// read for the user.
const database::Client& client();

// Runs `job` with a Session on a pooled connection to `database`, then calls `done` on the event
// loop, exactly once, with the job's value or with an Error saying what went wrong. Every job
// starts with the statement limit set to what is left of the attempt's own budget; see
// database::run for the pool, the stages, the deadline and the messages.
template <typename T>
void run(CheckContext& context, const std::shared_ptr<const Database>& database,
         std::function<T(Session&)> job, std::function<void(Expected<T>)> done,
         database::RunOptions options = {}) {
  auto value = std::make_shared<std::optional<T>>();
  database::run(
      context, client(), database,
      [value, job = std::move(job)](database::Job& handed) {
        Session session(handed);
        session.set_statement_timeout();
        *value = job(session);
      },
      [value, done = std::move(done)](std::optional<Error> error) {
        if (error) {
          done(outcome::failure(std::move(*error)));
        } else {
          done(std::move(**value));
        }
      },
      options);
}

// Whether a connection to `database` with ssl-mode=DISABLED (the DSN's own TLS settings aside) is
// accepted, trying for about `budget`. Only "access denied" (an account that REQUIREs SSL, or
// MariaDB's require_secure_transport) and MySQL's ER_SECURE_TRANSPORT_REQUIRED count as refused;
// any other failure throws JobError, since it says nothing of TLS. For require_tls.
bool connects_without_tls(const Database& database, Duration budget);

// `Name`, `shop`.`orders`: an identifier quoted as MySQL writes it (a backtick doubled).
std::string quote_identifier(std::string_view name);

// The connector's or the server's message for the user: one line, with the error number for a
// server error ("Table 'shop.x' doesn't exist (error 1146)") and the passwords of `database`'s
// DSN masked.
std::string describe_error(const std::exception& error, const Database& database);

}  // namespace cutover::mysql
