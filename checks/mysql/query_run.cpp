#include "checks/mysql/query_run.hpp"

#include <chrono>

#include <fmt/format.h>

namespace cutover::mysql {

database::QueryResult run_query(const std::string& sql, Session& session) {
  database::QueryResult out;
  session.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
  try {
    const auto started = std::chrono::steady_clock::now();
    session.for_each_row(sql, [&out](const Row& row) {
      if (out.rows.size() == database::kMaxRows) {
        throw database::JobError(fmt::format(
            "the query returned more than {} rows, too many to compare in memory; compare "
            "tables with a checksum",
            database::kMaxRows));
      }
      out.rows.push_back(row);
    });
    out.elapsed = std::chrono::steady_clock::now() - started;
    out.columns = session.last_columns();
  } catch (...) {
    session.close();
    throw;
  }
  session.execute("ROLLBACK");
  // A query may still have changed the session (a lock taken with GET_LOCK, a variable): the
  // connection serves no other job.
  session.close();
  if (out.columns == 0) {
    throw database::JobError(
        "the statement returned no rows to check: db.query runs one query (SELECT, WITH ..., "
        "SHOW ...)");
  }
  return out;
}

}  // namespace cutover::mysql
