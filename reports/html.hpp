#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "harness/reporter.hpp"
#include "harness/result.hpp"
#include "reports/collecting.hpp"

namespace cutover {
namespace detail {

// What the page shows of one check; copied at check_finished, as the plan may be gone by
// run_finished.
struct HtmlEntry {
  std::string suite;
  std::string phase;
  std::size_t order = 0;
  std::string name;
  std::string kind;
  std::string description;
  std::string location;
  std::vector<std::string> tags;
  std::vector<std::string> needs;
  Result result;
};

}  // namespace detail

// One self-contained HTML page for people deciding on a cutover, written at run_finished. Every
// result is rendered as plain HTML (tables, <details>), so the page is complete where scripts and
// styles are blocked; the inline script only adds filtering, search, sorting and a URL-fragment
// state. A content security policy in the page keeps it from loading anything.
class HtmlReporter : public CollectingReporter<detail::HtmlEntry> {
 public:
  explicit HtmlReporter(std::filesystem::path path);
  ~HtmlReporter() override;

 protected:
  detail::HtmlEntry make_entry(const PlannedCheck& check, const Result& result,
                               std::size_t order) override;
  void write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
             const std::vector<detail::HtmlEntry*>& ordered) override;
};

}  // namespace cutover
