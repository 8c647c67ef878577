#pragma once

#include <filesystem>

#include "harness/reporter.hpp"

namespace cutover {

// A self-contained HTML report. (Being written.)
class HtmlReporter : public Reporter {
 public:
  explicit HtmlReporter(std::filesystem::path path);
  ~HtmlReporter() override;

  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::filesystem::path path_;
};

}  // namespace cutover
