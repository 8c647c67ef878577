#include "app/demo.hpp"

#include <signal.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/demo_environment.hpp"

namespace cutover::demo {
namespace {

// The reports the demo writes when their format exists, and their file names, in print order.
const std::vector<std::pair<std::string, std::string>> kReportFiles = {
    {"junit", "junit.xml"},
    {"json", "results.json"},
    {"html", "report.html"},
    {"markdown", "summary.md"},
};

// The shipped suites the demo runs, in order.
const std::vector<std::string> kSuiteFiles = {"pre-cutover.yaml", "sync.yaml", "post-cutover.yaml",
                                              "inventory.yaml"};
// Run only with the MariaDB part of the environment.
const std::string kMariadbSuite = "inventory.yaml";

// The phase whose first check is the moment of the cutover: the DNS switch happens right before.
constexpr const char* kCutoverPhase = "post";

volatile std::sig_atomic_t setup_signal = 0;

extern "C" void note_setup_signal(int signal) {
  setup_signal = signal;
}

// While the environment starts, SIGINT and SIGTERM are noted instead of ending the process at
// once, so that the clusters, servers and files already started are stopped and removed. The
// run itself handles them (run_plan), so the previous handlers come back before it.
class SignalsNoted {
 public:
  SignalsNoted() {
    struct sigaction action {};
    action.sa_handler = note_setup_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &previous_interrupt_);
    ::sigaction(SIGTERM, &action, &previous_terminate_);
  }
  ~SignalsNoted() {
    ::sigaction(SIGINT, &previous_interrupt_, nullptr);
    ::sigaction(SIGTERM, &previous_terminate_, nullptr);
  }
  SignalsNoted(const SignalsNoted&) = delete;
  SignalsNoted& operator=(const SignalsNoted&) = delete;

 private:
  struct sigaction previous_interrupt_ {};
  struct sigaction previous_terminate_ {};
};

// The environment while a run uses it. A runner that quits at once (a second Ctrl-C, or checks
// that do not stop) calls std::quick_exit, which skips destructors: the servers, clusters and
// files must still go, so the demo tears them down from an at_quick_exit handler.
std::unique_ptr<Environment>* live_environment = nullptr;

extern "C" void tear_down_live_environment() {
  if (live_environment != nullptr) live_environment->reset();
}

// Where the shipped suites may be when --suites does not say, relative to the binary, never at
// a path compiled in: <prefix>/share/cutover/suites for <prefix>/bin/cutover, installed; suites/
// beside the binary in a build tree (CMake links it to the source tree's). Empty when the
// binary cannot be found.
std::vector<std::filesystem::path> suite_folders() {
  std::error_code error;
  const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  const std::filesystem::path folder = binary.parent_path();
  return {folder.parent_path() / "share" / "cutover" / "suites", folder / "suites"};
}

// The first of suite_folders() that holds the shipped suites; empty when none does.
std::filesystem::path find_suites() {
  for (const std::filesystem::path& folder : suite_folders()) {
    std::error_code missing;
    if (std::filesystem::is_regular_file(folder / kSuiteFiles.front(), missing)) return folder;
  }
  return {};
}

// `cutover demo | head`: once the reader has gone, nothing the demo prints can be seen. SIGPIPE
// is ignored, so a write fails (EPIPE) instead of killing the demo with its cluster running; a
// failed write to stdout then ends the demo as an interrupt does: what it started is removed.
bool stdout_closed() {
  return std::ferror(stdout) != 0;
}

void say_stdout_closed() {
  std::cerr << "cutover demo: standard output was closed; stopping, and removing the environment\n";
}

// Flushes what was printed so far; true, having said so, when stdout is closed.
bool stdout_closed_after_flush() {
  std::cout.flush();
  if (!stdout_closed()) return false;
  say_stdout_closed();
  return true;
}

// Forwards every event to the console reporter, and calls `cut_over` once, when the first check
// of the post phase starts: the phases run one after another, so pre and sync are done by then.
// When the console's writes fail (stdout closed), stops the run as SIGTERM does: run_plan
// cancels the checks and writes the reports, and the demo then removes the environment.
class CutoverOnPostPhase : public Reporter {
 public:
  CutoverOnPostPhase(std::unique_ptr<Reporter> console, std::function<void()> cut_over)
      : console_(std::move(console)), cut_over_(std::move(cut_over)) {}

