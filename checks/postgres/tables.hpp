#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "checks/postgres/pool.hpp"

// Which tables a check means: `tables:` lists names (schema public), schema.name, or globs like
// sales.*; `exclude:` lists globs left out. Shared by the kinds that compare tables.
namespace cutover::postgres {

struct Table {
  std::string schema;
  std::string name;
  bool partition = false;  // a partition: counted, hashed and compared with its parent

  std::string qualified() const { return schema + "." + name; }
  // "sales"."orders", for SQL text.
  std::string sql() const;
};

bool is_glob(std::string_view pattern);

// schema.name, with the schema public when `name` has none.
std::string qualified(std::string_view name);

// Every ordinary or partitioned table outside the system schemas, ordered by schema and name.
std::vector<Table> list_tables(Session& session);

struct TableSelection {
  std::set<std::string> names;         // qualified, in order
  std::vector<std::string> unmatched;  // globs that matched no table on any side
};

// The tables `patterns` (qualified, see qualified()) name, less those an `exclude` glob matches.
// A plain name is selected even when no side has it (the caller reports it missing); a glob
// selects the tables of any side it matches, partitions excepted.
TableSelection select_tables(const std::vector<std::string>& patterns,
                             const std::vector<std::string>& exclude,
                             const std::vector<const std::vector<Table>*>& sides);

}  // namespace cutover::postgres
