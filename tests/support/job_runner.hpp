#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "harness/check.hpp"
#include "harness/expected.hpp"

// Database jobs driven directly, as check kinds drive the pool: jobs on a thread pool, answers
// on the event loop. For the engines' pool tests.
namespace cutover::test {

// The event loop and thread pool of a run.
class JobRunner {
 public:
  explicit JobRunner(int threads = 4) : blocking_(static_cast<std::size_t>(threads)) {}
  ~JobRunner() { blocking_.join(); }

  // The context of an attempt with `timeout` that starts now.
  CheckContext context(Duration timeout, std::shared_ptr<Cancellation> cancellation = nullptr) {
    if (cancellation == nullptr) cancellation = std::make_shared<Cancellation>();
    return CheckContext{io_, blocking_, std::chrono::steady_clock::now() + timeout, timeout,
                        std::move(cancellation)};
  }

  // Runs the loop until no job is left.
  void run() {
    io_.run();
    io_.restart();
  }

  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::thread_pool blocking_;
};

// What a job answered, and when.
template <typename T>
struct Answer {
  int calls = 0;
  std::optional<T> value;
  std::string error;
  Duration elapsed{};

  // The `done` of an engine's run<T>, filling this answer.
  auto recorder() {
    return [this, started = std::chrono::steady_clock::now()](Expected<T> result) {
      ++calls;
      elapsed = std::chrono::steady_clock::now() - started;
      if (result) {
        value = std::move(result).value();
      } else {
        error = result.error().message;
      }
    };
  }
};

}  // namespace cutover::test
