#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "harness/expected.hpp"
#include "harness/plan.hpp"
#include "harness/reporter.hpp"
#include "harness/result.hpp"

namespace cutover {

// One check as a results file records it: the plan's side without its Check object (and
// without timeout, retry policy and needs, which the file does not keep), and its result. A value:
// copying copies everything but the Check object, which is always null here.
struct RecordedCheck {
  PlannedCheck check;
  Result result;

  RecordedCheck() = default;
  RecordedCheck(const RecordedCheck& other);
  RecordedCheck& operator=(const RecordedCheck& other);
  RecordedCheck(RecordedCheck&&) = default;
  RecordedCheck& operator=(RecordedCheck&&) = default;
  ~RecordedCheck();
};

// A run read back from a cutover-results file (version 1), as the JsonReporter wrote it.
struct ResultsFile {
  RunInfo info;
  std::vector<RecordedCheck> checks;  // in the file's order
  RunSummary summary;
};

// Reads a cutover-results file; the error names the file and says what was wrong with it
// (not JSON, another format or version, a missing or mistyped member).
Expected<ResultsFile> read_results_file(const std::filesystem::path& path);

// The same for a document already in memory; `source` names it in errors.
Expected<ResultsFile> parse_results(std::string_view text, std::string_view source);

}  // namespace cutover
