#include "checks/database/pool.hpp"

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

#include "checks/net/session.hpp"
#include "harness/pending_cancels.hpp"

namespace cutover::database {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct JobState;

// The connections of one database in one run. Touched only on the event loop; a connection in
// use belongs to the job that holds it.
struct Pool {
  const Client* client = nullptr;
  std::shared_ptr<const Database> database;
  std::vector<std::unique_ptr<Connection>> idle;
  int open = 0;  // idle, busy and being opened
  std::deque<std::shared_ptr<JobState>> waiting;
};

// Where a job is. Set on the event loop up to `queued`, then by the worker thread.
enum class Stage {
  waiting,     // in the pool's queue, for a connection
  queued,      // posted to the thread pool, whose threads may all be busy
  connecting,  // opening its connection: blocking in the client library, nothing to cancel
  running,     // using its connection: a cancel request can stop the query
  over,        // the worker is done with it
};

struct JobState {
  JobState(asio::io_context& io_context, asio::thread_pool& blocking_pool,
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
  JobFunction work;
  JobDone done;
  bool dispatched = false;  // on the event loop: posted to a worker, which releases the guard
  bool finished = false;    // on the event loop: done was called

  // Shared by the event loop, the worker thread and the canceller. While the stage is `running`,
  // `active` is the connection, valid as long as the mutex is held.
  std::mutex mutex;
  Stage stage = Stage::waiting;
  Connection* active = nullptr;
  bool cancelled = false;  // the attempt was cancelled, or gave up: the worker skips the job
  // A cancel request went to the server while the job ran. It may land on whatever the
  // connection runs next (a rollback, the next job's statement), so the connection is closed.
  bool cancel_sent = false;
};

const std::string& name_of(const JobState& job) {
  return job.pool->database->name;
}

std::string cancelled_message(const JobState& job, std::string_view stage) {
  return fmt::format("cancelled {} on database '{}'", stage, name_of(job));
}

// On the event loop: calls the job's done, once.
void finish(const std::shared_ptr<JobState>& job, std::optional<Error> error) {
  if (job->finished) return;
  job->finished = true;
  job->deadline_timer.cancel();
  auto done = std::move(job->done);
  if (!job->dispatched) job->guard.reset();
  done(std::move(error));
}

// On the event loop, for a job that was cancelled or ran out of time: removes it from the pool's
// queue. False when it was not waiting there.
bool unqueue(const std::shared_ptr<JobState>& job) {
  auto& waiting = job->pool->waiting;
  const auto it = std::find(waiting.begin(), waiting.end(), job);
  if (it == waiting.end()) return false;
  waiting.erase(it);
  return true;
}

// On the canceller thread: asks the server to cancel the job's query, if one runs.
void send_cancel(const std::shared_ptr<JobState>& job) {
  if (job == nullptr) return;
  std::lock_guard lock(job->mutex);
  if (job->active == nullptr) return;
  job->cancel_sent = true;
  job->active->cancel_query();
}

// Asks the server to cancel the job's query, if one runs, from the canceller thread. A job that
// has ended meanwhile has nothing to cancel; the canceller never keeps one alive, as the pool's
// service (which owns the thread) may outlive the loop's timers. The request counts in
// pending_cancels() until it is sent: a second Ctrl-C waits for it before quitting.
void cancel_on_server(const std::shared_ptr<JobState>& job) {
  pending_cancels().add();
  asio::post(job->cancels, [weak = std::weak_ptr<JobState>(job)] {
    send_cancel(weak.lock());
    pending_cancels().remove();
  });
}

void dispatch(std::shared_ptr<JobState> job, std::unique_ptr<Connection> connection);

// On the event loop: starts `job` with an idle connection, a new one, or queues it.
void assign(const std::shared_ptr<JobState>& job) {
  Pool& pool = *job->pool;
  if (!pool.idle.empty()) {
    auto connection = std::move(pool.idle.back());
    pool.idle.pop_back();
    // Closed here rather than on the worker: closing only sends a goodbye to the server.
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
void release(const std::shared_ptr<Pool>& pool, std::unique_ptr<Connection> connection) {
  if (connection != nullptr && !connection->is_open()) connection.reset();
  if (connection == nullptr) --pool->open;
  if (pool->waiting.empty()) {
    if (connection) pool->idle.push_back(std::move(connection));
    return;
  }
  std::shared_ptr<JobState> next = std::move(pool->waiting.front());
  pool->waiting.pop_front();
  if (connection == nullptr) {
    ++pool->open;
  } else if (next->fresh) {
    connection.reset();
  }
  dispatch(std::move(next), std::move(connection));
}

// On the event loop, at the job's own deadline: the job reports a timeout for the stage it is
// in. A running query is cancelled on the server, like its server-side timeout would (that
// covers one statement; a job may run several), and reports once it has stopped.
void on_deadline(const std::shared_ptr<JobState>& job) {
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
      // A connect cannot be interrupted; the connect timeout ends it a little later.
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
void on_cancel(const std::shared_ptr<JobState>& job) {
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

// Client libraries word a connection lost mid-query after whatever call noticed it ("Could not
// obtain client encoding: not connected."): the user reads this instead.
std::string lost_message(const Database& database) {
  return fmt::format("lost the connection to database '{}' (closed by the server or the network)",
                     database.name);
}

// On a worker thread: what a job's exception means for the user.
Error describe_failure(const JobState& job, const std::exception& error,
                       const Connection* connection, bool cancelled) {
  const Database& database = *job.pool->database;
  const Client& client = *job.pool->client;
  JobFailure failure = client.classify(error, database, connection);
  switch (failure.kind) {
    case JobFailure::Kind::lost:
      return Error{lost_message(database)};
    case JobFailure::Kind::query_cancelled:
      if (cancelled) return Error{cancelled_message(job, "while running a query")};
      return Error{fmt::format("the server cancelled the query after {} ({})",
                               cutover::format_duration(job.budget),
                               client.statement_timeout_name(connection))};
    case JobFailure::Kind::query_failed:
      return Error{fmt::format("query failed: {}", failure.detail)};
    case JobFailure::Kind::other:
      break;
  }
  return Error{fmt::format("database '{}': {}", database.name, failure.detail)};
}

// On a worker thread: a new connection for `job`, with the time connecting took (the session
// settings are not part of it).
Duration connect(const JobState& job, std::unique_ptr<Connection>& connection) {
  const Database& database = *job.pool->database;
  const Client& client = *job.pool->client;
  const auto started = Clock::now();
  try {
    connection = client.open(database, job.budget);
  } catch (const std::exception& e) {
    throw JobError(fmt::format("cannot connect to database '{}': {}", database.name,
                               client.describe_error(e, database)));
  }
  const Duration connect_time = Clock::now() - started;
  try {
    client.prepare(*connection);
  } catch (...) {
    // Never pooled without its settings: it would not be read-only.
    connection.reset();
    throw;
  }
  return connect_time;
}

// On a worker thread: opens the connection when needed, runs the job, and posts the outcome back.
void work(const std::shared_ptr<JobState>& job, std::unique_ptr<Connection> connection) {
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
  try {
    std::optional<Duration> connect_time;
    if (connection == nullptr) {
      if (!enter(Stage::connecting)) throw JobError(cancelled_message(*job, "before connecting"));
      connect_time = connect(*job, connection);
    }
    if (!enter(Stage::running)) throw JobError(cancelled_message(*job, "before the query started"));
    Job handed{*connection, database, job->deadline, connect_time};
    job->work(handed);
  } catch (const JobError& e) {
    error = Error{e.what()};
  } catch (const std::exception& e) {
    bool cancelled = false;
    {
      std::lock_guard lock(job->mutex);
      cancelled = job->cancelled;
    }
    error = describe_failure(*job, e, connection.get(), cancelled);
  }
  bool cancel_sent = false;
  {
    std::lock_guard lock(job->mutex);
    job->stage = Stage::over;
    job->active = nullptr;
    cancel_sent = job->cancel_sent;
  }
  if (connection != nullptr && (cancel_sent || !connection->is_open())) connection.reset();
  asio::post(job->io,
             [job, connection = std::move(connection), error = std::move(error)]() mutable {
               release(job->pool, std::move(connection));
               finish(job, std::move(error));
               job->guard.reset();
             });
}

void dispatch(std::shared_ptr<JobState> job, std::unique_ptr<Connection> connection) {
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

  std::shared_ptr<Pool> pool(const Client& client,
                             const std::shared_ptr<const Database>& database) {
    auto& pool = pools_[database.get()];
    if (pool == nullptr) {
      pool = std::make_shared<Pool>();
      pool->client = &client;
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

void run(CheckContext& context, const Client& client,
         const std::shared_ptr<const Database>& database, JobFunction job, JobDone done,
         RunOptions options) {
  auto& service = asio::use_service<PoolService>(context.io);
  const OwnBudget budget = own_budget(context);
  auto state = std::make_shared<JobState>(context.io, context.blocking, service.cancels());
  state->pool = service.pool(client, database);
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
  context.cancellation->on_cancel([weak = std::weak_ptr<JobState>(state)] {
    if (auto job = weak.lock()) on_cancel(job);
  });
  state->deadline_timer.expires_at(state->deadline);
  state->deadline_timer.async_wait(
      [weak = std::weak_ptr<JobState>(state)](boost::system::error_code ec) {
        auto job = weak.lock();
        if (!ec && job != nullptr) on_deadline(job);
      });
  assign(state);
}

}  // namespace cutover::database