  void run_started(const RunInfo& info) override { console_->run_started(info); }

  void phase_started(const std::string& phase, std::size_t checks) override {
    console_->phase_started(phase, checks);
  }

  void check_started(const PlannedCheck& check) override {
    if (!cut_over_done_ && check.phase == kCutoverPhase) {
      cut_over_done_ = true;
      cut_over_();
    }
    console_->check_started(check);
    stop_if_stdout_closed();
  }

  void attempt_finished(const PlannedCheck& check, const Attempt& attempt,
                        const AttemptProgress& progress) override {
    console_->attempt_finished(check, attempt, progress);
  }

  void check_finished(const PlannedCheck& check, const Result& result) override {
    console_->check_finished(check, result);
    stop_if_stdout_closed();
  }

  void run_finished(const RunInfo& info, const RunSummary& summary) override {
    console_->run_finished(info, summary);
  }

 private:
  std::unique_ptr<Reporter> console_;
  void stop_if_stdout_closed() {
    if (stopping_ || !stdout_closed()) return;
    stopping_ = true;
    say_stdout_closed();
    std::raise(SIGTERM);
  }

  std::function<void()> cut_over_;
  bool cut_over_done_ = false;
  bool stopping_ = false;
};

struct DemoOptions {
  std::string out = "cutover-demo";
  std::string suites;
  bool inject_faults = false;
};

void add_options(CLI::App& command, DemoOptions& options) {
  command.add_option("--out", options.out, "folder for the reports")
      ->type_name("DIR")
      ->capture_default_str();
  command
      .add_option("--suites", options.suites,
                  "folder with the shipped suites (default: <prefix>/share/cutover/suites for "
                  "<prefix>/bin/cutover, else suites/ beside the binary, as in a build tree)")
      ->type_name("DIR");
  command.add_flag("--break", options.inject_faults,
                   "inject faults: a changed and a missing row, a sequence left behind, a stock "
                   "row lost from MariaDB to PostgreSQL, a stale DNS record, an expiring "
                   "certificate");
}

// Finds the shipped suites when --suites is not given; false, having said why, when they are
// not there.
bool find_suite_folder(DemoOptions& options) {
  if (options.suites.empty()) options.suites = find_suites().string();
  if (options.suites.empty()) {
    const std::vector<std::filesystem::path> folders = suite_folders();
    std::cerr << fmt::format(
        "cutover demo: the shipped suites are in neither <prefix>/share/cutover/suites ({}) nor "
        "suites/ beside this binary ({}); name their folder with --suites DIR\n",
        folders.empty() ? "?" : folders[0].string(), folders.empty() ? "?" : folders[1].string());
    return false;
  }
  for (const std::string& file : kSuiteFiles) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(std::filesystem::path(options.suites) / file, error)) {
      std::cerr << fmt::format("cutover demo: --suites {}: there is no {} in that folder\n",
                               options.suites, file);
      return false;
    }
  }
  return true;
}

// Starts the old and new environments; an exit code instead when that fails or is interrupted,
// after stopping and removing what had started.
std::variant<std::unique_ptr<Environment>, int> start_environment(bool inject_faults) {
  std::cout << "cutover demo: starting the old and new environments on loopback"
            << (inject_faults ? ", with faults injected (--break)" : "") << "...\n";
  if (stdout_closed_after_flush()) return kExitInterrupted;
  try {
    const SignalsNoted signals;
    setup_signal = 0;
    auto environment =
        std::make_unique<Environment>(inject_faults, [] { return setup_signal != 0; });
    if (setup_signal != 0) throw Interrupted();
    return environment;
  } catch (const Interrupted&) {
    std::cerr << "cutover demo: interrupted while starting; what had started was stopped and "
                 "removed\n";
    return kExitInterrupted;
  } catch (const std::exception& error) {
    std::cerr << "cutover demo: could not start the environment: " << error.what() << "\n";
    return kExitInternal;
  }
}

