#include "harness/scheduler.hpp"

#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/steady_timer.hpp>

#include "harness/suite.hpp"
#include "tests/support/test_checks.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;

// Records every event as a line, in order.
class RecordingReporter : public Reporter {
 public:
  void run_started(const RunInfo& info) override {
    events.push_back("run started: " + std::to_string(info.selected_checks) + " checks");
  }
  void phase_started(const std::string& phase, std::size_t checks) override {
    events.push_back("phase " + phase + ": " + std::to_string(checks) + " checks");
  }
  void check_started(const PlannedCheck& check) override {
    events.push_back("start " + check.name);
  }
  // Apart from `events`, whose order tests of phases and needs look at.
  void attempt_finished(const PlannedCheck& check, const Attempt& attempt,
                        const AttemptProgress& progress) override {
    attempts.push_back(fmt::format("{} {}: {}: {}{}", check.name, progress.number,
                                   to_string(attempt.outcome), attempt.message,
                                   progress.retrying ? ", retrying" : ""));
    if (progress.give_up_at) {
      time_left.push_back(*progress.give_up_at - std::chrono::steady_clock::now());
    }
  }
  void check_finished(const PlannedCheck& check, const Result& result) override {
    events.push_back("finish " + check.name + ": " + std::string(to_string(result.outcome)) + ": " +
                     result.message);
  }
  void run_finished(const RunInfo&, const RunSummary& summary) override {
    events.push_back("run finished: " + std::to_string(summary.total()) + " checks");
  }

  std::vector<std::string> events;
  std::vector<std::string> attempts;  // "name number: outcome: message[, retrying]"
  std::vector<Duration> time_left;    // for retry: { until }, as each attempt ended
};

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() { test::register_test_checks(registry, stats); }

  // Loads the checks (a YAML list) and runs all of them.
  RunSummary run(const std::string& checks, SchedulerOptions scheduler_options = {},
                 std::function<void(Scheduler&)> during = {}) {
    LoadOptions options;
    options.environment = [](std::string_view name) -> std::optional<std::string> {
      if (name == "TOKEN") return "tok-123456";
      return std::nullopt;
    };
    auto loaded = load_suite_text("suite: s\nchecks:\n" + checks, "s.yaml", registry, options);
    if (!loaded) {
      ADD_FAILURE() << loaded.error().front().message;
      return {};
    }
    plan = std::move(loaded).value();
    std::vector<std::size_t> all(plan.checks.size());
    for (std::size_t i = 0; i < all.size(); ++i)
      all[i] = i;
    scheduler = std::make_unique<Scheduler>(io, blocking, reporter, scheduler_options);
    boost::asio::steady_timer interrupter(io, 60ms);
    if (during) {
      interrupter.async_wait([&](const boost::system::error_code& error) {
        if (!error) during(*scheduler);
      });
    }
    RunSummary summary = scheduler->run(plan, all, RunInfo{});
    interrupter.cancel();
    return summary;
  }

  const Result& result(std::size_t i) const { return scheduler->results().at(i); }

  Registry registry;
  test::ScriptStats stats;
  boost::asio::io_context io;
  boost::asio::thread_pool blocking{1};
  RecordingReporter reporter;
  Plan plan;
  std::unique_ptr<Scheduler> scheduler;
};

TEST_F(SchedulerTest, RunsEverythingAndCountsOutcomes) {
  RunSummary summary = run(R"(
  - { name: a, kind: scripted, outcomes: [pass] }
  - { name: b, kind: scripted, outcomes: [fail], message: "expected 200, got 503" }
  - { name: c, kind: scripted, outcomes: [error] }
)");
  EXPECT_EQ(summary.total(), 3u);
  EXPECT_EQ(summary.count(Outcome::passed), 1u);
  EXPECT_EQ(summary.count(Outcome::failed), 1u);
  EXPECT_EQ(summary.count(Outcome::error), 1u);
  EXPECT_FALSE(summary.all_passed());
  EXPECT_EQ(result(1).message, "expected 200, got 503");
  ASSERT_EQ(result(0).measurements.size(), 1u);
  EXPECT_EQ(result(0).measurements[0].name, "answer_ms");
  EXPECT_EQ(reporter.events.front(), "run started: 3 checks");
  EXPECT_EQ(reporter.events.back(), "run finished: 3 checks");
}

TEST_F(SchedulerTest, HoldsTheConcurrencyBound) {
  std::string checks;
  for (int i = 0; i < 40; ++i) {
    checks += "  - { name: c" + std::to_string(i) + ", kind: scripted, delay: 5ms }\n";
  }
  RunSummary summary = run(checks, {.concurrency = 3});
  EXPECT_EQ(summary.count(Outcome::passed), 40u);
  EXPECT_EQ(stats.starts, 40u);
  EXPECT_EQ(stats.max_running, 3u);
}

