#include "tests/support/check_runner.hpp"

#include <algorithm>
#include <chrono>
#include <regex>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "checks/builtin.hpp"
#include "harness/registry.hpp"
#include "harness/suite.hpp"

namespace cutover::test {

Fields make_fields(FieldMap values, Duration timeout) {
  return Fields(std::move(values), {}, SourceLocation{"suite.yaml", 7, 5}, timeout);
}

namespace {

std::vector<std::string> suite_errors(const std::string& text) {
  Registry registry;
  register_builtin_checks(registry);
  auto loaded = load_suite_text(text, "suite.yaml", registry);
  std::vector<std::string> errors;
  if (loaded) return errors;
  for (const Diagnostic& diagnostic : loaded.error())
    errors.push_back(to_string(diagnostic));
  return errors;
}

}  // namespace

std::vector<std::string> load_errors(const std::string& kind,
                                     const std::vector<std::string>& fields) {
  std::string text = "suite: s\nchecks:\n  - name: c\n    kind: " + kind + "\n";
  for (const std::string& field : fields)
    text += "    " + field + "\n";
  return suite_errors(text);
}

std::vector<std::string> load_check_errors(const std::string& databases, const std::string& check) {
  return suite_errors("suite: s\ndatabases:\n" + databases + "checks:\n  - " + check + "\n");
}

Completed run_check(Check& check, Duration timeout, std::optional<Duration> cancel_after,
                    const Redactor& redactor) {
  boost::asio::io_context io;
  boost::asio::thread_pool pool(1);
  const auto started = std::chrono::steady_clock::now();
  CheckContext context{io,      pool, started + timeout, timeout, std::make_shared<Cancellation>(),
                       redactor};
  boost::asio::steady_timer canceller(io);
  if (cancel_after) {
    canceller.expires_after(*cancel_after);
    canceller.async_wait([&](boost::system::error_code error) {
      if (!error) context.cancellation->cancel();
    });
  }
  Completed run;
  check.start(context, [&](CheckResult result) {
    ++run.completions;
    run.result = std::move(result);
    run.elapsed = std::chrono::steady_clock::now() - started;
    canceller.cancel();
  });
  io.run();
  pool.join();
  return run;
}

CancelledBeforeStart run_cancelled_before_start(Check& check) {
  boost::asio::io_context io;
  boost::asio::thread_pool pool(1);
  const auto started = std::chrono::steady_clock::now();
  CheckContext context{io, pool, started + kCheckTimeout, kCheckTimeout,
                       std::make_shared<Cancellation>()};
  context.cancellation->cancel();
  CancelledBeforeStart cancelled;
  check.start(context, [&](CheckResult result) {
    ++cancelled.run.completions;
    cancelled.run.result = std::move(result);
    cancelled.run.elapsed = std::chrono::steady_clock::now() - started;
  });
  cancelled.completions_inside_start = cancelled.run.completions;
  io.run();
  pool.join();
  return cancelled;
}

void expect_result(const Completed& run, Outcome outcome, const std::string& message) {
  EXPECT_EQ(run.completions, 1);
  EXPECT_EQ(to_string(run.result.outcome), to_string(outcome)) << run.result.message;
  EXPECT_EQ(run.result.message, message) << run.result.details;
}

void expect_result_matching(const Completed& run, Outcome outcome, const std::string& pattern) {
  EXPECT_EQ(run.completions, 1);
  EXPECT_EQ(to_string(run.result.outcome), to_string(outcome)) << run.result.message;
  EXPECT_TRUE(std::regex_match(run.result.message, std::regex(pattern)))
      << "message: " << run.result.message << "\npattern: " << pattern;
}

const Measurement* find_measurement(const CheckResult& result, const std::string& name) {
  for (const Measurement& measurement : result.measurements) {
    if (measurement.name == name) return &measurement;
  }
  return nullptr;
}

const FieldSpec& declared(const KindSpec& spec, std::string_view name) {
  const auto it = std::find_if(spec.fields.begin(), spec.fields.end(),
                               [name](const FieldSpec& field) { return field.name == name; });
  EXPECT_NE(it, spec.fields.end()) << name;
  return *it;
}

}  // namespace cutover::test
