#include "reports/html.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "harness/diagnostics.hpp"
#include "harness/text.hpp"
#include "reports/html_assets.hpp"
#include "reports/html_escape.hpp"
#include "reports/measurement_text.hpp"
#include "reports/outcome_label.hpp"

namespace cutover {
namespace {

using detail::HtmlEntry;
using detail::kHtmlPolicy;
using detail::kHtmlScript;
using detail::kHtmlStyle;

constexpr std::array<Outcome, 4> kOutcomes = {Outcome::failed, Outcome::error, Outcome::skipped,
                                              Outcome::passed};

// Failed and error checks first, then skipped, then passed.
int outcome_rank(Outcome outcome) {
  switch (outcome) {
    case Outcome::failed:
    case Outcome::error:
      return 0;
    case Outcome::skipped:
      return 1;
    case Outcome::passed:
      return 2;
  }
  return 3;
}

// A run is a pre-cutover gate when every phase it ran is a "pre" phase ("pre", "pre-cutover",
// "pre_checks"): its verdict says whether the cutover may start.
bool is_gate(const RunInfo& info) {
  if (info.phases.empty()) return false;
  return std::all_of(info.phases.begin(), info.phases.end(), [](const std::string& phase) {
    return phase == "pre" || phase.starts_with("pre-") || phase.starts_with("pre_");
  });
}

// Under a minute to 3 significant digits ("21.3 ms", "4.8 s"), as measurements are shown.
std::string human_duration(Duration duration) {
  const double ms = static_cast<double>(duration.count()) / 1e6;
  if (ms < 1000) return number_text(ms) + " ms";
  if (ms < 60'000) return number_text(ms / 1000) + " s";
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
  if (seconds < 3600) return fmt::format("{}m {:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}h {:02}m", seconds / 3600, seconds / 60 % 60);
}

std::string iso_utc(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto fraction = std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)), fraction.count());
}

std::string readable_utc(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)));
}

// Builds the page. text() escapes everything that came from suites or targets; raw() is for
// the page's own markup only.
class Page {
 public:
  std::string out;

  void raw(std::string_view markup) { out += markup; }

  // Escaped for any place in the page, text or attribute value, after clean_text (invalid
  // UTF-8, colour codes) where the text is not plain ASCII.
  void text(std::string_view raw) {
    const bool plain = std::none_of(raw.begin(), raw.end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return byte >= 0x80 || byte == 0x1b;
    });
    std::string cleaned;
    if (!plain) {
      cleaned = clean_text(raw);
      raw = cleaned;
    }
    append_html_escaped(out, raw, HtmlEscape::anywhere);
  }

  template <typename... Args>
  void format(fmt::format_string<Args...> markup, Args&&... args) {
    fmt::format_to(std::back_inserter(out), markup, std::forward<Args>(args)...);
  }
};

// Where checks are on the page: "c1", "c2"… in page order, found by suite and name.
class Anchors {
 public:
  void add(const HtmlEntry& entry, std::size_t number) {
    ids_.emplace(key(entry.suite, entry.name), number);
  }
  std::size_t find(std::string_view suite, std::string_view name) const {
    const auto it = ids_.find(key(suite, name));
    return it == ids_.end() ? 0 : it->second;
  }

 private:
  static std::string key(std::string_view suite, std::string_view name) {
    std::string joined(suite);
    joined += '\0';
    joined += name;
    return joined;
  }
  std::unordered_map<std::string, std::size_t> ids_;
};

struct Counts {
  std::map<Outcome, std::size_t> by_outcome;
  std::size_t flaky = 0;
  std::size_t total = 0;

  void add(const Result& result) {
    ++by_outcome[result.outcome];
    if (result.flaky()) ++flaky;
    ++total;
  }
  std::size_t count(Outcome outcome) const {
    const auto it = by_outcome.find(outcome);
    return it == by_outcome.end() ? 0 : it->second;
  }
};

struct PhaseGroup {
  std::string phase;
  std::vector<const HtmlEntry*> entries;
  Counts counts;
};

void write_list(Page& page, const std::vector<std::string>& items, std::string_view when_empty) {
  if (items.empty()) {
    page.text(when_empty);
    return;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) page.raw(", ");
    page.text(items[i]);
  }
}