TEST_F(SchedulerTest, UsesTheWholeConcurrencyBound) {
  std::string checks;
  for (int i = 0; i < 300; ++i) {
    checks += "  - { name: c" + std::to_string(i) + ", kind: scripted, delay: 20ms }\n";
  }
  run(checks, {.concurrency = 256});
  EXPECT_EQ(stats.max_running, 256u);
}

TEST_F(SchedulerTest, TimesOutAndCancelsAHangingCheck) {
  RunSummary summary = run("  - { name: slow, kind: scripted, outcomes: [hang], timeout: 50ms }\n");
  EXPECT_EQ(summary.count(Outcome::error), 1u);
  EXPECT_EQ(result(0).message, "timed out after 50ms");
  EXPECT_EQ(stats.cancelled, 1u);
  EXPECT_GE(result(0).duration, Duration(50ms));
  EXPECT_LT(result(0).duration, Duration(1s));
}

// Gives its own verdict at the end of its own budget, as network checks do ("timed out after
// 180ms connecting to ..."), or, as "busy", blocks the event loop in start() for 400ms, as a
// loop serving hundreds of checks falls behind.
class StagedCheck : public Check {
 public:
  explicit StagedCheck(Fields& fields) : busy_(fields.boolean("busy")) {}

  static KindSpec spec() {
    return {"Times out by itself naming its stage, for scheduler tests.",
            {{.name = "busy", .type = FieldType::boolean, .description = "blocks the loop"}}};
  }

  void start(CheckContext& context, Completion done) override {
    if (busy_) {
      std::this_thread::sleep_for(400ms);
      return done(CheckResult::passed("busy"));
    }
    const OwnBudget budget = own_budget(context);
    auto timer = std::make_shared<boost::asio::steady_timer>(context.io, budget.end);
    context.cancellation->on_cancel([timer] { timer->cancel(); });
    timer->async_wait([timer, budget, done](const boost::system::error_code& error) {
      if (error) return;
      done(CheckResult::error("timed out after " + format_duration(budget.length) + " connecting"));
    });
  }

  std::string describe() const override { return "staged"; }

 private:
  bool busy_ = false;
};

// Issue 15: with the event loop behind, the scheduler's watchdog gave the bare "timed out after
// 250ms" for every deadline that had passed, before the checks' own timers, due earlier, could
// say which stage timed out.
TEST_F(SchedulerTest, ABusyLoopStillLetsChecksNameTheStageThatTimedOut) {
  registry.add("staged", StagedCheck::spec(),
               [](Fields& fields) { return std::make_unique<StagedCheck>(fields); });
  run(R"(
  - { name: a, kind: staged, timeout: 200ms }
  - { name: b, kind: staged, timeout: 250ms }
  - { name: c, kind: staged, timeout: 300ms }
  - { name: busy, kind: staged, busy: true }
)");
  EXPECT_EQ(result(0).message, "timed out after 180ms connecting");
  EXPECT_EQ(result(1).message, "timed out after 225ms connecting");
  EXPECT_EQ(result(2).message, "timed out after 270ms connecting");
}

TEST_F(SchedulerTest, RetriesUntilAttemptsAreUsedUp) {
  run(R"(
  - { name: flaky, kind: scripted, outcomes: [fail, error, pass], retry: { attempts: 3, interval: 1ms } }
  - { name: broken, kind: scripted, outcomes: [fail], retry: { attempts: 2, interval: 1ms } }
)");
  EXPECT_EQ(result(0).outcome, Outcome::passed);
  ASSERT_EQ(result(0).attempts.size(), 3u);
  EXPECT_EQ(result(0).attempts[0].outcome, Outcome::failed);
  EXPECT_EQ(result(0).attempts[1].outcome, Outcome::error);
  EXPECT_EQ(result(0).attempts[2].outcome, Outcome::passed);
  EXPECT_TRUE(result(0).flaky());
  EXPECT_EQ(result(1).outcome, Outcome::failed);
  EXPECT_EQ(result(1).attempts.size(), 2u);
  EXPECT_FALSE(result(1).flaky());
}

