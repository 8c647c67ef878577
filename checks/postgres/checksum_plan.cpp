#include "checks/postgres/checksum_plan.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace cutover::postgres::checksum {

namespace {

constexpr int kNativeHashVersion = 140000;  // hash_record_extended, TID range scans
constexpr int kTrimScaleVersion = 130000;

// The hash mode both servers can run, or the error that ends the check.
Expected<Mode> choose_mode(const ::cutover::detail::ChecksumTarget& target, int version) {
  const Mode mode =
      target.mode.value_or(version >= kNativeHashVersion ? Mode::native : Mode::canonical);
  if (mode == Mode::native && version < kNativeHashVersion) {
    return outcome::failure(
        Error{"mode native needs PostgreSQL 14 or later on both sides (hash_record_extended); use "
              "mode: canonical"});
  }
  if (mode == Mode::canonical && version < kTrimScaleVersion)
    return outcome::failure(Error{"postgres.checksum needs PostgreSQL 13 or later"});
  return mode;
}

bool compared_column(const ::cutover::detail::ChecksumTarget& target, const std::string& name,
                     const std::vector<std::string>& key) {
  if (std::find(key.begin(), key.end(), name) != key.end()) return true;
  if (!target.columns.empty() &&
      std::find(target.columns.begin(), target.columns.end(), name) == target.columns.end()) {
    return false;
  }
  return std::find(target.exclude_columns.begin(), target.exclude_columns.end(), name) ==
         target.exclude_columns.end();
}

bool has_column(const TableInfo& info, const std::string& name) {
  return find_column(info.columns, name) != nullptr;
}

// The compared columns on both sides into plan.columns; each one a side lacks is a problem. The
// key is dropped when the target lacks a key column.
void match_columns(const ::cutover::detail::ChecksumTarget& target, EngineTable& table,
                   std::vector<std::string>& problems) {
  const auto& [source_info, target_info] = table.info;
  TablePlan& plan = table.plan;
  std::set<std::string> names;
  for (const TableInfo& info : table.info) {
    for (const Column& column : info.columns) {
      if (compared_column(target, column.name, plan.key)) names.insert(column.name);
    }
  }
  for (const std::string& name : names) {
    if (has_column(source_info, name) && has_column(target_info, name)) {
      plan.columns.push_back(name);
    } else {
      problems.push_back(fmt::format("column {} missing on {}", name,
                                     has_column(source_info, name) ? "target" : "source"));
    }
  }
  for (const std::string& wanted : target.columns) {
    if (!has_column(source_info, wanted) && !has_column(target_info, wanted))
      problems.push_back(fmt::format("no column {} on source or target", wanted));
  }
  for (const std::string& key : plan.key) {
    if (!has_column(target_info, key)) plan.key.clear();
  }
}

// How the rows fall into segments of about segment_rows rows: by an integer key's range, by
// sampled bounds of another key, or by row hash without a key.
void plan_segments(const ::cutover::detail::ChecksumTarget& target, EngineTable& table) {
  const auto& [source, target_info] = table.info;
  TablePlan& plan = table.plan;
  const double rows = std::max({source.estimated_rows, target_info.estimated_rows, 1.0});
  const std::int64_t segments = database::segments_for(rows, target.segment_rows);
  if (plan.key.empty()) {
    plan.bucketing = Bucketing::hashed;
    plan.hash_bits = database::hash_bits_for(segments);
    return;
  }
  // The key's first column, on both sides (a key column missing on the target left none).
  const Column* source_key = find_column(source.columns, plan.key.front());
  const Column* target_key = find_column(target_info.columns, plan.key.front());
  if (plan.key.size() == 1 && is_integer_type(source_key->base) &&
      is_integer_type(target_key->base)) {
    plan.bucketing = Bucketing::integer;
    std::int64_t low = 0;
    std::int64_t high = 0;
    bool any = false;
    for (const TableInfo* info : {&source, &target_info}) {
      if (!info->min_key) continue;
      low = any ? std::min(low, *info->min_key) : *info->min_key;
      high = any ? std::max(high, *info->max_key) : *info->max_key;
      any = true;
    }
    const database::IntegerSegments integer = database::integer_segments(low, high, segments);
    plan.width = integer.width;
    plan.offset = integer.offset;
    return;
  }
  plan.bucketing = Bucketing::ordered;
  plan.key_type_source = source_key->type;
  plan.key_type_target = target_key->type;
  plan.key_collatable = source_key->collatable;
  plan.bounds =
      database::sample_bounds(source.sample.empty() ? target_info.sample : source.sample, segments);
}

}  // namespace

std::string where_condition(const ::cutover::detail::ChecksumTarget& target) {
  return target.where.empty() ? "TRUE" : target.where;
}

std::optional<std::string> plan_table(const ::cutover::detail::ChecksumTarget& target,
                                      EngineTable& table, database::TableCompare& compare) {
  const auto& [source, target_info] = table.info;
  compare.exists = {source.exists, target_info.exists};
  if (!source.exists || !target_info.exists) {
    compare.problems.push_back(
        !source.exists && !target_info.exists
            ? "missing on source and target"
            : fmt::format("missing on {}", source.exists ? "target" : "source"));
    return std::nullopt;
  }
  const Expected<Mode> mode =
      choose_mode(target, std::min(source.server_version, target_info.server_version));
  if (!mode) return mode.error().message;
  TablePlan& plan = table.plan;
  plan.table = table.table.sql();
  plan.where = where_condition(target);
  plan.key = source.key;
  match_columns(target, table, compare.problems);
  if (plan.columns.empty() && (!source.columns.empty() || !target_info.columns.empty())) {
    compare.problems.push_back("no columns left to compare (columns, exclude_columns)");
    return std::nullopt;
  }
  build_expressions(plan, source.columns, target_info.columns, mode.value(), target.normalisation);
  plan_segments(target, table);
  compare.bucketing = plan.bucketing;
  compare.planned = true;
  return std::nullopt;
}

}  // namespace cutover::postgres::checksum
