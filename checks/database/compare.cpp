#include "checks/database/compare.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/text.hpp"

namespace cutover::database {

namespace {

constexpr std::size_t kNamedInMessage = 3;

std::string rows_phrase(std::int64_t count) {
  return count == 1 ? "1 row" : fmt::format("{} rows", count);
}

// "1 row changed: id=3 (price)", "12 rows missing on target: id=4, id=7, id=9 and 9 more": the
// first rows of a kind by key, from the examples the comparison kept; just the count when it kept
// none.
std::string rows_named(std::int64_t count, std::string_view what, DiffKind kind,
                       const std::vector<Diff>& examples) {
  std::vector<std::string> named;
  for (const Diff& diff : examples) {
    if (diff.kind != kind || named.size() == kNamedInMessage) continue;
    named.push_back(kind == DiffKind::changed
                        ? fmt::format("{} ({})", diff.key, fmt::join(diff.columns, ", "))
                        : diff.key);
  }
  std::string text = fmt::format("{} {}", rows_phrase(count), what);
  if (named.empty()) return text;
  text += fmt::format(": {}", fmt::join(named, ", "));
  const auto more = count - static_cast<std::int64_t>(named.size());
  return more > 0 ? fmt::format("{} and {} more", text, more) : text;
}

// What differs in one table, for the result's message; empty when it is identical.
std::vector<std::string> table_problems(const TableCompare& table) {
  const Differences& found = table.differences;
  std::vector<std::string> parts = table.problems;
  if (found.missing > 0) {
    parts.push_back(
        rows_named(found.missing, "missing on target", DiffKind::missing, found.examples));
  }
  if (found.extra > 0)
    parts.push_back(rows_named(found.extra, "extra on target", DiffKind::extra, found.examples));
  if (found.changed > 0) {
    std::string changed = rows_named(found.changed, "changed", DiffKind::changed, found.examples);
    if (std::none_of(found.examples.begin(), found.examples.end(),
                     [](const Diff& diff) { return diff.kind == DiffKind::changed; })) {
      std::vector<std::string> columns;
      for (const auto& [column, count] : found.changed_columns)
        columns.push_back(fmt::format("{} {}", column, count));
      changed += fmt::format(" ({})", fmt::join(columns, ", "));
    }
    parts.push_back(std::move(changed));
  }
  if (table.planned && table.bucketing == Bucketing::hashed && found.missing + found.extra > 0)
    parts.push_back("no primary key or unique not-null key, so the rows cannot be named");
  if (found.unexplained && found.missing + found.extra + found.changed == 0) {
    parts.push_back(
        "a segment's fingerprint differed but its rows matched when read again (rows "
        "changing during the check?)");
  }
  return parts;
}

const char* diff_text(DiffKind kind) {
  switch (kind) {
    case DiffKind::missing:
      return "missing on target";
    case DiffKind::extra:
      return "extra on target";
    case DiffKind::changed:
      break;
  }
  return "changed";
}

// The counts of every table added up.
struct Totals {
  std::array<std::int64_t, 2> rows{};
  std::int64_t segments = 0;
  std::int64_t missing = 0;
  std::int64_t extra = 0;
  std::int64_t changed = 0;
};

// The rows of the result's details: a summary line per table, and the examples by key.
struct Listing {
  std::vector<std::vector<std::string>> summary;
  std::vector<std::vector<std::string>> examples;
};

void list_table(TableCompare& table, std::size_t segments, std::int64_t max_diffs,
                Listing& listing) {
  const Differences& found = table.differences;
  const bool exists = table.exists[0] && table.exists[1];
  listing.summary.push_back({table.name,
                             exists || table.exists[0] ? fmt::to_string(table.rows[0]) : "missing",
                             exists || table.exists[1] ? fmt::to_string(table.rows[1]) : "missing",
                             fmt::to_string(segments), fmt::to_string(found.missing),
                             fmt::to_string(found.extra), fmt::to_string(found.changed)});
  std::vector<Diff>& examples = table.differences.examples;
  std::sort(examples.begin(), examples.end(),
            [](const Diff& a, const Diff& b) { return key_less(a.key, b.key); });
  for (const Diff& diff : examples) {
    if (static_cast<std::int64_t>(listing.examples.size()) >= max_diffs) break;
    listing.examples.push_back({table.name, diff.key, diff_text(diff.kind),
                                fmt::format("{}", fmt::join(diff.columns, ", "))});
  }
}

std::string details_text(const Listing& listing, const CompareSettings& settings) {
  std::string details =
      text_table({"table", "source", "target", "segments", "missing", "extra", "changed"},
                 listing.summary, "lrrrrrr");
  if (!listing.examples.empty()) {
    details +=
        "\n\n" + text_table({"table", "key", "difference", "columns"}, listing.examples, "llll");
  }
  if (settings.rechecked)
    details += fmt::format("\n\nread again after {}", format_duration(*settings.rechecked));
  return details;
}

}  // namespace

void compare_segments(TableCompare& table, std::array<Segments, 2> scanned) {
  for (std::size_t side = 0; side < 2; ++side) {
    if (table.restrict_to.empty()) {
      table.segments[side] = std::move(scanned[side]);
    } else {
      for (std::int64_t bucket : table.restrict_to)
        table.segments[side].erase(bucket);
      for (auto& [bucket, aggregate] : scanned[side])
        table.segments[side][bucket] = aggregate;
    }
  }
  table.rows = {0, 0};
  table.differing.clear();
  for (std::int64_t bucket : segment_numbers(table.segments)) {
    std::array<Aggregate, 2> aggregates;
    for (std::size_t side = 0; side < 2; ++side) {
      auto it = table.segments[side].find(bucket);
      if (it != table.segments[side].end()) aggregates[side] = it->second;
      table.rows[side] += aggregates[side].count;
    }
    if (!table.restrict_to.empty() && !table.restrict_to.contains(bucket)) continue;
    if (aggregates[0] != aggregates[1]) table.differing.push_back(bucket);
  }
}

void prepare_recheck(TableCompare& table) {
  const bool differs = table.differences.any();
  table.restrict_to.clear();
  if (table.planned && differs) {
    table.restrict_to.insert(table.differing.begin(), table.differing.end());
  } else {
    table.planned = false;  // equal: not read again
  }
  table.differences = {};
}

CheckResult summarise(std::vector<TableCompare>& tables, const std::vector<std::string>& unmatched,
                      const CompareSettings& settings) {
  std::vector<std::string> problems;
  for (const std::string& pattern : unmatched)
    problems.push_back(fmt::format("no table matches '{}'", pattern));
  Totals totals;
  Listing listing;
  for (TableCompare& table : tables) {
    const std::size_t segments = segment_numbers(table.segments).size();
    for (std::size_t side = 0; side < 2; ++side)
      totals.rows[side] += table.rows[side];
    totals.segments += static_cast<std::int64_t>(segments);
    totals.missing += table.differences.missing;
    totals.extra += table.differences.extra;
    totals.changed += table.differences.changed;
    if (std::vector<std::string> parts = table_problems(table); !parts.empty())
      problems.push_back(fmt::format("{}: {}", table.name, fmt::join(parts, "; ")));
    list_table(table, segments, settings.max_diffs, listing);
  }

  CheckResult result;
  if (problems.empty()) {
    result = CheckResult::passed(
        fmt::format("{} {} identical on source and target ({} on each side, {} segment{})",
                    tables.size(), tables.size() == 1 ? "table is" : "tables are",
                    rows_phrase(totals.rows[0]), totals.segments, totals.segments == 1 ? "" : "s"));
  } else {
    result = CheckResult::failed(join_first(problems, kNamedInMessage));
  }
  result.details = details_text(listing, settings);
  result.measurements = {{"tables", static_cast<double>(tables.size()), ""},
                         {"rows_source", static_cast<double>(totals.rows[0]), "rows"},
                         {"rows_target", static_cast<double>(totals.rows[1]), "rows"},
                         {"segments", static_cast<double>(totals.segments), ""},
                         {"rows_missing", static_cast<double>(totals.missing), "rows"},
                         {"rows_extra", static_cast<double>(totals.extra), "rows"},
                         {"rows_changed", static_cast<double>(totals.changed), "rows"}};
  return result;
}

}  // namespace cutover::database