// The coloured share of each outcome, then the counts in words (what remains without styles).
void write_outcome_bar(Page& page, const Counts& counts) {
  page.raw("<div class=\"pb\">");
  for (const Outcome outcome : kOutcomes) {
    const std::size_t n = counts.count(outcome);
    if (n == 0 || counts.total == 0) continue;
    page.format("<span class=\"{}\" style=\"width:{:.2f}%\" title=\"{} {}\"></span>",
                to_string(outcome), 100.0 * static_cast<double>(n) / counts.total, n,
                to_string(outcome));
  }
  page.raw("</div>");
}

void write_counts_text(Page& page, const Counts& counts) {
  const char* separator = "";
  for (const Outcome outcome : kOutcomes) {
    if (counts.count(outcome) == 0) continue;
    page.format("{}{} {}", separator, counts.count(outcome), to_string(outcome));
    separator = ", ";
  }
  if (counts.flaky > 0) page.format(" ({} flaky)", counts.flaky);
}

void write_header(Page& page, const RunInfo& info, const RunSummary& summary,
                  const std::vector<PhaseGroup>& groups) {
  const bool passed = summary.all_passed() && !summary.interrupted;
  const bool gate = is_gate(info);
  const std::string_view verdict =
      gate ? (passed ? "READY" : "NOT READY") : (passed ? "PASSED" : "FAILED");
  const std::size_t not_passed = summary.total() - summary.count(Outcome::passed);

  page.format("<header class=\"top {}\"><div>", passed ? "v-pass" : "v-fail");
  page.format("<h1 class=\"verdict\" id=\"verdict\">{}</h1><p class=\"lede\">", verdict);
  if (gate) page.raw("Pre-cutover gate: ");
  if (not_passed == 0) {
    page.format("all {} checks passed", summary.total());
  } else {
    page.format("{} of {} checks did not pass", not_passed, summary.total());
  }
  if (summary.interrupted) page.raw("; the run was interrupted");
  page.raw("</p><ul class=\"counts\">");
  for (const Outcome outcome :
       {Outcome::passed, Outcome::failed, Outcome::error, Outcome::skipped}) {
    page.format("<li class=\"{0}\"><b id=\"count-{0}\">{1}</b>{0}</li>", to_string(outcome),
                summary.count(outcome));
  }
  page.format(
      "<li class=\"flaky\"><b id=\"count-flaky\">{}</b>flaky</li><li><b "
      "id=\"count-total\">{}</b>total</li></ul>",
      summary.flaky, summary.total());
  page.raw("<table class=\"phases\"><tbody>");
  for (const PhaseGroup& group : groups) {
    page.raw("<tr><th><a href=\"#phase-");
    page.text(group.phase);
    page.raw("\">");
    page.text(group.phase);
    page.raw("</a></th><td>");
    write_outcome_bar(page, group.counts);
    page.raw("</td><td>");
    write_counts_text(page, group.counts);
    page.raw("</td></tr>");
  }
  page.raw("</tbody></table></div><dl class=\"meta\"><dt>Started</dt><dd>");
  page.format("<time datetime=\"{}\">{}</time><span id=\"local\"></span></dd>",
              iso_utc(info.started), readable_utc(info.started));
  page.format("<dt>Duration</dt><dd>{}</dd><dt>Suites</dt><dd>", human_duration(summary.duration));
  for (std::size_t i = 0; i < info.suites.size(); ++i) {
    if (i > 0) page.raw(", ");
    page.text(info.suites[i].name);
  }
  page.raw("</dd><dt>Host</dt><dd>");
  page.text(info.hostname);
  page.raw("</dd><dt>Phases run</dt><dd>");
  write_list(page, info.phases, "none");
  page.raw("</dd><dt>Selected phases</dt><dd>");
  write_list(page, info.selected_phases, "all");
  page.raw("</dd><dt>Selected tags</dt><dd>");
  write_list(page, info.selected_tags, "all");
  page.raw("</dd><dt>Filter</dt><dd>");
  page.text(info.filter.empty() ? std::string_view("none") : std::string_view(info.filter));
  page.format("</dd><dt>Shard</dt><dd>{} of {}</dd><dt>Tool</dt><dd>cutover ", info.shard_index + 1,
              info.shard_count);
  page.text(info.tool_version);
  page.raw("</dd></dl></header>");
}

