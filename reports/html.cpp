#include "reports/html.hpp"

#include <utility>

namespace cutover {

HtmlReporter::HtmlReporter(std::filesystem::path path) : path_(std::move(path)) {}

HtmlReporter::~HtmlReporter() = default;

void HtmlReporter::run_finished(const RunInfo&, const RunSummary&) {}

}  // namespace cutover
