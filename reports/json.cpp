#include "reports/json.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <optional>
#include <ostream>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/diagnostics.hpp"
#include "harness/text.hpp"

namespace cutover {
namespace detail {

// The checks' texts, packed into large blocks: one allocation per check, of a kilobyte or so,
// cost more than writing the text. A block never grows past the size it was reserved with, so
// the views into it stay valid.
class JsonTexts {
 public:
  std::string_view store(std::string_view text) {
    if (blocks_.empty() || blocks_.back().capacity() - blocks_.back().size() < text.size()) {
      blocks_.emplace_back().reserve(std::max(kBlockSize, text.size()));
    }
    std::string& block = blocks_.back();
    const std::size_t start = block.size();
    block.append(text);
    return std::string_view(block).substr(start);
  }

 private:
  // Pages of a block are only touched as texts fill them, so a large block costs no memory it
  // does not use, and spares the allocator large requests, which make it consolidate its bins.
  static constexpr std::size_t kBlockSize = std::size_t{8} << 20;
  std::vector<std::string> blocks_;
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
Json targets(const std::vector<Target>& targets) {
  Json list = Json::array();
  for (const Target& target : targets)
    list.push_back({{"name", clean_text(target.name)}, {"address", clean_text(target.address)}});
  return list;
}

Json text_list(const std::vector<std::string>& items) {
  Json list = Json::array();
  for (const std::string& item : items) {
    list.push_back(clean_text(item));
  }
  return list;
}

}  // namespace

namespace detail {

// ISO 8601 in UTC with milliseconds, as iso_utc writes it. The date and time of day are
// formatted once per second: every check's start goes through here, and most share a second.
class UtcText {
 public:
  std::string_view operator()(std::chrono::system_clock::time_point time) {
    const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
    if (!seconds_ || *seconds_ != seconds) {
      text_ = iso_utc(seconds);
      seconds_ = seconds;
    }
    const auto fraction =
        std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds).count();
    // "...:02.000Z": the three digits before the "Z".
    char* digits = text_.data() + text_.size() - 4;
    digits[0] = static_cast<char>('0' + fraction / 100);
    digits[1] = static_cast<char>('0' + fraction / 10 % 10);
    digits[2] = static_cast<char>('0' + fraction % 10);
    return text_;
  }

 private:
  std::optional<std::chrono::sys_seconds> seconds_;
  std::string text_;
};

}  // namespace detail

namespace {

using detail::UtcText;

// Appends JSON values to a check's text: strings and numbers as nlohmann writes them (its
// escapes, its shortest round-trip number form), text other than ASCII through nlohmann itself.
class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}

  // Layout and member names: written as they are.
  void raw(std::string_view text) { out_ += text; }

  void text(std::string_view raw) {
    // ASCII is written here: clean_text keeps every ASCII byte but ESC, and nlohmann escapes
    // those below 0x20, '"' and '\\' as follows. ESC (the start of a colour code) and anything
    // beyond ASCII go the long way, through clean_text and nlohmann.
    const std::size_t start = out_.size();
    out_ += '"';
    std::size_t plain = 0;  // start of the bytes not written yet, which need no escape
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const auto c = static_cast<unsigned char>(raw[i]);
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') continue;
      if (c >= 0x80 || c == 0x1b) {
        out_.resize(start);
        out_ += Json(clean_text(raw)).dump();
        return;
      }
      out_.append(raw.data() + plain, i - plain);
      plain = i + 1;
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\t':
          out_ += "\\t";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\r':
          out_ += "\\r";
          break;
        default:
          out_ += fmt::format("\\u{:04x}", c);
          break;
      }
    }
    out_.append(raw.data() + plain, raw.size() - plain);
    out_ += '"';
  }

  // Text known to need no escaping (a timestamp, an outcome).
  void plain_text(std::string_view text) {
    out_ += '"';
    out_ += text;
    out_ += '"';
  }

  // As nlohmann's serializer writes a double: null when not finite, else its to_chars.
  void number(double value) {
    if (!std::isfinite(value)) {
      out_ += "null";
      return;
    }
    std::array<char, 64> buffer{};
    const char* end =
        nlohmann::detail::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out_.append(buffer.data(), static_cast<std::size_t>(end - buffer.data()));
  }

 private:
  std::string& out_;
};

// "file:line:col" as to_string(SourceLocation) writes it, without building the string when the
// file name needs no escaping.
void write_location(JsonOut& json, const SourceLocation& location) {
  const bool plain = std::all_of(location.file.begin(), location.file.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain || location.line == 0) {
    json.text(to_string(location));
    return;
  }
  const fmt::format_int line(location.line);
  json.raw("\"");
  json.raw(location.file);
  json.raw(":");
  json.raw({line.data(), line.size()});
  if (location.column != 0) {
    const fmt::format_int column(location.column);
    json.raw(":");
    json.raw({column.data(), column.size()});
  }
  json.raw("\"");
}

