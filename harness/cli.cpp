#include "harness/cli.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>

#include "cutover/git_commit.hpp"
#include "harness/completion.hpp"
#include "harness/schema.hpp"
#include "harness/suite.hpp"

namespace cutover {
namespace {

constexpr std::size_t kSpareBlockingThreads = 4;

// How long cancelled checks get to report back after the run before the process leaves them.
constexpr Duration kStragglerGrace = std::chrono::seconds(2);

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
  return buffer;
}

std::string describe_retry(const RetryPolicy& retry) {
  if (retry.until) {
    return fmt::format("until {} every {}", format_duration(*retry.until),
                       format_duration(retry.interval));
  }
  if (retry.attempts > 1) {
    return fmt::format("{} attempts {} apart", retry.attempts, format_duration(retry.interval));
  }
  return "";
}

void print_list(const Plan& plan, const std::vector<std::size_t>& selected) {
  for (std::size_t index : selected) {
    const PlannedCheck& check = plan.checks[index];
    std::cout << check.suite << "/" << check.name << "\n";
  }
}

void print_plan(const Plan& plan, const std::vector<std::size_t>& selected,
                const Selection& selection) {
  std::cout << fmt::format("{} check{} selected", selected.size(), selected.size() == 1 ? "" : "s");
  if (selection.shard_count > 1) {
    std::cout << fmt::format(" (shard {} of {})", selection.shard_index, selection.shard_count);
  }
  std::cout << "\n";
  for (const std::string& phase : plan.phases()) {
    bool header = false;
    for (std::size_t index : selected) {
      const PlannedCheck& check = plan.checks[index];
      if (check.phase != phase) continue;
      if (!header) {
        std::cout << fmt::format("\nphase {}\n", phase);
        header = true;
      }
      std::cout << fmt::format("  {}/{}  [{}] {}\n", check.suite, check.name, check.kind,
                               plan.redactor.redact(check.check->describe()));
      if (!check.description.empty()) std::cout << fmt::format("      {}\n", check.description);
      std::string settings = "timeout " + format_duration(check.timeout);
      if (std::string retry = describe_retry(check.retry); !retry.empty()) {
        settings += ", retry " + retry;
      }
      if (!check.needs.empty()) settings += fmt::format(", needs {}", fmt::join(check.needs, ", "));
      if (!check.tags.empty()) settings += fmt::format(", tags {}", fmt::join(check.tags, ", "));
      std::cout << fmt::format("      {}  ({})\n", settings, to_string(check.location));
    }
  }
}

void print_kinds(const Registry& registry, bool markdown) {
  for (const Kind* kind : registry.kinds()) {
    if (markdown) {
      std::cout << fmt::format("### `{}`\n\n{}\n\n", kind->name, kind->spec.description);
      std::cout << "| field | type | required | default | meaning |\n|---|---|---|---|---|\n";
    } else {
      std::cout << fmt::format("{}\n  {}\n", kind->name, kind->spec.description);
    }
    for (const FieldSpec& field : kind->spec.fields) {
      std::string type(to_string(field.type));
      if (field.type == FieldType::choice)
        type += fmt::format(" {}", fmt::join(field.choices, ", "));
      if (field.type == FieldType::integer && (field.min || field.max)) {
        type += fmt::format(" {}..{}", field.min ? std::to_string(*field.min) : "",
                            field.max ? std::to_string(*field.max) : "");
      }
      if (field.non_empty && field.type == FieldType::string) type = "non-empty string";
      if (field.non_empty && field.type == FieldType::string_list)
        type = "list of non-empty strings";
      if (markdown) {
        std::cout << fmt::format(
            "| `{}` | {} | {} | {} | {} |\n", field.name, type, field.required ? "yes" : "no",
            field.default_value.empty() ? "" : "`" + field.default_value + "`", field.description);
      } else {
        std::cout << fmt::format(
            "  {:<14} {:<28} {}{}{}\n", field.name, type, field.required ? "(required) " : "",
            field.description,
            field.default_value.empty() ? "" : fmt::format(" [default: {}]", field.default_value));
      }
    }
    std::cout << "\n";
  }
}

ConsoleSettings console_settings(Verbosity verbosity) {
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  return ConsoleSettings{&std::cout, terminal && (no_color == nullptr || *no_color == '\0'),
                         terminal && verbosity != Verbosity::quiet, verbosity};
}

// The console, the reports asked for on the command line, and the automatic ones.
void add_reporters(ReporterFanOut& reporters, const RunOptions& options,
                   const Extensions& extensions) {
  reporters.add(extensions.make_console(console_settings(options.verbosity)));
  for (const auto& [name, path] : options.reports) {
    for (const ReportFormat& format : extensions.report_formats) {
      if (format.name == name) reporters.add(format.make(path));
    }
  }
  if (extensions.automatic_reports) {
    for (auto& reporter : extensions.automatic_reports()) {
      reporters.add(std::move(reporter));
    }
  }
}

RunInfo run_info(const Plan& plan, const RunOptions& options) {
  RunInfo info;
  info.tool_version = CUTOVER_VERSION;
  info.hostname = host_name();
  info.started = std::chrono::system_clock::now();
  info.suites = plan.suites;
  info.selected_phases = options.selection.phases;
  info.selected_tags = options.selection.tags;
  info.filter = options.selection.filter;
  info.shard_index = options.selection.shard_index;
  info.shard_count = options.selection.shard_count;
  for (const auto& database : plan.databases)
    info.targets.push_back({"database " + database->name, plan.redactor.redact(database->dsn)});
  return info;
}

// Blocking drivers hold a thread per connection in use: a thread for every connection the
// declared databases may open, plus a few for other blocking work.
std::size_t blocking_threads(const Plan& plan) {
  std::size_t threads = kSpareBlockingThreads;
  for (const auto& database : plan.databases)
    threads += static_cast<std::size_t>(database->max_connections);
  return threads;
}

// The first signal stops the run gracefully: reports are still written. A second one quits at
// once, for a check that ignores cancellation.
void stop_on_signals(boost::asio::signal_set& signals, Scheduler& scheduler) {
  signals.async_wait([&signals, &scheduler](const boost::system::error_code& error, int) {
    if (error) return;
    // On a terminal the "^C" echo and the console's progress line end where the cursor is: the
    // notice starts on a line of its own.
    if (::isatty(STDERR_FILENO) == 1) std::cerr << "\n";
    std::cerr << "cutover: interrupted; cancelling the running checks and writing the reports "
                 "(interrupt again to quit at once)\n";
    scheduler.interrupt();
    signals.async_wait([](const boost::system::error_code& again, int) {
      if (again) return;
      std::quick_exit(kExitInterrupted);
    });
  });
}

// Runs the checks and returns the exit code. A report that cannot be written makes run() throw
// once every reporter has had its turn. Exit code 3 says so, even after Ctrl-C: 130 promises that
// the reports were written.
int run_checks(Scheduler& scheduler, const Plan& plan, const std::vector<std::size_t>& selected,
               const RunInfo& info) {
  int code = kExitInternal;
  try {
    const RunSummary summary = scheduler.run(plan, selected, info);
    code = summary.interrupted    ? kExitInterrupted
           : summary.all_passed() ? kExitPassed
                                  : kExitFailed;
  } catch (const std::exception& e) {
    std::cerr << "cutover: internal error: " << plan.redactor.redact(e.what()) << "\n";
    code = kExitInternal;
  }
  for (const std::string& error : scheduler.internal_errors()) {
    std::cerr << "cutover: internal error: " << plan.redactor.redact(error) << "\n";
  }
  if (!scheduler.internal_errors().empty()) code = kExitInternal;
  return code;
}

// The results are final and the reports written. A check that ignores cancellation (blocking
// work stuck in a system call) must not keep the process alive: give the stragglers a moment,
// then leave with `code` without joining their threads.
void quit_if_stragglers_stay(Scheduler& scheduler, int code) {
  if (scheduler.wait_for_abandoned(kStragglerGrace)) return;
  std::cerr << fmt::format(
      "cutover: {} cancelled check{} did not stop within {}; exiting without waiting\n",
      scheduler.abandoned(), scheduler.abandoned() == 1 ? "" : "s",
      format_duration(kStragglerGrace));
  std::cout.flush();
  std::cerr.flush();
  std::quick_exit(code);
}

// What `cutover run` reads from the command line besides RunOptions.
struct RunArguments {
  RunOptions options;
  std::vector<std::string> variables;  // --var NAME=VALUE, as given
  bool quiet = false;
  bool verbose = false;
};

void add_selection_options(CLI::App& run, Selection& selection) {
  run.add_option("--phase", selection.phases, "run only these phases (repeatable)")->delimiter(',');
  run.add_option("--tag", selection.tags,
                 "run only checks with one of these tags; '!tag' excludes (repeatable)")
      ->delimiter(',');
  run.add_option("--filter", selection.filter,
                 "GoogleTest-style filter on check names: 'glob:glob-excluded:excluded'");
}

void add_shard_options(CLI::App& run, Selection& selection) {
  auto* shard_index = run.add_option("--shard-index", selection.shard_index,
                                     "which shard this machine runs, from 0");
  auto* shard_count =
      run.add_option("--shard-count", selection.shard_count, "how many machines share the suite")
          ->check(CLI::Range(1, 100000));
  shard_index->needs(shard_count);
  shard_count->needs(shard_index);
}

// In the order --help lists them.
void add_run_options(CLI::App& run, RunArguments& arguments, const Extensions& extensions) {
  RunOptions& options = arguments.options;
  run.add_option("files", options.files, "suite files (YAML or JSON)")
      ->required()
      ->check(CLI::ExistingFile);
  for (const ReportFormat& format : extensions.report_formats) {
    run.add_option_function<std::string>(
           "--" + format.name,
           [&options, name = format.name](const std::string& path) {
             options.reports[name] = path;
           },
           format.description)
        ->type_name("FILE");
  }
  add_selection_options(run, options.selection);
  run.add_option("--var", arguments.variables,
                 "define a variable, overriding the suite's (NAME=VALUE)")
      ->type_name("NAME=VALUE");
  run.add_flag("--list", options.list, "print the names of the selected checks and exit");
  run.add_flag("--dry-run", options.dry_run,
               "validate the suites and print the plan without running anything");
  run.add_flag("--fail-fast", options.scheduler.fail_fast,
               "start no more checks after the first one fails");
  run.add_option("--concurrency", options.scheduler.concurrency, "checks in flight at most")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  add_shard_options(run, options.selection);
  auto* quiet_flag =
      run.add_flag("-q,--quiet", arguments.quiet, "print only failures and the summary");
  run.add_flag("-v,--verbose", arguments.verbose,
               "print details and measured values of every check")
      ->excludes(quiet_flag);
}

// --var NAME=VALUE into options.variables; false (with the message printed) for a malformed one.
bool read_variables(const std::vector<std::string>& definitions, RunOptions& options) {
  for (const std::string& definition : definitions) {
    const std::size_t equals = definition.find('=');
    if (equals == std::string::npos || equals == 0) {
      std::cerr << "cutover: error: --var expects NAME=VALUE, got '" << definition << "'\n";
      return false;
    }
    options.variables[definition.substr(0, equals)] = definition.substr(equals + 1);
  }
  return true;
}

// `cutover help [COMMAND]`: what `cutover [COMMAND] --help` prints.
int print_help(const CLI::App& app, const std::string& topic) {
  if (topic.empty()) {
    // Not app.help(): that would describe the `help` command, which was parsed.
    std::cout << app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal);
    return kExitPassed;
  }
  for (const CLI::App* command : app.get_subcommands({})) {
    if (command->get_name() == topic) {
      std::cout << command->help(app.get_name());
      return kExitPassed;
    }
  }
  std::cerr << fmt::format("cutover: error: no command '{}'; run 'cutover help'\n", topic);
  return kExitUsage;
}

}  // namespace

