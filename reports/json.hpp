#pragma once

#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/reporter.hpp"
#include "reports/collecting.hpp"

namespace cutover {
namespace detail {
class UtcText;
class JsonTexts;

struct JsonEntry {
  std::string suite;
  std::string phase;
  std::size_t order = 0;  // when the check was first seen: started, or finished unstarted
  std::string_view text;  // the check's object, pretty-printed at its place in "checks"
};
}  // namespace detail

// Writes the whole run as one JSON document at run_finished: format "cutover-results",
// version 1, documented in the README. The version changes when a field changes meaning or
// goes away; new fields may appear without a change.
class JsonReporter : public CollectingReporter<detail::JsonEntry> {
 public:
  explicit JsonReporter(std::filesystem::path path);
  ~JsonReporter() override;

 protected:
  detail::JsonEntry make_entry(const PlannedCheck& check, const Result& result,
                               std::size_t order) override;
  void write(std::ostream& out, const RunInfo& info, const RunSummary& summary,
             const std::vector<detail::JsonEntry*>& ordered) override;

 private:
  std::string scratch_;  // the check being written, reused
  std::unique_ptr<detail::UtcText> utc_;
  std::unique_ptr<detail::JsonTexts> texts_;
};

}  // namespace cutover
