#pragma once

#include <filesystem>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {
namespace detail {
struct HtmlEntry;
}  // namespace detail

// One self-contained HTML page for people deciding on a cutover, written at run_finished. Every
// result is rendered as plain HTML (tables, <details>), so the page is complete where scripts and
// styles are blocked; the inline script only adds filtering, search, sorting and a URL-fragment
// state. A content security policy in the page keeps it from loading anything.
class HtmlReporter : public Reporter {
 public:
  explicit HtmlReporter(std::filesystem::path path);
  ~HtmlReporter() override;

  void run_started(const RunInfo& info) override;
  void check_started(const PlannedCheck& check) override;
  void check_finished(const PlannedCheck& check, const Result& result) override;
  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::filesystem::path path_;
  ReportOrder order_;
  std::vector<detail::HtmlEntry> entries_;
};

}  // namespace cutover
