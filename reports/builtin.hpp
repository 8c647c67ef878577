#pragma once

#include <memory>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {

// The file reports the CLI offers as `--NAME FILE`: "junit", "json", "html", "markdown" and
// "prometheus".
std::vector<ReportFormat> builtin_report_formats();

// The reports the environment asks for: the Markdown summary appended to $GITHUB_STEP_SUMMARY
// when that variable is set (GitHub Actions shows the file on the run's page).
std::vector<std::unique_ptr<Reporter>> automatic_reports();

// The console reporter, configured by the CLI from its flags, NO_COLOR and isatty.
std::unique_ptr<Reporter> make_console_reporter(const ConsoleSettings& settings);

}  // namespace cutover
