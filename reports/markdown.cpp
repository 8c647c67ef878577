#include "reports/markdown.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "harness/text.hpp"
#include "reports/html_escape.hpp"

namespace cutover {
namespace {

using detail::MarkdownEntry;

// A message longer than this is cut in the table: a table row is for scanning.
constexpr std::size_t kMessageLimit = 1000;
// Details beyond this keep their head and tail; the JSON and HTML reports have them whole.
constexpr std::size_t kDetailsLimit = 8 * 1024;
// Room kept for the line that says how many checks were left out.
constexpr std::size_t kNoteReserve = 256;

// Text for one table cell, shown literally: a pipe would end the cell and a line break the row;
// Markdown emphasis, code and links would change the text, and raw HTML would be rendered.
std::string cell(std::string_view raw) {
  const std::string text = clean_text(raw);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '|':
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
        out += '\\';
        out += c;
        break;
      case '&':
      case '<':
      case '>':
        append_html_escaped(out, std::string_view(&c, 1), HtmlEscape::element_text);
        break;
      case '\n':
        out += "<br>";
        break;
      case '\r':
        break;
      case '\t':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view verdict(const RunSummary& summary) {
  if (summary.interrupted) return "⚠️ INTERRUPTED";
  return summary.all_passed() ? "✅ PASSED" : "❌ FAILED";
}

std::string header(const RunInfo& info, const RunSummary& summary) {
  std::string suites;
  for (const SuiteInfo& suite : info.suites) {
    suites += (suites.empty() ? "" : ", ") + cell(suite.name);
  }
  const auto started = std::chrono::floor<std::chrono::seconds>(info.started);
  std::string out = fmt::format(
      "## Cutover: {}\n\n"
      "| checks | passed | failed | error | skipped | flaky | duration |\n"
      "|---:|---:|---:|---:|---:|---:|---:|\n"
      "| {} | {} | {} | {} | {} | {} | {} s |\n\n"
      "Suites: {} · started {:%Y-%m-%d %H:%M:%S} UTC on {} · cutover {}",
      verdict(summary), summary.total(), summary.count(Outcome::passed),
      summary.count(Outcome::failed), summary.count(Outcome::error),
      summary.count(Outcome::skipped), summary.flaky, format_seconds(summary.duration), suites,
      fmt::gmtime(std::chrono::system_clock::to_time_t(started)), cell(info.hostname),
      cell(info.tool_version));
  if (info.shard_count > 1) {
    out += fmt::format(" · shard {} of {}", info.shard_index + 1, info.shard_count);
  }
  out += "\n";
  return out;
}

std::string row(const MarkdownEntry& entry) {
  return fmt::format("| {} | {} | {} | {} | {} | {} |\n", to_string(entry.outcome),
                     cell(entry.suite), cell(entry.phase), cell(entry.name), cell(entry.kind),
                     cell(shorten(entry.message, kMessageLimit)));
}

// Collapsed; <pre> starts an HTML block that only its closing tag ends, so blank lines in the
// details do not fall back into Markdown.
std::string details_block(const MarkdownEntry& entry) {
  if (entry.details.empty()) return "";
  std::string out = "<details><summary>";
  // One line: a blank line would end the HTML block and let the rest render as Markdown.
  append_html_escaped(out, one_line(entry.suite + " / " + entry.phase + " / " + entry.name),
                      HtmlEscape::element_text);
  out += "</summary>\n\n<pre>\n";
  append_html_escaped(out, truncate_middle(clean_text(entry.details), kDetailsLimit),
                      HtmlEscape::element_text);
  out += "</pre>\n\n</details>\n";
  return out;
}

// `used`: bytes the file already holds (other steps' summaries): GitHub's limit is per file.
std::string render(const RunInfo& info, const RunSummary& summary,
                   const std::vector<MarkdownEntry*>& failing, std::size_t used) {
  std::string out = header(info, summary);
  if (failing.empty()) return out;

  std::string table =
      "\n### Failed, error and skipped checks\n\n"
      "| outcome | suite | phase | check | kind | message |\n"
      "|---|---|---|---|---|---|\n";
  std::string details;
  std::size_t shown = 0;
  for (const MarkdownEntry* entry : failing) {
    std::string entry_row = row(*entry);
    std::string entry_details = details_block(*entry);
    if (used + out.size() + table.size() + details.size() + entry_row.size() +
            entry_details.size() + kNoteReserve >
        kMarkdownLimit) {
      break;
    }
    table += entry_row;
    details += entry_details;
    ++shown;
  }
  out += table;
  if (shown < failing.size()) {
    const std::size_t left_out = failing.size() - shown;
    out += fmt::format(
        "\n_{} more failed, error or skipped check{} left out: the summary stays under 1 MiB. The "
        "JSON, JUnit and HTML reports list every check._\n",
        left_out, left_out == 1 ? "" : "s");
  }
  if (!details.empty()) out += "\n" + details;
  return out;
}

}  // namespace

MarkdownReporter::MarkdownReporter(std::filesystem::path path, Mode mode)
    : CollectingReporter(std::move(path)), mode_(mode) {}

MarkdownReporter::~MarkdownReporter() = default;

// A skipped check fails the run as a failed one does, so it is listed too.
bool MarkdownReporter::keeps(const Result& result) const {
  return result.outcome != Outcome::passed;
}

MarkdownEntry MarkdownReporter::make_entry(const PlannedCheck& check, const Result& result,
                                           std::size_t order) {
  return {check.suite, check.phase,    order,          check.name,
          check.kind,  result.outcome, result.message, result.details};
}

void MarkdownReporter::write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
                             const std::vector<MarkdownEntry*>& failing) {
  std::size_t used = 0;
  if (mode_ == Mode::append) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path(), error);
    if (!error) used = static_cast<std::size_t>(size) + 1;
  }
  out << render(info, summary, failing, used);
}

void MarkdownReporter::save(const std::function<void(std::ostream&)>& write_report) {
  if (mode_ == Mode::replace) {
    CollectingReporter::save(write_report);
    return;
  }
  // Rendered first: the size of what the file holds limits what the summary shows.
  std::ostringstream text;
  write_report(text);
  // Other steps' summaries come before ours: a blank line keeps the blocks apart.
  std::ofstream out(path(), std::ios::binary | std::ios::app);
  out << "\n" << text.view();
  out.flush();
  if (!out) throw std::runtime_error("cannot append the Markdown summary to " + path().string());
}

}  // namespace cutover
