#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/reporter.hpp"

namespace cutover {
namespace detail {
struct JsonEntry;
class UtcText;
class JsonTexts;
}  // namespace detail

// Writes the whole run as one JSON document at run_finished: format "cutover-results",
// version 1, documented in the README. The version changes when a field changes meaning or
// goes away; new fields may appear without a change.
class JsonReporter : public Reporter {
 public:
  explicit JsonReporter(std::filesystem::path path);
  ~JsonReporter() override;

  void run_started(const RunInfo& info) override;
  void check_started(const PlannedCheck& check) override;
  void check_finished(const PlannedCheck& check, const Result& result) override;
  void run_finished(const RunInfo& info, const RunSummary& summary) override;

 private:
  std::filesystem::path path_;
  ReportOrder order_;
  std::vector<detail::JsonEntry> entries_;
  std::string scratch_;  // the check being written, reused
  std::unique_ptr<detail::UtcText> utc_;
  std::unique_ptr<detail::JsonTexts> texts_;
};

}  // namespace cutover
