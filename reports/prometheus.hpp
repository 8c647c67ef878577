#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {
namespace detail {
struct PrometheusEntry;
}  // namespace detail

// Prometheus text exposition format (version 0.0.4) for node_exporter's textfile collector,
// written atomically at run_finished so the collector never reads half a file. Per check: its
// outcome and duration and every measured value; per run: counts, duration and the time of the
// last run in which every check passed. A failed run carries that time over from the file it
// replaces, so a dashboard can show "last good" across failures. Metric names are in the README.
class PrometheusReporter : public Reporter {
 public:
  explicit PrometheusReporter(std::filesystem::path path);
  ~PrometheusReporter() override;

  void check_started(const PlannedCheck& check) override;
  void check_finished(const PlannedCheck& check, const Result& result) override;
  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::filesystem::path path_;
  ReportOrder order_;
  std::vector<detail::PrometheusEntry> entries_;
};

}  // namespace cutover
