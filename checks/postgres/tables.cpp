#include "checks/postgres/tables.hpp"

#include <pqxx/result>
#include <pqxx/transaction>

namespace cutover::postgres {

std::string Table::sql() const {
  return quote_identifier(schema) + "." + quote_identifier(name);
}

std::vector<Table> list_tables(Session& session) {
  pqxx::read_transaction transaction(session.connection());
  const pqxx::result rows = transaction.exec(
      "SELECT n.nspname, c.relname, c.relispartition FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' "
      "AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2");
  std::vector<Table> tables;
  tables.reserve(rows.size());
  for (const auto& row : rows) {
    tables.push_back({{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<bool>()}});
  }
  return tables;
}

std::int64_t count_rows(Session& session, const Table& table) {
  pqxx::read_transaction transaction(session.connection());
  return transaction.exec1("SELECT count(*) FROM " + table.sql())[0].as<std::int64_t>();
}

}  // namespace cutover::postgres
