#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checks/database/selection.hpp"
#include "checks/postgres/pool.hpp"

// PostgreSQL's side of table selection (checks/database/selection.hpp): its catalog's list of
// tables, and their names as SQL.
namespace cutover::postgres {

using database::is_glob;
using database::qualified;
using database::select_tables;
using database::TableSelection;

struct Table : database::Table {
  // "sales"."orders", for SQL text.
  std::string sql() const;
};

// Every ordinary or partitioned table outside the system schemas, ordered by schema and name.
std::vector<Table> list_tables(Session& session);

// Exact: count(*) in a read-only transaction of its own.
std::int64_t count_rows(Session& session, const Table& table);

}  // namespace cutover::postgres
