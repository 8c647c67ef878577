#include "harness/scheduler.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "harness/text.hpp"

namespace cutover {
namespace {

using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;

constexpr std::size_t kMessageLimit = 2000;
constexpr std::size_t kDetailsLimit = 64 * 1024;

enum class Status { waiting, ready, running, retry_wait, done };

constexpr std::size_t kNotQueued = static_cast<std::size_t>(-1);

struct Run {
  std::size_t plan_index = 0;
  Status status = Status::waiting;
  std::size_t phase = 0;
  std::size_t unmet_needs = 0;
  std::vector<std::size_t> dependents;  // positions in `selected` that need this one
  std::vector<std::size_t> needs;       // positions in `selected` this one needs
  Clock::time_point first_start;
  std::unique_ptr<asio::steady_timer> retry_timer;

  // The attempt in flight, or the last one. Its completion and its watchdog name it by number:
  // whichever comes first finishes it, and a report about an earlier number is stale.
  std::uint32_t attempt = 0;
  std::shared_ptr<Cancellation> cancellation;
  Clock::time_point attempt_started;
  std::chrono::system_clock::time_point attempt_started_wall;
  Clock::time_point deadline;              // the watchdog fires here
  std::size_t deadline_slot = kNotQueued;  // place in the scheduler's deadline heap
  // Attempts finished by the watchdog or an interrupt whose check has not reported back yet.
  std::vector<std::uint32_t> abandoned;
};

// Text as results carry it: redacted and bounded. Text that is already so (the common case:
// one printable ASCII line, no secrets) is passed through without copies.
std::string bounded_message(const Redactor& redactor, std::string text) {
  if (!redactor.empty()) text = redactor.redact(text);
  // one_line keeps printable ASCII as it is, but for trailing spaces.
  const bool plain =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (plain && text.size() <= kMessageLimit && !text.ends_with(' ')) return text;
  return shorten(one_line(text), kMessageLimit);
}

std::string bounded_details(const Redactor& redactor, std::string text) {
  if (!redactor.empty()) text = redactor.redact(text);
  // clean_text keeps every ASCII byte but ESC, which starts a colour code.
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x80 && c != '\x1b';
  });
  if (plain && text.size() <= kDetailsLimit) return text;
  return truncate_middle(clean_text(text), kDetailsLimit);
}

}  // namespace

class Scheduler::Impl {
 public:
  Impl(asio::io_context& io, asio::thread_pool& blocking, Reporter& reporter,
       SchedulerOptions options)
      : io_(io), blocking_(blocking), reporter_(reporter), options_(options), watchdog_(io) {
    if (options_.concurrency == 0) options_.concurrency = 1;
  }

  RunSummary run(const Plan& plan, const std::vector<std::size_t>& selected, RunInfo info) {
    plan_ = &plan;
    runs_.clear();
    runs_.resize(selected.size());
    results_.assign(selected.size(), Result{});
    remaining_in_phase_.clear();

    std::vector<std::string> all_phases = plan.phases();
    // Views into the plan, which outlives the run.
    std::map<std::pair<std::string_view, std::string_view>, std::size_t> position;
    for (std::size_t k = 0; k < selected.size(); ++k) {
      const PlannedCheck& check = plan.checks[selected[k]];
      runs_[k].plan_index = selected[k];
      position.emplace(std::pair<std::string_view, std::string_view>(check.suite, check.name), k);
      const std::string& phase = check.phase;
      if (std::find(phases_.begin(), phases_.end(), phase) == phases_.end()) {
        phases_.push_back(phase);
      }
    }
    // Phases run in plan order, whatever order the selection found them in.
    std::sort(phases_.begin(), phases_.end(), [&](const std::string& a, const std::string& b) {
      return std::find(all_phases.begin(), all_phases.end(), a) <
             std::find(all_phases.begin(), all_phases.end(), b);
    });
    remaining_in_phase_.assign(phases_.size(), 0);
    for (std::size_t k = 0; k < selected.size(); ++k) {
      Run& run = runs_[k];
      const PlannedCheck& check = plan.checks[run.plan_index];
      run.phase = static_cast<std::size_t>(std::find(phases_.begin(), phases_.end(), check.phase) -
                                           phases_.begin());
      ++remaining_in_phase_[run.phase];
      // A need outside the selection is not waited for: the user chose not to run it.
      for (const std::string& need : check.needs) {
        auto it = position.find(std::pair<std::string_view, std::string_view>(check.suite, need));
        if (it == position.end()) continue;
        run.needs.push_back(it->second);
        runs_[it->second].dependents.push_back(k);
      }
    }

    info.phases = phases_;
    info.selected_checks = selected.size();
    started_ = Clock::now();
    reporter_.run_started(info);

    if (phases_.empty()) {
      finished_ = true;
    } else {
      start_phase(0);
    }
    while (!finished_) {
      try {
        // Nothing left to run while checks are unfinished: a bug lost a completion. Other work
        // on the loop (a signal set) keeps run_one() from returning 0, hence the second test.
        if (io_.run_one() == 0 || stalled()) {
          internal_errors_.push_back("the scheduler stalled: a check never reported back");
          break;
        }
      } catch (const std::exception& e) {
        internal_errors_.push_back(e.what());
      } catch (...) {
        internal_errors_.push_back("unknown exception in an event handler");
      }
    }

    summary_.duration = Clock::now() - started_;
    summary_.interrupted = interrupted_;
    reporter_.run_finished(info, summary_);
    return summary_;
  }

