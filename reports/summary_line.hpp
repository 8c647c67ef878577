#pragma once

#include <string>

#include "harness/reporter.hpp"

namespace cutover {

// The counts as `cutover run` ends with them, and `cutover merge` and `report` too:
// "4 checks: 2 passed, 1 failed, 0 error, 1 skipped; 1 flaky (passed after retries)".
std::string summary_line(const RunSummary& summary);

}  // namespace cutover
