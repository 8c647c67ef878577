#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "checks/database/differences.hpp"
#include "checks/database/segments.hpp"
#include "harness/duration.hpp"
#include "harness/result.hpp"

// The compare of tables between a source and a target, whatever their engines: which segments
// differ, and the check's result from what was counted.
namespace cutover::database {

// What the compare knows of one table; an engine adds its own plan beside it.
struct TableCompare {
  std::string name{};                   // schema.name
  std::array<bool, 2> exists{};         // on source, on target
  std::vector<std::string> problems{};  // missing table or columns, no key on the target
  bool planned = false;                 // compared (both sides exist, columns are left)
  Bucketing bucketing = Bucketing::hashed;
  std::array<Segments, 2> segments{};
  std::set<std::int64_t> restrict_to{};  // a recheck's segments; empty: all
  std::array<std::int64_t, 2> rows{};
  std::vector<std::int64_t> differing{};  // top-level segments that differed
  Differences differences{};
};

// Takes a scan's segments of each side into `table` (a recheck replaces only the segments it
// read again), counts each side's rows and lists the segments that differ.
void compare_segments(TableCompare& table, std::array<Segments, 2> scanned);

// Before a recheck: the differing segments of a differing table are read again, equal tables
// not at all; the counts start over.
void prepare_recheck(TableCompare& table);

struct CompareSettings {
  std::int64_t max_diffs = 100;         // examples listed
  std::optional<Duration> rechecked{};  // the wait before the differing segments were read again
};

// The check's result: passed when every table is identical, else failed naming the first
// differences; details hold a table per table and the examples, measurements the counts.
CheckResult summarise(std::vector<TableCompare>& tables, const std::vector<std::string>& unmatched,
                      const CompareSettings& settings);

}  // namespace cutover::database
