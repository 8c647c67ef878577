#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/registry.hpp"
#include "harness/reporter.hpp"
#include "harness/scheduler.hpp"
#include "harness/selection.hpp"
#include "harness/suite.hpp"

namespace CLI {
class App;
}

namespace cutover {

// Exit codes are an API: CI scripts branch on them.
enum ExitCode : int {
  kExitPassed = 0,         // every selected check passed
  kExitFailed = 1,         // at least one check failed or errored
  kExitUsage = 2,          // the command line or a suite file is wrong
  kExitInternal = 3,       // a bug, or a report that could not be written
  kExitInterrupted = 130,  // SIGINT or SIGTERM; reports were still written
};

// A subcommand that lives outside the harness (the demo, merge, report). `define` adds its
// options to the subcommand the command line made for it, so that --help, `cutover help`, the
// man page and shell completion list them, and returns what runs it once the command line has
// been parsed: an exit code.
struct Command {
  std::string name;
  std::string description;
  std::function<std::function<int()>(CLI::App& command)> define;
};

// What the composition root (main) plugs into the command line.
struct Extensions {
  const Registry* registry = nullptr;
  std::vector<ReportFormat> report_formats;
  std::function<std::unique_ptr<Reporter>(const ConsoleSettings&)> make_console;
  // Reports every run writes without being asked, decided by the environment (a CI summary
  // file); called once per run. Optional.
  std::function<std::vector<std::unique_ptr<Reporter>>()> automatic_reports;
  std::vector<Command> commands;
};

// Everything `cutover run` does, as data, so other commands (the demo) can run suites too.
struct RunOptions {
  std::vector<std::filesystem::path> files;      // "-" is standard input
  std::map<std::string, std::string> variables;  // --var NAME=VALUE
  // Format name -> file; "-" is standard output, and the console then writes to stderr.
  std::map<std::string, std::filesystem::path> reports;
  Selection selection;
  SchedulerOptions scheduler;
  Verbosity verbosity = Verbosity::normal;
  bool list = false;
  bool dry_run = false;
  std::uint64_t max_suite_bytes = kDefaultMaxSuiteBytes;  // --max-suite-size
};

// Loads options.files, then run_plan; suite errors are printed and give kExitUsage.
int run_suites(const RunOptions& options, const Extensions& extensions);

// Selects, lists or runs, and reports a plan, however it was made (suite files or C++ code):
// prints to stdout and stderr, handles SIGINT and SIGTERM, returns the exit code. A second signal,
// or cancelled checks that do not stop, end the process with std::quick_exit: a program that owns
// what must not outlive it (servers, clusters) registers its teardown with std::at_quick_exit.
// options.files and options.variables are not used.
int run_plan(Plan plan, const RunOptions& options, const Extensions& extensions);

// The `cutover` command line.
int run_cli(int argc, char** argv, const Extensions& extensions);

}  // namespace cutover
