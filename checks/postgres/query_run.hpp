#pragma once

#include <string>

#include "checks/database/query_result.hpp"
#include "checks/postgres/pool.hpp"

namespace cutover::postgres {

// Runs `sql`, one query, without letting it write, and reads at most database::kMaxRows rows of
// its result: in a read-only transaction that has taken its snapshot (it cannot be made
// read-write), through a cursor when the statement is a query (the rows past the limit are never
// sent), through the extended protocol (one statement), rolled back at the end. Throws JobError
// for a statement without rows and for too many rows.
database::QueryResult run_query(const std::string& sql, Session& session);

}  // namespace cutover::postgres
