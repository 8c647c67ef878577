#include "checks/postgres/query_run.hpp"

#include <chrono>

#include <fmt/format.h>
#include <pqxx/except>
#include <pqxx/result>
#include <pqxx/transaction>

namespace cutover::postgres {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kQueryCanceled = "57014";

}  // namespace

database::QueryResult run_query(const std::string& sql, Session& session) {
  pqxx::read_transaction transaction(session.connection());
  // SELECT 1 takes the snapshot: from here on PostgreSQL refuses to make the transaction
  // read-write (SET TRANSACTION READ WRITE, set_config('transaction_read_only', ...)). A cursor
  // is planned for its first rows unless told it will be read to the end.
  transaction.exec("SELECT 1; SET LOCAL cursor_tuple_fraction = 1; SAVEPOINT cutover_declare");
  const auto started = Clock::now();
  // Through a cursor, the rows past the limit are never sent. DECLARE takes queries only (SELECT,
  // VALUES, TABLE, WITH); anything else, SHOW or a mistake, runs as it is, so that its error is
  // the server's own about the statement as written. exec_params uses the extended protocol: one
  // statement, "SELECT 1; DELETE ..." is refused either way.
  bool declared = false;
  try {
    transaction.exec_params("DECLARE cutover_result NO SCROLL CURSOR FOR " + sql);
    declared = true;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == kQueryCanceled) throw;
  }
  // Back to the top level either way (inside a savepoint, PostgreSQL words its refusals
  // differently), and the query gets exactly what is left of the budget.
  transaction.exec(fmt::format(
      "{}RELEASE SAVEPOINT cutover_declare; SET LOCAL statement_timeout = {}",
      declared ? "" : "ROLLBACK TO SAVEPOINT cutover_declare; ", session.milliseconds_left()));
  const pqxx::result result =
      declared ? transaction.exec(
                     fmt::format("FETCH FORWARD {} FROM cutover_result", database::kMaxRows + 1))
               : transaction.exec_params(sql);
  database::QueryResult out;
  out.elapsed = Clock::now() - started;
  // Rolled back whatever it was: a SET in the query must not outlive it on a pooled connection.
  transaction.abort();

  if (result.columns() == 0) {
    throw JobError(
        "the statement returned no rows to check: postgres.query runs one query (SELECT, "
        "VALUES, TABLE, WITH ..., SHOW)");
  }
  if (result.size() > database::kMaxRows) {
    throw JobError(fmt::format(
        "the query returned more than {} rows, too many to compare in memory; compare tables "
        "with postgres.checksum",
        database::kMaxRows));
  }
  out.columns = static_cast<std::size_t>(result.columns());
  out.rows.reserve(result.size());
  for (const pqxx::row& row : result) {
    database::Row values;
    values.reserve(out.columns);
    for (const pqxx::field& field : row)
      values.push_back(field.is_null() ? std::nullopt : std::optional<std::string>(field.c_str()));
    out.rows.push_back(std::move(values));
  }
  return out;
}

}  // namespace cutover::postgres
