#include "checks/database/engine_kinds.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cutover::database {
namespace {

// The databases a check's database fields name, with the fields, in the spec's order.
std::vector<std::pair<std::string, std::shared_ptr<const Database>>> named_databases(
    const KindSpec& spec, const Fields& fields) {
  std::vector<std::pair<std::string, std::shared_ptr<const Database>>> out;
  for (const FieldSpec& field : spec.fields) {
    if (field.type != FieldType::database) continue;
    if (auto database = fields.database(field.name)) out.emplace_back(field.name, database);
  }
  return out;
}

bool has_field(const KindSpec& spec, const std::string& name) {
  return std::any_of(spec.fields.begin(), spec.fields.end(),
                     [&name](const FieldSpec& field) { return field.name == name; });
}

// "MySQL/MariaDB": the engines whose implementation has the field.
std::string engines_with(const std::vector<EngineImplementation>& implementations,
                         const std::string& field) {
  std::vector<std::string_view> names;
  for (const EngineImplementation& implementation : implementations) {
    if (has_field(implementation.spec, field)) names.push_back(engine_name(implementation.engine));
  }
  return fmt::format("{}", fmt::join(names, " and "));
}

}  // namespace

void add_engine_kind(Registry& registry, std::string name, EngineImplementation implementation,
                     std::string neutral_name) {
  KindSpec spec = implementation.spec;
  registry.add(
      name, std::move(spec),
      [name, neutral_name,
       implementation = std::move(implementation)](Fields& fields) -> std::unique_ptr<Check> {
        bool refused = false;
        for (const auto& [field, database] : named_databases(implementation.spec, fields)) {
          if (database->engine == implementation.engine) continue;
          fields.error(
              field,
              fmt::format("database '{}' is {}: {} checks {} databases only{}", database->name,
                          engine_name(database->engine), name, engine_name(implementation.engine),
                          neutral_name.empty() ? "" : " (use " + neutral_name + ")"));
          refused = true;
        }
        if (refused) return nullptr;
        return implementation.factory(fields);
      });
}

void add_neutral_kind(Registry& registry, std::string name, std::string description,
                      std::vector<EngineImplementation> implementations,
                      const std::map<std::string, std::string>& descriptions) {
  KindSpec spec{.description = std::move(description)};
  for (const EngineImplementation& implementation : implementations) {
    for (const FieldSpec& field : implementation.spec.fields) {
      if (has_field(spec, field.name)) continue;
      spec.fields.push_back(field);
      if (auto it = descriptions.find(field.name); it != descriptions.end()) {
        spec.fields.back().description = it->second;
      }
    }
  }
  KindSpec merged = spec;
  registry.add(
      name, std::move(spec),
      [name, merged = std::move(merged),
       implementations = std::move(implementations)](Fields& fields) -> std::unique_ptr<Check> {
        const auto databases = named_databases(merged, fields);
        // Without a database (a field already reported), the first implementation judges the
        // other fields.
        const Engine engine =
            databases.empty() ? implementations.front().engine : databases.front().second->engine;
        bool refused = false;
        for (const auto& [field, database] : databases) {
          if (database->engine == engine) continue;
          fields.error(field, fmt::format("database '{}' is {}, and database '{}' ({}) is {}: {} "
                                          "compares databases of one engine",
                                          database->name, engine_name(database->engine),
                                          databases.front().second->name, databases.front().first,
                                          engine_name(engine), name));
          refused = true;
        }
        const auto implementation = std::find_if(
            implementations.begin(), implementations.end(),
            [engine](const EngineImplementation& each) { return each.engine == engine; });
        if (implementation == implementations.end()) {
          fields.error(databases.front().first, fmt::format("{} does not support {} databases yet",
                                                            name, engine_name(engine)));
          return nullptr;
        }
        for (const FieldSpec& field : merged.fields) {
          if (databases.empty() || !fields.has(field.name) ||
              has_field(implementation->spec, field.name)) {
            continue;
          }
          fields.error(field.name,
                       fmt::format("{} works on {} only, and database '{}' is {}", field.name,
                                   engines_with(implementations, field.name),
                                   databases.front().second->name, engine_name(engine)));
          refused = true;
        }
        if (refused) return nullptr;
        return implementation->factory(fields);
      });
}

}  // namespace cutover::database