// A long retry is not silent: reporters hear of each attempt as it ends, with its number and
// whether another follows, and for retry: { until } when the check gives up.
TEST_F(SchedulerTest, TellsReportersOfEachAttemptAsItEnds) {
  run(R"(
  - { name: flaky, kind: scripted, outcomes: [fail, error, pass], retry: { attempts: 3, interval: 1ms } }
  - { name: wait, kind: scripted, outcomes: [fail, pass], retry: { until: 10s, interval: 1ms } }
  - { name: once, kind: scripted, outcomes: [fail], needs: [wait] }
)");
  // Each check's attempts in order; the checks run side by side.
  const auto of = [this](const std::string& name) {
    std::vector<std::string> lines;
    std::copy_if(reporter.attempts.begin(), reporter.attempts.end(), std::back_inserter(lines),
                 [&name](const std::string& line) { return line.starts_with(name + " "); });
    return lines;
  };
  EXPECT_EQ(of("flaky"),
            (std::vector<std::string>{"flaky 1: failed: fail, retrying",
                                      "flaky 2: error: error, retrying", "flaky 3: passed: pass"}));
  EXPECT_EQ(of("wait"),
            (std::vector<std::string>{"wait 1: failed: fail, retrying", "wait 2: passed: pass"}));
  EXPECT_EQ(of("once"), (std::vector<std::string>{"once 1: failed: fail"}));
  EXPECT_EQ(reporter.attempts.size(), 6u);
  ASSERT_EQ(reporter.time_left.size(), 2u);
  for (const Duration left : reporter.time_left) {
    EXPECT_GT(left, Duration(9s));
    EXPECT_LE(left, Duration(10s));
  }
}

TEST_F(SchedulerTest, RetryUntilKeepsTryingUntilItPasses) {
  run("  - { name: wait, kind: scripted, outcomes: [fail, fail, fail, pass], retry: { until: 10s, "
      "interval: 5ms } }\n");
  EXPECT_EQ(result(0).outcome, Outcome::passed);
  EXPECT_EQ(result(0).attempts.size(), 4u);
}

TEST_F(SchedulerTest, RetryUntilStopsAtTheDeadline) {
  run("  - { name: never, kind: scripted, outcomes: [fail], retry: { until: 100ms, interval: 30ms "
      "} }\n");
  EXPECT_EQ(result(0).outcome, Outcome::failed);
  // Attempts start at about 0, 30, 60 and 90 ms; another would start past the deadline.
  EXPECT_EQ(result(0).attempts.size(), 4u);
  EXPECT_LT(result(0).duration, Duration(100ms));
}

TEST_F(SchedulerTest, TimeoutsAreRetriedToo) {
  run("  - { name: t, kind: scripted, outcomes: [hang, pass], timeout: 20ms, retry: { attempts: 2, "
      "interval: 1ms } }\n");
  EXPECT_EQ(result(0).outcome, Outcome::passed);
  ASSERT_EQ(result(0).attempts.size(), 2u);
  EXPECT_EQ(result(0).attempts[0].message, "timed out after 20ms");
}

TEST_F(SchedulerTest, SkipsChecksWhoseNeedsDidNotPass) {
  run(R"(
  - { name: a, kind: scripted, outcomes: [fail] }
  - { name: b, kind: scripted, needs: [a] }
  - { name: c, kind: scripted, needs: [b] }
  - { name: d, kind: scripted, needs: [e] }
  - { name: e, kind: scripted, delay: 10ms }
)");
  EXPECT_EQ(result(1).outcome, Outcome::skipped);
  EXPECT_EQ(result(1).message, "needs 'a', which did not pass (failed)");
  EXPECT_EQ(result(2).outcome, Outcome::skipped);
  EXPECT_EQ(result(2).message, "needs 'b', which was skipped (skipped)");
  EXPECT_EQ(result(3).outcome, Outcome::passed);
  EXPECT_EQ(stats.starts, 3u);
  // d starts only after e finished.
  auto position = [&](const std::string& event) {
    return std::find(reporter.events.begin(), reporter.events.end(), event) -
           reporter.events.begin();
  };
  EXPECT_LT(position("finish e: passed: pass"), position("start d"));
}

TEST_F(SchedulerTest, RunsPhasesOneAfterTheOther) {
  run(R"(
  - { name: pre-slow, kind: scripted, phase: pre, delay: 30ms }
  - { name: post-fast, kind: scripted, phase: post }
  - { name: pre-fast, kind: scripted, phase: pre }
)");
  EXPECT_EQ(
      reporter.events,
      (std::vector<std::string>{
          "run started: 3 checks", "phase pre: 2 checks", "start pre-slow", "start pre-fast",
          "finish pre-fast: passed: pass", "finish pre-slow: passed: pass", "phase post: 1 checks",
          "start post-fast", "finish post-fast: passed: pass", "run finished: 3 checks"}));
}

TEST_F(SchedulerTest, FailFastSkipsWhatHasNotStarted) {
  RunSummary summary = run(R"(
  - { name: a, kind: scripted, outcomes: [fail] }
  - { name: b, kind: scripted }
  - { name: later, kind: scripted, phase: post }
)",
                           {.concurrency = 1, .fail_fast = true});
  EXPECT_EQ(summary.count(Outcome::failed), 1u);
  EXPECT_EQ(summary.count(Outcome::skipped), 2u);
  EXPECT_EQ(result(1).message, "not run: --fail-fast stopped the run after 'a' did not pass");
  EXPECT_EQ(result(2).message, "not run: --fail-fast stopped the run after 'a' did not pass");
  EXPECT_EQ(stats.starts, 1u);
}

