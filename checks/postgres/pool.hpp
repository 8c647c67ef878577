#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <pqxx/connection>

#include "checks/database/pool.hpp"
#include "harness/check.hpp"
#include "harness/database.hpp"
#include "harness/expected.hpp"

// PostgreSQL work for check kinds, on the engine-neutral pool (checks/database/pool.hpp).
namespace cutover::postgres {

// A pooled connection, ready for validation: read-only by default
// (default_transaction_read_only), application_name cutover, lock_timeout 5s, only errors sent
// as notices, and fixed output settings (TimeZone UTC, DateStyle ISO, YMD, IntervalStyle
// postgres, extra_float_digits 3, bytea hex) so text renderings are the same on every server.
class Session {
 public:
  // The session of a job the pool runs on one of its PostgreSQL connections.
  explicit Session(database::Job& job);

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

using database::JobError;
using database::RunOptions;

// The PostgreSQL client (libpqxx) behind database::run: connections with the settings above,
// cancel requests, and libpq's and the server's errors read for the user.
const database::Client& client();

// Runs `job` with a Session on a pooled connection to `database`, then calls `done` on the event
// loop, exactly once, with the job's value or with an Error saying what went wrong. Every job
// starts with statement_timeout set to what is left of the attempt's own budget. See
// database::run for the pool, the stages, the deadline and the messages; libpq cannot interrupt
// a connect, so its connect_timeout is the budget (at least 2s).
template <typename T>
void run(CheckContext& context, const std::shared_ptr<const Database>& database,
         std::function<T(Session&)> job, std::function<void(Expected<T>)> done,
         RunOptions options = {}) {
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
