#include "reports/builtin.hpp"

#include "reports/console.hpp"
#include "reports/html.hpp"
#include "reports/json.hpp"
#include "reports/junit.hpp"

namespace cutover {

std::vector<ReportFormat> builtin_report_formats() {
  return {
      {"junit", "write JUnit XML for CI test views (Jenkins, GitLab, GitHub) to FILE",
       [](const std::filesystem::path& path) { return std::make_unique<JunitReporter>(path); }},
      {"json", "write every result as JSON (format cutover-results, version 1) to FILE",
       [](const std::filesystem::path& path) { return std::make_unique<JsonReporter>(path); }},
      {"html", "write a self-contained HTML report for people to FILE",
       [](const std::filesystem::path& path) { return std::make_unique<HtmlReporter>(path); }},
  };
}

std::unique_ptr<Reporter> make_console_reporter(const ConsoleSettings& settings) {
  return std::make_unique<ConsoleReporter>(settings);
}

}  // namespace cutover