void write_environment(Page& page, const RunInfo& info, const RunSummary& summary) {
  page.raw(
      "<details class=\"env\"><summary>Environment</summary><table><thead><tr><th>Suite</th>"
      "<th>File</th><th>Description</th></tr></thead><tbody>");
  for (const SuiteInfo& suite : info.suites) {
    page.raw("<tr><td>");
    page.text(suite.name);
    page.raw("</td><td>");
    page.text(suite.file);
    page.raw("</td><td>");
    page.text(suite.description);
    page.raw("</td></tr>");
  }
  if (!info.targets.empty()) {
    page.raw(
        "</tbody></table><table><thead><tr><th>Target</th><th>Address</th></tr></thead><tbody>");
    for (const Target& target : info.targets) {
      page.raw("<tr><td>");
      page.text(target.name);
      page.raw("</td><td>");
      page.text(target.address);
      page.raw("</td></tr>");
    }
  }
  page.raw("</tbody></table><table><tbody><tr><th>Host</th><td>");
  page.text(info.hostname);
  page.raw("</td></tr><tr><th>Tool version</th><td>");
  page.text(info.tool_version);
  page.format("</td></tr><tr><th>Started (UTC)</th><td>{}</td></tr>", iso_utc(info.started));
  page.format("<tr><th>Duration</th><td>{}</td></tr><tr><th>Phases run</th><td>",
              human_duration(summary.duration));
  write_list(page, info.phases, "none");
  page.raw("</td></tr><tr><th>Selected phases</th><td>");
  write_list(page, info.selected_phases, "all");
  page.raw("</td></tr><tr><th>Selected tags</th><td>");
  write_list(page, info.selected_tags, "all");
  page.raw("</td></tr><tr><th>Filter</th><td>");
  page.text(info.filter);
  page.format(
      "</td></tr><tr><th>Shard</th><td>{} of {}</td></tr><tr><th>Selected checks</th>"
      "<td>{}</td></tr><tr><th>Interrupted</th><td>{}</td></tr></tbody></table></details>",
      info.shard_index + 1, info.shard_count, info.selected_checks,
      summary.interrupted ? "yes" : "no");
}

// Sorted, distinct values for a filter's choices.
void write_options(Page& page, std::string_view name, std::string_view label,
                   std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  page.format("<label>{} <select name=\"{}\"><option value=\"\">all</option>", label, name);
  for (const std::string& value : values) {
    page.raw("<option>");
    page.text(value);
    page.raw("</option>");
  }
  page.raw("</select></label>");
}

// Hidden until the script shows it: without scripts the controls would do nothing.
void write_controls(Page& page, const std::vector<HtmlEntry*>& entries,
                    const std::vector<PhaseGroup>& groups) {
  page.raw("<form id=\"controls\" hidden><fieldset><legend hidden>Outcome</legend>");
  for (const Outcome outcome : kOutcomes) {
    page.format(
        "<label><input type=\"checkbox\" name=\"o\" value=\"{0}\"> {0} (<span "
        "data-c=\"{0}\"></span>)</label>",
        to_string(outcome));
  }
  page.raw("</fieldset>");
  std::vector<std::string> phases;
  for (const PhaseGroup& group : groups) {
    phases.push_back(group.phase);
  }
  std::vector<std::string> tags;
  std::vector<std::string> kinds;
  for (const HtmlEntry* entry : entries) {
    tags.insert(tags.end(), entry->tags.begin(), entry->tags.end());
    kinds.push_back(entry->kind);
  }
  write_options(page, "p", "Phase", std::move(phases));
  write_options(page, "t", "Tag", std::move(tags));
  write_options(page, "k", "Kind", std::move(kinds));
  page.raw(
      "<input type=\"search\" name=\"q\" aria-label=\"Search\" placeholder=\"Search: text, "
      "phase:pre, tag:db, kind:http, is:flaky, -tag:slow\"><output id=\"shown\"></output>"
      "</form>");
}

