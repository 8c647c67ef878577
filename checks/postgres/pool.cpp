#include "checks/postgres/pool.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <pqxx/except>
#include <pqxx/nontransaction>

#include "checks/net/session.hpp"
#include "harness/redactor.hpp"
#include "harness/text.hpp"

namespace cutover::postgres {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Session settings of every validation connection, in one round trip after it opens.
// client_min_messages: libpq prints notices and warnings on stderr, in the middle of a report.
constexpr const char* kSessionSettings =
    "SET default_transaction_read_only = on; SET application_name = 'cutover'; "
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; "
    "SET extra_float_digits = 3; SET bytea_output = 'hex'; SET lock_timeout = '5s'; "
    "SET client_min_messages = error";

constexpr std::string_view kQueryCanceled = "57014";

// libpq waits at least 2 s for a connection (connect_timeout below 2 counts as 2).
constexpr int kMinConnectTimeoutSeconds = 2;

struct Job;

// The connections of one database in one run. Touched only on the event loop; a connection in
// use belongs to the job that holds it.
struct Pool {
  std::shared_ptr<const Database> database;
  std::vector<std::unique_ptr<pqxx::connection>> idle;
  int open = 0;  // idle, busy and being opened
  std::deque<std::shared_ptr<Job>> waiting;
};

// Where a job is. Set on the event loop up to `queued`, then by the worker thread.
enum class Stage {
  waiting,     // in the pool's queue, for a connection
  queued,      // posted to the thread pool, whose threads may all be busy
  connecting,  // opening its connection: blocking in libpq, nothing to cancel
  running,     // using its connection: a cancel request can stop the query
  over,        // the worker is done with it
};

struct Job {
  Job(asio::io_context& io_context, asio::thread_pool& blocking_pool,
      asio::thread_pool& cancel_thread)
      : io(io_context),
        blocking(blocking_pool),
        cancels(cancel_thread),
        guard(io_context.get_executor()),
        deadline_timer(io_context) {}

  std::shared_ptr<Pool> pool;
  asio::io_context& io;
  asio::thread_pool& blocking;
  asio::thread_pool& cancels;  // where cancel requests go: `blocking` may be full of queries
  // The caller's loop must not run dry while the job waits or is on another thread: held until
  // the worker has handed its connection back.
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  asio::steady_timer deadline_timer;
  Clock::time_point deadline;
  Duration budget{};
  bool fresh = false;
  detail::ErasedJob work;
  detail::ErasedDone done;
  bool dispatched = false;  // on the event loop: posted to a worker, which releases the guard
  bool finished = false;    // on the event loop: done was called

