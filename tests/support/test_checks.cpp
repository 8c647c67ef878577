#include "tests/support/test_checks.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace cutover::test {
namespace {

class ScriptedCheck : public Check {
 public:
  ScriptedCheck(Fields& fields, ScriptStats& stats)
      : outcomes_(fields.strings("outcomes")),
        delay_(fields.duration("delay")),
        message_(fields.string("message")),
        details_(fields.string("details")),
        stats_(stats) {
    if (outcomes_.empty()) outcomes_.push_back("pass");
    for (const std::string& outcome : outcomes_) {
      if (outcome != "pass" && outcome != "fail" && outcome != "error" && outcome != "hang" &&
          outcome != "stuck" && outcome != "throw") {
        fields.error("outcomes", "unknown outcome '" + outcome + "'");
      }
    }
  }

  static KindSpec spec() {
    return {"Answers as scripted, for harness tests.",
            {{.name = "outcomes", .type = FieldType::string_list, .description = "per attempt"},
             {.name = "delay", .type = FieldType::duration, .description = "before answering"},
             // Any text, line breaks included: the scheduler's bounding of what checks report is
             // tested through them.
             {.name = "message",
              .type = FieldType::string,
              .description = "message to report",
              .characters = Characters::any},
             {.name = "details",
              .type = FieldType::string,
              .description = "details to report",
              .characters = Characters::any}}};
  }

  void start(CheckContext& context, Completion done) override {
    const std::string outcome = outcomes_[std::min(attempt_++, outcomes_.size() - 1)];
    if (outcome == "throw") throw std::runtime_error("scripted exception");
    if (outcome == "stuck") {
      // Blocking work that ignores cancellation, like a driver call stuck in a system call: it
      // holds a pool thread for `delay`, then reports.
      boost::asio::post(context.blocking, [&io = context.io, delay = delay_, done] {
        std::this_thread::sleep_for(delay);
        boost::asio::post(io, [done] { done(CheckResult::passed("unstuck")); });
      });
      return;
    }
    ++stats_.starts;
    stats_.max_running = std::max(stats_.max_running, ++stats_.running);
    auto timer = std::make_shared<boost::asio::steady_timer>(context.io);
    auto finished = std::make_shared<bool>(false);
    auto finish = [this, finished, done](CheckResult result) {
      if (*finished) return;
      *finished = true;
      --stats_.running;
      done(std::move(result));
    };
    context.cancellation->on_cancel([this, timer, finish] {
      ++stats_.cancelled;
      timer->cancel();
      finish(CheckResult::error("cancelled"));
    });
    if (outcome == "hang") return;
    timer->expires_after(delay_);
    timer->async_wait([this, outcome, finish](const boost::system::error_code& error) {
      if (error) return;
      std::string message = message_.empty() ? outcome : message_;
      CheckResult result = outcome == "pass"   ? CheckResult::passed(message)
                           : outcome == "fail" ? CheckResult::failed(message)
                                               : CheckResult::error(message);
      result.details = details_;
      result.measurements.push_back({"answer_ms", 1.5, "ms"});
      finish(std::move(result));
    });
  }

  std::string describe() const override { return fmt::format("{}", fmt::join(outcomes_, ",")); }

 private:
  std::vector<std::string> outcomes_;
  Duration delay_;
  std::string message_;
  std::string details_;
  ScriptStats& stats_;
  std::size_t attempt_ = 0;
};

class ProbeCheck : public Check {
 public:
  explicit ProbeCheck(Fields& fields) {
    description_ = fmt::format(
        "text={} count={} ratio={} flag={} wait={} names=[{}] mode={} extra={} timeout={}",
        fields.string("text"), fields.integer("count"), fields.number("ratio"),
        fields.boolean("flag"), format_duration(fields.duration("wait")),
        fmt::join(fields.strings("names"), "|"), fields.string("mode", "a"),
        fields.object("extra").dump(), format_duration(fields.timeout()));
    if (const auto database = fields.database("db")) {
      description_ +=
          fmt::format(" db={}:{}:{}", database->name, database->dsn, database->max_connections);
    }
    if (fields.has("count") && fields.integer("count") == 7) {
      fields.error("count", "seven is not allowed here");
    }
  }

  static KindSpec spec() {
    return {"Records its fields, for suite loading tests.",
            {{.name = "text", .type = FieldType::string, .required = true, .description = "text"},
             {.name = "count", .type = FieldType::integer, .min = 1, .max = 10},
             {.name = "ratio", .type = FieldType::number},
             {.name = "flag", .type = FieldType::boolean},
             {.name = "wait", .type = FieldType::duration},
             {.name = "names", .type = FieldType::string_list},
             {.name = "mode", .type = FieldType::choice, .choices = {"alpha", "beta"}},
             {.name = "extra", .type = FieldType::object},
             {.name = "db", .type = FieldType::database}}};
  }

  void start(CheckContext&, Completion done) override { done(CheckResult::passed("probed")); }
  std::string describe() const override { return description_; }

 private:
  std::string description_;
};

}  // namespace

void register_test_checks(Registry& registry, ScriptStats& stats) {
  registry.add("scripted", ScriptedCheck::spec(),
               [&stats](Fields& fields) { return std::make_unique<ScriptedCheck>(fields, stats); });
  registry.add<ProbeCheck>("probe");
}

}  // namespace cutover::test
