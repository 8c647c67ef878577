#include "reports/summary_line.hpp"

#include <fmt/format.h>

namespace cutover {

std::string summary_line(const RunSummary& summary) {
  std::string line = fmt::format("{} check{}: {} passed, {} failed, {} error, {} skipped",
                                 summary.total(), summary.total() == 1 ? "" : "s",
                                 summary.count(Outcome::passed), summary.count(Outcome::failed),
                                 summary.count(Outcome::error), summary.count(Outcome::skipped));
  if (summary.flaky > 0) line += fmt::format("; {} flaky (passed after retries)", summary.flaky);
  return line;
}

}  // namespace cutover
