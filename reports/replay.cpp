#include "reports/replay.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "harness/output_file.hpp"
#include "reports/summary_line.hpp"

namespace cutover {
namespace {

// Phases in an order every shard agrees with: the first shard's, then each phase another shard
// adds, right after the phase it follows there. A shard may lack a phase none of its checks are in.
void merge_phases(std::vector<std::string>& merged, const std::vector<std::string>& more) {
  auto after = merged.begin();
  for (const std::string& phase : more) {
    auto found = std::find(merged.begin(), merged.end(), phase);
    if (found == merged.end()) found = merged.insert(after, phase);
    after = found + 1;
  }
}

std::size_t rank(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

RunSummary summarize(const std::vector<RecordedCheck>& checks, bool interrupted,
                     Duration duration) {
  RunSummary summary;
  for (Outcome outcome : {Outcome::passed, Outcome::failed, Outcome::error, Outcome::skipped}) {
    summary.counts[outcome] = 0;
  }
  for (const RecordedCheck& recorded : checks) {
    ++summary.counts[recorded.result.outcome];
    if (recorded.result.flaky()) ++summary.flaky;
  }
  summary.interrupted = interrupted;
  summary.duration = duration;
  return summary;
}

// Why `shards` are not the shards of one run, if they are not. Every index of the same count
// must be there exactly once, or a missing shard's checks would vanish from a report that passes.
// Unsharded runs (1 of 1) combine freely.
std::optional<Error> shard_set_error(const std::vector<ResultsFile>& shards,
                                     const std::vector<std::string>& names) {
  const int count = shards.front().info.shard_count;
  std::vector<std::size_t> seen(static_cast<std::size_t>(std::max(count, 1)), shards.size());
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const RunInfo& shard = shards[i].info;
    if (shard.shard_count != count) {
      return Error{fmt::format("{} is shard {} of {}, but {} is one of {}: not shards of one run",
                               names.at(i), shard.shard_index, shard.shard_count, names.front(),
                               count)};
    }
    if (count == 1) continue;
    const auto index = static_cast<std::size_t>(shard.shard_index);
    if (index >= seen.size()) {
      return Error{fmt::format("{}: shard index {} is out of range for {} shards", names.at(i),
                               shard.shard_index, count)};
    }
    if (seen[index] != shards.size()) {
      return Error{fmt::format("{} and {} are both shard {} of {} (--shard-index {})",
                               names.at(seen[index]), names.at(i), index, count, index)};
    }
    seen[index] = i;
  }
  for (std::size_t index = 0; index < seen.size() && count > 1; ++index) {
    if (seen[index] == shards.size()) {
      return Error{
          fmt::format("shard {} of {} (--shard-index {}) is missing: merge every shard of the run",
                      index, count, index)};
    }
  }
  return std::nullopt;
}

// As `cutover run` would have ended: an interrupted run did not pass, whatever its counts.
int exit_code(const RunSummary& summary) {
  if (summary.interrupted) return kExitInterrupted;
  return summary.all_passed() ? kExitPassed : kExitFailed;
}

// The parts `cutover merge` and `cutover report` share: reading files, writing reports.
struct ReplayCommand {
  std::string name;
  std::string description;
  bool several_files = false;
};

// What `cutover merge` and `cutover report` are asked for.
struct ReplayArguments {
  std::vector<std::string> files;
  std::vector<std::pair<std::string, std::string>> reports;  // format name, file
};

void add_replay_options(CLI::App& app, const ReplayCommand& command, ReplayArguments& arguments,
                        const Extensions& extensions) {
  auto* positional =
      app.add_option("files", arguments.files, "cutover-results JSON files")->required();
  positional->type_name("FILE");
  if (!command.several_files) positional->expected(1);
  for (const ReportFormat& format : extensions.report_formats) {
    app.add_option_function<std::string>(
           "--" + format.name,
           [&reports = arguments.reports, name = format.name](const std::string& path) {
             reports.emplace_back(name, path);
           },
           format.description + " (- for standard output)")
        ->type_name("FILE");
  }
}

int run_replay(const ReplayCommand& command, const ReplayArguments& arguments,
               const Extensions& extensions) {
  const auto& [files, reports] = arguments;
  if (reports.empty()) {
    std::cerr << fmt::format("cutover {}: error: name at least one report to write (--{} FILE)\n",
                             command.name, extensions.report_formats.front().name);
    return kExitUsage;
  }
  const auto report_on_stdout = check_report_paths({reports.begin(), reports.end()});
  if (!report_on_stdout) {
    std::cerr << fmt::format("cutover {}: error: {}\n", command.name,
                             report_on_stdout.error().message);
    return kExitUsage;
  }
  // What is said besides the reports goes to stderr when a report takes stdout.
  std::ostream& said = report_on_stdout.value() ? std::cerr : std::cout;

  std::vector<ResultsFile> inputs;
  for (const std::string& file : files) {
    auto read = read_results_file(file);
    if (!read) {
      std::cerr << fmt::format("cutover {}: error: {}\n", command.name, read.error().message);
      return kExitUsage;
    }
    inputs.push_back(std::move(read).value());
  }
  ResultsFile run;
  if (command.several_files) {
    auto merged = merge_results(inputs, files);
    if (!merged) {
      std::cerr << fmt::format("cutover {}: error: {}\n", command.name, merged.error().message);
      return kExitUsage;
    }
    run = std::move(merged).value();
  } else {
    run = std::move(inputs.front());
  }

  ReporterFanOut reporters;
  for (const auto& [name, path] : reports) {
    for (const ReportFormat& format : extensions.report_formats) {
      if (format.name == name) reporters.add(format.make(path));
    }
  }
  if (extensions.automatic_reports) {
    for (auto& reporter : extensions.automatic_reports()) {
      reporters.add(std::move(reporter));
    }
  }
  try {
    replay(run, reporters);
  } catch (const OutputError& e) {
    std::cerr << fmt::format("cutover {}: error: {}\n", command.name, e.what());
    return kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("cutover {}: internal error: {}\n", command.name, e.what());
    return kExitInternal;
  }
  const RunSummary& summary = run.summary;
  said << summary_line(summary) << (summary.interrupted ? " (interrupted)" : "") << "\n";
  for (const auto& [name, path] : reports) {
    said << fmt::format("wrote {} report to {}\n", name, output_display_name(path));
  }
  return exit_code(summary);
}

}  // namespace

Expected<ResultsFile> merge_results(const std::vector<ResultsFile>& shards,
                                    const std::vector<std::string>& names) {
  if (shards.empty()) return Error{"no results files to merge"};
  if (auto error = shard_set_error(shards, names)) return std::move(*error);
  ResultsFile merged;
  RunInfo& info = merged.info;
  info = shards.front().info;
  info.shard_index = 0;
  info.shard_count = 1;
  info.suites.clear();
  info.phases.clear();
  info.targets.clear();

  std::set<std::string> hostnames;
  auto end = shards.front().info.started;
  bool interrupted = false;
  // Which file each check came from, by (suite, name), to name both in an overlap.
  std::map<std::pair<std::string, std::string>, std::size_t> origin;
  struct Source {
    std::size_t shard = 0;
    std::size_t index = 0;
  };
  std::vector<Source> sources;
  for (std::size_t shard = 0; shard < shards.size(); ++shard) {
    const ResultsFile& file = shards[shard];
    for (const SuiteInfo& suite : file.info.suites) {
      const bool known = std::any_of(info.suites.begin(), info.suites.end(),
                                     [&suite](const SuiteInfo& s) { return s.name == suite.name; });
      if (!known) info.suites.push_back(suite);
    }
    merge_phases(info.phases, file.info.phases);
    for (const Target& target : file.info.targets) {
      if (std::find(info.targets.begin(), info.targets.end(), target) == info.targets.end())
        info.targets.push_back(target);
    }
    hostnames.insert(file.info.hostname);
    info.started = std::min(info.started, file.info.started);
    end = std::max(end, file.info.started + file.summary.duration);
    interrupted = interrupted || file.summary.interrupted;
    for (std::size_t index = 0; index < file.checks.size(); ++index) {
      const PlannedCheck& check = file.checks[index].check;
      const auto [seen, inserted] = origin.emplace(std::pair(check.suite, check.name), shard);
      if (!inserted) {
        return Error{
            fmt::format("check '{}/{}' is in both {} and {}: the files are not shards of one run",
                        check.suite, check.name, names.at(seen->second), names.at(shard))};
      }
      sources.push_back({shard, index});
    }
  }
  info.hostname.clear();
  for (const std::string& hostname : hostnames) {
    info.hostname += (info.hostname.empty() ? "" : ", ") + hostname;
  }

  // Shards split groups of checks over machines; within a suite and phase, their place in the
  // suite file puts them back in the order an unsharded run lists them.
  const auto key = [&](const Source& source) {
    const PlannedCheck& check = shards[source.shard].checks[source.index].check;
    std::size_t suite_rank = info.suites.size();
    for (std::size_t i = 0; i < info.suites.size(); ++i) {
      if (info.suites[i].name == check.suite) suite_rank = i;
    }
    return std::tuple(suite_rank, rank(info.phases, check.phase), check.location.file,
                      check.location.line, check.location.column, source.shard, source.index);
  };
  std::stable_sort(sources.begin(), sources.end(),
                   [&key](const Source& a, const Source& b) { return key(a) < key(b); });
  for (const Source& source : sources) {
    merged.checks.push_back(shards[source.shard].checks[source.index]);
  }
  info.selected_checks = merged.checks.size();
  merged.summary = summarize(merged.checks, interrupted,
                             std::chrono::duration_cast<Duration>(end - info.started));
  return merged;
}

void replay(const ResultsFile& run, Reporter& reporter) {
  reporter.run_started(run.info);
  for (const RecordedCheck& recorded : run.checks) {
    if (recorded.result.outcome != Outcome::skipped) reporter.check_started(recorded.check);
    reporter.check_finished(recorded.check, recorded.result);
  }
  reporter.run_finished(run.info, run.summary);
}

namespace {

Command replay_command(ReplayCommand command, const Extensions& extensions) {
  const std::string name = command.name;
  const std::string description = command.description;
  return {name, description, [command = std::move(command), &extensions](CLI::App& app) {
            auto arguments = std::make_shared<ReplayArguments>();
            add_replay_options(app, command, *arguments, extensions);
            return [command, arguments, &extensions] {
              return run_replay(command, *arguments, extensions);
            };
          }};
}

}  // namespace

Command merge_command(const Extensions& extensions) {
  return replay_command(
      {"merge", "combine the JSON results of a run's shards and write its reports", true},
      extensions);
}

Command report_command(const Extensions& extensions) {
  return replay_command(
      {"report", "write reports (HTML, JUnit, ...) from a JSON results file", false}, extensions);
}

}  // namespace cutover
