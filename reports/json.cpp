#include "reports/json.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <tuple>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/atomic_file.hpp"
#include "harness/text.hpp"

namespace cutover {
namespace detail {

struct JsonEntry {
  std::string suite;
  std::string phase;
  std::size_t order = 0;  // when the check was first seen: started, or finished unstarted
  nlohmann::ordered_json check;
};

}  // namespace detail

namespace {

using detail::JsonEntry;
// Keys stay in the documented order, which makes the file readable without a formatter.
using Json = nlohmann::ordered_json;

// Milliseconds with microsecond precision: local checks often take well under 1 ms.
double milliseconds(Duration duration) {
  return std::round(static_cast<double>(duration.count()) / 1'000.0) / 1'000.0;
}

// ISO 8601 in UTC with milliseconds: "2026-11-25T22:01:02.123Z".
std::string iso_utc(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto fraction = std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)), fraction.count());
}

// Every string passes through clean_text: nlohmann::json throws on invalid UTF-8 when it
// writes, and colour codes from a target's output are noise to any reader of the file.
Json text_list(const std::vector<std::string>& items) {
  Json list = Json::array();
  for (const std::string& item : items) {
    list.push_back(clean_text(item));
  }
  return list;
}

Json check_to_json(const PlannedCheck& check, const Result& result) {
  const bool ran = result.outcome != Outcome::skipped;
  Json measurements = Json::array();
  for (const Measurement& measurement : result.measurements) {
    measurements.push_back({{"name", clean_text(measurement.name)},
                            {"value", measurement.value},
                            {"unit", clean_text(measurement.unit)}});
  }
  Json attempts = Json::array();
  for (const Attempt& attempt : result.attempts) {
    attempts.push_back({{"outcome", to_string(attempt.outcome)},
                        {"message", clean_text(attempt.message)},
                        {"details", clean_text(attempt.details)},
                        {"started", iso_utc(attempt.started)},
                        {"duration_ms", milliseconds(attempt.duration)}});
  }
  return {{"suite", clean_text(check.suite)},
          {"name", clean_text(check.name)},
          {"kind", clean_text(check.kind)},
          {"phase", clean_text(check.phase)},
          {"tags", text_list(check.tags)},
          {"description", clean_text(check.description)},
          {"location", clean_text(to_string(check.location))},
          {"outcome", to_string(result.outcome)},
          {"message", clean_text(result.message)},
          {"details", clean_text(result.details)},
          {"started", ran ? Json(iso_utc(result.started)) : Json(nullptr)},
          {"duration_ms", milliseconds(result.duration)},
          {"measurements", std::move(measurements)},
          {"attempts", std::move(attempts)},
          {"interrupted", result.interrupted}};
}

Json run_to_json(const RunInfo& info, const RunSummary& summary) {
  Json suites = Json::array();
  for (const SuiteInfo& suite : info.suites) {
    suites.push_back({{"name", clean_text(suite.name)},
                      {"description", clean_text(suite.description)},
                      {"file", clean_text(suite.file)}});
  }
  return {
      {"format", "cutover-results"},
      {"version", 1},
      {"tool", {{"name", "cutover"}, {"version", clean_text(info.tool_version)}}},
      {"run",
       {{"started", iso_utc(info.started)},
        {"duration_ms", milliseconds(summary.duration)},
        {"hostname", clean_text(info.hostname)},
        {"interrupted", summary.interrupted},
        {"selection",
         {{"phases", text_list(info.selected_phases)},
          {"tags", text_list(info.selected_tags)},
          {"filter", info.filter.empty() ? Json(nullptr) : Json(clean_text(info.filter))},
          {"shard_index", info.shard_index},
          {"shard_count", info.shard_count}}},
        {"phases", text_list(info.phases)}}},
      {"suites", std::move(suites)},
      {"summary",
       {{"total", summary.total()},
        {"passed", summary.count(Outcome::passed)},
        {"failed", summary.count(Outcome::failed)},
        {"error", summary.count(Outcome::error)},
        {"skipped", summary.count(Outcome::skipped)},
        {"flaky", summary.flaky}}},
  };
}

}  // namespace

JsonReporter::JsonReporter(std::filesystem::path path) : path_(std::move(path)) {}

JsonReporter::~JsonReporter() = default;

void JsonReporter::check_started(const PlannedCheck& check) {
  order_.see(check);
}

void JsonReporter::check_finished(const PlannedCheck& check, const Result& result) {
  entries_.push_back({check.suite, check.phase, order_.see(check), check_to_json(check, result)});
}

void JsonReporter::run_finished(const RunInfo& info, const RunSummary& summary) {
  std::vector<JsonEntry*> ordered;
  for (JsonEntry& entry : entries_) {
    ordered.push_back(&entry);
  }
  ReportOrder::sort(ordered, info);

  Json document = run_to_json(info, summary);
  Json& checks = document["checks"] = Json::array();
  for (JsonEntry* entry : ordered) {
    checks.push_back(std::move(entry->check));  // run_finished comes once: the entries are done
  }
  write_file_atomically(
      path_, [&document](std::ostream& out) { out << std::setw(2) << document << "\n"; });
}

}  // namespace cutover
