#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {
namespace detail {
struct JunitEntry;
}  // namespace detail

// Writes a JUnit XML report at run_finished: one <testsuite> per (suite, phase), one <testcase>
// per check, retries as flaky/rerun elements. Valid against the Jenkins xUnit schema, and shaped
// for GitLab and GitHub, which read flat reports best.
class JunitReporter : public Reporter {
 public:
  explicit JunitReporter(std::filesystem::path path);
  ~JunitReporter() override;

  void check_started(const PlannedCheck& check) override;
  void check_finished(const PlannedCheck& check, const Result& result) override;
  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::filesystem::path path_;
  ReportOrder order_;
  std::vector<detail::JunitEntry> entries_;
};

}  // namespace cutover
