#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <pqxx/connection>

#include "harness/check.hpp"
#include "harness/database.hpp"
#include "harness/expected.hpp"

// PostgreSQL work for check kinds: a small pool of connections per declared database, shared by
// the checks of a run, used from the run's thread pool so the event loop never blocks.
namespace cutover::postgres {

// A pooled connection, ready for validation: read-only by default
// (default_transaction_read_only), application_name cutover, lock_timeout 5s, only errors sent
// as notices, and fixed output settings (TimeZone UTC, DateStyle ISO, YMD, IntervalStyle
// postgres, extra_float_digits 3, bytea hex) so text renderings are the same on every server.
class Session {
 public:
  Session(pqxx::connection& connection, const Database& database,
          std::chrono::steady_clock::time_point deadline, std::optional<Duration> connect_time)
      : connection_(connection),
        database_(database),
        deadline_(deadline),
        connect_time_(connect_time) {}

  pqxx::connection& connection() { return connection_; }
  const Database& database() const { return database_; }

  // When the job's own budget ends. Each job starts with statement_timeout set to what is left
  // of it; a job that runs several statements may tighten it again with set_statement_timeout.
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }

  // SET statement_timeout to what is left of the budget (at least 1ms). Outside a transaction
  // only: libpqxx allows one transaction at a time on a connection; inside one, run
  // "SET LOCAL statement_timeout = <milliseconds_left()>".
  void set_statement_timeout();

  // What is left of the budget, in whole milliseconds, at least 1.
  std::int64_t milliseconds_left() const;

  // How long opening the connection took (TCP, TLS, authentication), when it was opened for this
  // job; empty for a connection the pool already had.
  std::optional<Duration> connect_time() const { return connect_time_; }

 private:
  pqxx::connection& connection_;
  const Database& database_;
  std::chrono::steady_clock::time_point deadline_;
  std::optional<Duration> connect_time_;
};

struct RunOptions {
  // The job gets a connection opened for it (closing an idle one when the pool is full), so
  // Session::connect_time() measures a real connection.
  bool fresh_connection = false;
};

namespace detail {
using ErasedJob = std::function<void(Session&)>;
using ErasedDone = std::function<void(std::optional<Error>)>;
void run(CheckContext& context, const std::shared_ptr<const Database>& database, ErasedJob job,
         ErasedDone done, RunOptions options);
}  // namespace detail

// Runs `job` on the run's thread pool with a connection to `database` (opened on first use, at
// most max_connections at once; later jobs wait for a free one), then calls `done` on the event
// loop, exactly once, with the job's value or with an Error saying what went wrong:
//   "cannot connect to database 'source': ...",
//   "query failed: relation \"x\" does not exist (SQLSTATE 42P01)",
//   "lost the connection to database 'source' (closed by the server or the network)",
// and at the attempt's own deadline (own_budget), by the stage the job is in:
//   "timed out after 1.9s waiting for a free connection to database 'source' (max_connections 4)",
//   "timed out after 1.9s waiting for a worker thread for database 'source' (all are busy)",
//   "timed out after 1.9s connecting to database 'source'",
//   "the server cancelled the query after 1.9s (statement_timeout)": a running query is cancelled
//   on the server (statement_timeout, and a cancel request for jobs of several statements).
// Server texts lose their "ERROR:"/"FATAL:" prefix and line breaks; the DSN's passwords are
// masked. `done` is never called from inside run().
//
// When the attempt is cancelled (the scheduler's watchdog, Ctrl-C), a waiting job is dropped and
// a running query is cancelled on the server, not abandoned: "cancelled while running a query on
// database 'source'" (or "while waiting for a connection", "while connecting", "before the query
// started"); `done` is still called once, which the scheduler counts as the attempt stopping.
// libpq cannot interrupt a connect: that thread stays busy until connect_timeout (the budget,
// at least 2s) while the job has answered. A connection that broke is closed; the next job opens
// a new one. The caller's io_context keeps running while a job is in flight.
template <typename T>
void run(CheckContext& context, const std::shared_ptr<const Database>& database,
         std::function<T(Session&)> job, std::function<void(Expected<T>)> done,
         RunOptions options = {}) {
  auto value = std::make_shared<std::optional<T>>();
  detail::run(
      context, database, [value, job = std::move(job)](Session& session) { *value = job(session); },
      [value, done = std::move(done)](std::optional<Error> error) {
        if (error) {
          done(outcome::failure(std::move(*error)));
        } else {
          done(std::move(**value));
        }
      },
      options);
}

// A job's own way to fail with a message for the user: run() reports it as the Error.
struct JobError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A value as SQL would write it, so that 42, '42' and NULL read apart: NULL, numbers bare,
// other text quoted.
std::string display_value(const std::optional<std::string>& value);

// SQL text of a value, quoted: 'it''s'. For identifiers, use quote_identifier.
std::string quote_literal(std::string_view text);
// "Name", "sales"."orders": an identifier quoted as PostgreSQL writes it.
std::string quote_identifier(std::string_view name);

// The DSN with `key=value` added: a keyword in key/value form, a query parameter in a URI. A
// later setting wins in libpq, so this overrides one the DSN has.
std::string with_parameter(std::string_view dsn, std::string_view key, std::string_view value);

// The DSN with a connect_timeout of `budget` rounded up (libpq's least is 2s), unless it sets
// its own.
std::string with_connect_timeout(std::string_view dsn, Duration budget);

// libpq's or the server's message for the user: one line, without the "ERROR:"/"FATAL:" prefix,
// with the passwords of `database`'s DSN masked.
std::string describe_error(const std::exception& error, const Database& database);

}  // namespace cutover::postgres
