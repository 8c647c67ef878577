#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "harness/duration.hpp"
#include "harness/plan.hpp"
#include "harness/reporter.hpp"
#include "harness/result.hpp"

namespace cutover {

inline constexpr std::size_t kDefaultConcurrency = 64;

struct SchedulerOptions {
  std::size_t concurrency = kDefaultConcurrency;  // attempts in flight at most
  bool fail_fast = false;  // after the first failed or error check, start no more
};

// Runs a plan's selected checks on one event loop: phase after phase (in the order phases first
// appear), within a phase as many at once as `concurrency` allows, each after the checks it
// needs have passed. Every attempt has a watchdog at its timeout; failed attempts are retried
// by the check's RetryPolicy. Reporters get every event on the event loop thread.
class Scheduler {
 public:
  Scheduler(boost::asio::io_context& io, boost::asio::thread_pool& blocking, Reporter& reporter,
            SchedulerOptions options = {});
  ~Scheduler();

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs `selected` (indices into plan.checks), driving the event loop until every check has a
  // final result, then calls run_finished. The plan must outlive the call.
  RunSummary run(const Plan& plan, const std::vector<std::size_t>& selected, RunInfo info);

  // Stops starting checks, cancels the attempts in flight and marks them interrupted. Called on
  // the event loop thread, e.g. from a signal handler.
  void interrupt();

  // The final results, parallel to the `selected` given to run().
  const std::vector<Result>& results() const;

  // What escaped from event loop handlers: bugs, reported as an internal error (exit code 3).
  const std::vector<std::string>& internal_errors() const;

  // Attempts that timed out or were interrupted and whose check has not reported back yet, e.g.
  // blocking work stuck in a system call. Their results are final; only their threads are busy.
  std::size_t abandoned() const;

  // After run(): drives the event loop until every abandoned attempt has reported back, or
  // `limit` passed. True when none is left, so the thread pool can be joined without hanging.
  bool wait_for_abandoned(Duration limit);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cutover
