#include "checks/postgres/schema.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/result>
#include <pqxx/transaction>

#include "checks/database/attempt.hpp"
#include "checks/postgres/pool.hpp"
#include "checks/postgres/tables.hpp"
#include "harness/text.hpp"

namespace cutover {

namespace detail {

struct SchemaTarget {
  std::shared_ptr<const Database> source;
  std::shared_ptr<const Database> target;
  std::vector<std::string> schemas;  // names or globs
  std::vector<std::string> ignore;   // globs over kind:identity
  bool check_sequences = true;
};

}  // namespace detail

namespace {

using database::matches;
using detail::SchemaTarget;

// Differences named in the message; the details list them all.
constexpr std::size_t kNamedInMessage = 3;

// The kinds of objects, in the order differences are listed; the names `ignore` uses.
enum Rank { kExtension, kSchema, kTable, kColumn, kConstraint, kIndex, kView, kSequence, kRanks };
constexpr std::string_view kKinds[kRanks] = {"extension",  "schema", "table", "column",
                                             "constraint", "index",  "view",  "sequence"};
constexpr std::string_view kPlurals[kRanks] = {"extensions",  "schemas", "tables", "columns",
                                               "constraints", "indexes", "views",  "sequences"};

// Identifies an object on both sides: its kind and name (for an index, its definition without
// the index name).
using Key = std::pair<int, std::string>;

struct Object {
  std::string label;         // as messages name it: "table", "foreign key", "materialized view"
  std::string identity;      // public.orders.total, for messages and ignore
  std::string shown;         // for an index, its definition as this side writes it
  std::optional<Key> owner;  // the table or view a column, constraint or index belongs to
  std::vector<std::pair<std::string, std::string>> attributes;  // name (may be empty), value
};

struct Catalog {
  std::map<Key, Object> objects;
  std::vector<std::string> sequence_problems;  // target only
  std::size_t sequences_checked = 0;
};

// Whitespace runs as one space, none at the ends: view definitions come indented.
std::string collapse_whitespace(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// CREATE INDEX orders_total_idx ON public.orders ... without the index's name, which
// pg_get_indexdef writes as quote_ident does (`quoted`).
std::string without_index_name(const std::string& definition, const std::string& quoted) {
  const std::string named = " INDEX " + quoted + " ON ";
  const std::size_t at = definition.find(named);
  if (at == std::string::npos) return definition;
  return definition.substr(0, at) + " INDEX ON " + definition.substr(at + named.size());
}

std::optional<std::int64_t> to_integer(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  const std::string_view text(field.c_str(), field.size());
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Relations outside the system schemas that no extension owns.
constexpr std::string_view kUserRelation =
    "n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' AND NOT EXISTS (SELECT 1 "
    "FROM pg_catalog.pg_depend e WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid "
    "= c.oid AND e.deptype = 'e')";

class CatalogReader {
 public:
  CatalogReader(const SchemaTarget& target, postgres::Session& session,
                pqxx::read_transaction& transaction)
      : target_(target), session_(session), transaction_(transaction) {}

  Catalog read(bool positions) {
    read_extensions();
    read_schemas();
    read_relations();
    read_columns();
    read_constraints();
    read_indexes();
    if (positions) read_positions();
    return std::move(catalog_);
  }

 private:
  bool in_scope(const std::string& schema) const {
    return std::any_of(target_.schemas.begin(), target_.schemas.end(),
                       [&schema](const std::string& glob) { return matches(glob, schema); });
  }

  // Whether an ignore glob matches the identity (bare or kind:identity) or the owning table.
  bool ignored(int rank, const std::string& identity, const std::string& owner = {}) const {
    const std::string kind(kKinds[rank]);
    return std::any_of(target_.ignore.begin(), target_.ignore.end(), [&](const std::string& glob) {
      return matches(glob, identity) || matches(glob, kind + ":" + identity) ||
             (!owner.empty() && (matches(glob, owner) || matches(glob, "table:" + owner) ||
                                 matches(glob, "view:" + owner)));
    });
  }

  void add(int rank, std::string name, Object object) {
    std::string key = name;
    for (int n = 2; catalog_.objects.contains({rank, key}); ++n)
      key = fmt::format("{} #{}", name, n);
    catalog_.objects.emplace(Key{rank, std::move(key)}, std::move(object));
  }

  void read_extensions() {
    for (const auto& row :
         transaction_.exec("SELECT extname, extversion FROM pg_catalog.pg_extension ORDER BY 1")) {
      const std::string name = row[0].as<std::string>();
      if (ignored(kExtension, name)) continue;
      add(kExtension, name, {"extension", name, "", {}, {{"version", row[1].as<std::string>()}}});
    }
  }

  void read_schemas() {
    for (const auto& row : transaction_.exec(
             "SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname <> 'information_schema' "
             "AND nspname NOT LIKE 'pg\\_%' ORDER BY 1")) {
      const std::string name = row[0].as<std::string>();
      if (!in_scope(name) || ignored(kSchema, name)) continue;
      add(kSchema, name, {"schema", name, "", {}, {}});
    }
  }

  void read_relations() {
    const pqxx::result rows = transaction_.exec(fmt::format(
        "SELECT n.nspname, c.relname, c.relkind::text, "
        "CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END, "
        "s.seqtypid::regtype::text, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcycle, "
        "(SELECT tn.nspname || '.' || t.relname FROM pg_catalog.pg_depend d "
        "JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
        "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
        "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid "
        "AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid "
        "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND {} ORDER BY 1, 2",
        kUserRelation));
    for (const auto& row : rows) {
      const std::string schema = row[0].as<std::string>();
      if (!in_scope(schema)) continue;
      const std::string identity = schema + "." + row[1].as<std::string>();
      const Key in_schema{kSchema, schema};  // a missing schema is one difference
      const char kind = row[2].as<std::string>()[0];
      if (kind == 'r' || kind == 'p') {
        if (ignored(kTable, identity)) continue;
        add(kTable, identity,
            {"table",
             identity,
             "",
             in_schema,
             {{"kind", kind == 'p' ? "partitioned table" : "table"}}});
      } else if (kind == 'v' || kind == 'm') {
        if (ignored(kView, identity)) continue;
        const std::string label = kind == 'm' ? "materialized view" : "view";
        add(kView, identity,
            {label,
             identity,
             "",
             in_schema,
             {{"kind", label}, {"definition", collapse_whitespace(row[3].as<std::string>())}}});
      } else {
        // A sequence a column owns goes with that column's table.
        const std::string owner = row[10].is_null() ? "" : row[10].as<std::string>();
        if (ignored(kSequence, identity, owner)) continue;
        add(kSequence, identity,
            {"sequence",
             identity,
             "",
             owner.empty() ? in_schema : Key{kTable, owner},
             {{"type", row[4].as<std::string>()},
              {"start", row[5].as<std::string>()},
              {"increment", row[6].as<std::string>()},
              {"minimum", row[7].as<std::string>()},
              {"maximum", row[8].as<std::string>()},
              {"cycle", row[9].as<bool>() ? "CYCLE" : "NO CYCLE"}}});
      }
    }
  }

  void read_columns() {
    const pqxx::result rows = transaction_.exec(fmt::format(
        "SELECT n.nspname, c.relname, a.attname, "
        "pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text "
        "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND {} "
        "ORDER BY 1, 2, 3",
        kUserRelation));
    for (const auto& row : rows) {
      const std::string schema = row[0].as<std::string>();
      if (!in_scope(schema)) continue;
      const std::string table = schema + "." + row[1].as<std::string>();
      const std::string identity = table + "." + row[2].as<std::string>();
      if (ignored(kColumn, identity, table)) continue;
      const std::string expression = row[5].is_null() ? "" : row[5].as<std::string>();
      const std::string identity_kind = row[6].as<std::string>();
      const bool generated = row[7].as<std::string>() == "s";
      add(kColumn, identity,
          {"column",
           identity,
           "",
           Key{kTable, table},
           {{"type", row[3].as<std::string>()},
            {"", row[4].as<bool>() ? "NOT NULL" : "nullable"},
            {"default", generated || expression.empty() ? "none" : expression},
            {"generated", generated ? fmt::format("GENERATED ALWAYS AS ({}) STORED", expression)
                          : identity_kind == "a" ? "GENERATED ALWAYS AS IDENTITY"
                          : identity_kind == "d" ? "GENERATED BY DEFAULT AS IDENTITY"
                                                 : "none"}}});
    }
  }

  void read_constraints() {
    const pqxx::result rows = transaction_.exec(fmt::format(
        "SELECT n.nspname, c.relname, k.conname, k.contype::text, "
        "pg_catalog.pg_get_constraintdef(k.oid) "
        "FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND {} ORDER BY 1, 2, 3",
        kUserRelation));
    for (const auto& row : rows) {
      const std::string schema = row[0].as<std::string>();
      if (!in_scope(schema)) continue;
      const std::string table = schema + "." + row[1].as<std::string>();
      const std::string identity = table + "." + row[2].as<std::string>();
      if (ignored(kConstraint, identity, table)) continue;
      const char type = row[3].as<std::string>()[0];
      const std::string label = type == 'p'   ? "primary key"
                                : type == 'u' ? "unique constraint"
                                : type == 'f' ? "foreign key"
                                : type == 'c' ? "check constraint"
                                              : "exclusion constraint";
      add(kConstraint, identity,
          {label, identity, "", Key{kTable, table}, {{"", row[4].as<std::string>()}}});
    }
  }

  // Indexes behind a primary key, unique or exclusion constraint are compared as constraints.
  void read_indexes() {
    const pqxx::result rows = transaction_.exec(fmt::format(
        "SELECT n.nspname, i.relname, c.relname, c.relkind::text, "
        "pg_catalog.pg_get_indexdef(x.indexrelid), pg_catalog.quote_ident(i.relname) "
        "FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_catalog.pg_class c ON c.oid = x.indrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = "
        "x.indexrelid AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x')) AND {} "
        "ORDER BY 1, 2",
        kUserRelation));
    for (const auto& row : rows) {
      const std::string schema = row[0].as<std::string>();
      if (!in_scope(schema)) continue;
      const std::string name = row[1].as<std::string>();
      const std::string identity = schema + "." + name;
      const std::string owner = schema + "." + row[2].as<std::string>();
      if (ignored(kIndex, identity, owner)) continue;
      const std::string definition = row[4].as<std::string>();
      const char kind = row[3].as<std::string>()[0];
      add(kIndex, without_index_name(definition, row[5].as<std::string>()),
          {"index", identity, definition, Key{kind == 'm' ? kView : kTable, owner}, {}});
    }
  }

  // Each sequence a column owns, against max(column): what nextval gives must be above it.
  void read_positions() {
    const pqxx::result rows = transaction_.exec(
        "SELECT sn.nspname, s.relname, tn.nspname, t.relname, a.attname, q.seqincrement "
        "FROM pg_catalog.pg_depend d "
        "JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
        "JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace "
        "JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid "
        "JOIN pg_catalog.pg_class t ON t.oid = d.refobjid "
        "JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace "
        "JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
        "WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = "
        "'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i') ORDER BY 1, 2");
    for (const auto& row : rows) {
      const std::string schema = row[0].as<std::string>();
      const std::string table_schema = row[2].as<std::string>();
      if (!in_scope(schema) || !in_scope(table_schema)) continue;
      const std::string sequence = schema + "." + row[1].as<std::string>();
      const std::string table = table_schema + "." + row[3].as<std::string>();
      const std::string column = table + "." + row[4].as<std::string>();
      if (ignored(kSequence, sequence, table) || ignored(kColumn, column, table)) continue;
      const std::int64_t increment = row[5].as<std::int64_t>();
      if (increment <= 0) continue;  // a descending sequence: the maximum says nothing

      // Several statements in one job: each gets what is left of the budget.
      transaction_.exec(
          fmt::format("SET LOCAL statement_timeout = {}", session_.milliseconds_left()));
      const pqxx::row position = transaction_.exec1(
          fmt::format("SELECT last_value, is_called, (SELECT max({}) FROM {})::text FROM {}",
                      postgres::quote_identifier(row[4].as<std::string>()),
                      postgres::Table{{table_schema, row[3].as<std::string>()}}.sql(),
                      postgres::Table{{schema, row[1].as<std::string>()}}.sql()));
      ++catalog_.sequences_checked;
      const std::int64_t last = position[0].as<std::int64_t>();
      const std::optional<std::int64_t> highest = to_integer(position[2]);
      if (!highest) continue;  // an empty table, or values that are not whole numbers
      const bool called = position[1].as<bool>();
      if (called && last > std::numeric_limits<std::int64_t>::max() - increment) continue;
      const std::int64_t next = called ? last + increment : last;
      if (next <= *highest) {
        catalog_.sequence_problems.push_back(fmt::format(
            "sequence {} would give {}, but {} already has {}", sequence, next, column, *highest));
      }
    }
  }

  const SchemaTarget& target_;
  postgres::Session& session_;
  pqxx::read_transaction& transaction_;
  Catalog catalog_;
};

Catalog read_catalog(postgres::Session& session, const SchemaTarget& target, bool positions) {
  pqxx::read_transaction transaction(session.connection());
  return CatalogReader(target, session, transaction).read(positions);
}

// What one side of a difference shows.
std::string side_text(const Object* object, std::size_t attribute) {
  return object ? object->attributes[attribute].second : "missing";
}

void compare(const Catalog& source, const Catalog& target, std::vector<std::string>& problems) {
  std::map<Key, std::pair<const Object*, const Object*>> all;
  for (const auto& [key, object] : source.objects)
    all[key].first = &object;
  for (const auto& [key, object] : target.objects)
    all[key].second = &object;
  for (const auto& [key, pair] : all) {
    const auto [on_source, on_target] = pair;
    const Object& any = on_source ? *on_source : *on_target;
    if (!on_source || !on_target) {
      // A column of a table one side lacks is that table's difference, not its own.
      if (any.owner &&
          (!source.objects.contains(*any.owner) || !target.objects.contains(*any.owner))) {
        continue;
      }
      const std::string_view missing_on = on_source ? "target" : "source";
      if (key.first == kExtension) {
        problems.push_back(fmt::format("extension {} {} on {}, missing on {}", any.identity,
                                       any.attributes[0].second, on_source ? "source" : "target",
                                       missing_on));
      } else if (key.first == kIndex) {
        problems.push_back(fmt::format("index missing on {}: {}", missing_on, any.shown));
      } else {
        problems.push_back(fmt::format("{} {} missing on {}", any.label, any.identity, missing_on));
      }
      continue;
    }
    for (std::size_t i = 0; i < any.attributes.size(); ++i) {
      const std::string source_text = side_text(on_source, i);
      const std::string target_text = side_text(on_target, i);
      if (source_text == target_text) continue;
      const std::string& name = any.attributes[i].first;
      problems.push_back(fmt::format("{} {}: {}{} on source, {} on target", any.label, any.identity,
                                     name.empty() ? "" : name + " ", source_text, target_text));
    }
  }
}

// One attempt: read both catalogs at once, then compare.
class SchemaAttempt : public database::Attempt<SchemaAttempt> {
 public:
  SchemaAttempt(std::shared_ptr<const SchemaTarget> target, CheckContext& context, Completion done)
      : Attempt(context, std::move(done)), target_(std::move(target)) {}

  void start() {
    if (!watch()) return;
    pending_ = 2;
    for (std::size_t i = 0; i < 2; ++i) {
      const bool positions = i == 1 && target_->check_sequences;
      postgres::run<Catalog>(
          job_context(), i == 0 ? target_->source : target_->target,
          [target = target_, positions](postgres::Session& session) {
            return read_catalog(session, *target, positions);
          },
          then([i](SchemaAttempt& self, Expected<Catalog> catalog) {
            if (!catalog) {
              return self.finish(CheckResult::error(
                  fmt::format("{}: {}", i == 0 ? "source" : "target", catalog.error().message)));
            }
            self.catalogs_[i] = std::move(catalog).value();
            if (--self.pending_ == 0) self.report();
          }));
    }
  }

 private:
  void report() {
    const Catalog& source = *catalogs_[0];
    const Catalog& target = *catalogs_[1];
    std::vector<std::string> problems;
    for (const std::string& glob : target_->schemas) {
      const auto matched = [&glob](const Catalog& catalog) {
        return std::any_of(
            catalog.objects.begin(), catalog.objects.end(), [&glob](const auto& entry) {
              return entry.first.first == kSchema && matches(glob, entry.first.second);
            });
      };
      if (!matched(source) && !matched(target))
        problems.push_back(fmt::format("no schema matches '{}' on source or target", glob));
    }
    compare(source, target, problems);
    const std::size_t differences = problems.size();  // unmatched schemas count as ones
    problems.insert(problems.end(), target.sequence_problems.begin(),
                    target.sequence_problems.end());

    std::size_t objects = source.objects.size();
    for (const auto& [key, object] : target.objects)
      objects += source.objects.contains(key) ? 0 : 1;

    CheckResult result;
    if (problems.empty()) {
      std::string message = fmt::format("{} objects are the same on source and target (schemas {})",
                                        objects, fmt::join(target_->schemas, ", "));
      if (target_->check_sequences) {
        message +=
            fmt::format("; {} owned {}", target.sequences_checked,
                        target.sequences_checked == 1 ? "sequence is ahead of its column"
                                                      : "sequences are ahead of their columns");
      }
      result = CheckResult::passed(std::move(message));
    } else {
      result = CheckResult::failed(join_first(problems, kNamedInMessage));
    }

    std::vector<std::vector<std::string>> rows;
    for (int rank = 0; rank < kRanks; ++rank) {
      const auto count = [rank](const Catalog& catalog) {
        return std::count_if(catalog.objects.begin(), catalog.objects.end(),
                             [rank](const auto& entry) { return entry.first.first == rank; });
      };
      rows.push_back({std::string(kPlurals[rank]), fmt::to_string(count(source)),
                      fmt::to_string(count(target))});
    }
    result.details = text_table({"objects", "source", "target"}, rows, "lrr");
    if (!problems.empty()) result.details += fmt::format("\n\n{}", fmt::join(problems, "\n"));

    result.measurements.push_back({"objects", static_cast<double>(objects), ""});
    result.measurements.push_back({"differences", static_cast<double>(differences), ""});
    if (target_->check_sequences) {
      result.measurements.push_back(
          {"sequences_checked", static_cast<double>(target.sequences_checked), ""});
      result.measurements.push_back(
          {"sequences_behind", static_cast<double>(target.sequence_problems.size()), ""});
    }
    finish(std::move(result));
  }

  std::shared_ptr<const SchemaTarget> target_;
  std::optional<Catalog> catalogs_[2];
  std::size_t pending_ = 0;
};

}  // namespace

KindSpec PostgresSchemaCheck::spec() {
  return {
      "The schema of source against target: tables, columns, constraints, indexes, views, "
      "sequences and extensions; and each owned sequence on the target ahead of its column.",
      {
          {.name = "source",
           .type = FieldType::database,
           .required = true,
           .description = "the database migrated from"},
          {.name = "target",
           .type = FieldType::database,
           .required = true,
           .description = "the database migrated to; its schema must equal the source's"},
          {.name = "schemas",
           .type = FieldType::string_list,
           .description = "schemas to compare, names or globs like sales_* (extensions are "
                          "compared database-wide); a glob no schema matches fails",
           .default_value = "[public]",
           .non_empty = true},
          {.name = "ignore",
           .type = FieldType::string_list,
           .description = "globs over kind:identity left out, kind one of schema, table, column, "
                          "constraint, index, view, sequence, extension (e.g. "
                          "column:public.orders.legacy_col, index:public.tmp_*; without kind: "
                          "any); a table's columns, constraints, indexes and sequences go with it",
           .non_empty = true},
          {.name = "check_sequences",
           .type = FieldType::boolean,
           .description = "on the target, each sequence a column owns (serial, identity) must "
                          "give a value above max(column)",
           .default_value = "true"},
      }};
}

PostgresSchemaCheck::PostgresSchemaCheck(Fields& fields) {
  auto target = std::make_shared<detail::SchemaTarget>();
  target->source = fields.database("source");
  target->target = fields.database("target");
  if (!target->source || !target->target) {
    fields.error(target->source ? "target" : "source",
                 "give both source and target (the databases to compare)");
  } else if (target->source == target->target || target->source->name == target->target->name) {
    fields.error("target", "target: names the same database as source; compare two databases");
  }
  target->schemas =
      fields.has("schemas") ? fields.strings("schemas") : std::vector<std::string>{"public"};
  if (target->schemas.empty())
    fields.error("schemas", "schemas: expected at least one schema name or glob");
  for (const std::string& glob : fields.strings("ignore")) {
    const std::size_t colon = glob.find(':');
    const std::string kind = colon == std::string::npos ? "" : glob.substr(0, colon);
    if (colon + 1 == glob.size()) {
      fields.error("ignore",
                   "ignore: expected globs like table:public.audit_log, got an empty one");
    } else if (colon != std::string::npos &&
               std::find(std::begin(kKinds), std::end(kKinds), kind) == std::end(kKinds)) {
      fields.error("ignore",
                   fmt::format("ignore: {}: unknown kind '{}' (expected schema, table, column, "
                               "constraint, index, view, sequence or extension)",
                               glob, kind));
    } else {
      target->ignore.push_back(glob);
    }
  }
  target->check_sequences = fields.boolean("check_sequences", true);
  target_ = std::move(target);
}

PostgresSchemaCheck::~PostgresSchemaCheck() = default;

void PostgresSchemaCheck::start(CheckContext& context, Completion done) {
  std::make_shared<SchemaAttempt>(target_, context, std::move(done))->start();
}

std::string PostgresSchemaCheck::describe() const {
  std::string text =
      fmt::format("{} vs {}: schemas {}", target_->source ? target_->source->name : "?",
                  target_->target ? target_->target->name : "?", fmt::join(target_->schemas, ", "));
  if (!target_->ignore.empty())
    text += fmt::format(" ignoring {}", fmt::join(target_->ignore, ", "));
  return text;
}

}  // namespace cutover