TEST_F(SchedulerTest, FailFastKeepsTheFailureOfACheckWaitingForASlotToRetry) {
  // 'retrying' fails at once, and while it waits 1ms to retry, 'slow' takes the only slot;
  // 'slow' fails and stops the run. 'retrying' failed: it must not be reported "not run".
  RunSummary summary = run(R"(
  - { name: retrying, kind: scripted, outcomes: [fail], retry: { attempts: 3, interval: 1ms } }
  - { name: slow, kind: scripted, outcomes: [fail], delay: 100ms }
)",
                           {.concurrency = 1, .fail_fast = true});
  EXPECT_EQ(result(1).outcome, Outcome::failed);
  EXPECT_EQ(result(0).outcome, Outcome::failed);
  EXPECT_EQ(result(0).message, "fail (no retry: --fail-fast)");
  EXPECT_EQ(result(0).attempts.size(), 1u);
  EXPECT_EQ(summary.count(Outcome::skipped), 0u);
}

TEST_F(SchedulerTest, InterruptCancelsRunningChecksAndSkipsTheRest) {
  // A check waiting to retry gives its slot away, so 'also hanging' starts after 'waiting'
  // fails its first attempt, and 'queued' never gets a slot.
  RunSummary summary = run(R"(
  - { name: hanging, kind: scripted, outcomes: [hang], timeout: 10s }
  - { name: waiting, kind: scripted, outcomes: [fail], retry: { attempts: 5, interval: 10s } }
  - { name: also hanging, kind: scripted, outcomes: [hang], timeout: 10s }
  - { name: queued, kind: scripted }
  - { name: later, kind: scripted, phase: post }
)",
                           {.concurrency = 2}, [](Scheduler& scheduler) { scheduler.interrupt(); });
  EXPECT_TRUE(summary.interrupted);
  for (std::size_t i : {0u, 2u}) {
    EXPECT_EQ(result(i).outcome, Outcome::error);
    EXPECT_TRUE(result(i).message.starts_with("interrupted after ")) << result(i).message;
    EXPECT_TRUE(result(i).interrupted);
  }
  EXPECT_EQ(stats.cancelled, 2u);
  EXPECT_EQ(result(1).outcome, Outcome::failed);
  EXPECT_EQ(result(1).message, "fail (no retry: the run was interrupted)");
  EXPECT_EQ(result(3).outcome, Outcome::skipped);
  EXPECT_EQ(result(3).message, "not run: the run was interrupted");
  EXPECT_EQ(result(4).outcome, Outcome::skipped);
  EXPECT_EQ(result(4).message, "not run: the run was interrupted");
}

TEST_F(SchedulerTest, CountsTimedOutChecksUntilTheyReportBack) {
  run("  - { name: stuck, kind: scripted, outcomes: [stuck], delay: 500ms, timeout: 50ms }\n");
  EXPECT_EQ(result(0).outcome, Outcome::error);
  EXPECT_EQ(result(0).message, "timed out after 50ms");
  EXPECT_EQ(scheduler->abandoned(), 1u);
  EXPECT_FALSE(scheduler->wait_for_abandoned(10ms));
  EXPECT_TRUE(scheduler->wait_for_abandoned(10s));
  EXPECT_EQ(scheduler->abandoned(), 0u);
  EXPECT_EQ(result(0).message, "timed out after 50ms");  // the late report changes nothing
}

TEST_F(SchedulerTest, AnExceptionFromACheckIsAnErrorResult) {
  RunSummary summary =
      run("  - { name: bad, kind: scripted, outcomes: [throw] }\n"
          "  - { name: good, kind: scripted }\n");
  EXPECT_EQ(result(0).outcome, Outcome::error);
  EXPECT_EQ(result(0).message, "internal error: scripted exception");
  EXPECT_EQ(result(1).outcome, Outcome::passed);
  EXPECT_EQ(summary.total(), 2u);
}

TEST_F(SchedulerTest, RedactsAndBoundsWhatChecksReport) {
  const std::string big(100 * 1024, 'x');
  run("  - { name: leaky, kind: scripted, outcomes: [fail], message: \"token ${secret:TOKEN} "
      "rejected\\nsecond line\", details: \"header ${secret:TOKEN} " +
      big + "\" }\n");
  EXPECT_EQ(result(0).message, "token *** rejected second line");
  EXPECT_TRUE(result(0).details.starts_with("header *** xxx"));
  EXPECT_NE(result(0).details.find(" bytes cut ...]"), std::string::npos);
  EXPECT_LT(result(0).details.size(), 64u * 1024 + 100);
}

}  // namespace
}  // namespace cutover