int run_suites(const RunOptions& options, const Extensions& extensions) {
  LoadOptions load_options;
  load_options.variables = options.variables;
  // A lint runs nothing, so it needs no secrets: CI checks suites where none are given.
  std::set<std::string> unset_secrets;
  if (options.list || options.dry_run) load_options.unset_secrets = &unset_secrets;
  auto loaded = load_suites(options.files, *extensions.registry, load_options);
  if (!unset_secrets.empty()) {
    std::cerr << fmt::format(
        "cutover: note: secrets not set: {} (a placeholder stands for each; 'cutover run' needs "
        "them set)\n",
        fmt::join(unset_secrets, ", "));
  }
  if (!loaded) {
    for (const Diagnostic& diagnostic : loaded.error()) {
      std::cerr << to_string(diagnostic) << "\n";
    }
    std::cerr << fmt::format("cutover: {} error{} in the suite files; nothing was run\n",
                             loaded.error().size(), loaded.error().size() == 1 ? "" : "s");
    return kExitUsage;
  }
  return run_plan(std::move(loaded).value(), options, extensions);
}

int run_plan(Plan plan, const RunOptions& options, const Extensions& extensions) {
  auto selected = select_checks(plan, options.selection);
  if (!selected) {
    std::cerr << "cutover: error: " << plan.redactor.redact(selected.error().message) << "\n";
    return kExitUsage;
  }
  if (options.list) {
    print_list(plan, selected.value());
    return kExitPassed;
  }
  if (options.dry_run) {
    print_plan(plan, selected.value(), options.selection);
    return kExitPassed;
  }

  ReporterFanOut reporters;
  add_reporters(reporters, options, extensions);
  const RunInfo info = run_info(plan, options);
  // One thread runs the loop (the thread pool only posts to it): handlers posted from the loop
  // itself then go to a queue of the thread's own, without taking the scheduler's lock.
  boost::asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_1);
  boost::asio::thread_pool blocking(blocking_threads(plan));
  Scheduler scheduler(io, blocking, reporters, options.scheduler);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  stop_on_signals(signals, scheduler);
  const int code = run_checks(scheduler, plan, selected.value(), info);
  signals.clear();  // signals get their default action back while stragglers are waited for
  quit_if_stragglers_stay(scheduler, code);
  blocking.join();
  return code;
}

