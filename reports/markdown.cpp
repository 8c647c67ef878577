#include "reports/markdown.hpp"

#include <utility>

namespace cutover {

MarkdownReporter::MarkdownReporter(std::filesystem::path path) : path_(std::move(path)) {}

MarkdownReporter::~MarkdownReporter() = default;

void MarkdownReporter::run_finished(const RunInfo&, const RunSummary&) {}

}  // namespace cutover
