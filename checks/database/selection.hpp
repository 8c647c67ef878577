#pragma once

#include <concepts>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// Which tables a check means, whatever the engine: `tables:` lists names (in the default schema),
// schema.name, or globs like sales.*; `exclude:` lists globs left out. Each engine lists its own
// tables (checks/postgres/tables.hpp for PostgreSQL).
namespace cutover::database {

// A table as an engine's catalog lists it.
struct Table {
  std::string schema;
  std::string name;
  bool partition = false;  // a partition: counted, hashed and compared with its parent

  std::string qualified() const { return schema + "." + name; }
};

bool is_glob(std::string_view pattern);

// True when the shell glob `pattern` (*, ?, [...]) matches all of `name`.
bool matches(const std::string& pattern, const std::string& name);

// schema.name, with the schema public when `name` has none.
std::string qualified(std::string_view name);

struct TableSelection {
  std::set<std::string> names;         // qualified, in order
  std::vector<std::string> unmatched;  // globs that matched no table on any side
};

// The tables `patterns` (qualified, see qualified()) name, less those an `exclude` glob matches.
// A plain name is selected even when no side has it (the caller reports it missing); a glob
// selects the `listed` tables (of every side) it matches, partitions excepted.
TableSelection select_tables(const std::vector<std::string>& patterns,
                             const std::vector<std::string>& exclude,
                             const std::vector<const Table*>& listed);

// The same over the tables each side listed, as an engine's list_tables returns them (Table, or
// an engine's type derived from it): select_tables(patterns, exclude, {&source, &target}).
template <std::derived_from<Table> EngineTable>
TableSelection select_tables(const std::vector<std::string>& patterns,
                             const std::vector<std::string>& exclude,
                             std::initializer_list<const std::vector<EngineTable>*> sides) {
  std::vector<const Table*> listed;
  for (const std::vector<EngineTable>* side : sides) {
    for (const EngineTable& table : *side)
      listed.push_back(&table);
  }
  return select_tables(patterns, exclude, listed);
}

}  // namespace cutover::database
