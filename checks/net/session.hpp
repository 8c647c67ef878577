#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>

#include "harness/check.hpp"
#include "harness/result.hpp"

namespace cutover::detail {

// What every network check's attempt does the same way: answer `done` exactly once, whether the
// attempt finishes or is cancelled, and ignore completions that arrive after that.
//
// `Derived` provides `stop_work()`, called once when the attempt stops, to cancel and close its
// resolver, timers and streams. It may provide `redact(CheckResult&)`, called just before the
// result is reported, to mask secrets only the attempt knows.
template <typename Derived>
class CheckSession : public std::enable_shared_from_this<Derived> {
 protected:
  // `label` names the target in the cancellation message; `budget` is the attempt's own.
  CheckSession(boost::asio::io_context& io, Completion done, std::string label, OwnBudget budget)
      : io_(io),
        budget_end_(budget.end),
        budget_(budget.length),
        done_(std::move(done)),
        label_(std::move(label)) {}

  // Called first by the derived run(): cancels the attempt when the scheduler cancels it. False
  // when it was cancelled before it began, and there is nothing to start.
  bool watch(Cancellation& cancellation) {
    cancellation.on_cancel([weak = this->weak_from_this()] {
      if (auto self = weak.lock()) self->cancel();
    });
    return !stopped_;
  }

  // Called by derived handlers: true once the attempt has stopped, when a completion is stale.
  bool stopped() const { return stopped_; }

  // A stage that could not be carried out: an error whatever was expected.
  void fail(boost::beast::error_code ec, std::string_view what) {
    finish(CheckResult::error(fmt::format("could not {}: {}", what, ec.message())));
  }

  // Called through the attempt's Cancellation, which the scheduler triggers after it has
  // recorded the outcome: stop all work, and answer from the loop rather than from inside
  // cancel(), which the scheduler is still running.
  void cancel() {
    if (stopped_) return;
    stop();
    boost::asio::post(io_, [self = this->shared_from_this()] {
      self->report(CheckResult::error(fmt::format("cancelled while checking {}", self->label_)));
    });
  }

  // Called by derived handlers with the attempt's verdict.
  void finish(CheckResult result) {
    stop();
    report(std::move(result));
  }

  // Called once, by cancel() or finish(), before the result is reported.
  void stop() {
    stopped_ = true;
    derived().stop_work();
  }

  // Called once, after stop(), with the result to hand to the scheduler.
  void report(CheckResult result) {
    derived().redact(result);
    auto done = std::move(done_);
    done(std::move(result));
  }

  // The default for attempts that know no secrets of their own.
  void redact(CheckResult&) {}

  boost::asio::io_context& io_;
  const std::chrono::steady_clock::time_point budget_end_;
  const Duration budget_;

 private:
  Derived& derived() { return static_cast<Derived&>(*this); }

  Completion done_;
  std::string label_;
  bool stopped_ = false;  // done is called, or about to be: later completions are stale
};

}  // namespace cutover::detail
