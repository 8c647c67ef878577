// Runs checks built in C++, without a suite file: a Plan filled by hand, run by run_plan like
// `cutover run` runs a suite (console, JUnit report in plan-in-code/, Ctrl-C, exit codes). For a
// program that computes its targets itself (from an inventory, a cloud API) rather than from YAML.
//
//   cutover-plan-in-code 127.0.0.1:8080 db.internal:5432
//
// checks that every HOST:PORT accepts connections, trying each twice. Exit codes as for
// `cutover run`: 0 all passed, 1 some did not, 2 bad arguments.

#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

#include "checks/builtin.hpp"
#include "harness/cli.hpp"
#include "harness/plan.hpp"
#include "reports/builtin.hpp"

namespace {

using namespace std::chrono_literals;

// Adds a `tcp` check for "HOST:PORT" to the plan, or the mistakes in it to `problems`. The
// fields are the typed values the suite loader would have read from YAML.
void add_tcp_check(const cutover::Registry& registry, std::string_view target, cutover::Plan& plan,
                   cutover::Diagnostics& problems) {
  const cutover::SourceLocation location{"argument '" + std::string(target) + "'"};
  const std::size_t colon = target.rfind(':');
  std::int64_t port = 0;
  const std::string_view port_text = target.substr(colon + 1);
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (colon == std::string_view::npos || ec != std::errc() || end != port_text.end()) {
    problems.push_back({location, "expected HOST:PORT"});
    return;
  }

  cutover::PlannedCheck check;
  check.suite = "from-code";
  check.name = std::string(target) + " accepts connections";
  check.kind = "tcp";
  check.phase = "main";
  check.timeout = 2s;
  check.retry.attempts = 2;
  check.retry.interval = 500ms;
  check.location = location;
  cutover::Fields fields({{"host", std::string(target.substr(0, colon))}, {"port", port}}, {},
                         location, check.timeout);
  check.check = registry.find("tcp")->factory(fields);
  cutover::Diagnostics mistakes = fields.take_diagnostics();
  problems.insert(problems.end(), mistakes.begin(), mistakes.end());
  if (mistakes.empty()) plan.checks.push_back(std::move(check));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: cutover-plan-in-code HOST:PORT...\n";
    return cutover::kExitUsage;
  }
  cutover::Registry registry;
  cutover::register_builtin_checks(registry);

  cutover::Plan plan;
  plan.suites.push_back({"from-code", "Ports given on the command line", "plan_in_code.cpp"});
  cutover::Diagnostics problems;
  for (int i = 1; i < argc; ++i)
    add_tcp_check(registry, argv[i], plan, problems);
  for (const cutover::Diagnostic& problem : problems)
    std::cerr << to_string(problem) << "\n";
  if (!problems.empty()) return cutover::kExitUsage;

  // From here on it is `cutover run`: selection, console, Ctrl-C, reports and exit codes.
  cutover::Extensions extensions;
  extensions.registry = &registry;
  extensions.report_formats = cutover::builtin_report_formats();
  extensions.make_console = cutover::make_console_reporter;
  extensions.automatic_reports = cutover::automatic_reports;
  cutover::RunOptions options;
  options.reports["junit"] = "plan-in-code/junit.xml";
  return cutover::run_plan(std::move(plan), options, extensions);
}