  // Shared by the event loop, the worker thread and the canceller. While the stage is `running`,
  // `active` is the connection, valid as long as the mutex is held.
  std::mutex mutex;
  Stage stage = Stage::waiting;
  pqxx::connection* active = nullptr;
  bool cancelled = false;  // the attempt was cancelled, or gave up: the worker skips the job
};

const std::string& name_of(const Job& job) {
  return job.pool->database->name;
}

std::string cancelled_message(const Job& job, std::string_view stage) {
  return fmt::format("cancelled {} on database '{}'", stage, name_of(job));
}

// On the event loop: calls the job's done, once.
void finish(const std::shared_ptr<Job>& job, std::optional<Error> error) {
  if (job->finished) return;
  job->finished = true;
  job->deadline_timer.cancel();
  auto done = std::move(job->done);
  if (!job->dispatched) job->guard.reset();
  done(std::move(error));
}

// On the event loop, for a job that was cancelled or ran out of time: removes it from the pool's
// queue. False when it was not waiting there.
bool unqueue(const std::shared_ptr<Job>& job) {
  auto& waiting = job->pool->waiting;
  const auto it = std::find(waiting.begin(), waiting.end(), job);
  if (it == waiting.end()) return false;
  waiting.erase(it);
  return true;
}

// Asks the server to cancel the job's query, if one runs, from the canceller thread. A job that
// has ended meanwhile has nothing to cancel; the canceller never keeps one alive, as the pool's
// service (which owns the thread) may outlive the loop's timers.
void cancel_on_server(const std::shared_ptr<Job>& job) {
  asio::post(job->cancels, [weak = std::weak_ptr<Job>(job)] {
    const auto job = weak.lock();
    if (job == nullptr) return;
    std::lock_guard lock(job->mutex);
    if (job->active == nullptr) return;
    try {
      job->active->cancel_query();
    } catch (const std::exception&) {
      // The query ends with its statement_timeout anyway.
    }
  });
}

void dispatch(std::shared_ptr<Job> job, std::unique_ptr<pqxx::connection> connection);

// On the event loop: starts `job` with an idle connection, a new one, or queues it.
void assign(const std::shared_ptr<Job>& job) {
  Pool& pool = *job->pool;
  if (!pool.idle.empty()) {
    auto connection = std::move(pool.idle.back());
    pool.idle.pop_back();
    // Closed here rather than on the worker: PQfinish only sends a Terminate message.
    if (job->fresh) connection.reset();
    dispatch(job, std::move(connection));
  } else if (pool.open < pool.database->max_connections) {
    ++pool.open;
    dispatch(job, nullptr);
  } else {
    pool.waiting.push_back(job);
  }
}

// Back on the event loop: hands the connection to the next waiting job, or keeps it idle.
void release(const std::shared_ptr<Pool>& pool, std::unique_ptr<pqxx::connection> connection) {
  if (connection != nullptr && !connection->is_open()) connection.reset();
  if (connection == nullptr) --pool->open;
  if (pool->waiting.empty()) {
    if (connection) pool->idle.push_back(std::move(connection));
    return;
  }
  std::shared_ptr<Job> next = std::move(pool->waiting.front());
  pool->waiting.pop_front();
  if (connection == nullptr) {
    ++pool->open;
  } else if (next->fresh) {
    connection.reset();
  }
  dispatch(std::move(next), std::move(connection));
}

// On the event loop, at the job's own deadline: the job reports a timeout for the stage it is
// in. A running query is cancelled on the server, like its statement_timeout would (that
// covers one statement; a job may run several), and reports once it has stopped.
void on_deadline(const std::shared_ptr<Job>& job) {
  if (job->finished) return;
  const std::string budget = cutover::format_duration(job->budget);
  if (unqueue(job)) {
    return finish(job,
                  Error{fmt::format("timed out after {} waiting for a free connection to "
                                    "database '{}' (max_connections {})",
                                    budget, name_of(*job), job->pool->database->max_connections)});
  }
  Stage stage;
  {
    std::lock_guard lock(job->mutex);
    stage = job->stage;
    // Not begun, or not past connecting: the worker skips the job (a new connection is kept).
    if (stage == Stage::queued || stage == Stage::connecting) job->cancelled = true;
  }
  switch (stage) {
    case Stage::queued:
      return finish(job, Error{fmt::format("timed out after {} waiting for a worker thread for "
                                           "database '{}' (all are busy)",
                                           budget, name_of(*job))});
    case Stage::connecting:
      // libpq cannot be interrupted; its connect_timeout ends the attempt a little later.
      return finish(job, Error{fmt::format("timed out after {} connecting to database '{}'", budget,
                                           name_of(*job))});
    case Stage::running:
      return cancel_on_server(job);
    case Stage::waiting:
    case Stage::over:
      return;
  }
}

// On the event loop, when the attempt is cancelled: stops the job at the stage it is in.
void on_cancel(const std::shared_ptr<Job>& job) {
  if (job->finished) return;
  Stage stage;
  {
    std::lock_guard lock(job->mutex);
    job->cancelled = true;
    stage = job->stage;
  }
  std::string message;
  if (unqueue(job)) {
    message = cancelled_message(*job, "while waiting for a connection");
  } else if (stage == Stage::queued) {
    message = cancelled_message(*job, "before the query started");
  } else if (stage == Stage::connecting) {
    message = cancelled_message(*job, "while connecting");
  } else {
    // The worker reports once the server has stopped the query.
    return cancel_on_server(job);
  }
  // Not from inside cancel(): the scheduler is still running it.
  asio::post(job->io, [job, message = std::move(message)] { finish(job, Error{message}); });
}

// libpqxx 6 words a connection lost mid-query after whatever call noticed it ("Could not obtain
// client encoding: not connected."), and keeps libpq's own text to itself.
std::string lost_message(const Database& database) {
  return fmt::format("lost the connection to database '{}' (closed by the server or the network)",
                     database.name);
}

// On a worker thread: opens the connection when needed, runs the job, and posts the outcome back.
void work(const std::shared_ptr<Job>& job, std::unique_ptr<pqxx::connection> connection) {
  const Database& database = *job->pool->database;
  std::optional<Error> error;
  // Moves to `next` unless the job was cancelled or gave up meanwhile.
  const auto enter = [&job, &connection](Stage next) {
    std::lock_guard lock(job->mutex);
    if (job->cancelled) return false;
    job->stage = next;
    if (next == Stage::running) job->active = connection.get();
    return true;
  };
  const auto cancelled = [&job] {
    std::lock_guard lock(job->mutex);
    return job->cancelled;
  };
  try {
    std::optional<Duration> connect_time;
    if (connection == nullptr) {
      if (!enter(Stage::connecting)) throw JobError(cancelled_message(*job, "before connecting"));
      const auto started = Clock::now();
      try {
        connection =
            std::make_unique<pqxx::connection>(with_connect_timeout(database.dsn, job->budget));
      } catch (const std::exception& e) {
        throw JobError(fmt::format("cannot connect to database '{}': {}", database.name,
                                   describe_error(e, database)));
      }
      // The session settings are not part of connecting.
      connect_time = Clock::now() - started;
      try {
        pqxx::nontransaction setup(*connection);
        setup.exec(kSessionSettings);
        setup.commit();
      } catch (...) {
        // Never pooled without its settings: it would not be read-only.
        connection.reset();
        throw;
      }
    }
    if (!enter(Stage::running)) throw JobError(cancelled_message(*job, "before the query started"));
    Session session(*connection, database, job->deadline, connect_time);
    session.set_statement_timeout();
    job->work(session);
  } catch (const JobError& e) {
    error = Error{e.what()};
  } catch (const pqxx::broken_connection&) {
    error = Error{lost_message(database)};
  } catch (const pqxx::sql_error& e) {
    if (connection != nullptr && !connection->is_open()) {
      error = Error{lost_message(database)};
    } else if (e.sqlstate() == kQueryCanceled && cancelled()) {
      error = Error{cancelled_message(*job, "while running a query")};
    } else if (e.sqlstate() == kQueryCanceled) {
      error = Error{fmt::format("the server cancelled the query after {} (statement_timeout)",
                                cutover::format_duration(job->budget))};
    } else {
      error = Error{fmt::format("query failed: {}{}", describe_error(e, database),
                                e.sqlstate().empty() ? "" : " (SQLSTATE " + e.sqlstate() + ")")};
    }
  } catch (const std::exception& e) {
    error = Error{fmt::format("database '{}': {}", database.name, describe_error(e, database))};
  }
  {
    std::lock_guard lock(job->mutex);
    job->stage = Stage::over;
    job->active = nullptr;
  }
  if (connection != nullptr && !connection->is_open()) connection.reset();
  asio::post(job->io,
             [job, connection = std::move(connection), error = std::move(error)]() mutable {
               release(job->pool, std::move(connection));
               finish(job, std::move(error));
               job->guard.reset();
             });
}

void dispatch(std::shared_ptr<Job> job, std::unique_ptr<pqxx::connection> connection) {
  job->dispatched = true;
  {
    std::lock_guard lock(job->mutex);
    job->stage = Stage::queued;
  }
  asio::post(job->blocking, [job, connection = std::move(connection)]() mutable {
    work(job, std::move(connection));
  });
}

// One per io_context: the pools of the run, by database, and the thread that sends cancel
// requests.
class PoolService : public asio::execution_context::service {
 public:
  using key_type = PoolService;
  static inline asio::execution_context::id id;

