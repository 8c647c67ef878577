#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checks/database/selection.hpp"
#include "checks/mysql/session.hpp"

// MySQL/MariaDB's side of table selection (checks/database/selection.hpp): a table's schema is
// its database.
namespace cutover::mysql {

struct Table : database::Table {
  // `shop`.`orders`, for SQL text.
  std::string sql() const;
};

// The base tables of the database the DSN names; of every database but the system ones (mysql,
// sys, information_schema, performance_schema) when it names none. Ordered by database and
// name; partitions are part of their table.
std::vector<Table> list_tables(Session& session);

// The database the DSN names: the schema of a table named without one. Empty when it names none.
std::string default_schema(const Database& database);

// Exact: COUNT(*) in a read-only transaction of its own.
std::int64_t count_rows(Session& session, const Table& table);

// The server's estimate (information_schema.tables.table_rows): InnoDB's is a sample, off by as
// much as half. Only when a check asks for it.
std::int64_t estimate_rows(Session& session, const Table& table);

}  // namespace cutover::mysql
