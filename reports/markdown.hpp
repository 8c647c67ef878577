#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "harness/reporter.hpp"
#include "harness/result.hpp"
#include "reports/collecting.hpp"

namespace cutover {
namespace detail {

struct MarkdownEntry {
  std::string suite;
  std::string phase;
  std::size_t order = 0;
  std::string name;
  std::string kind;
  Outcome outcome = Outcome::failed;
  std::string message;
  std::string details;
};

}  // namespace detail

// GitHub's limit for one step summary; the report stays below it.
inline constexpr std::size_t kMarkdownLimit = std::size_t{1} << 20;

// A Markdown summary for CI pages (GitHub's step summary, merge request comments): the verdict,
// the counts, and a table of the failed, error and skipped checks with their details collapsed.
// Written at run_finished, either replacing the file (atomically) or appended to it (for
// $GITHUB_STEP_SUMMARY, which several steps share).
class MarkdownReporter : public CollectingReporter<detail::MarkdownEntry> {
 public:
  enum class Mode { replace, append };

  explicit MarkdownReporter(std::filesystem::path path, Mode mode = Mode::replace);
  ~MarkdownReporter() override;

 protected:
  // Only failed, error and skipped checks are listed.
  bool keeps(const Result& result) const override;
  detail::MarkdownEntry make_entry(const PlannedCheck& check, const Result& result,
                                   std::size_t order) override;
  void write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
             const std::vector<detail::MarkdownEntry*>& failing) override;
  void save(const std::function<void(std::ostream&)>& write_report) override;

 private:
  Mode mode_;
};

}  // namespace cutover