// The check's message; a skipped check's mention of the check that blocked it ("needs 'x',
// which did not pass") links to that check.
void write_message(Page& page, const HtmlEntry& entry, const Anchors& anchors) {
  const std::string& message = entry.result.message;
  if (entry.result.outcome == Outcome::skipped) {
    for (const std::string& need : entry.needs) {
      const std::string quoted = "'" + need + "'";
      const std::size_t at = message.find(quoted);
      const std::size_t number = anchors.find(entry.suite, need);
      if (at == std::string::npos || number == 0) continue;
      page.text(std::string_view(message).substr(0, at + 1));
      page.format("<a href=\"#c{}\">", number);
      page.text(need);
      page.raw("</a>");
      page.text(std::string_view(message).substr(at + quoted.size() - 1));
      return;
    }
  }
  page.text(message);
}

void write_attempts(Page& page, const Result& result) {
  page.raw(
      "<div class=\"sc\"><table class=\"at\"><tr><th>Attempt<th>Outcome<th>Started "
      "(UTC)<th>Duration<th>Message");
  for (std::size_t i = 0; i < result.attempts.size(); ++i) {
    const Attempt& attempt = result.attempts[i];
    page.format("<tr><td>{}<td>{}<td>{}<td>{}<td>", i + 1, to_string(attempt.outcome),
                iso_utc(attempt.started), human_duration(attempt.duration));
    page.text(attempt.message);
    if (!attempt.details.empty() && attempt.details != result.details) {
      page.raw("<pre>");
      page.text(attempt.details);
      page.raw("</pre>");
    }
  }
  page.raw("</table></div>");
}

// A measured value in its table: the name, then the number with its unit, the unit said once
// ("latency" and "21.3 ms" for latency_ms = 21.325743 ms).
void write_measurement(Page& page, const Measurement& measurement) {
  const ShownMeasurement shown = shown_measurement(measurement);
  page.raw("<tr><th>");
  page.text(shown.name);
  page.raw("<td>");
  page.text(shown.value);
}

// What opens under the message: description, where the check is defined, what it needs,
// evidence, measured values and, for retried checks, every attempt.
void write_expansion(Page& page, const HtmlEntry& entry, const Anchors& anchors) {
  const Result& result = entry.result;
  page.raw("<div>");
  if (!entry.description.empty()) {
    page.raw("<p>");
    page.text(entry.description);
    page.raw("</p>");
  }
  page.raw("<dl>");
  if (!entry.location.empty()) {
    page.raw("<dt>Defined at<dd>");
    page.text(entry.location);
  }
  if (result.outcome != Outcome::skipped) {
    page.format("<dt>Started<dd>{}", iso_utc(result.started));
  }
  if (!entry.needs.empty()) {
    page.raw("<dt>Needs<dd>");
    for (std::size_t i = 0; i < entry.needs.size(); ++i) {
      if (i > 0) page.raw(", ");
      const std::size_t number = anchors.find(entry.suite, entry.needs[i]);
      if (number != 0) page.format("<a href=\"#c{}\">", number);
      page.text(entry.needs[i]);
      if (number != 0) page.raw("</a>");
    }
  }
  if (result.interrupted) page.raw("<dt>Interrupted<dd>yes");
  page.raw("</dl>");
  if (!result.details.empty()) {
    page.raw("<pre>");
    page.text(result.details);
    page.raw("</pre>");
  }
  if (!result.measurements.empty()) {
    page.raw("<div class=\"sc\"><table class=\"ms\">");
    for (const Measurement& measurement : result.measurements) {
      write_measurement(page, measurement);
    }
    page.raw("</table></div>");
  }
  if (result.attempts.size() > 1) write_attempts(page, result);
  page.raw("</div>");
}

// The run's span, for the timeline: the summary's duration, or longer if a check ended later.
Duration run_span(const RunInfo& info, const RunSummary& summary,
                  const std::vector<HtmlEntry*>& entries) {
  Duration span = summary.duration;
  for (const HtmlEntry* entry : entries) {
    if (entry->result.outcome == Outcome::skipped) continue;
    span = std::max(span, std::chrono::duration_cast<Duration>(
                              entry->result.started + entry->result.duration - info.started));
  }
  return span;
}

