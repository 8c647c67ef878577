#pragma once

#include <memory>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {

// The file reports the CLI offers as `--NAME FILE`: "junit" and "json".
std::vector<ReportFormat> builtin_report_formats();

// The console reporter, configured by the CLI from its flags, NO_COLOR and isatty.
std::unique_ptr<Reporter> make_console_reporter(const ConsoleSettings& settings);

}  // namespace cutover
