#pragma once

#include <string>

#include "checks/database/query_result.hpp"
#include "checks/mysql/session.hpp"

namespace cutover::mysql {

// Runs `sql`, one statement (the connector takes no second one), without letting it write, and
// reads at most database::kMaxRows rows of its result as the server streams them: in a START
// TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY on a read-only session, rolled back at the end.
// The statement may have changed the session (GET_LOCK, a variable; QueryCheck refuses at load
// what is not a query): its connection is closed afterwards, and serves no other job.
// Throws JobError for a statement without rows and for too many rows.
database::QueryResult run_query(const std::string& sql, Session& session);

}  // namespace cutover::mysql
