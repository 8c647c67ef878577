#include "checks/database/localise.hpp"

#include <algorithm>

namespace cutover::database {

namespace {

// A differing integer segment is split into this many parts per step...
constexpr std::int64_t kRefineParts = 16;
// ...until it has at most this many rows on each side; then its rows' hashes are fetched.
constexpr std::int64_t kLeafRows = 1000;
// Differing segments of other keys fetched per query.
constexpr std::size_t kSegmentsPerFetch = 8;

}  // namespace

std::int64_t refine_width(const Work& work) {
  const Int128 span = static_cast<Int128>(work.last) - work.first + 1;
  return static_cast<std::int64_t>((span + kRefineParts - 1) / kRefineParts);
}

bool side_queried(const Work& work, std::size_t side) {
  if (work.type != Work::Type::rows || !work.one_sided) return true;
  return (side == 0) == (*work.one_sided == DiffKind::missing);
}

void Localisation::queue_table(
    std::vector<TableCompare>& tables, std::size_t t,
    const std::function<std::pair<std::int64_t, std::int64_t>(std::int64_t)>& integer_range) {
  const TableCompare& table = tables[t];
  if (table.bucketing == Bucketing::integer) {
    for (std::int64_t bucket : table.differing) {
      const auto [first, last] = integer_range(bucket);
      queue_range(tables, t, first, last, rows_in(table.segments[0], bucket),
                  rows_in(table.segments[1], bucket));
    }
    return;
  }
  const Work::Type type =
      table.bucketing == Bucketing::hashed ? Work::Type::hash_counts : Work::Type::rows;
  std::vector<std::int64_t> batch;
  for (std::int64_t bucket : table.differing) {
    const std::int64_t source = rows_in(table.segments[0], bucket);
    const std::int64_t target = rows_in(table.segments[1], bucket);
    if (table.bucketing == Bucketing::ordered && (source == 0 || target == 0)) {
      queue_one_sided(tables, t, source == 0 ? DiffKind::extra : DiffKind::missing,
                      std::max(source, target), {.buckets = {bucket}});
      continue;
    }
    batch.push_back(bucket);
    if (batch.size() == kSegmentsPerFetch) {
      work_.push_back({.type = type, .table = t, .buckets = std::exchange(batch, {})});
    }
  }
  if (!batch.empty()) work_.push_back({.type = type, .table = t, .buckets = std::move(batch)});
}

void Localisation::settle_refine(std::vector<TableCompare>& tables, const Work& work,
                                 const std::array<Segments, 2>& parts) {
  const std::int64_t width = refine_width(work);
  bool any = false;
  for (std::int64_t index : segment_numbers(parts)) {
    std::array<Aggregate, 2> aggregates;
    for (std::size_t side = 0; side < 2; ++side) {
      auto it = parts[side].find(index);
      if (it != parts[side].end()) aggregates[side] = it->second;
    }
    if (aggregates[0] == aggregates[1]) continue;
    any = true;
    const Int128 first = static_cast<Int128>(work.first) + static_cast<Int128>(index) * width;
    const Int128 last = std::min<Int128>(first + width - 1, work.last);
    queue_range(tables, work.table, static_cast<std::int64_t>(first),
                static_cast<std::int64_t>(last), aggregates[0].count, aggregates[1].count);
  }
  if (!any) tables[work.table].differences.unexplained = true;
}

void Localisation::settle(std::vector<TableCompare>& tables, const Work& work,
                          std::array<Fetched, 2> found, const std::vector<std::string>& columns) {
  Differences& differences = tables[work.table].differences;
  switch (work.type) {
    case Work::Type::refine:
      return settle_refine(tables, work,
                           {std::move(found[0].segments), std::move(found[1].segments)});
    case Work::Type::rows:
      if (work.one_sided) {
        const std::size_t side = *work.one_sided == DiffKind::missing ? 0 : 1;
        return add_one_sided(std::move(found[side].rows), *work.one_sided, max_diffs_, differences);
      }
      return compare_rows({std::move(found[0].rows), std::move(found[1].rows)}, columns, max_diffs_,
                          differences);
    case Work::Type::hash_counts: {
      HashCounts counts;
      for (std::size_t side = 0; side < 2; ++side) {
        for (const auto& [hash, count] : found[side].hash_counts)
          counts[hash][side] += count;
      }
      return compare_hash_counts(counts, differences);
    }
  }
}

Work Localisation::next() {
  Work work = std::move(work_.front());
  work_.pop_front();
  return work;
}

void Localisation::queue_range(std::vector<TableCompare>& tables, std::size_t t, std::int64_t first,
                               std::int64_t last, std::int64_t source, std::int64_t target) {
  if (source == 0 || target == 0) {
    queue_one_sided(tables, t, source == 0 ? DiffKind::extra : DiffKind::missing,
                    std::max(source, target), {.first = first, .last = last});
    return;
  }
  const bool leaf = std::max(source, target) <= kLeafRows || first == last;
  work_.push_back({.type = leaf ? Work::Type::rows : Work::Type::refine,
                   .table = t,
                   .first = first,
                   .last = last});
}

// Every row of a segment is on one side only: counted at once; its keys are fetched only while
// examples are wanted.
void Localisation::queue_one_sided(std::vector<TableCompare>& tables, std::size_t t, DiffKind kind,
                                   std::int64_t rows, Work where) {
  Differences& differences = tables[t].differences;
  (kind == DiffKind::missing ? differences.missing : differences.extra) += rows;
  if (tables[t].bucketing == Bucketing::hashed) return;
  const std::int64_t wanted =
      std::max<std::int64_t>(0,
                             max_diffs_ - static_cast<std::int64_t>(differences.examples.size())) -
      queued_examples_[t];
  if (wanted <= 0) return;
  queued_examples_[t] += std::min(wanted, rows);
  where.type = Work::Type::rows;
  where.table = t;
  where.one_sided = kind;
  where.limit = std::min(wanted, rows);
  work_.push_back(std::move(where));
}

}  // namespace cutover::database
