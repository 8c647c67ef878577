#include "checks/postgres/tables.hpp"

#include <fnmatch.h>

#include <algorithm>

#include <fmt/format.h>
#include <pqxx/result>
#include <pqxx/transaction>

namespace cutover::postgres {

namespace {

// The schema of a name written without one.
constexpr std::string_view kDefaultSchema = "public";

bool matches(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

}  // namespace

std::string Table::sql() const {
  return quote_identifier(schema) + "." + quote_identifier(name);
}

bool is_glob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

std::string qualified(std::string_view name) {
  if (name.find('.') != std::string_view::npos) return std::string(name);
  return fmt::format("{}.{}", kDefaultSchema, name);
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
    tables.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<bool>()});
  }
  return tables;
}

TableSelection select_tables(const std::vector<std::string>& patterns,
                             const std::vector<std::string>& exclude,
                             const std::vector<const std::vector<Table>*>& sides) {
  TableSelection selection;
  for (const std::string& pattern : patterns) {
    if (!is_glob(pattern)) {
      selection.names.insert(pattern);
      continue;
    }
    bool any = false;
    for (const std::vector<Table>* side : sides) {
      for (const Table& table : *side) {
        if (!table.partition && matches(pattern, table.qualified())) {
          selection.names.insert(table.qualified());
          any = true;
        }
      }
    }
    if (!any) selection.unmatched.push_back(pattern);
  }
  std::erase_if(selection.names, [&exclude](const std::string& name) {
    return std::any_of(exclude.begin(), exclude.end(),
                       [&name](const std::string& glob) { return matches(glob, name); });
  });
  return selection;
}

}  // namespace cutover::postgres
