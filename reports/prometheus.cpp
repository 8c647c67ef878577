#include "reports/prometheus.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "harness/input_file.hpp"
#include "harness/text.hpp"

namespace cutover {
namespace {

using detail::PrometheusEntry;

constexpr std::string_view kLastSuccess = "cutover_run_last_success_timestamp_seconds";
constexpr std::array kOutcomes{Outcome::passed, Outcome::failed, Outcome::error, Outcome::skipped};

// A label value as the text format wants it: backslash, double quote and line feed escaped.
std::string label_value(std::string_view raw) {
  const std::string text = clean_text(raw);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Sample values: Go's ParseFloat spellings for the special values, else the shortest form that
// reads back exactly.
std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

// Divided once, so that 1'250'000 ns prints as 0.00125, not 0.0012500000000000002.
double seconds(Duration duration) {
  return static_cast<double>(duration.count()) / 1e9;
}

// Milliseconds are all reports keep of a time; a whole number of them, divided once, prints
// as its decimal digits.
double unix_seconds(std::chrono::system_clock::time_point time) {
  const auto milliseconds =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  return static_cast<double>(milliseconds.count()) / 1e3;
}

// The last success time the file at `path` holds, if it exists and has one.
std::optional<std::string> previous_last_success(const std::filesystem::path& path) {
  // Read only from a regular file of metrics' size: the path may name a device or a FIFO
  // (written in place), which has no previous value and may never end.
  constexpr std::uint64_t kMaxMetricsFileBytes = 16 << 20;
  if (path == "-") return std::nullopt;
  const auto text = read_input_file(path, kMaxMetricsFileBytes);
  if (!text) return std::nullopt;
  std::istringstream in(text.value());
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > kLastSuccess.size() + 1 && line.starts_with(kLastSuccess) &&
        line[kLastSuccess.size()] == ' ') {
      const std::string_view text = std::string_view(line).substr(kLastSuccess.size() + 1);
      double value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
      return number(value);
    }
  }
  return std::nullopt;
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
  }
  void sample(std::string_view name, std::string_view labels, std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    sample(name, labels, number(value));
  }
  std::string& text() { return out_; }

 private:
  std::string out_;
};

// Per check: outcome, duration, attempts and measured values.
void write_check_metrics(Exposition& out, const std::vector<PrometheusEntry*>& ordered) {
  out.family("cutover_check_passed", "1 when the check passed, else 0.");
  for (const PrometheusEntry* entry : ordered) {
    out.sample("cutover_check_passed", entry->labels,
               entry->result.outcome == Outcome::passed ? 1.0 : 0.0);
  }
  out.family("cutover_check_outcome",
             "1 for the check's outcome (passed, failed, error, skipped), 0 for the others.");
  for (const PrometheusEntry* entry : ordered) {
    for (Outcome outcome : kOutcomes) {
      out.sample("cutover_check_outcome",
                 fmt::format("{},outcome=\"{}\"", entry->labels, to_string(outcome)),
                 entry->result.outcome == outcome ? 1.0 : 0.0);
    }
  }
  out.family("cutover_check_duration_seconds",
             "From the start of the check's first attempt to the end of its last; 0 if skipped.");
  for (const PrometheusEntry* entry : ordered) {
    out.sample("cutover_check_duration_seconds", entry->labels, seconds(entry->result.duration));
  }
  out.family("cutover_check_attempts", "Attempts the check took; 0 if skipped.");
  for (const PrometheusEntry* entry : ordered) {
    out.sample("cutover_check_attempts", entry->labels,
               static_cast<double>(entry->result.attempts.size()));
  }
  out.family("cutover_check_measurement",
             "A value the check measured; name and unit as the check reports them.");
  for (const PrometheusEntry* entry : ordered) {
    for (const Measurement& measurement : entry->result.measurements) {
      out.sample("cutover_check_measurement",
                 fmt::format("{},name=\"{}\",unit=\"{}\"", entry->labels,
                             label_value(measurement.name), label_value(measurement.unit)),
                 measurement.value);
    }
  }
}

// Per run: counts, success, times; `path` is the file being replaced, which holds the last
// success time a failed run carries over.
void write_run_metrics(Exposition& out, const RunInfo& info, const RunSummary& summary,
                       const std::filesystem::path& path) {
  out.family("cutover_run_checks", "Checks of the run by outcome.");
  for (Outcome outcome : kOutcomes) {
    out.sample("cutover_run_checks", fmt::format("outcome=\"{}\"", to_string(outcome)),
               static_cast<double>(summary.count(outcome)));
  }
  out.family("cutover_run_flaky_checks", "Checks that passed after a failed attempt.");
  out.sample("cutover_run_flaky_checks", "", static_cast<double>(summary.flaky));
  out.family("cutover_run_success", "1 when every check passed and the run was not interrupted.");
  const bool success = summary.all_passed() && !summary.interrupted;
  out.sample("cutover_run_success", "", success ? 1.0 : 0.0);
  out.family("cutover_run_interrupted", "1 when the run was interrupted (SIGINT or SIGTERM).");
  out.sample("cutover_run_interrupted", "", summary.interrupted ? 1.0 : 0.0);
  out.family("cutover_run_started_timestamp_seconds", "When the run started, in Unix time.");
  out.sample("cutover_run_started_timestamp_seconds", "", unix_seconds(info.started));
  out.family("cutover_run_duration_seconds", "How long the run took.");
  out.sample("cutover_run_duration_seconds", "", seconds(summary.duration));

  // The textfile collector only knows the current file: a failed run keeps the previous success
  // time, read back from the file it replaces; with none there, the metric is left out.
  std::optional<std::string> last_success;
  if (success) {
    last_success = number(unix_seconds(info.started + summary.duration));
  } else {
    last_success = previous_last_success(path);
  }
  if (last_success) {
    out.family(kLastSuccess, "When the last run in which every check passed ended, in Unix time.");
    out.sample(kLastSuccess, "", *last_success);
  }
}

}  // namespace

PrometheusReporter::PrometheusReporter(std::filesystem::path path)
    : CollectingReporter(std::move(path)) {}

PrometheusReporter::~PrometheusReporter() = default;

PrometheusEntry PrometheusReporter::make_entry(const PlannedCheck& check, const Result& result,
                                               std::size_t order) {
  std::string labels =
      fmt::format("suite=\"{}\",phase=\"{}\",check=\"{}\",kind=\"{}\"", label_value(check.suite),
                  label_value(check.phase), label_value(check.name), label_value(check.kind));
  return {check.suite, check.phase, order, std::move(labels), result};
}

void PrometheusReporter::write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
                               const std::vector<PrometheusEntry*>& ordered) {
  // Names that differ only in what cleaning or masking removed give one label set twice, and the
  // textfile collector rejects a file with a repeated series: the later ones get a `copy` label.
  std::map<std::string, int> seen;
  for (PrometheusEntry* entry : ordered) {
    if (const int copy = ++seen[entry->labels]; copy > 1)
      entry->labels += fmt::format(",copy=\"{}\"", copy);
  }
  Exposition exposition;
  write_check_metrics(exposition, ordered);
  write_run_metrics(exposition, info, summary, path());
  out << exposition.text();
}

}  // namespace cutover
