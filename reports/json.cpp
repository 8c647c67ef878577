#include "reports/json.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
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
  std::string text;       // the check's object, pretty-printed at its place in "checks"
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

// Appends JSON laid out exactly as nlohmann's dump(2) lays it out, starting `depth` levels in,
// without building a DOM: a check's object costs a few appends instead of a tree of nodes.
// Strings and numbers still go through nlohmann, so escaping and number format are its own.
class PrettyWriter {
 public:
  PrettyWriter(std::string& out, int depth) : out_(out), depth_(depth) {}

  void open(char bracket) {
    out_ += bracket;
    ++depth_;
    empty_ = true;
  }
  void close(char bracket) {
    --depth_;
    if (!empty_) {
      new_line();
    }
    out_ += bracket;
    empty_ = false;  // the enclosing container holds at least this
  }
  // Starts an array element.
  void item() {
    if (!empty_) {
      out_ += ',';
    }
    new_line();
    empty_ = false;
  }
  // Starts an object member; names are plain identifiers that need no escaping.
  void key(std::string_view name) {
    item();
    out_ += '"';
    out_ += name;
    out_ += "\": ";
  }
  void text(std::string_view raw) {
    // The common case, printable ASCII and line breaks, written directly: clean_text keeps such
    // text as it is, and nlohmann writes it as is but for "\n". Anything else goes the long way.
    const std::size_t start = out_.size();
    out_ += '"';
    for (const char c : raw) {
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out_ += c;
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_.resize(start);
        out_ += Json(clean_text(raw)).dump();
        return;
      }
    }
    out_ += '"';
  }
  void number(double value) { out_ += Json(value).dump(); }
  void boolean(bool value) { out_ += value ? "true" : "false"; }
  void null() { out_ += "null"; }

  void text_member(std::string_view name, std::string_view raw) {
    key(name);
    text(raw);
  }

 private:
  void new_line() {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(2 * depth_), ' ');
  }

  std::string& out_;
  int depth_;
  bool empty_ = false;
};

// The check's object as `std::setw(2) << document` writes it as an element of "checks", two
// levels in. Written now rather than kept as a DOM until run_finished: the string is far
// smaller, and run_finished only pastes the texts together.
std::string check_text(const PlannedCheck& check, const Result& result) {
  const bool ran = result.outcome != Outcome::skipped;
  std::string out = "    ";
  PrettyWriter json(out, 2);
  json.open('{');
  json.text_member("suite", check.suite);
  json.text_member("name", check.name);
  json.text_member("kind", check.kind);
  json.text_member("phase", check.phase);
  json.key("tags");
  json.open('[');
  for (const std::string& tag : check.tags) {
    json.item();
    json.text(tag);
  }
  json.close(']');
  json.text_member("description", check.description);
  json.text_member("location", to_string(check.location));
  json.text_member("outcome", to_string(result.outcome));
  json.text_member("message", result.message);
  json.text_member("details", result.details);
  json.key("started");
  if (ran) {
    json.text(iso_utc(result.started));
  } else {
    json.null();
  }
  json.key("duration_ms");
  json.number(milliseconds(result.duration));
  json.key("measurements");
  json.open('[');
  for (const Measurement& measurement : result.measurements) {
    json.item();
    json.open('{');
    json.text_member("name", measurement.name);
    json.key("value");
    json.number(measurement.value);
    json.text_member("unit", measurement.unit);
    json.close('}');
  }
  json.close(']');
  json.key("attempts");
  json.open('[');
  for (const Attempt& attempt : result.attempts) {
    json.item();
    json.open('{');
    json.text_member("outcome", to_string(attempt.outcome));
    json.text_member("message", attempt.message);
    json.text_member("details", attempt.details);
    json.text_member("started", iso_utc(attempt.started));
    json.key("duration_ms");
    json.number(milliseconds(attempt.duration));
    json.close('}');
  }
  json.close(']');
  json.key("interrupted");
  json.boolean(result.interrupted);
  json.close('}');
  return out;
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
  entries_.push_back({check.suite, check.phase, order_.see(check), check_text(check, result)});
}

void JsonReporter::run_finished(const RunInfo& info, const RunSummary& summary) {
  std::vector<const JsonEntry*> ordered;
  for (const JsonEntry& entry : entries_) {
    ordered.push_back(&entry);
  }
  ReportOrder::sort(ordered, info);

  // The same bytes as `out << std::setw(2) << document` with "checks" as the last member: the
  // rest of the document without its closing "\n}", then the checks' texts.
  std::string head = run_to_json(info, summary).dump(2);
  head.resize(head.size() - 2);
  write_file_atomically(path_, [&head, &ordered](std::ostream& out) {
    out << head << ",\n  \"checks\": [";
    if (ordered.empty()) {
      out << "]\n}\n";
      return;
    }
    const char* separator = "\n";
    for (const JsonEntry* entry : ordered) {
      out << separator << entry->text;
      separator = ",\n";
    }
    out << "\n  ]\n}\n";
  });
}

}  // namespace cutover
