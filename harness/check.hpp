#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "harness/redactor.hpp"
#include "harness/result.hpp"

namespace cutover {

// Lets the scheduler stop an attempt that overran its deadline or was interrupted. A check
// registers what stops its work (closing its socket, cancelling its query); the scheduler has
// already recorded the outcome by then, so whatever the check reports afterwards is ignored.
class Cancellation {
 public:
  // Called by a check, on the event loop, while it starts an attempt. Runs at once when the
  // attempt is already cancelled.
  void on_cancel(std::function<void()> handler);

  // Called by the scheduler, on the event loop.
  void cancel();

  bool cancelled() const { return cancelled_; }

 private:
  bool cancelled_ = false;
  // Most attempts register one handler: it is kept without a vector of its own.
  std::function<void()> first_;
  std::vector<std::function<void()>> more_;
};

struct CheckContext {
  boost::asio::io_context& io;         // the one event loop of the run
  boost::asio::thread_pool& blocking;  // for blocking drivers; post results back to `io`
  std::chrono::steady_clock::time_point deadline;  // the scheduler's watchdog fires here
  Duration timeout{};                              // the attempt's budget, deadline - start
  std::shared_ptr<Cancellation> cancellation;
  // The run's secrets. A check that quotes what a target sent redacts it with this before it
  // escapes or cuts it (the scheduler redacts again, but a cut piece of a secret is no longer
  // the secret).
  const Redactor& redactor = no_secrets();
};

// The time a check gives itself for an attempt: it ends a tenth of the timeout (at most 100ms)
// before the scheduler's watchdog, so the check reports its own, more telling, verdict ("no
// answer: filtered", which stage timed out) instead of a bare timeout.
struct OwnBudget {
  std::chrono::steady_clock::time_point end;
  Duration length{};
};
OwnBudget own_budget(const CheckContext& context);

using Completion = std::function<void(CheckResult)>;

// One configured check of some kind. Built once from the suite, started once per attempt.
class Check {
 public:
  virtual ~Check();

  // Called by the scheduler on the event loop thread to start one attempt. The check must not
  // block; it calls `done` exactly once, on the event loop thread. A failure of the target is a
  // result (failed or error), never an exception.
  virtual void start(CheckContext& context, Completion done) = 0;

  // One line naming the target for --dry-run, e.g. "127.0.0.1:8443 expect open".
  // Uncut, with what matters most first: the caller redacts the whole line, then cuts it.
  virtual std::string describe() const = 0;
};

}  // namespace cutover