// A check's row. The optional end tags of cells, rows and list items are left out, as HTML
// allows: a tenth of the file for 10,000 checks. The timeline bar shows when the check ran within
// the run and for how long, so slow checks stand out.
void write_row(Page& page, const HtmlEntry& entry, std::size_t number, const Anchors& anchors,
               const RunInfo& info, Duration span) {
  const Result& result = entry.result;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(result.duration);
  page.format("<tr id=\"c{}\" class=\"{}\" data-d=\"{}\"{}><td class=\"s\">{}", number,
              to_string(result.outcome), micros.count(), result.flaky() ? " data-f" : "",
              outcome_label(result.outcome));
  if (result.flaky()) page.raw(" <small class=\"fl\">flaky</small>");
  page.format("<td class=\"n\"><a href=\"#c{}\">", number);
  page.text(entry.name);
  page.raw("</a><br><small>");
  page.text(entry.suite);
  page.raw("</small>");
  for (const std::string& tag : entry.tags) {
    page.raw(" <span class=\"tg\">");
    page.text(tag);
    page.raw("</span>");
  }
  page.raw("<td class=\"k\">");
  page.text(entry.kind);
  page.raw("<td class=\"d\">");
  if (result.outcome != Outcome::skipped) {
    if (span.count() > 0) {
      const auto share = [span](Duration part) {
        return std::clamp(100.0 * static_cast<double>(part.count()) / span.count(), 0.0, 100.0);
      };
      const double left =
          share(std::chrono::duration_cast<Duration>(result.started - info.started));
      page.format("<span class=\"tl\"><i style=\"left:{:.1f}%;width:{:.1f}%\"></i></span>", left,
                  std::min(share(result.duration), 100.0 - left));
    }
    page.raw(human_duration(result.duration));
    if (result.attempts.size() > 1)
      page.format(" <small>{} attempts</small>", result.attempts.size());
  }
  page.format("<td class=\"m\"><details{}><summary>",
              result.outcome == Outcome::passed ? "" : " open");
  write_message(page, entry, anchors);
  page.raw("</summary>");
  write_expansion(page, entry, anchors);
  page.raw("</details>\n");
}

// A section per phase, in run order (phases RunInfo does not list after, as first seen);
// within one, failed and error checks first, passed last, each group in report order. Numbers
// the checks in page order in `anchors`.
std::vector<PhaseGroup> group_by_phase(const RunInfo& info, const std::vector<HtmlEntry*>& ordered,
                                       Anchors& anchors) {
  std::vector<PhaseGroup> groups;
  for (const std::string& phase : info.phases) {
    groups.push_back({phase, {}, {}});
  }
  for (const HtmlEntry* entry : ordered) {
    auto group = std::find_if(groups.begin(), groups.end(),
                              [entry](const PhaseGroup& g) { return g.phase == entry->phase; });
    if (group == groups.end()) group = groups.insert(groups.end(), {entry->phase, {}, {}});
    group->entries.push_back(entry);
    group->counts.add(entry->result);
  }
  std::erase_if(groups, [](const PhaseGroup& group) { return group.entries.empty(); });
  std::size_t number = 0;
  for (PhaseGroup& group : groups) {
    std::stable_sort(group.entries.begin(), group.entries.end(),
                     [](const HtmlEntry* a, const HtmlEntry* b) {
                       return outcome_rank(a->result.outcome) < outcome_rank(b->result.outcome);
                     });
    for (const HtmlEntry* entry : group.entries) {
      anchors.add(*entry, ++number);
    }
  }
  return groups;
}

// Under the verdict: every check that did not pass, failed and error first, then skipped, each
// in page order, one line each with its status, name (a link to its row), phase and message.
// At most kAttentionLines: past that, the outcome filters show them all.
constexpr std::size_t kAttentionLines = 100;