// Appends the check's object as `std::setw(2) << document` writes it as an element of "checks",
// two levels in: nlohmann's dump(2) layout, whose fixed parts (line breaks, indents, names) are
// written here as literals. Written now rather than kept as a DOM until run_finished: the
// string is far smaller, and run_finished only pastes the texts together.
void write_check(std::string& out, UtcText& utc, const PlannedCheck& check, const Result& result) {
  JsonOut json(out);
  json.raw("    {\n      \"suite\": ");
  json.text(check.suite);
  json.raw(",\n      \"name\": ");
  json.text(check.name);
  json.raw(",\n      \"kind\": ");
  json.text(check.kind);
  json.raw(",\n      \"phase\": ");
  json.text(check.phase);
  json.raw(",\n      \"tags\": [");
  for (std::size_t i = 0; i < check.tags.size(); ++i) {
    json.raw(i == 0 ? "\n        " : ",\n        ");
    json.text(check.tags[i]);
  }
  json.raw(check.tags.empty() ? "],\n      \"description\": "
                              : "\n      ],\n      \"description\": ");
  json.text(check.description);
  json.raw(",\n      \"location\": ");
  write_location(json, check.location);
  json.raw(",\n      \"needs\": [");
  for (std::size_t i = 0; i < check.needs.size(); ++i) {
    json.raw(i == 0 ? "\n        " : ",\n        ");
    json.text(check.needs[i]);
  }
  json.raw(check.needs.empty() ? "],\n      \"outcome\": " : "\n      ],\n      \"outcome\": ");
  json.plain_text(to_string(result.outcome));
  json.raw(",\n      \"message\": ");
  json.text(result.message);
  json.raw(",\n      \"details\": ");
  json.text(result.details);
  json.raw(",\n      \"started\": ");
  if (result.outcome != Outcome::skipped) {
    json.plain_text(utc(result.started));
  } else {
    json.raw("null");
  }
  json.raw(",\n      \"duration_ms\": ");
  json.number(milliseconds(result.duration));
  json.raw(",\n      \"measurements\": [");
  for (std::size_t i = 0; i < result.measurements.size(); ++i) {
    const Measurement& measurement = result.measurements[i];
    json.raw(i == 0 ? "\n        {\n          \"name\": " : ",\n        {\n          \"name\": ");
    json.text(measurement.name);
    json.raw(",\n          \"value\": ");
    json.number(measurement.value);
    json.raw(",\n          \"unit\": ");
    json.text(measurement.unit);
    json.raw("\n        }");
  }
  json.raw(result.measurements.empty() ? "],\n      \"attempts\": ["
                                       : "\n      ],\n      \"attempts\": [");
  for (std::size_t i = 0; i < result.attempts.size(); ++i) {
    const Attempt& attempt = result.attempts[i];
    json.raw(i == 0 ? "\n        {\n          \"outcome\": "
                    : ",\n        {\n          \"outcome\": ");
    json.plain_text(to_string(attempt.outcome));
    json.raw(",\n          \"message\": ");
    json.text(attempt.message);
    json.raw(",\n          \"details\": ");
    json.text(attempt.details);
    json.raw(",\n          \"started\": ");
    json.plain_text(utc(attempt.started));
    json.raw(",\n          \"duration_ms\": ");
    json.number(milliseconds(attempt.duration));
    json.raw("\n        }");
  }
  json.raw(result.attempts.empty() ? "],\n      \"interrupted\": "
                                   : "\n      ],\n      \"interrupted\": ");
  json.raw(result.interrupted ? "true\n    }" : "false\n    }");
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
        {"phases", text_list(info.phases)},
        {"targets", targets(info.targets)}}},
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

JsonReporter::JsonReporter(std::filesystem::path path)
    : CollectingReporter(std::move(path)),
      utc_(std::make_unique<UtcText>()),
      texts_(std::make_unique<detail::JsonTexts>()) {}

JsonReporter::~JsonReporter() = default;

JsonEntry JsonReporter::make_entry(const PlannedCheck& check, const Result& result,
                                   std::size_t order) {
  scratch_.clear();
  write_check(scratch_, *utc_, check, result);
  return {check.suite, check.phase, order, texts_->store(scratch_)};
}

void JsonReporter::write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
                         const std::vector<JsonEntry*>& ordered) {
  // The same bytes as `out << std::setw(2) << document` with "checks" as the last member: the
  // rest of the document without its closing "\n}", then the checks' texts.
  std::string head = run_to_json(info, summary).dump(2);
  head.resize(head.size() - 2);
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
}

}  // namespace cutover