  explicit PoolService(asio::execution_context& context)
      : asio::execution_context::service(context) {}

  std::shared_ptr<Pool> pool(const std::shared_ptr<const Database>& database) {
    auto& pool = pools_[database.get()];
    if (pool == nullptr) {
      pool = std::make_shared<Pool>();
      pool->database = database;
    }
    return pool;
  }

  // A cancel request is a connection of its own to the server, made while every thread of the
  // run's pool may be busy with a query: it gets a thread of its own.
  asio::thread_pool& cancels() { return cancels_; }

 private:
  void shutdown() override {
    // Cancel requests in flight hold a connection of a job: they finish first.
    cancels_.join();
    for (auto& [database, pool] : pools_)
      pool->waiting.clear();
  }

  std::map<const Database*, std::shared_ptr<Pool>> pools_;
  asio::thread_pool cancels_{1};
};

}  // namespace

std::int64_t Session::milliseconds_left() const {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
  return std::max<std::int64_t>(1, left);
}

void Session::set_statement_timeout() {
  pqxx::nontransaction set(connection_);
  set.exec(fmt::format("SET statement_timeout = {}", milliseconds_left()));
  set.commit();
}

namespace detail {

void run(CheckContext& context, const std::shared_ptr<const Database>& database, ErasedJob job,
         ErasedDone done, RunOptions options) {
  auto& service = asio::use_service<PoolService>(context.io);
  const OwnBudget budget = own_budget(context);
  auto state = std::make_shared<Job>(context.io, context.blocking, service.cancels());
  state->pool = service.pool(database);
  state->deadline = budget.end;
  state->budget = budget.length;
  state->fresh = options.fresh_connection;
  state->work = std::move(job);
  state->done = std::move(done);

  if (context.cancellation->cancelled()) {
    asio::post(context.io, [state] {
      finish(state, Error{cancelled_message(*state, "before the query started")});
    });
    return;
  }
  context.cancellation->on_cancel([weak = std::weak_ptr<Job>(state)] {
    if (auto job = weak.lock()) on_cancel(job);
  });
  state->deadline_timer.expires_at(state->deadline);
  state->deadline_timer.async_wait(
      [weak = std::weak_ptr<Job>(state)](boost::system::error_code ec) {
        auto job = weak.lock();
        if (!ec && job != nullptr) on_deadline(job);
      });
  assign(state);
}

}  // namespace detail