void write_attention(Page& page, const std::vector<PhaseGroup>& groups, const Anchors& anchors) {
  std::vector<const HtmlEntry*> listed;
  std::size_t shown = 0;
  for (const int rank : {0, 1}) {
    for (const PhaseGroup& group : groups) {
      for (const HtmlEntry* entry : group.entries) {
        if (outcome_rank(entry->result.outcome) == rank) listed.push_back(entry);
      }
    }
  }
  for (const PhaseGroup& group : groups) {
    shown += group.entries.size();
  }
  if (listed.empty()) return;
  page.format(
      "<section id=\"attention\"><h2>What needs attention <small>{} of {} checks did not "
      "pass</small></h2><table><tbody>\n",
      listed.size(), shown);
  for (std::size_t i = 0; i < listed.size() && i < kAttentionLines; ++i) {
    const HtmlEntry& entry = *listed[i];
    page.format("<tr class=\"{}\"><td class=\"s\">{}<td class=\"n\"><a href=\"#c{}\">",
                to_string(entry.result.outcome), outcome_label(entry.result.outcome),
                anchors.find(entry.suite, entry.name));
    page.text(entry.name);
    page.raw("</a><td class=\"p\">");
    page.text(entry.phase);
    page.raw("<td class=\"m\">");
    write_message(page, entry, anchors);
  }
  page.raw("</tbody></table>");
  if (listed.size() > kAttentionLines) {
    page.format("<p class=\"more\">and {} more: the outcome filters below show every one.</p>",
                listed.size() - kAttentionLines);
  }
  page.raw("</section>\n");
}

// From the doctype to the opening <body>: the title says the verdict, as a browser tab shows.
void write_head(Page& page, const RunInfo& info, const RunSummary& summary) {
  const bool passed = summary.all_passed() && !summary.interrupted;
  page.format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>",
      kHtmlPolicy);
  page.raw(is_gate(info) ? (passed ? "READY" : "NOT READY") : (passed ? "PASSED" : "FAILED"));
  page.raw(" · cutover · ");
  for (std::size_t i = 0; i < info.suites.size(); ++i) {
    if (i > 0) page.raw(", ");
    page.text(info.suites[i].name);
  }
  page.raw("</title><style>");
  page.raw(kHtmlStyle);
  page.raw("</style></head><body>\n");
}

// A phase's section: its heading with counts, and the table of its checks. `number` is the
// last check number used before it.
void write_phase(Page& page, const PhaseGroup& group, std::size_t& number, const Anchors& anchors,
                 const RunInfo& info, Duration span) {
  page.raw("<section class=\"phase\" id=\"phase-");
  page.text(group.phase);
  page.raw("\" data-p=\"");
  page.text(group.phase);
  page.raw("\"><h2>Phase ");
  page.text(group.phase);
  page.format(" <small><span class=\"shown\">{0}</span> of {0} shown · ", group.entries.size());
  write_counts_text(page, group.counts);
  page.raw(
      "</small></h2><table class=\"checks\"><thead><tr><th>Status</th><th>Check</th>"
      "<th>Kind</th><th class=\"d\" title=\"Sort by duration\">Duration</th><th>Message</th>"
      "</tr></thead><tbody>\n");
  for (const HtmlEntry* entry : group.entries) {
    write_row(page, *entry, ++number, anchors, info, span);
  }
  page.raw("</tbody></table></section>\n");
}

}  // namespace

HtmlReporter::HtmlReporter(std::filesystem::path path) : CollectingReporter(std::move(path)) {}

HtmlReporter::~HtmlReporter() = default;

HtmlEntry HtmlReporter::make_entry(const PlannedCheck& check, const Result& result,
                                   std::size_t order) {
  return {check.suite,
          check.phase,
          order,
          check.name,
          check.kind,
          check.description,
          check.location.file.empty() ? std::string() : to_string(check.location),
          check.tags,
          check.needs,
          result};
}

void HtmlReporter::write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
                         const std::vector<HtmlEntry*>& ordered) {
  Anchors anchors;
  const std::vector<PhaseGroup> groups = group_by_phase(info, ordered, anchors);

  Page page;
  page.out.reserve(ordered.size() * 700 + 32'768);
  write_head(page, info, summary);
  write_header(page, info, summary, groups);
  write_attention(page, groups, anchors);
  write_environment(page, info, summary);
  write_controls(page, ordered, groups);
  page.raw("<main>\n");
  const Duration span = run_span(info, summary, ordered);
  std::size_t number = 0;
  for (const PhaseGroup& group : groups) {
    write_phase(page, group, number, anchors, info, span);
  }
  if (groups.empty()) page.raw("<p>No checks ran.</p>");
  page.raw("</main><script>");
  page.raw(kHtmlScript);
  page.raw("</script></body></html>\n");
  out << page.out;
}

}  // namespace cutover
