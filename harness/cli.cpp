#include "harness/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string_view>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>

#include "cutover/git_commit.hpp"
#include "harness/completion.hpp"
#include "harness/descriptors.hpp"
#include "harness/input_file.hpp"
#include "harness/output_file.hpp"
#include "harness/pending_cancels.hpp"
#include "harness/schema.hpp"
#include "harness/suite.hpp"
#include "harness/text.hpp"

namespace cutover {
namespace {

constexpr std::size_t kSpareBlockingThreads = 4;

// How long a second signal waits for the cancel requests of running queries to be sent.
constexpr Duration kCancelRequestGrace = std::chrono::seconds(1);

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

// A check's description in --dry-run, in bytes: a long SQL query is cut.
constexpr std::size_t kDescriptionInPlan = 160;

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
      // Redacted whole, then cut: a cut piece of a secret is no longer the secret.
      std::cout << fmt::format(
          "  {}/{}  [{}] {}\n", check.suite, check.name, check.kind,
          shorten(plan.redactor.redact(check.check->describe()), kDescriptionInPlan));
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

// A type column wider than this would push every description far right: a longer type (a choice
// of many values) gets its description on the next line instead.
constexpr std::size_t kKindsTypeColumn = 28;

// A field's type as `cutover kinds` shows it: "one of A, AAAA", "integer 1..10".
std::string field_type_text(const FieldSpec& field) {
  std::string type(to_string(field.type));
  if (field.type == FieldType::choice) type += fmt::format(" {}", fmt::join(field.choices, ", "));
  if (field.type == FieldType::integer && (field.min || field.max)) {
    type += fmt::format(" {}..{}", field.min ? std::to_string(*field.min) : "",
                        field.max ? std::to_string(*field.max) : "");
  }
  if (field.non_empty && field.type == FieldType::string) type = "non-empty string";
  if (field.non_empty && field.type == FieldType::string_list) type = "list of non-empty strings";
  return type;
}

void print_kind_markdown(const Kind& kind) {
  std::cout << fmt::format("### `{}`\n\n{}\n\n", kind.name, kind.spec.description);
  std::cout << "| field | type | required | default | meaning |\n|---|---|---|---|---|\n";
  for (const FieldSpec& field : kind.spec.fields) {
    std::cout << fmt::format("| `{}` | {} | {} | {} | {} |\n", field.name, field_type_text(field),
                             field.required ? "yes" : "no",
                             field.default_value.empty() ? "" : "`" + field.default_value + "`",
                             field.description);
  }
  std::cout << "\n";
}

// Name, type and description in three columns as wide as the kind's longest name and type.
void print_kind_text(const Kind& kind) {
  std::cout << fmt::format("{}\n  {}\n", kind.name, kind.spec.description);
  std::size_t name_width = 0;
  std::size_t type_width = 0;
  for (const FieldSpec& field : kind.spec.fields) {
    name_width = std::max(name_width, field.name.size());
    const std::size_t type = field_type_text(field).size();
    if (type <= kKindsTypeColumn) type_width = std::max(type_width, type);
  }
  for (const FieldSpec& field : kind.spec.fields) {
    const std::string type = field_type_text(field);
    const std::string description = fmt::format(
        "{}{}{}", field.required ? "(required) " : "", field.description,
        field.default_value.empty() ? "" : fmt::format(" [default: {}]", field.default_value));
    std::cout << fmt::format("  {:<{}}  ", field.name, name_width);
    if (type.size() > type_width) {
      std::cout << fmt::format("{}\n{:<{}}{}\n", type, "", 2 + name_width + 2 + type_width + 2,
                               description);
    } else {
      std::cout << fmt::format("{:<{}}  {}\n", type, type_width, description);
    }
  }
  std::cout << "\n";
}

// `cutover kinds [KIND] [--markdown]`: every kind, or the one named.
int print_kinds(const Registry& registry, const std::string& only, bool markdown) {
  std::vector<const Kind*> kinds = registry.kinds();
  if (!only.empty()) {
    const Kind* kind = registry.find(only);
    if (kind == nullptr) {
      std::vector<std::string> names;
      for (const Kind* known : kinds)
        names.push_back(known->name);
      std::cerr << fmt::format("cutover: error: unknown kind '{}'{}; the kinds are {}\n", only,
                               suggestion_or(only, names), fmt::join(names, ", "));
      return kExitUsage;
    }
    kinds = {kind};
  }
  for (const Kind* kind : kinds) {
    if (markdown) {
      print_kind_markdown(*kind);
    } else {
      print_kind_text(*kind);
    }
  }
  return kExitPassed;
}

// The console writes to stdout, or to stderr when a report does (`--json - | jq` reads only JSON).
ConsoleSettings console_settings(Verbosity verbosity, bool on_stderr) {
  const bool terminal = ::isatty(on_stderr ? STDERR_FILENO : STDOUT_FILENO) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  return ConsoleSettings{on_stderr ? &std::cerr : &std::cout,
                         terminal && (no_color == nullptr || *no_color == '\0'),
                         terminal && verbosity != Verbosity::quiet, verbosity};
}

// The console, the reports asked for on the command line, and the automatic ones.
void add_reporters(ReporterFanOut& reporters, const RunOptions& options,
                   const Extensions& extensions, bool report_on_stdout) {
  reporters.add(extensions.make_console(console_settings(options.verbosity, report_on_stdout)));
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
      // The first signal asked the servers to cancel the running queries: those requests go
      // out first, or the queries would run on there.
      pending_cancels().wait_for(kCancelRequestGrace);
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
  } catch (const OutputError& e) {
    // A full disk or a vanished folder is no bug: said plainly, still exit 3.
    std::cerr << "cutover: error: " << plan.redactor.redact(e.what()) << "\n";
    code = kExitInternal;
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
  run.add_option("--phase", selection.phases,
                 "run only these phases, comma-separated (--phase pre,post) or repeated")
      ->delimiter(',');
  run.add_option("--tag", selection.tags,
                 "run only checks with one of these tags, comma-separated (--tag dns,http) or "
                 "repeated; '!tag' excludes")
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
  run.add_option("files", options.files, "the suite files (YAML or JSON)")
      ->required()
      ->check(CLI::Validator(
          [](const std::string& file) { return file == "-" ? "" : CLI::ExistingFile(file); },
          "FILE"));
  for (const ReportFormat& format : extensions.report_formats) {
    run.add_option_function<std::string>(
           "--" + format.name,
           [&options, name = format.name](const std::string& path) {
             options.reports[name] = path;
           },
           format.description + " (- for standard output)")
        ->type_name("FILE");
  }
  add_selection_options(run, options.selection);
  run.add_option("--var", arguments.variables,
                 "define a variable, overriding the suite's (NAME=VALUE)")
      ->type_name("NAME=VALUE");
  run.add_option("--max-suite-size", options.max_suite_bytes,
                 "read no suite or included file larger than SIZE (bytes, or with a unit: 64MiB, "
                 "1GB)")
      ->transform(CLI::AsSizeValue(/*kb_is_1000=*/true).description(""))
      ->check(CLI::PositiveNumber.description(""))
      ->type_name("SIZE")
      ->default_str(byte_size_text(kDefaultMaxSuiteBytes));
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

// The commands `cutover --help` lists, in its order (not the hidden ones).
std::vector<std::string> listed_commands(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* command : app.get_subcommands({})) {
    if (!command->get_group().empty()) names.push_back(command->get_name());
  }
  return names;
}

bool is_command(const CLI::App& app, std::string_view word) {
  const std::vector<const CLI::App*> commands = app.get_subcommands({});
  return std::any_of(commands.begin(), commands.end(),
                     [word](const CLI::App* command) { return command->get_name() == word; });
}

// An unknown command, or none (`word` empty), with "did you mean" and the commands.
std::string command_mistake(const CLI::App& app, const std::string& word) {
  const std::vector<std::string> commands = listed_commands(app);
  const std::string what =
      word.empty() ? "no command given"
                   : fmt::format("unknown command '{}'{}", word, suggestion_or(word, commands));
  return fmt::format("cutover: error: {}; the commands are {}\nRun 'cutover help' for more.\n",
                     what, fmt::join(commands, ", "));
}

// Goss and others pick a report with `--format NAME` (`-f NAME`); cutover has a flag per report,
// which names its file. CLI11 would take NAME for a suite file ("File does not exist: junit").
std::string format_flag_mistake(const std::vector<std::string>& arguments,
                                const Extensions& extensions) {
  std::optional<std::string> value;
  for (std::size_t i = 0; i < arguments.size() && !value; ++i) {
    if (arguments[i] == "--format" || arguments[i] == "-f") {
      value = i + 1 < arguments.size() ? arguments[i + 1] : "";
    } else if (arguments[i].starts_with("--format=")) {
      value = arguments[i].substr(std::string_view("--format=").size());
    }
  }
  if (!value) return "";
  std::string here;
  std::vector<std::string> flags;
  for (const ReportFormat& format : extensions.report_formats) {
    flags.push_back(fmt::format("--{} FILE", format.name));
    if (format.name == *value) here = ", here " + flags.back();
  }
  return fmt::format(
      "cutover: error: there is no --format: each report has a flag of its own that names its "
      "file{}; several at once are fine. The report flags are {}\n",
      here, fmt::join(flags, ", "));
}

// Mistakes CLI11 would misreport: an unknown or missing command ("A subcommand is required") and
// run's --format. The message, or "" when there is none of them.
std::string early_mistake(const CLI::App& app, int argc, char** argv,
                          const Extensions& extensions) {
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  if (arguments.empty()) return command_mistake(app, "");
  // The program's own options (--help, --version) take no value: the first word is the command.
  const auto word =
      std::find_if(arguments.begin(), arguments.end(),
                   [](const std::string& argument) { return !argument.starts_with('-'); });
  if (word == arguments.end()) return "";
  if (!is_command(app, *word)) return command_mistake(app, *word);
  if (*word == "run") return format_flag_mistake({word + 1, arguments.end()}, extensions);
  return "";
}

// A command run without its required argument: "cutover completion needs the shell: bash, zsh
// or fish", and where to read more; "" for other mistakes.
std::string missing_argument(const CLI::App& app) {
  for (const CLI::App* command : app.get_subcommands()) {
    for (const CLI::Option* option : command->get_options()) {
      if (option->get_positional() && option->get_required() && option->count() == 0) {
        return fmt::format(
            "cutover: error: cutover {0} needs {1}\nRun 'cutover help {0}' for more.\n",
            command->get_name(), option->get_description());
      }
    }
  }
  return "";
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
  std::cerr << command_mistake(app, topic);
  return kExitUsage;
}

}  // namespace

int run_suites(const RunOptions& options, const Extensions& extensions) {
  LoadOptions load_options;
  load_options.variables = options.variables;
  load_options.max_file_bytes = options.max_suite_bytes;
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
  const auto report_on_stdout =
      check_report_paths({options.reports.begin(), options.reports.end()});
  if (!report_on_stdout) {
    std::cerr << "cutover: error: " << report_on_stdout.error().message << "\n";
    return kExitUsage;
  }
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
  add_reporters(reporters, options, extensions, report_on_stdout.value());
  const RunInfo info = run_info(plan, options);
  // One thread runs the loop (the thread pool only posts to it): handlers posted from the loop
  // itself then go to a queue of the thread's own, without taking the scheduler's lock.
  boost::asio::io_context io(BOOST_ASIO_CONCURRENCY_HINT_1);
  const std::size_t blocking_count = blocking_threads(plan);
  boost::asio::thread_pool blocking(blocking_count);
  SchedulerOptions scheduler_options = options.scheduler;
  scheduler_options.concurrency =
      fit_concurrency(scheduler_options.concurrency, blocking_count, std::cerr);
  Scheduler scheduler(io, blocking, reporters, scheduler_options);
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

// The end of --help for the program and for each command that runs or reports checks.
constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0    every selected check passed\n"
    "  1    a check failed, errored or was skipped\n"
    "  2    the command line or a suite file is wrong\n"
    "  3    internal error, or a report could not be written\n"
    "  130  interrupted (Ctrl-C, SIGTERM); the reports were still written";

// "bash, zsh or fish"
std::string one_of(const std::vector<std::string>& choices) {
  if (choices.size() < 2) return fmt::format("{}", fmt::join(choices, ""));
  return fmt::format("{} or {}", fmt::join(choices.begin(), choices.end() - 1, ", "),
                     choices.back());
}

// What the harness's own commands read from the command line, and the commands themselves.
struct HarnessCommands {
  RunArguments run_arguments;
  std::string kind;  // cutover kinds [KIND]
  bool markdown = false;
  std::string help_topic;
  std::string shell;
  CLI::App* run = nullptr;
  CLI::App* kinds = nullptr;
  CLI::App* schema = nullptr;
  CLI::App* help = nullptr;
  CLI::App* completion = nullptr;
  CLI::App* complete = nullptr;
};

// The harness's commands, in the order --help lists them.
void add_harness_commands(CLI::App& app, HarnessCommands& commands, const Extensions& extensions) {
  commands.run = app.add_subcommand("run", "run the checks of one or more suite files");
  add_run_options(*commands.run, commands.run_arguments, extensions);
  commands.run->footer(kExitCodesHelp);

  commands.kinds =
      app.add_subcommand("kinds", "list the check kinds and their fields, or one kind's");
  commands.kinds->add_option("kind", commands.kind, "print only this kind's fields");
  commands.kinds->add_flag("--markdown", commands.markdown, "print the README's field tables");

  commands.schema =
      app.add_subcommand("schema", "print the JSON Schema of suite files, for editors");

  commands.help = app.add_subcommand("help", "print this help, or a command's: cutover help run");
  commands.help->add_option("command", commands.help_topic, "the command to explain");

  commands.completion = app.add_subcommand("completion", "print a shell completion script");
  commands.completion
      ->add_option("shell", commands.shell, "the shell: " + one_of(completion_shells()))
      ->required()
      ->check(CLI::IsMember(completion_shells()));

  // Called back by the completion scripts for the phases and tags of the suites typed so far.
  commands.complete = app.add_subcommand("__complete", "")->group("");
  commands.complete->prefix_command();
  commands.complete->set_help_flag();
}

// Runs the harness's command that was parsed, if any: its exit code.
std::optional<int> run_harness_command(const CLI::App& app, HarnessCommands& commands,
                                       const Extensions& extensions) {
  if (commands.help->parsed()) return print_help(app, commands.help_topic);
  if (commands.schema->parsed()) {
    std::cout << suite_schema(*extensions.registry).dump(2) << "\n";
    return kExitPassed;
  }
  if (commands.completion->parsed()) {
    std::cout << completion_script(app, commands.shell);
    return kExitPassed;
  }
  if (commands.complete->parsed()) {
    print_completion_values(app, commands.complete->remaining(), *extensions.registry, std::cout);
    return kExitPassed;
  }
  if (commands.kinds->parsed()) {
    return print_kinds(*extensions.registry, commands.kind, commands.markdown);
  }
  return std::nullopt;
}

}  // namespace

int run_cli(int argc, char** argv, const Extensions& extensions) {
  CLI::App app{"cutover: validate a system migration with suites of checks"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);

  HarnessCommands commands;
  add_harness_commands(app, commands, extensions);
  std::vector<std::pair<CLI::App*, std::function<int()>>> extra;
  for (const Command& command : extensions.commands) {
    auto* sub = app.add_subcommand(command.name, command.description);
    sub->footer(kExitCodesHelp);
    extra.emplace_back(sub, command.define(*sub));
  }
  app.footer(kExitCodesHelp);  // after the commands, which would inherit it

  if (const std::string mistake = early_mistake(app, argc, argv, extensions); !mistake.empty()) {
    std::cerr << mistake;
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const std::string missing =
        dynamic_cast<const CLI::RequiredError*>(&e) != nullptr ? missing_argument(app) : "";
    if (!missing.empty()) {
      std::cerr << missing;
      return kExitUsage;
    }
    const int code = app.exit(e);
    return code == 0 ? kExitPassed : kExitUsage;
  }

  if (const auto code = run_harness_command(app, commands, extensions)) return *code;
  for (const auto& [sub, run_command] : extra) {
    if (sub->parsed()) return run_command();
  }

  RunArguments& arguments = commands.run_arguments;
  RunOptions& options = arguments.options;
  if (!read_variables(arguments.variables, options)) return kExitUsage;
  options.verbosity = arguments.quiet     ? Verbosity::quiet
                      : arguments.verbose ? Verbosity::verbose
                                          : Verbosity::normal;
  return run_suites(options, extensions);
}

}  // namespace cutover
