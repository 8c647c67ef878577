#pragma once

#include <filesystem>

#include "harness/reporter.hpp"

namespace cutover {

// Prometheus text format. (Being written.)
class PrometheusReporter : public Reporter {
 public:
  explicit PrometheusReporter(std::filesystem::path path);
  ~PrometheusReporter() override;

  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::filesystem::path path_;
};

}  // namespace cutover
