#include "reports/junit.hpp"

#include <algorithm>
#include <ctime>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <tuple>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <tinyxml2.h>

#include "harness/text.hpp"

namespace cutover {
namespace {

using detail::JunitEntry;
using tinyxml2::XMLElement;

// Jenkins and GitLab load the whole report into memory; a check that dumps a large body must
// not make the report unreadable.
constexpr std::size_t kTextLimit = 64 * 1024;

// XML 1.0 forbids most C0 controls and U+FFFE/U+FFFF, even as character references, and
// tinyxml2 writes them raw, which makes the whole file unparsable. They become visible escapes.
// `text` must be valid UTF-8.
std::string xml_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') {
      out += fmt::format("\\x{:02x}", byte);
    } else if (byte == 0xEF && text.substr(i + 1, 2) == "\xBF\xBE") {
      out += "\\ufffe";
      i += 2;
    } else if (byte == 0xEF && text.substr(i + 1, 2) == "\xBF\xBF") {
      out += "\\uffff";
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Element text: ANSI escapes gone, UTF-8 repaired, forbidden characters escaped, size capped.
std::string xml_text(std::string_view text) {
  return truncate_middle(xml_safe(clean_text(text)), kTextLimit);
}

// Attribute values are one line: parsers turn raw line breaks in attributes into spaces anyway.
std::string xml_line(std::string_view text) {
  return xml_safe(one_line(text));
}

void set(XMLElement& element, const char* name, std::string_view value) {
  element.SetAttribute(name, xml_line(value).c_str());
}

void set(XMLElement& element, const char* name, std::size_t value) {
  element.SetAttribute(name, std::to_string(value).c_str());
}

XMLElement& add(XMLElement& parent, const char* name) {
  return *parent.InsertNewChildElement(name);
}

// Timestamps without offset or fraction: the schema's consumers (Jenkins) reject both.
std::string utc_timestamp(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)));
}

std::string message_and_details(std::string_view message, std::string_view details) {
  if (details.empty()) {
    return std::string(message);
  }
  return fmt::format("{}\n{}", message, details);
}

std::string measurement_text(const Measurement& measurement) {
  return fmt::format("{}={}{}{}", measurement.name, measurement.value,
                     measurement.unit.empty() ? "" : " ", measurement.unit);
}

std::string join(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ","));
}

struct Counts {
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::size_t errors = 0;
  std::size_t skipped = 0;

  void add(Outcome outcome) {
    ++tests;
    if (outcome == Outcome::failed) {
      ++failures;
    }
    if (outcome == Outcome::error) {
      ++errors;
    }
    if (outcome == Outcome::skipped) {
      ++skipped;
    }
  }
};

using Properties = std::vector<std::pair<std::string, std::string>>;

// Run metadata, repeated in every <testsuite>: the schema allows <properties> nowhere else.
// Selection properties appear only when the selection was given.
Properties run_properties(const RunInfo& info, const RunSummary& summary) {
  Properties properties{
      {"cutover.version", info.tool_version},
      {"cutover.hostname", info.hostname},
      {"cutover.phases", join(info.phases)},
  };
  if (!info.selected_phases.empty()) {
    properties.emplace_back("cutover.selected_phases", join(info.selected_phases));
  }
  if (!info.selected_tags.empty()) {
    properties.emplace_back("cutover.selected_tags", join(info.selected_tags));
  }
  if (!info.filter.empty()) {
    properties.emplace_back("cutover.filter", info.filter);
  }
  if (info.shard_count > 1) {
    properties.emplace_back("cutover.shard_index", std::to_string(info.shard_index));
    properties.emplace_back("cutover.shard_count", std::to_string(info.shard_count));
  }
  properties.emplace_back("cutover.interrupted", summary.interrupted ? "true" : "false");
  return properties;
}

void add_testcase(XMLElement& testsuite, const JunitEntry& entry, const std::string& classname,
                  const std::string& name) {
  const Result& result = entry.result;
  XMLElement& testcase = add(testsuite, "testcase");
  set(testcase, "classname", classname);
  set(testcase, "name", name);
  testcase.SetAttribute("time", format_seconds(result.duration).c_str());

  // `type` names the check kind: the closest thing a check has to an exception class.
  const std::string type = entry.kind.empty() ? std::string(to_string(result.outcome)) : entry.kind;
  if (result.outcome == Outcome::skipped) {
    XMLElement& skipped = add(testcase, "skipped");
    set(skipped, "message", result.message);
    skipped.SetText(xml_text(result.message).c_str());
  } else if (result.outcome != Outcome::passed) {
    XMLElement& problem = add(testcase, result.outcome == Outcome::failed ? "failure" : "error");
    set(problem, "message", result.message);
    set(problem, "type", type);
    problem.SetText(xml_text(message_and_details(result.message, result.details)).c_str());
  }

  // Earlier attempts, in the Maven Surefire shape that Jenkins and GitLab understand; repeating
  // the testcase instead would count the check several times.
  const bool passed = result.outcome == Outcome::passed;
  for (std::size_t i = 0; i + 1 < result.attempts.size(); ++i) {
    const Attempt& attempt = result.attempts[i];
    if (attempt.outcome != Outcome::failed && attempt.outcome != Outcome::error) {
      continue;
    }
    const bool failed = attempt.outcome == Outcome::failed;
    const char* element = passed ? (failed ? "flakyFailure" : "flakyError")
                                 : (failed ? "rerunFailure" : "rerunError");
    XMLElement& rerun = add(testcase, element);
    set(rerun, "message", attempt.message);
    set(rerun, "type", type);
    add(rerun, "stackTrace")
        .SetText(xml_text(message_and_details(attempt.message, attempt.details)).c_str());
  }

  std::string output;
  const auto add_lines = [&](std::string_view text) {
    if (text.empty()) {
      return;
    }
    output += text;
    if (!output.ends_with('\n')) {
      output += '\n';
    }
  };
  // A passing check's message is evidence too, and no other element carries it.
  if (passed) {
    add_lines(result.message);
  }
  add_lines(result.details);
  for (const Measurement& measurement : result.measurements) {
    add_lines(measurement_text(measurement));
  }
  if (!output.empty()) {
    add(testcase, "system-out").SetText(xml_text(output).c_str());
  }
}