// Says what runs where; without PostgreSQL, leaves the database checks out of the run.
void describe_environment(const Environment& environment, const std::string& suites,
                          RunOptions& options) {
  const auto& variables = environment.variables();
  if (environment.has_databases()) {
    std::cout << fmt::format(
        "  PostgreSQL  source and target databases on 127.0.0.1:{}, the target subscribed to "
        "the source (logical replication); 1,000 customers and 5,000 orders copied\n",
        variables.at("DB_PORT"));
  } else {
    std::cout << "  PostgreSQL  NOT AVAILABLE: " << environment.database_note()
              << "\n              The database checks (tag `database`) are left out of this "
                 "run; install the PostgreSQL server (scripts/setup.sh) to run them.\n";
    options.selection.tags = {"!database"};
  }
  if (environment.has_mariadb()) {
    std::cout << fmt::format(
        "  MariaDB     inventory database on 127.0.0.1:{} (200 items, 600 stock rows), copied "
        "by the demo into PostgreSQL's inventory database\n",
        variables.at("MARIADB_PORT"));
  } else {
    std::cout << "  MariaDB     NOT AVAILABLE: " << environment.mariadb_note()
              << "\n              The inventory suite (MariaDB to PostgreSQL) is left out of "
                 "this run; install the MariaDB server (scripts/setup.sh) to run it.\n";
    std::erase(options.files, suites + "/" + kMariadbSuite);
  }
  std::cout << fmt::format(
      "  old         https://api.shop.test on {}:{}\n"
      "  new         https://api.shop.test on {}:{}, http on port {}\n"
      "  DNS         {}: api.shop.test and www.shop.test point at {} until the post phase "
      "starts, then move to {}\n"
      "  suites      {}/{{pre-cutover,sync,post-cutover,inventory}}.yaml\n\n",
      variables.at("OLD_ADDRESS"), variables.at("OLD_HTTPS_PORT"), variables.at("NEW_ADDRESS"),
      variables.at("NEW_HTTPS_PORT"), variables.at("NEW_HTTP_PORT"), variables.at("DNS_SERVER"),
      variables.at("OLD_ADDRESS"), variables.at("NEW_ADDRESS"), suites);
}

// Asks for every report the demo writes whose format exists; returns (format, path) in print
// order.
std::vector<std::pair<std::string, std::string>> request_reports(const std::string& out,
                                                                 const Extensions& extensions,
                                                                 RunOptions& options) {
  std::vector<std::pair<std::string, std::string>> written;
  for (const auto& [name, file] : kReportFiles) {
    for (const ReportFormat& format : extensions.report_formats) {
      if (format.name != name) continue;
      options.reports[name] = out + "/" + file;
      written.emplace_back(name, out + "/" + file);
    }
  }
  return written;
}

int run_demo(DemoOptions demo, const Extensions& extensions) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout must not end the demo before its teardown
  if (!find_suite_folder(demo)) return kExitUsage;
  auto started = start_environment(demo.inject_faults);
  if (const int* code = std::get_if<int>(&started)) return *code;
  std::unique_ptr<Environment> environment = std::move(std::get<0>(started));

  RunOptions options;
  for (const std::string& file : kSuiteFiles)
    options.files.push_back(demo.suites + "/" + file);
  options.variables = environment->variables();
  describe_environment(*environment, demo.suites, options);
  if (stdout_closed_after_flush()) return kExitInterrupted;
  const auto written = request_reports(demo.out, extensions, options);

  Extensions demo_extensions = extensions;
  Environment& cut_over_target = *environment;
  demo_extensions.make_console = [&extensions, &cut_over_target](const ConsoleSettings& settings) {
    return std::make_unique<CutoverOnPostPhase>(extensions.make_console(settings),
                                                [&cut_over_target] { cut_over_target.cut_over(); });
  };
  live_environment = &environment;
  static const bool teardown_registered = std::at_quick_exit(tear_down_live_environment) == 0;
  (void)teardown_registered;
  const int code = run_suites(options, demo_extensions);
  live_environment = nullptr;
  if (code == kExitPassed || code == kExitFailed || code == kExitInterrupted) {
    std::cout << "\nReports:\n";
    for (const auto& [name, path] : written) {
      std::cout << fmt::format("  {:<9} {}\n", name, path);
    }
  }
  return code;
}

}  // namespace

Command command(const Extensions& extensions) {
  return {"demo",
          "run the shipped suites against a whole migration on loopback (--break: with faults)",
          [&extensions](CLI::App& command) {
            auto options = std::make_shared<DemoOptions>();
            add_options(command, *options);
            return [options, &extensions] { return run_demo(*options, extensions); };
          }};
}

}  // namespace cutover::demo