namespace {

bool looks_numeric(std::string_view text) {
  if (text.starts_with('-')) text.remove_prefix(1);
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  const auto digits = [](std::string_view part) {
    return !part.empty() && part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return digits(whole) && (dot == std::string_view::npos || digits(fraction));
}

}  // namespace

std::string display_value(const std::optional<std::string>& value) {
  if (!value) return "NULL";
  if (looks_numeric(*value)) return *value;
  return quote_literal(*value);
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string with_parameter(std::string_view dsn, std::string_view key, std::string_view value) {
  if (dsn.find("://") == std::string_view::npos) {
    return fmt::format("{}{}{}={}", dsn, dsn.empty() ? "" : " ", key, value);
  }
  const char separator = dsn.find('?') == std::string_view::npos ? '?' : '&';
  return fmt::format("{}{}{}={}", dsn, separator, key, value);
}

std::string with_connect_timeout(std::string_view dsn, Duration budget) {
  if (dsn.find("connect_timeout") != std::string_view::npos) return std::string(dsn);
  const auto seconds = std::max<std::int64_t>(
      kMinConnectTimeoutSeconds, std::chrono::ceil<std::chrono::seconds>(budget).count());
  return with_parameter(dsn, "connect_timeout", std::to_string(seconds));
}

std::string describe_error(const std::exception& error, const Database& database) {
  std::string text = one_line(error.what());
  // libpq and the server write "FATAL:  message" and "ERROR:  message"; a connection that failed
  // names the server first: "connection to server at ... failed: FATAL:  message".
  for (std::string_view severity : {"FATAL:", "ERROR:"}) {
    const std::size_t at = text.find(severity);
    if (at == std::string::npos) continue;
    std::size_t end = at + severity.size();
    while (end < text.size() && text[end] == ' ')
      ++end;
    text.erase(at, end - at);
  }
  std::string compact;
  for (char c : text) {
    if (c == ' ' && !compact.empty() && compact.back() == ' ') continue;
    compact += c;
  }
  Redactor redactor;
  for (std::string& password : dsn_passwords(database.dsn))
    redactor.add_secret(std::move(password));
  return redactor.redact(compact);
}

}  // namespace cutover::postgres
