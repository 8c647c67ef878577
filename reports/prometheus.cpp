#include "reports/prometheus.hpp"

#include <utility>

namespace cutover {

PrometheusReporter::PrometheusReporter(std::filesystem::path path) : path_(std::move(path)) {}

PrometheusReporter::~PrometheusReporter() = default;

void PrometheusReporter::run_finished(const RunInfo&, const RunSummary&) {}

}  // namespace cutover
