#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checks/database/compare.hpp"

// Localisation by key, whatever the engine: the queries that narrow differing segments down to
// the rows that differ. An integer key's segments are split 16 ways until they are small, then
// their rows are fetched; other keys fetch their differing segments' rows at once; keyless tables
// count row hashes.
namespace cutover::database {

// A unit of localisation: both sides run the same kind of query on one part of a table.
struct Work {
  enum class Type {
    refine,      // sub-segment fingerprints of the key range [first, last]
    rows,        // keys, row hashes and column hashes of the rows
    hash_counts  // keyless: each row hash and its count, in `buckets`
  } type = Type::rows;
  std::size_t table = 0;
  std::int64_t first = 0;  // refine, and rows of an integer key: the key range
  std::int64_t last = 0;
  std::vector<std::int64_t> buckets{};  // rows of other keys, hash_counts
  // Rows on one side only: the counts are already known, the query fetches examples.
  std::optional<DiffKind> one_sided{};
  std::int64_t limit = 0;  // rows fetched at most; 0: all
};

// What one side's query for a Work found.
struct Fetched {
  Segments segments{};                                              // refine: by sub-segment
  std::vector<RowHashes> rows{};                                    // rows
  std::vector<std::pair<std::string, std::int64_t>> hash_counts{};  // hash_counts
};

// The key range of a sub-segment of a refine: [first, last] cut in kRefineParts parts this wide.
std::int64_t refine_width(const Work& work);

// Whether a side runs a query for `work` (a one-sided part has rows on one side only).
bool side_queried(const Work& work, std::size_t side);

// The work still to do, in order, over the tables of one compare.
class Localisation {
 public:
  explicit Localisation(std::int64_t max_diffs) : max_diffs_(max_diffs) {}

  // Queues the differing segments of `tables[t]`; `integer_range` gives a top-level integer
  // segment's key range.
  void queue_table(
      std::vector<TableCompare>& tables, std::size_t t,
      const std::function<std::pair<std::int64_t, std::int64_t>(std::int64_t)>& integer_range);

  // Counts what both sides' queries for `work` found, and queues what is left to narrow down.
  // `columns` names the compared columns of the work's table, in the order of their hashes.
  void settle(std::vector<TableCompare>& tables, const Work& work, std::array<Fetched, 2> found,
              const std::vector<std::string>& columns);

  bool empty() const { return work_.empty(); }
  Work next();

  // Before a recheck: no work is queued, no examples are promised.
  void clear() {
    work_.clear();
    queued_examples_.clear();
  }

 private:
  void queue_range(std::vector<TableCompare>& tables, std::size_t t, std::int64_t first,
                   std::int64_t last, std::int64_t source, std::int64_t target);
  void settle_refine(std::vector<TableCompare>& tables, const Work& work,
                     const std::array<Segments, 2>& parts);
  void queue_one_sided(std::vector<TableCompare>& tables, std::size_t t, DiffKind kind,
                       std::int64_t rows, Work where);

  std::int64_t max_diffs_;
  std::deque<Work> work_;
  std::map<std::size_t, std::int64_t> queued_examples_;  // by table
};

}  // namespace cutover::database
