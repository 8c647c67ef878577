#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "harness/reporter.hpp"
#include "harness/result.hpp"
#include "reports/collecting.hpp"

namespace cutover {
namespace detail {

struct PrometheusEntry {
  std::string suite;
  std::string phase;
  std::size_t order = 0;
  std::string labels;  // suite, phase, check and kind, escaped: `suite="db",phase="pre",...`
  Result result;
};

}  // namespace detail

// Prometheus text exposition format (version 0.0.4) for node_exporter's textfile collector,
// written atomically at run_finished so the collector never reads half a file. Per check: its
// outcome and duration and every measured value; per run: counts, duration and the time of the
// last run in which every check passed. A failed run carries that time over from the file it
// replaces, so a dashboard can show "last good" across failures. Metric names are in the README.
class PrometheusReporter : public CollectingReporter<detail::PrometheusEntry> {
 public:
  explicit PrometheusReporter(std::filesystem::path path);
  ~PrometheusReporter() override;

 protected:
  detail::PrometheusEntry make_entry(const PlannedCheck& check, const Result& result,
                                     std::size_t order) override;
  void write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
             const std::vector<detail::PrometheusEntry*>& ordered) override;
};

}  // namespace cutover
