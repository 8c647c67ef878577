#include "checks/postgres/checksum_fetch.hpp"

#include <fmt/format.h>
#include <pqxx/result>
#include <pqxx/transaction>

#include "checks/postgres/checksum_scan.hpp"

namespace cutover::postgres::checksum {

namespace {

using database::Work;

std::optional<std::string> field_text(const pqxx::field& field) {
  return field.is_null() ? std::nullopt : std::optional<std::string>(field.c_str());
}

// Keys (as text, one column each), row hashes and column hashes, as rows_sql selects them.
std::vector<database::RowHashes> read_rows(const std::vector<std::string>& key, std::size_t columns,
                                           const pqxx::result& result) {
  std::vector<database::RowHashes> rows;
  rows.reserve(result.size());
  for (const auto& row : result) {
    database::RowHashes out;
    std::vector<std::string> values;
    for (std::size_t i = 0; i < key.size(); ++i)
      values.push_back(display_value(field_text(row[static_cast<pqxx::row::size_type>(i)])));
    out.key = database::key_display(key, values);
    out.hash = row[static_cast<pqxx::row::size_type>(key.size())].c_str();
    for (std::size_t c = 0; c < columns; ++c)
      out.columns.push_back(field_text(row[static_cast<pqxx::row::size_type>(key.size() + 1 + c)]));
    rows.push_back(std::move(out));
  }
  return rows;
}

std::string work_condition(const TablePlan& plan, const Work& work, std::size_t side) {
  if (plan.bucketing == Bucketing::integer) return range_condition(plan, work.first, work.last);
  return segment_condition(plan, side == 1, work.buckets);
}

}  // namespace

std::string work_sql(const TablePlan& plan, const Work& work, std::size_t side) {
  switch (work.type) {
    case Work::Type::refine:
      return refine_sql(plan, work.first, work.last, database::refine_width(work));
    case Work::Type::rows: {
      if (!database::side_queried(work, side)) return "SELECT 1 WHERE FALSE";
      std::string query = rows_sql(plan, work_condition(plan, work, side));
      if (work.limit > 0) query += fmt::format(" LIMIT {}", work.limit);
      return query;
    }
    case Work::Type::hash_counts:
      return hash_counts_sql(plan, side == 1, work.buckets);
  }
  return {};
}

database::Fetched fetch(Session& session, Work::Type type, const std::vector<std::string>& key,
                        std::size_t columns, const std::string& query) {
  pqxx::read_transaction transaction(session.connection());
  const pqxx::result result = transaction.exec(query);
  database::Fetched fetched;
  switch (type) {
    case Work::Type::refine:
      fetched.segments = read_segments(result);
      break;
    case Work::Type::rows:
      fetched.rows = read_rows(key, columns, result);
      break;
    case Work::Type::hash_counts:
      for (const auto& row : result)
        fetched.hash_counts.emplace_back(row[0].c_str(), row[1].as<std::int64_t>());
      break;
  }
  return fetched;
}

}  // namespace cutover::postgres::checksum
