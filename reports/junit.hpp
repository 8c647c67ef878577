#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "harness/reporter.hpp"
#include "harness/result.hpp"
#include "reports/collecting.hpp"

namespace cutover {
namespace detail {

struct JunitEntry {
  std::string suite;
  std::string phase;
  std::string name;
  std::string kind;
  std::size_t order = 0;  // when the check was first seen: started, or finished unstarted
  Result result;
};

}  // namespace detail

// Writes a JUnit XML report at run_finished: one <testsuite> per (suite, phase), one <testcase>
// per check, retries as flaky/rerun elements. Valid against the Jenkins xUnit schema, and shaped
// for GitLab and GitHub, which read flat reports best.
class JunitReporter : public CollectingReporter<detail::JunitEntry> {
 public:
  explicit JunitReporter(std::filesystem::path path);
  ~JunitReporter() override;

 protected:
  detail::JunitEntry make_entry(const PlannedCheck& check, const Result& result,
                                std::size_t order) override;
  void write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
             const std::vector<detail::JunitEntry*>& ordered) override;
};

}  // namespace cutover
