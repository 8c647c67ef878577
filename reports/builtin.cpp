#include "reports/builtin.hpp"

#include <cstdlib>

#include "reports/console.hpp"
#include "reports/html.hpp"
#include "reports/json.hpp"
#include "reports/junit.hpp"
#include "reports/markdown.hpp"
#include "reports/prometheus.hpp"

namespace cutover {

std::vector<ReportFormat> builtin_report_formats() {
  return {
      {"junit", "write JUnit XML for CI test views (Jenkins, GitLab, GitHub) to FILE",
       [](const std::filesystem::path& path) { return std::make_unique<JunitReporter>(path); }},
      {"json", "write every result as JSON (format cutover-results, version 1) to FILE",
       [](const std::filesystem::path& path) { return std::make_unique<JsonReporter>(path); }},
      {"html", "write a self-contained HTML report for people to FILE",
       [](const std::filesystem::path& path) { return std::make_unique<HtmlReporter>(path); }},
      {"markdown", "write a Markdown summary (verdict, counts, failing checks) to FILE",
       [](const std::filesystem::path& path) { return std::make_unique<MarkdownReporter>(path); }},
      {"prometheus",
       "write Prometheus metrics to FILE, atomically (for node_exporter's textfile collector)",
       [](const std::filesystem::path& path) {
         return std::make_unique<PrometheusReporter>(path);
       }},
  };
}

std::vector<std::unique_ptr<Reporter>> automatic_reports() {
  std::vector<std::unique_ptr<Reporter>> reports;
  const char* step_summary = std::getenv("GITHUB_STEP_SUMMARY");
  if (step_summary != nullptr && *step_summary != '\0') {
    reports.push_back(
        std::make_unique<MarkdownReporter>(step_summary, MarkdownReporter::Mode::append));
  }
  return reports;
}

std::unique_ptr<Reporter> make_console_reporter(const ConsoleSettings& settings) {
  return std::make_unique<ConsoleReporter>(settings);
}

}  // namespace cutover
