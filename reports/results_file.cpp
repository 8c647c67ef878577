#include "reports/results_file.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/input_file.hpp"

namespace cutover {
namespace {

using Json = nlohmann::json;

// A member missing or of the wrong type, reported with where it is: "checks[3].outcome".
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const Json& member(const Json& object, const std::string& where, const char* name) {
  if (!object.is_object()) throw Malformed(fmt::format("{}: expected an object", where));
  const auto found = object.find(name);
  if (found == object.end()) {
    throw Malformed(fmt::format("{}.{}: missing", where, name));
  }
  return *found;
}

std::string text(const Json& object, const std::string& where, const char* name) {
  const Json& value = member(object, where, name);
  if (value.is_null()) return "";
  if (!value.is_string()) throw Malformed(fmt::format("{}.{}: expected a string", where, name));
  return value.get<std::string>();
}

double number(const Json& object, const std::string& where, const char* name) {
  const Json& value = member(object, where, name);
  // The JSON reporter writes null for a value that was not finite.
  if (value.is_null()) return std::nan("");
  if (!value.is_number()) throw Malformed(fmt::format("{}.{}: expected a number", where, name));
  return value.get<double>();
}

bool flag(const Json& object, const std::string& where, const char* name) {
  const Json& value = member(object, where, name);
  if (!value.is_boolean())
    throw Malformed(fmt::format("{}.{}: expected true or false", where, name));
  return value.get<bool>();
}

const Json& list(const Json& object, const std::string& where, const char* name) {
  const Json& value = member(object, where, name);
  if (!value.is_array()) throw Malformed(fmt::format("{}.{}: expected a list", where, name));
  return value;
}

std::vector<std::string> texts(const Json& object, const std::string& where, const char* name) {
  std::vector<std::string> items;
  for (const Json& item : list(object, where, name)) {
    if (!item.is_string()) {
      throw Malformed(fmt::format("{}.{}: expected a list of strings", where, name));
    }
    items.push_back(item.get<std::string>());
  }
  return items;
}

std::size_t count(const Json& object, const std::string& where, const char* name) {
  const Json& value = member(object, where, name);
  if (!value.is_number_unsigned()) {
    throw Malformed(fmt::format("{}.{}: expected a count", where, name));
  }
  return value.get<std::size_t>();
}

Duration from_milliseconds(double milliseconds) {
  if (!std::isfinite(milliseconds)) return Duration{};
  return std::chrono::duration_cast<Duration>(
      std::chrono::duration<double, std::micro>(std::round(milliseconds * 1'000.0)));
}

// "2026-11-25T22:01:02.123Z", as the JSON reporter writes times (milliseconds optional).
std::chrono::system_clock::time_point time(const Json& object, const std::string& where,
                                           const char* name) {
  const std::string value = text(object, where, name);
  int year = 0;
  unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0;
  char zone = 0;
  int consumed = 0;
  const bool with_fraction =
      std::sscanf(value.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u.%3u%c%n", &year, &month, &day, &hour,
                  &minute, &second, &millisecond, &zone, &consumed) == 8;
  if (!with_fraction) {
    millisecond = 0;
    consumed = 0;
    std::sscanf(value.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%c%n", &year, &month, &day, &hour, &minute,
                &second, &zone, &consumed);
  }
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{day}};
  if (zone != 'Z' || static_cast<std::size_t>(consumed) != value.size() || !date.ok() ||
      hour > 23 || minute > 59 || second > 60) {
    throw Malformed(fmt::format(
        "{}.{}: expected a UTC time like 2026-11-25T22:01:02.123Z, got '{}'", where, name, value));
  }
  return std::chrono::sys_days{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         std::chrono::seconds{second} + std::chrono::milliseconds{millisecond};
}

Outcome outcome(const Json& object, const std::string& where, const char* name) {
  const std::string value = text(object, where, name);
  for (Outcome candidate : {Outcome::passed, Outcome::failed, Outcome::error, Outcome::skipped}) {
    if (to_string(candidate) == value) return candidate;
  }
  throw Malformed(fmt::format("{}.{}: expected one of passed, failed, error, skipped, got '{}'",
                              where, name, value));
}

// The reverse of to_string(SourceLocation): "file:line:col", "file:line" or "file".
SourceLocation location(const std::string& value) {
  const auto trailing_number = [](std::string_view text, std::size_t& colon) -> std::optional<int> {
    colon = text.rfind(':');
    if (colon == std::string_view::npos || colon + 1 == text.size()) return std::nullopt;
    int number = 0;
    const auto [end, error] =
        std::from_chars(text.data() + colon + 1, text.data() + text.size(), number);
    if (error != std::errc() || end != text.data() + text.size() || number <= 0)
      return std::nullopt;
    return number;
  };
  std::size_t colon = 0;
  const std::optional<int> last = trailing_number(value, colon);
  if (!last) return {value, 0, 0};
  const std::string_view head = std::string_view(value).substr(0, colon);
  std::size_t before = 0;
  if (const std::optional<int> line = trailing_number(head, before)) {
    return {std::string(head.substr(0, before)), *line, *last};
  }
  return {std::string(head), *last, 0};
}

RecordedCheck read_check(const Json& object, const std::string& where) {
  RecordedCheck recorded;
  PlannedCheck& check = recorded.check;
  check.suite = text(object, where, "suite");
  check.name = text(object, where, "name");
  check.kind = text(object, where, "kind");
  check.phase = text(object, where, "phase");
  check.tags = texts(object, where, "tags");
  // Added within version 1: older files have none.
  if (object.contains("needs")) check.needs = texts(object, where, "needs");
  check.description = text(object, where, "description");
  check.location = location(text(object, where, "location"));

  Result& result = recorded.result;
  result.outcome = outcome(object, where, "outcome");
  result.message = text(object, where, "message");
  result.details = text(object, where, "details");
  if (!member(object, where, "started").is_null()) result.started = time(object, where, "started");
  result.duration = from_milliseconds(number(object, where, "duration_ms"));
  const Json& measurements = list(object, where, "measurements");
  for (std::size_t i = 0; i < measurements.size(); ++i) {
    const std::string at = fmt::format("{}.measurements[{}]", where, i);
    result.measurements.push_back({text(measurements[i], at, "name"),
                                   number(measurements[i], at, "value"),
                                   text(measurements[i], at, "unit")});
  }
  const Json& attempts = list(object, where, "attempts");
  for (std::size_t i = 0; i < attempts.size(); ++i) {
    const std::string at = fmt::format("{}.attempts[{}]", where, i);
    result.attempts.push_back({outcome(attempts[i], at, "outcome"),
                               text(attempts[i], at, "message"), text(attempts[i], at, "details"),
                               time(attempts[i], at, "started"),
                               from_milliseconds(number(attempts[i], at, "duration_ms"))});
  }
  result.interrupted = flag(object, where, "interrupted");
  return recorded;
}

ResultsFile read_document(const Json& document) {
  if (!document.is_object() || !document.contains("format") ||
      document["format"] != "cutover-results") {
    throw Malformed("not a cutover-results file (its \"format\" is not \"cutover-results\")");
  }
  if (!document.contains("version") || document["version"] != 1) {
    throw Malformed(fmt::format("cutover-results version {} is not supported (expected 1)",
                                document.contains("version") ? document["version"].dump() : "?"));
  }
  ResultsFile file;
  RunInfo& info = file.info;
  info.tool_version = text(member(document, "", "tool"), ".tool", "version");
  const Json& run = member(document, "", "run");
  info.started = time(run, ".run", "started");
  info.hostname = text(run, ".run", "hostname");
  const Json& selection = member(run, ".run", "selection");
  info.selected_phases = texts(selection, ".run.selection", "phases");
  info.selected_tags = texts(selection, ".run.selection", "tags");
  info.filter = text(selection, ".run.selection", "filter");
  info.shard_index = static_cast<int>(count(selection, ".run.selection", "shard_index"));
  info.shard_count = static_cast<int>(count(selection, ".run.selection", "shard_count"));
  info.phases = texts(run, ".run", "phases");
  // Added within version 1: older files have none.
  if (run.contains("targets")) {
    const Json& targets = list(run, ".run", "targets");
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const std::string at = fmt::format(".run.targets[{}]", i);
      info.targets.push_back({text(targets[i], at, "name"), text(targets[i], at, "address")});
    }
  }
  const Json& suites = list(document, "", "suites");
  for (std::size_t i = 0; i < suites.size(); ++i) {
    const std::string at = fmt::format(".suites[{}]", i);
    info.suites.push_back({text(suites[i], at, "name"), text(suites[i], at, "description"),
                           text(suites[i], at, "file")});
  }

  const Json& checks = list(document, "", "checks");
  for (std::size_t i = 0; i < checks.size(); ++i) {
    file.checks.push_back(read_check(checks[i], fmt::format(".checks[{}]", i)));
  }
  info.selected_checks = file.checks.size();

  RunSummary& summary = file.summary;
  const Json& counts = member(document, "", "summary");
  for (Outcome outcome : {Outcome::passed, Outcome::failed, Outcome::error, Outcome::skipped}) {
    const std::string name(to_string(outcome));
    summary.counts[outcome] = count(counts, ".summary", name.c_str());
  }
  summary.flaky = count(counts, ".summary", "flaky");
  summary.duration = from_milliseconds(number(run, ".run", "duration_ms"));
  summary.interrupted = flag(run, ".run", "interrupted");
  return file;
}

}  // namespace

RecordedCheck::RecordedCheck(const RecordedCheck& other) : result(other.result) {
  check.suite = other.check.suite;
  check.name = other.check.name;
  check.kind = other.check.kind;
  check.description = other.check.description;
  check.phase = other.check.phase;
  check.tags = other.check.tags;
  check.timeout = other.check.timeout;
  check.retry = other.check.retry;
  check.needs = other.check.needs;
  check.location = other.check.location;
}

RecordedCheck& RecordedCheck::operator=(const RecordedCheck& other) {
  if (this != &other) *this = RecordedCheck(other);
  return *this;
}

RecordedCheck::~RecordedCheck() = default;

Expected<ResultsFile> parse_results(std::string_view text, std::string_view source) {
  const Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return Error{fmt::format("{}: not valid JSON", source)};
  }
  try {
    return read_document(document);
  } catch (const Malformed& e) {
    return Error{fmt::format("{}: {}", source, e.what())};
  }
}

Expected<ResultsFile> read_results_file(const std::filesystem::path& path) {
  // A regular file only, bounded like a suite file but far larger: a results file holds up to
  // 2 KiB of details per check. /dev/zero or a FIFO is refused instead of read for ever.
  constexpr std::uint64_t kMaxResultsFileBytes = std::uint64_t{1} << 30;
  auto content = read_input_file(path, kMaxResultsFileBytes);
  if (!content) {
    return Error{fmt::format("{}: cannot be read: {}", path.string(), content.error().message)};
  }
  return parse_results(content.value(), path.string());
}

}  // namespace cutover
