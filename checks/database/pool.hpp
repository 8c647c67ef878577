#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "harness/check.hpp"
#include "harness/database.hpp"
#include "harness/duration.hpp"

// Blocking database work for check kinds, whatever the engine: a small pool of connections per
// declared database, shared by the checks of a run, used from the run's thread pool so the event
// loop never blocks. An engine supplies its client library's calls (Client); the queue, the
// stages, the deadline and the cancelling are written here once.
namespace cutover::database {

// One connection of an engine's client library, as the pool holds it.
class Connection {
 public:
  virtual ~Connection() = default;

  // False once the server or the network closed it: the pool drops it.
  virtual bool is_open() const = 0;

  // Called from another thread while a job uses the connection: asks the server to cancel the
  // query it runs. Failures are ignored (the query still ends at its server-side timeout).
  virtual void cancel_query() = 0;
};

// What a job's exception means, as the engine reads it.
struct JobFailure {
  enum class Kind {
    lost,             // the connection broke
    query_cancelled,  // the server cancelled the query (its timeout, or a cancel request)
    query_failed,     // the server refused the query: `detail` says why
    other,            // anything else: `detail` says what
  };
  Kind kind = Kind::other;
  std::string detail{};  // one line, passwords masked
};

// The calls the pool makes to an engine's client library. They run on worker threads; one
// object serves every run, so it holds no state.
class Client {
 public:
  virtual ~Client() = default;

  // Opens a connection to `database`, giving up after about `budget`. Throws what the library
  // throws; the pool reports it with describe_error.
  virtual std::unique_ptr<Connection> open(const Database& database, Duration budget) const = 0;

  // Applies the settings every validation connection has (read-only first of all). A
  // connection whose settings failed is never pooled.
  virtual void prepare(Connection& connection) const = 0;

  // The library's or the server's message for the user: one line, the DSN's passwords masked.
  virtual std::string describe_error(const std::exception& error,
                                     const Database& database) const = 0;

  // What `error`, thrown by a job on `connection` (null when none was open), means.
  virtual JobFailure classify(const std::exception& error, const Database& database,
                              const Connection* connection) const = 0;

  // The server's own per-query time limit on `connection` (null when none was open), named in
  // "the server cancelled the query after 1.9s (statement_timeout)".
  virtual std::string_view statement_timeout_name(const Connection* connection) const = 0;
};

// A job's own way to fail with a message for the user: run() reports it as the Error.
struct JobError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  // The job gets a connection opened for it (closing an idle one when the pool is full), so
  // Job::connect_time measures a real connection.
  bool fresh_connection = false;
};

// What a job is handed on its worker thread.
struct Job {
  Connection& connection;
  const Database& database;
  std::chrono::steady_clock::time_point deadline;  // the end of the attempt's own budget
  std::optional<Duration> connect_time;            // when the connection was opened for this job
};

using JobFunction = std::function<void(Job&)>;
using JobDone = std::function<void(std::optional<Error>)>;

// Runs `job` on the run's thread pool with a connection to `database` through `client` (opened
// on first use, at most max_connections at once; later jobs wait for a free one), then calls
// `done` on the event loop, exactly once, with nothing or with an Error saying what went wrong:
//   "cannot connect to database 'source': ...",
//   "query failed: relation \"x\" does not exist (SQLSTATE 42P01)",
//   "lost the connection to database 'source' (closed by the server or the network)",
// and at the attempt's own deadline (own_budget), by the stage the job is in:
//   "timed out after 1.9s waiting for a free connection to database 'source' (max_connections 4)",
//   "timed out after 1.9s waiting for a worker thread for database 'source' (all are busy)",
//   "timed out after 1.9s connecting to database 'source'",
//   "the server cancelled the query after 1.9s (statement_timeout)": a running query is cancelled
//   on the server (a cancel request, beside the server's own timeout that the engine sets).
// `done` is never called from inside run().
//
// When the attempt is cancelled (the scheduler's watchdog, Ctrl-C), a waiting job is dropped and
// a running query is cancelled on the server, not abandoned: "cancelled while running a query on
// database 'source'" (or "while waiting for a connection", "while connecting", "before the query
// started"); `done` is still called once, which the scheduler counts as the attempt stopping.
// Client libraries cannot interrupt a connect: that thread stays busy until the connect timeout
// (about the budget) while the job has answered. A connection that broke is closed, and so is
// one a cancel request was sent on (the request may land on whatever it runs next); the next job
// opens a new one. The caller's io_context keeps running while a job is in flight.
void run(CheckContext& context, const Client& client,
         const std::shared_ptr<const Database>& database, JobFunction job, JobDone done,
         RunOptions options = {});

}  // namespace cutover::database
