#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/post.hpp>

#include "harness/check.hpp"
#include "harness/result.hpp"

namespace cutover::database {

// What every database check's attempt does the same way: hand blocking jobs a cancellation of
// their own, answer `done` exactly once, whether the attempt finishes, fails or is cancelled,
// stop the jobs still in flight when it does (the engine cancels their queries on the server),
// and ignore completions that arrive after that. The database kinds' counterpart of the network
// kinds' CheckSession.
//
// `Derived` may provide, each called at most once:
//   std::optional<CheckResult> cancelled_result(): when the scheduler cancels the attempt, the
//     result to report; empty to let the jobs' own cancellation errors ("cancelled while running
//     a query on database 'x'") finish the attempt. The default is the error "cancelled".
//   void stop_work(): when the attempt stops, to cancel its timers.
//   void redact(CheckResult&): just before the result is reported, to mask secrets only the
//     attempt knows.
template <typename Derived>
class Attempt : public std::enable_shared_from_this<Derived> {
 protected:
  Attempt(CheckContext& context, Completion done)
      : context_{context.io, context.blocking, context.deadline, context.timeout,
                 jobs_,      context.redactor},
        cancellation_(context.cancellation),
        done_(std::move(done)) {}

  // Called first by the derived start(): the scheduler's cancellation reaches the attempt. False
  // when the attempt stopped at once (it was cancelled before it began), and there is nothing to
  // start.
  bool watch() {
    cancellation_->on_cancel([weak = this->weak_from_this()] {
      if (auto self = weak.lock()) self->cancel();
    });
    return !stopped_;
  }

  // The context to run the attempt's jobs with: a copy of the scheduler's (which lives only
  // while the attempt starts) whose cancellation stops the jobs when the attempt stops.
  CheckContext& job_context() { return context_; }

  // Wraps a job's completion: `handler(Derived&, result)` runs on the event loop, only while the
  // attempt has not stopped, and keeps the attempt alive until then.
  template <typename Handler>
  auto then(Handler handler) {
    return [self = this->shared_from_this(), handler = std::move(handler)](auto result) mutable {
      if (self->stopped_) return;
      handler(*self, std::move(result));
    };
  }

  // True once the attempt has stopped: later completions are stale.
  bool stopped() const { return stopped_; }

  // Called by the derived attempt with its verdict; later calls do nothing.
  void finish(CheckResult result) {
    if (stopped_) return;
    stop();
    deliver(std::move(result));
  }

  // The default: a cancelled attempt says so, without waiting for its jobs.
  std::optional<CheckResult> cancelled_result() { return CheckResult::error("cancelled"); }
  void stop_work() {}
  void redact(CheckResult&) {}

 private:
  Derived& derived() { return static_cast<Derived&>(*this); }

  // Through the scheduler's Cancellation, which is still running: answers from the loop.
  void cancel() {
    if (stopped_) return;
    std::optional<CheckResult> result = derived().cancelled_result();
    if (!result) {
      // The jobs answer, each with the stage it was cancelled in.
      jobs_->cancel();
      return;
    }
    stop();
    boost::asio::post(context_.io,
                      [self = this->shared_from_this(), result = std::move(*result)]() mutable {
                        self->deliver(std::move(result));
                      });
  }

  void stop() {
    stopped_ = true;
    derived().stop_work();
    jobs_->cancel();
  }

  void deliver(CheckResult result) {
    derived().redact(result);
    auto done = std::move(done_);
    done(std::move(result));
  }

  std::shared_ptr<Cancellation> jobs_ = std::make_shared<Cancellation>();
  CheckContext context_;
  std::shared_ptr<Cancellation> cancellation_;  // the scheduler's
  Completion done_;
  bool stopped_ = false;  // done is called, or about to be
};

}  // namespace cutover::database