  void interrupt() {
    if (finished_ || interrupted_) return;
    interrupted_ = true;
    stop("not run: the run was interrupted");
    for (std::size_t k = 0; k < runs_.size(); ++k) {
      if (runs_[k].status != Status::running) continue;
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          Clock::now() - runs_[k].attempt_started);
      const std::shared_ptr<Cancellation> cancellation = runs_[k].cancellation;
      finish_attempt(k, CheckResult::error("interrupted after " + format_duration(elapsed)),
                     /*interrupted=*/true);
      abandon(k, *cancellation);
    }
  }

  bool wait_for_abandoned(Duration limit) {
    const auto deadline = Clock::now() + limit;
    io_.restart();
    // The reports come from other threads: without work the loop would stop at once.
    const auto guard = asio::make_work_guard(io_);
    while (abandoned_ > 0 && Clock::now() < deadline) {
      io_.run_one_until(deadline);
    }
    return abandoned_ == 0;
  }

  std::size_t abandoned() const { return abandoned_; }

  const std::vector<Result>& results() const { return results_; }
  const std::vector<std::string>& internal_errors() const { return internal_errors_; }

 private:
  const PlannedCheck& check_of(std::size_t k) const { return plan_->checks[runs_[k].plan_index]; }

  void start_phase(std::size_t phase) {
    current_phase_ = phase;
    notify([&] { reporter_.phase_started(phases_[phase], remaining_in_phase_[phase]); });
    for (std::size_t k = 0; k < runs_.size(); ++k) {
      Run& run = runs_[k];
      if (run.phase != phase || run.status != Status::waiting) continue;
      if (stopping_) {
        skip(k, stop_reason_);
        continue;
      }
      // Needs from earlier phases are settled by now; a check that needs one that did not pass
      // is skipped here, so its own dependents follow.
      run.unmet_needs = 0;
      std::optional<std::size_t> blocker;
      for (std::size_t need : run.needs) {
        if (runs_[need].status == Status::done) {
          if (results_[need].outcome != Outcome::passed) blocker = need;
        } else {
          ++run.unmet_needs;
        }
      }
      if (blocker) {
        skip_for(k, *blocker);
      } else if (run.unmet_needs == 0) {
        run.status = Status::ready;
        ready_.push_back(k);
      }
    }
    settle_phase();
    schedule_pump();
  }

  // Moves on when nothing of the current phase is left.
  void settle_phase() {
    if (finished_ || remaining_in_phase_[current_phase_] != 0) return;
    if (current_phase_ + 1 >= phases_.size()) {
      finished_ = true;
      return;
    }
    start_phase(current_phase_ + 1);
  }

  // Launching from a completion handler could recurse deeply when checks finish at once;
  // launches always happen from a fresh handler instead.
  void schedule_pump() {
    if (pump_scheduled_ || finished_) return;
    pump_scheduled_ = true;
    asio::post(io_, [this] {
      pump_scheduled_ = false;
      pump();
    });
  }

  void pump() {
    while (!stopping_ && running_ < options_.concurrency && !ready_.empty()) {
      const std::size_t k = ready_.front();
      ready_.pop_front();
      if (runs_[k].status == Status::ready) launch(k);
    }
  }

  void launch(std::size_t k) {
    Run& run = runs_[k];
    const PlannedCheck& check = check_of(k);
    run.status = Status::running;
    ++running_;

    const std::uint32_t attempt = ++run.attempt;
    run.cancellation = std::make_shared<Cancellation>();
    run.attempt_started = Clock::now();
    run.attempt_started_wall = std::chrono::system_clock::now();
    if (results_[k].attempts.empty()) {
      run.first_start = run.attempt_started;
      results_[k].started = run.attempt_started_wall;
      notify([&] { reporter_.check_started(check); });
    }
    run.deadline = run.attempt_started + check.timeout;
    watch(k);

    CheckContext context{io_,           blocking_,        run.deadline,
                         check.timeout, run.cancellation, plan_->redactor};
    // Small enough for std::function to hold without allocating: one per attempt adds up.
    const auto position = static_cast<std::uint32_t>(k);
    try {
      check.check->start(context, [this, position, attempt](CheckResult result) {
        on_reported(position, attempt, std::move(result));
      });
    } catch (const std::exception& e) {
      if (in_flight(k, attempt)) {
        finish_attempt(k, CheckResult::error(fmt::format("internal error: {}", e.what())), false);
      }
    }
  }

  // Whether attempt number `attempt` of check `k` is still the one running, with no verdict yet.
  bool in_flight(std::size_t k, std::uint32_t attempt) const {
    return runs_[k].status == Status::running && runs_[k].attempt == attempt;
  }

  // A check reported back: the attempt's verdict, unless the watchdog or an interrupt came first.
  void on_reported(std::size_t k, std::uint32_t attempt, CheckResult result) {
    std::vector<std::uint32_t>& abandoned = runs_[k].abandoned;
    if (const auto it = std::find(abandoned.begin(), abandoned.end(), attempt);
        it != abandoned.end()) {
      abandoned.erase(it);
      --abandoned_;
    }
    if (!in_flight(k, attempt)) return;
    finish_attempt(k, std::move(result), false);
  }

  void finish_attempt(std::size_t k, CheckResult outcome, bool interrupted) {
    Run& run = runs_[k];
    unwatch(k);
    --running_;
    Result& result = results_[k];
    const Redactor& redactor = plan_->redactor;
    result.attempts.push_back({outcome.outcome,
                               bounded_message(redactor, std::move(outcome.message)),
                               bounded_details(redactor, std::move(outcome.details)),
                               run.attempt_started_wall, Clock::now() - run.attempt_started});
    result.interrupted = interrupted;
    const Attempt& record = result.attempts.back();

    const bool retrying = outcome.outcome != Outcome::passed && !stopping_ && retry_allowed(k);
    AttemptProgress progress{result.attempts.size(), retrying, std::nullopt};
    if (const std::optional<Duration>& until = check_of(k).retry.until) {
      progress.give_up_at = run.first_start + *until;
    }
    notify([&] { reporter_.attempt_finished(check_of(k), record, progress); });

    if (retrying) {
      run.status = Status::retry_wait;
      run.retry_timer = std::make_unique<asio::steady_timer>(io_, check_of(k).retry.interval);
      run.retry_timer->async_wait([this, k](const boost::system::error_code& error) {
        if (error || runs_[k].status != Status::retry_wait) return;
        runs_[k].status = Status::ready;
        ready_.push_front(k);
        schedule_pump();
      });
      schedule_pump();
      return;
    }
    if (!redactor.empty()) {
      for (Measurement& measurement : outcome.measurements) {
        measurement.name = redactor.redact(measurement.name);
        measurement.unit = redactor.redact(measurement.unit);
      }
    }
    finalize(k, record.outcome, record.message, record.details, std::move(outcome.measurements));
  }

  // The attempt has its result; the check is told to stop and is counted until it reports back.
  void abandon(std::size_t k, Cancellation& cancellation) {
    runs_[k].abandoned.push_back(runs_[k].attempt);
    ++abandoned_;
    cancellation.cancel();
  }

  // Watchdogs: the deadlines of the attempts in flight, in a heap served by one timer. A timer
  // of each attempt's own costs a wait, a cancel and a handler per check; the heap costs a
  // few swaps.
  bool earlier(std::size_t a, std::size_t b) const {
    return std::pair(runs_[a].deadline, a) < std::pair(runs_[b].deadline, b);
  }

  // Moves the entry at `slot` up or down to where the heap order wants it.
  void restore_heap(std::size_t slot) {
    while (slot > 0) {
      const std::size_t parent = (slot - 1) / 2;
      if (!earlier(deadlines_[slot], deadlines_[parent])) break;
      std::swap(deadlines_[slot], deadlines_[parent]);
      runs_[deadlines_[slot]].deadline_slot = slot;
      slot = parent;
    }
    while (true) {
      std::size_t first = slot;
      for (const std::size_t child : {2 * slot + 1, 2 * slot + 2}) {
        if (child < deadlines_.size() && earlier(deadlines_[child], deadlines_[first])) {
          first = child;
        }
      }
      if (first == slot) break;
      std::swap(deadlines_[slot], deadlines_[first]);
      runs_[deadlines_[slot]].deadline_slot = slot;
      slot = first;
    }
    runs_[deadlines_[slot]].deadline_slot = slot;
  }

  void watch(std::size_t k) {
    runs_[k].deadline_slot = deadlines_.size();
    deadlines_.push_back(k);
    restore_heap(deadlines_.size() - 1);
    // A wait already set no later than this deadline wakes in time; waking early for a deadline
    // that was removed only finds nothing due.
    if (!watchdog_armed_ || runs_[k].deadline < watchdog_.expiry()) arm_watchdog();
  }

  void unwatch(std::size_t k) {
    const std::size_t slot = runs_[k].deadline_slot;
    if (slot == kNotQueued) return;
    runs_[k].deadline_slot = kNotQueued;
    const std::size_t last = deadlines_.back();
    deadlines_.pop_back();
    if (last != k) {
      deadlines_[slot] = last;
      restore_heap(slot);
    }
    // Nothing in flight: no wait may keep the loop busy.
    if (deadlines_.empty() && watchdog_armed_) {
      watchdog_armed_ = false;
      watchdog_.cancel();
    }
  }

  void arm_watchdog() {
    watchdog_armed_ = true;
    watchdog_.expires_at(runs_[deadlines_.front()].deadline);
    watchdog_.async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      watchdog_armed_ = false;
      on_watchdog();
    });
  }

  // The attempts whose deadline woke the watchdog get their timeout verdict. Not every deadline
  // passed by now: when the loop is behind, a later one's check has its own verdict naming the
  // stage ("timed out after 225ms connecting to ...") due a margin earlier, but not yet handled;
  // the watchdog, armed again, comes back to it after that.
  void on_watchdog() {
    // Not past now: a wait that completed as it was armed again woke for an older expiry.
    const auto due = std::min(watchdog_.expiry(), Clock::now());
    while (!deadlines_.empty() && runs_[deadlines_.front()].deadline <= due) {
      const std::size_t k = deadlines_.front();
      const std::shared_ptr<Cancellation> cancellation = runs_[k].cancellation;
      finish_attempt(
          k, CheckResult::error("timed out after " + format_duration(check_of(k).timeout)), false);
      abandon(k, *cancellation);
    }
    if (!deadlines_.empty() && !watchdog_armed_) arm_watchdog();
  }

  bool retry_allowed(std::size_t k) const {
    const RetryPolicy& retry = check_of(k).retry;
    if (retry.until) {
      return Clock::now() + retry.interval < runs_[k].first_start + *retry.until;
    }
    return results_[k].attempts.size() < static_cast<std::size_t>(retry.attempts);
  }

  void finalize(std::size_t k, Outcome outcome, std::string message, std::string details,
                std::vector<Measurement> measurements) {
    Run& run = runs_[k];
    Result& result = results_[k];
    run.status = Status::done;
    run.cancellation.reset();
    result.outcome = outcome;
    result.message = std::move(message);
    result.details = std::move(details);
    result.measurements = std::move(measurements);
    result.duration = Clock::now() - run.first_start;
    report(k);

    if ((outcome == Outcome::failed || outcome == Outcome::error) && options_.fail_fast &&
        !stopping_) {
      stop(fmt::format("not run: --fail-fast stopped the run after '{}' did not pass",
                       check_of(k).name));
    }
    for (std::size_t dependent : run.dependents) {
      Run& other = runs_[dependent];
      if (other.status != Status::waiting || other.phase != current_phase_) continue;
      if (outcome != Outcome::passed) {
        skip_for(dependent, k);
      } else if (--other.unmet_needs == 0 && !stopping_) {
        other.status = Status::ready;
        ready_.push_back(dependent);
      }
    }
    settle_phase();
    schedule_pump();
  }

  void skip_for(std::size_t k, std::size_t blocker) {
    const char* why =
        results_[blocker].outcome == Outcome::skipped ? "was skipped" : "did not pass";
    skip(k, fmt::format("needs '{}', which {} ({})", check_of(blocker).name, why,
                        to_string(results_[blocker].outcome)));
  }

  void skip(std::size_t k, std::string reason) {
    Run& run = runs_[k];
    if (run.status == Status::done) return;
    run.status = Status::done;
    Result& result = results_[k];
    result.outcome = Outcome::skipped;
    result.message = std::move(reason);
    result.started = std::chrono::system_clock::now();
    report(k);
    for (std::size_t dependent : run.dependents) {
      if (runs_[dependent].status == Status::waiting) skip_for(dependent, k);
    }
  }

  // Whether nothing can make progress any more: no attempt in flight, no launch pending, no
  // check ready or waiting to retry, and still the run is not finished.
  bool stalled() const {
    if (finished_ || running_ > 0 || pump_scheduled_) return false;
    return std::none_of(runs_.begin(), runs_.end(), [](const Run& run) {
      return run.status == Status::ready || run.status == Status::retry_wait;
    });
  }

  // A reporter that throws on one check (a full disk under the console) must not stop the run;
  // it is an internal error, and the exit code says so.
  template <typename Event>
  void notify(Event event) {
    try {
      event();
    } catch (const std::exception& e) {
      internal_errors_.push_back(fmt::format("a reporter failed: {}", e.what()));
    }
  }

  void report(std::size_t k) {
    const Result& result = results_[k];
    ++summary_.counts[result.outcome];
    if (result.flaky()) ++summary_.flaky;
    --remaining_in_phase_[runs_[k].phase];
    notify([&] { reporter_.check_finished(check_of(k), result); });
  }

  // Starts no more checks: those waiting in the current phase are skipped now, later phases'
  // when their phase comes; a check waiting to retry keeps its last attempt's outcome.
  void stop(std::string reason) {
    stopping_ = true;
    stop_reason_ = reason;
    ready_.clear();
    for (std::size_t k = 0; k < runs_.size(); ++k) {
      Run& run = runs_[k];
      if (run.phase != current_phase_) continue;
      const bool tried = !results_[k].attempts.empty();
      if (run.status == Status::waiting || (run.status == Status::ready && !tried)) {
        skip(k, reason);
      } else if (run.status == Status::retry_wait || run.status == Status::ready) {
        // It ran and did not pass: waiting for its retry, or for a slot to retry in. Its last
        // attempt is its result; "not run" would hide the failure.
        if (run.retry_timer) run.retry_timer->cancel();
        Result& result = results_[k];
        const Attempt& last = result.attempts.back();
        result.interrupted = interrupted_;
        finalize(k, last.outcome,
                 fmt::format("{} (no retry: {})", last.message,
                             interrupted_ ? "the run was interrupted" : "--fail-fast"),
                 last.details, {});
      }
    }
  }

  asio::io_context& io_;
  asio::thread_pool& blocking_;
  Reporter& reporter_;
  SchedulerOptions options_;
  const Plan* plan_ = nullptr;

  std::vector<Run> runs_;
  std::vector<Result> results_;
  std::vector<std::string> phases_;
  std::vector<std::size_t> remaining_in_phase_;
  std::size_t current_phase_ = 0;
  std::deque<std::size_t> ready_;
  std::vector<std::size_t> deadlines_;  // a heap of the running checks, earliest deadline first
  asio::steady_timer watchdog_;
  bool watchdog_armed_ = false;
  std::size_t running_ = 0;
  bool pump_scheduled_ = false;
  bool stopping_ = false;
  bool interrupted_ = false;
  bool finished_ = false;
  std::string stop_reason_;
  Clock::time_point started_;
  RunSummary summary_;
  std::vector<std::string> internal_errors_;
  std::size_t abandoned_ = 0;
};

Scheduler::Scheduler(asio::io_context& io, asio::thread_pool& blocking, Reporter& reporter,
                     SchedulerOptions options)
    : impl_(std::make_unique<Impl>(io, blocking, reporter, options)) {}

Scheduler::~Scheduler() = default;

RunSummary Scheduler::run(const Plan& plan, const std::vector<std::size_t>& selected,
                          RunInfo info) {
  return impl_->run(plan, selected, std::move(info));
}

void Scheduler::interrupt() {
  impl_->interrupt();
}

const std::vector<Result>& Scheduler::results() const {
  return impl_->results();
}

const std::vector<std::string>& Scheduler::internal_errors() const {
  return impl_->internal_errors();
}

bool Scheduler::wait_for_abandoned(Duration limit) {
  return impl_->wait_for_abandoned(limit);
}

std::size_t Scheduler::abandoned() const {
  return impl_->abandoned();
}

}  // namespace cutover
