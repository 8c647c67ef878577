#include "harness/suite_databases.hpp"

#include <fmt/format.h>

namespace cutover::detail {
namespace {

const std::vector<std::string> kDatabaseKeys{"dsn", "max_connections"};
constexpr int kMaxConnectionsLimit = 64;

bool read_dsn(ValueReader& reader, const Entry& setting, const FileContext& context,
              const std::string& what, Database& database, Redactor& redactor) {
  auto dsn = reader.string_value(setting.value, context, what + ".dsn");
  if (!dsn) return false;
  if (dsn->empty()) {
    reader.error(setting.value, context,
                 what + ".dsn: expected a connection string or URI, got an empty string");
    return false;
  }
  // A lint's placeholder for an unset secret says nothing of the engine: the run will tell.
  const bool placeholder = dsn->find(kUnsetSecretPlaceholder) != std::string::npos;
  auto engine = engine_of(*dsn);
  if (!engine && !placeholder) {
    reader.error(setting.value, context, what + ".dsn: " + engine.error().message);
    return false;
  }
  if (engine) database.engine = engine.value();
  database.dsn = std::move(*dsn);
  for (std::string& password : dsn_passwords(database.dsn))
    redactor.add_secret(std::move(password));
  if (auto mistake = placeholder ? std::nullopt : dsn_mistake(database.dsn)) {
    reader.error(setting.value, context, what + ".dsn: " + *mistake);
    return false;
  }
  return true;
}

bool read_max_connections(ValueReader& reader, const Entry& setting, const FileContext& context,
                          const std::string& what, Database& database) {
  auto text = reader.string_value(setting.value, context, what + ".max_connections");
  if (!text) return false;
  auto count = parse_integer(*text);
  if (!count || *count < 1 || *count > kMaxConnectionsLimit) {
    reader.error(setting.value, context,
                 fmt::format("{}.max_connections: expected an integer from 1 to {}, got '{}'", what,
                             kMaxConnectionsLimit, *text));
    return false;
  }
  database.max_connections = static_cast<int>(*count);
  return true;
}

// One database's settings; null after a mistake (reported).
std::shared_ptr<Database> read_database(ValueReader& reader, const Entry& entry,
                                        const FileContext& context, Redactor& redactor) {
  const std::string what = "databases." + entry.key;
  auto database = std::make_shared<Database>();
  database->name = entry.key;
  database->location = location_of(entry.key_node, context.file);
  bool ok = entry.value.is_map();
  bool has_dsn = false;
  for (const Entry& setting : reader.known_entries(entry.value, context, what, kDatabaseKeys)) {
    if (setting.key == "dsn") {
      has_dsn = read_dsn(reader, setting, context, what, *database, redactor);
      ok = ok && has_dsn;
    } else if (setting.key == "max_connections") {
      ok = read_max_connections(reader, setting, context, what, *database) && ok;
    }
  }
  if (entry.value.is_map() && !has_dsn && ok) {
    reader.error(entry.value, context, what + ": missing key 'dsn' (a connection string or URI)");
    ok = false;
  }
  if (!ok) return nullptr;
  return database;
}

}  // namespace

void read_databases(ValueReader& reader, const yaml::Node& node, FileContext& context, Plan& plan) {
  auto all = reader.entries(node, context, "databases");
  if (!all) return;
  for (const Entry& entry : *all) {
    if (!is_identifier(entry.key)) {
      reader.error(
          entry.key_node, context,
          fmt::format("databases: '{}' is not a valid name (letters, digits, '_', '-', '.')",
                      entry.key));
      continue;
    }
    // A database with a mistake is still declared, as null: checks naming it report nothing of
    // their own for it.
    auto database = read_database(reader, entry, context, plan.redactor);
    context.databases[entry.key] = database;
    if (database != nullptr) plan.databases.push_back(std::move(database));
  }
}

}  // namespace cutover::detail
