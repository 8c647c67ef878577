#pragma once

#include <array>
#include <optional>
#include <string>

#include "checks/database/compare.hpp"
#include "checks/postgres/checksum_sql.hpp"
#include "checks/postgres/checksum_target.hpp"
#include "checks/postgres/tables.hpp"

// How postgres.checksum compares one table, from what both sides' catalogs say of it.
namespace cutover::postgres::checksum {

// A table as the PostgreSQL side knows it, beside the engine-neutral TableCompare.
struct EngineTable {
  Table table;
  std::array<TableInfo, 2> info;  // source, target
  TablePlan plan;
};

// The filter of every query: the user's `where`, or TRUE.
std::string where_condition(const ::cutover::detail::ChecksumTarget& target);

// Plans `table`: the compared columns (a column on one side only is a problem of the table), the
// row hash expressions and the segments. Sets compare.planned when there is something to scan.
// Returns an error that ends the whole check (servers too old for the mode), or nothing.
std::optional<std::string> plan_table(const ::cutover::detail::ChecksumTarget& target,
                                      EngineTable& table, database::TableCompare& compare);

}  // namespace cutover::postgres::checksum
