#include "checks/mysql/tables.hpp"

#include <charconv>
#include <stdexcept>

#include "harness/mysql_dsn.hpp"

namespace cutover::mysql {

std::string Table::sql() const {
  return quote_identifier(schema) + "." + quote_identifier(name);
}

std::vector<Table> list_tables(Session& session) {
  std::vector<Table> tables;
  for (const Row& row : session.query(
           "SELECT table_schema, table_name FROM information_schema.tables "
           "WHERE table_type IN ('BASE TABLE', 'SYSTEM VERSIONED') AND table_schema NOT IN "
           "('mysql', 'sys', 'information_schema', 'performance_schema') "
           "AND (DATABASE() IS NULL OR table_schema = DATABASE()) ORDER BY 1, 2")) {
    tables.push_back({{row.at(0).value_or(""), row.at(1).value_or(""), false}});
  }
  return tables;
}

std::string default_schema(const Database& database) {
  auto dsn = parse_mysql_dsn(database.dsn);
  return dsn ? dsn.value().database : std::string();
}

namespace {

std::int64_t number(const std::optional<std::string>& text) {
  std::int64_t value = 0;
  if (!text ||
      std::from_chars(text->data(), text->data() + text->size(), value).ec != std::errc()) {
    throw std::runtime_error("the server gave no row count");
  }
  return value;
}

}  // namespace

std::int64_t count_rows(Session& session, const Table& table) {
  return session.in_snapshot(
      [&] { return number(session.value("SELECT COUNT(*) FROM " + table.sql())); });
}

std::int64_t estimate_rows(Session& session, const Table& table) {
  return number(session.value(
      "SELECT COALESCE(table_rows, 0) FROM information_schema.tables WHERE table_schema = " +
      session.quote_literal(table.schema) +
      " AND table_name = " + session.quote_literal(table.name)));
}

}  // namespace cutover::mysql