namespace {

// "cutover 0.1.0", and the commit when built from a git checkout: "cutover 0.1.0 (1e8cac3840ed)".
std::string version_text() {
  std::string text = std::string("cutover ") + CUTOVER_VERSION;
  if (std::string_view(CUTOVER_GIT_COMMIT).empty()) return text;
  return text + " (" + CUTOVER_GIT_COMMIT + ")";
}

}  // namespace

int run_cli(int argc, char** argv, const Extensions& extensions) {
  CLI::App app{"cutover: validate a system migration with suites of checks"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);

  RunArguments arguments;
  auto* run = app.add_subcommand("run", "run the checks of one or more suite files");
  add_run_options(*run, arguments, extensions);

  bool markdown = false;
  auto* kinds = app.add_subcommand("kinds", "list the check kinds and their fields");
  kinds->add_flag("--markdown", markdown, "print the README's field tables");

  app.add_subcommand("schema", "print the JSON Schema of suite files, for editors");

  std::string help_topic;
  auto* help = app.add_subcommand("help", "print this help, or a command's: cutover help run");
  help->add_option("command", help_topic, "the command to explain");

  std::string shell;
  auto* completion = app.add_subcommand("completion", "print a shell completion script");
  completion->add_option("shell", shell, "the shell")
      ->required()
      ->check(CLI::IsMember(completion_shells()));

  // Called back by the completion scripts for the phases and tags of the suites typed so far.
  auto* complete = app.add_subcommand("__complete", "")->group("");
  complete->prefix_command();
  complete->set_help_flag();

  std::vector<std::pair<CLI::App*, std::function<int()>>> extra;
  for (const Command& command : extensions.commands) {
    auto* sub = app.add_subcommand(command.name, command.description);
    extra.emplace_back(sub, command.define(*sub));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitPassed : kExitUsage;
  }

  if (help->parsed()) return print_help(app, help_topic);
  if (app.got_subcommand("schema")) {
    std::cout << suite_schema(*extensions.registry).dump(2) << "\n";
    return kExitPassed;
  }
  if (completion->parsed()) {
    std::cout << completion_script(app, shell);
    return kExitPassed;
  }
  if (complete->parsed()) {
    print_completion_values(app, complete->remaining(), *extensions.registry, std::cout);
    return kExitPassed;
  }
  if (kinds->parsed()) {
    print_kinds(*extensions.registry, markdown);
    return kExitPassed;
  }
  for (const auto& [sub, run_command] : extra) {
    if (sub->parsed()) return run_command();
  }

  RunOptions& options = arguments.options;
  if (!read_variables(arguments.variables, options)) return kExitUsage;
  options.verbosity = arguments.quiet     ? Verbosity::quiet
                      : arguments.verbose ? Verbosity::verbose
                                          : Verbosity::normal;
  return run_suites(options, extensions);
}

}  // namespace cutover
