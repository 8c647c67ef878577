#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {
namespace detail {
struct MarkdownEntry;
}  // namespace detail

// GitHub's limit for one step summary; the report stays below it.
inline constexpr std::size_t kMarkdownLimit = std::size_t{1} << 20;

// A Markdown summary for CI pages (GitHub's step summary, merge request comments): the verdict,
// the counts, and a table of the failed and error checks with their details collapsed. Written
// at run_finished, either replacing the file (atomically) or appended to it (for
// $GITHUB_STEP_SUMMARY, which several steps share).
class MarkdownReporter : public Reporter {
 public:
  enum class Mode { replace, append };

  explicit MarkdownReporter(std::filesystem::path path, Mode mode = Mode::replace);
  ~MarkdownReporter() override;

  void check_started(const PlannedCheck& check) override;
  void check_finished(const PlannedCheck& check, const Result& result) override;
  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::filesystem::path path_;
  Mode mode_;
  ReportOrder order_;
  std::vector<detail::MarkdownEntry> entries_;  // failed and error checks only
};

}  // namespace cutover
