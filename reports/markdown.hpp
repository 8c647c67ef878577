#pragma once

#include <filesystem>

#include "harness/reporter.hpp"

namespace cutover {

// A Markdown summary. (Being written.)
class MarkdownReporter : public Reporter {
 public:
  explicit MarkdownReporter(std::filesystem::path path);
  ~MarkdownReporter() override;

  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::filesystem::path path_;
};

}  // namespace cutover