// One <testsuite>: the checks of one suite and phase, in report order.
void add_testsuite(XMLElement& root, const RunInfo& info, const Properties& properties,
                   std::span<JunitEntry* const> group) {
  const JunitEntry& first = *group.front();
  const std::string classname =
      first.phase.empty() ? first.suite : fmt::format("{}.{}", first.suite, first.phase);

  Counts counts;
  std::optional<std::chrono::system_clock::time_point> started;
  std::chrono::system_clock::time_point ended;
  for (const JunitEntry* entry : group) {
    const Result& result = entry->result;
    counts.add(result.outcome);
    if (result.outcome == Outcome::skipped) {
      continue;
    }
    started = started ? std::min(*started, result.started) : result.started;
    ended = std::max(ended, result.started + result.duration);
  }

  XMLElement& testsuite = add(root, "testsuite");
  set(testsuite, "name", classname);
  set(testsuite, "tests", counts.tests);
  set(testsuite, "failures", counts.failures);
  set(testsuite, "errors", counts.errors);
  set(testsuite, "skipped", counts.skipped);
  // Checks run concurrently: the group's time is how long it ran, not the sum of its checks.
  testsuite.SetAttribute("time", format_seconds(started ? ended - *started : Duration{}).c_str());
  testsuite.SetAttribute("timestamp", utc_timestamp(started.value_or(info.started)).c_str());
  set(testsuite, "hostname", info.hostname);
  const auto suite = std::find_if(info.suites.begin(), info.suites.end(),
                                  [&](const SuiteInfo& s) { return s.name == first.suite; });
  if (suite != info.suites.end() && !suite->file.empty()) {
    set(testsuite, "file", suite->file);
  }

  XMLElement& property_list = add(testsuite, "properties");
  for (const auto& [name, value] : properties) {
    XMLElement& property = add(property_list, "property");
    set(property, "name", name);
    set(property, "value", value);
  }
  if (suite != info.suites.end() && !suite->description.empty()) {
    XMLElement& property = add(property_list, "property");
    set(property, "name", "cutover.suite_description");
    set(property, "value", suite->description);
  }

  // GitLab keeps only the first of testcases sharing a classname and name.
  std::set<std::string> used;
  for (const JunitEntry* entry : group) {
    const std::string name = xml_line(entry->name);
    std::string unique = name;
    for (int n = 2; used.contains(unique); ++n) {
      unique = fmt::format("{} ({})", name, n);
    }
    used.insert(unique);
    add_testcase(testsuite, *entry, classname, unique);
  }
}

}  // namespace

JunitReporter::JunitReporter(std::filesystem::path path) : CollectingReporter(std::move(path)) {}

JunitReporter::~JunitReporter() = default;

JunitEntry JunitReporter::make_entry(const PlannedCheck& check, const Result& result,
                                     std::size_t order) {
  return {check.suite, check.phase, check.name, check.kind, order, result};
}

void JunitReporter::write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
                          const std::vector<JunitEntry*>& ordered) {
  tinyxml2::XMLDocument document;
  document.InsertEndChild(document.NewDeclaration());
  XMLElement& root = *document.NewElement("testsuites");
  document.InsertEndChild(&root);
  Counts total;
  for (const JunitEntry* entry : ordered) {
    total.add(entry->result.outcome);
  }
  root.SetAttribute("name", "cutover");
  set(root, "tests", total.tests);
  set(root, "failures", total.failures);
  set(root, "errors", total.errors);
  root.SetAttribute("time", format_seconds(summary.duration).c_str());

  // ReportOrder keeps each (suite, phase) together: one <testsuite> each.
  const Properties properties = run_properties(info, summary);
  for (auto begin = ordered.begin(); begin != ordered.end();) {
    const auto end = std::find_if(begin, ordered.end(), [&](const JunitEntry* entry) {
      return entry->suite != (*begin)->suite || entry->phase != (*begin)->phase;
    });
    add_testsuite(root, info, properties, std::span(begin, end));
    begin = end;
  }

  tinyxml2::XMLPrinter printer;
  document.Print(&printer);
  out << printer.CStr() << "\n";
}

}  // namespace cutover
