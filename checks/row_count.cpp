#include "checks/row_count.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/database/attempt.hpp"
#include "checks/mysql/tables.hpp"
#include "checks/postgres/tables.hpp"
#include "harness/text.hpp"

namespace cutover {

namespace detail {

struct RowCountTarget {
  // One database against expected counts, or source against target.
  std::shared_ptr<const Database> database;
  std::shared_ptr<const Database> source;
  std::shared_ptr<const Database> target;
  std::vector<std::string> tables;               // qualified names and globs, in the key space
  std::vector<std::string> exclude;              // globs, in the key space
  std::map<std::string, std::int64_t> expected;  // qualified name -> rows
  bool estimate = false;                         // MySQL/MariaDB: information_schema's estimate
};

}  // namespace detail

namespace {

using detail::RowCountTarget;

// Differences named in the message; the details list them all.
constexpr std::size_t kNamedInMessage = 3;

using database::is_glob;
using database::Table;

// The schema of a table named without one: PostgreSQL's public, or the database a MySQL DSN
// names (empty when it names none).
std::string default_schema(const Database& database) {
  return database.engine == Engine::mysql ? mysql::default_schema(database) : "public";
}

// schema.name, with `schema` when the name has none.
std::string qualified_in(std::string_view name, const std::string& schema) {
  if (name.find('.') != std::string_view::npos) return std::string(name);
  return schema + "." + std::string(name);
}

std::vector<Table> list_postgres(postgres::Session& session) {
  std::vector<postgres::Table> found = postgres::list_tables(session);
  return {found.begin(), found.end()};
}

std::vector<Table> list_mysql(mysql::Session& session) {
  std::vector<mysql::Table> found = mysql::list_tables(session);
  return {found.begin(), found.end()};
}

struct Side {
  std::string label;  // "source", "target", or the database's name
  std::shared_ptr<const Database> database;
  // A table in the default schema is named as in the reference side's (the source's, or the one
  // database's) default schema: public.orders on PostgreSQL matches shop.orders on MySQL.
  std::string schema_from;
  std::string schema_to;
  std::optional<std::vector<Table>> tables;    // in the reference's names
  std::map<std::string, Table> real;           // reference name -> the table on this side
  std::map<std::string, std::int64_t> counts;  // by reference name, tables that exist

  // Two tables of this side under one name (public.orders and shop.orders, when public stands
  // for the source's shop): counting either could pass wrongly.
  std::vector<std::string> clashes;

  void listed(std::vector<Table> found) {
    tables.emplace();
    for (Table& table : found) {
      Table named = table;
      if (!schema_from.empty() && !schema_to.empty() && named.schema == schema_from) {
        named.schema = schema_to;
      }
      const std::string name = named.qualified();
      if (auto [it, added] = real.emplace(name, table); !added) {
        clashes.push_back(fmt::format("{} and {} both stand for {}", it->second.qualified(),
                                      table.qualified(), name));
        continue;
      }
      tables->push_back(std::move(named));
    }
  }
};

// One attempt: list the tables on every side, then count each table that exists, all jobs in
// flight at once (each database's pool limits its own connections).
class CountAttempt : public database::Attempt<CountAttempt> {
 public:
  static Side side(std::string label, std::shared_ptr<const Database> database,
                   const std::shared_ptr<const Database>& reference) {
    const std::string schema_from = default_schema(*database);
    return {std::move(label),
            std::move(database),
            schema_from,
            default_schema(*reference),
            {},
            {},
            {},
            {}};
  }

  CountAttempt(std::shared_ptr<const RowCountTarget> target, CheckContext& context, Completion done)
      : Attempt(context, std::move(done)), target_(std::move(target)) {
    if (target_->database) {
      sides_.push_back(side(target_->database->name, target_->database, target_->database));
    } else {
      sides_.push_back(side("source", target_->source, target_->source));
      sides_.push_back(side("target", target_->target, target_->source));
    }
  }

  void start() {
    if (!watch()) return;
    pending_ = sides_.size();
    for (std::size_t i = 0; i < sides_.size(); ++i) {
      auto listed = then([i](CountAttempt& self, Expected<std::vector<Table>> tables) {
        if (!tables) return self.fail(i, tables.error());
        self.sides_[i].listed(std::move(tables).value());
        if (--self.pending_ == 0) self.count();
      });
      if (sides_[i].database->engine == Engine::mysql) {
        mysql::run<std::vector<Table>>(job_context(), sides_[i].database, list_mysql, listed);
      } else {
        postgres::run<std::vector<Table>>(job_context(), sides_[i].database, list_postgres, listed);
      }
    }
  }

 private:
  void fail(std::size_t side, const Error& error) {
    finish(CheckResult::error(sides_.size() > 1
                                  ? fmt::format("{}: {}", sides_[side].label, error.message)
                                  : error.message));
  }

  // The tables to count: the expected ones, or what `tables` names on either side.
  void count() {
    for (const Side& side : sides_) {
      if (side.clashes.empty()) continue;
      return finish(CheckResult::error(
          fmt::format("{}: {}: name the tables with their schemas, or leave one out", side.label,
                      fmt::join(side.clashes, "; "))));
    }
    if (target_->database) {
      for (const auto& [name, rows] : target_->expected)
        names_.insert(name);
    } else {
      database::TableSelection selection = database::select_tables(
          target_->tables, target_->exclude, {&*sides_[0].tables, &*sides_[1].tables});
      names_ = std::move(selection.names);
      unmatched_ = std::move(selection.unmatched);
    }

    std::vector<std::pair<std::size_t, std::string>> jobs;
    for (std::size_t i = 0; i < sides_.size(); ++i) {
      for (const Table& table : *sides_[i].tables) {
        if (names_.contains(table.qualified())) jobs.emplace_back(i, table.qualified());
      }
    }
    pending_ = jobs.size();
    if (jobs.empty()) return report();
    for (auto& [side, name] : jobs) {
      // Init-captures: clang 14 cannot capture structured bindings.
      auto counted =
          then([side = side, name = name](CountAttempt& self, Expected<std::int64_t> rows) {
            if (!rows) return self.fail(side, rows.error());
            self.sides_[side].counts[name] = rows.value();
            if (--self.pending_ == 0) self.report();
          });
      const Table& real = sides_[side].real.at(name);
      if (sides_[side].database->engine == Engine::mysql) {
        mysql::run<std::int64_t>(
            job_context(), sides_[side].database,
            [table = mysql::Table{real}, estimate = target_->estimate](mysql::Session& session) {
              return estimate ? mysql::estimate_rows(session, table)
                              : mysql::count_rows(session, table);
            },
            counted);
      } else {
        postgres::run<std::int64_t>(
            job_context(), sides_[side].database,
            [table = postgres::Table{real}](postgres::Session& session) {
              return postgres::count_rows(session, table);
            },
            counted);
      }
    }
  }

  void report() {
    std::vector<std::string> problems;
    for (const std::string& pattern : unmatched_)
      problems.push_back(fmt::format("no table matches '{}'", pattern));

    const auto cell = [](const std::optional<std::int64_t>& rows) {
      return rows ? fmt::to_string(*rows) : std::string("missing");
    };
    std::vector<std::vector<std::string>> table_rows;
    std::vector<std::int64_t> totals(sides_.size(), 0);
    for (const std::string& name : names_) {
      std::vector<std::optional<std::int64_t>> rows;
      for (std::size_t i = 0; i < sides_.size(); ++i) {
        auto it = sides_[i].counts.find(name);
        rows.push_back(it == sides_[i].counts.end() ? std::nullopt
                                                    : std::optional<std::int64_t>(it->second));
        if (rows.back()) totals[i] += *rows.back();
      }
      if (target_->database) {
        const std::int64_t expected = target_->expected.at(name);
        table_rows.push_back({name, cell(rows[0]), fmt::to_string(expected),
                              rows[0] ? fmt::format("{:+}", *rows[0] - expected) : ""});
        if (!rows[0]) {
          problems.push_back(fmt::format("{} is missing", name));
        } else if (*rows[0] != expected) {
          problems.push_back(fmt::format("{} has {} rows, expected {}", name, *rows[0], expected));
        }
        continue;
      }
      table_rows.push_back({name, cell(rows[0]), cell(rows[1]),
                            rows[0] && rows[1] ? fmt::format("{:+}", *rows[1] - *rows[0]) : ""});
      if (!rows[0] && !rows[1]) {
        problems.push_back(fmt::format("{} is missing on source and target", name));
      } else if (!rows[0] || !rows[1]) {
        problems.push_back(fmt::format("{} is missing on {}", name, rows[0] ? "target" : "source"));
      } else if (*rows[0] != *rows[1]) {
        problems.push_back(fmt::format("{} differs (source {}, target {}, {:+})", name, *rows[0],
                                       *rows[1], *rows[1] - *rows[0]));
      }
    }

    CheckResult result;
    const std::size_t tables = names_.size();
    if (problems.empty()) {
      result = CheckResult::passed(
          target_->database
              ? fmt::format("{} {} the expected row counts ({} rows in all)", tables,
                            tables == 1 ? "table has" : "tables have", totals[0])
              : fmt::format("{} {} the same row counts on source and target ({} rows each)", tables,
                            tables == 1 ? "table has" : "tables have", totals[0]));
    } else {
      result = CheckResult::failed(join_first(problems, kNamedInMessage));
    }

    const std::vector<std::string> header =
        target_->database ? std::vector<std::string>{"table", sides_[0].label, "expected", "delta"}
                          : std::vector<std::string>{"table", "source", "target", "delta"};
    result.details = text_table(header, table_rows, "lrrr");

    result.measurements.push_back({"tables", static_cast<double>(tables), ""});
    if (target_->database) {
      result.measurements.push_back({"rows", static_cast<double>(totals[0]), "rows"});
    } else {
      result.measurements.push_back({"rows_source", static_cast<double>(totals[0]), "rows"});
      result.measurements.push_back({"rows_target", static_cast<double>(totals[1]), "rows"});
    }
    finish(std::move(result));
  }

  std::shared_ptr<const RowCountTarget> target_;
  std::vector<Side> sides_;
  std::size_t pending_ = 0;
  std::set<std::string> names_;
  std::vector<std::string> unmatched_;
};

}  // namespace

KindSpec RowCountCheck::spec() {
  KindSpec spec = postgres_spec();
  spec.description =
      "Exact row counts (COUNT(*)) on PostgreSQL and MySQL/MariaDB, and across them: source "
      "against target for the tables listed, or one database against expected numbers. A "
      "missing table fails.";
  for (FieldSpec& field : spec.fields) {
    if (field.name == "tables") {
      field.description =
          "tables to compare: name (in the default schema: public on PostgreSQL, the DSN's "
          "database on MySQL/MariaDB; the source's default schema matches the target's), "
          "schema.name, or globs like sales.* (partitions are counted with their table)";
    }
  }
  spec.fields.push_back({.name = "estimate",
                         .type = FieldType::boolean,
                         .description =
                             "MySQL/MariaDB only: the server's estimate (information_schema.tables."
                             "table_rows, off by as much as half on InnoDB) instead of COUNT(*)",
                         .default_value = "false"});
  return spec;
}

KindSpec RowCountCheck::postgres_spec() {
  return {
      "Exact row counts (count(*)): source against target for the tables listed, or one "
      "database against expected numbers. A missing table fails.",
      {
          {.name = "source",
           .type = FieldType::database,
           .description = "the database migrated from (with target and tables)"},
          {.name = "target",
           .type = FieldType::database,
           .description = "the database migrated to; its counts must equal the source's"},
          {.name = "tables",
           .type = FieldType::string_list,
           .description = "tables to compare: name (schema public), schema.name, or globs like "
                          "sales.* (partitions of a partitioned table are counted with it)",
           .non_empty = true},
          {.name = "exclude",
           .type = FieldType::string_list,
           .description = "globs of schema.name left out of what tables matched",
           .non_empty = true},
          {.name = "database",
           .type = FieldType::database,
           .description = "one database whose counts must equal expect (instead of source and "
                          "target)"},
          {.name = "expect",
           .type = FieldType::object,
           .description = "with database: table -> exact row count, e.g. {public.orders: 1200}"},
      }};
}

RowCountCheck::RowCountCheck(Fields& fields) {
  auto target = std::make_shared<detail::RowCountTarget>();
  target->database = fields.database("database");
  target->source = fields.database("source");
  target->target = fields.database("target");
  const bool compare = target->source || target->target;
  target->estimate = fields.boolean("estimate");
  for (const auto& database : {target->database, target->source, target->target}) {
    if (target->estimate && database && database->engine != Engine::mysql) {
      fields.error("estimate", fmt::format("estimate: MySQL/MariaDB only, and database '{}' is {}",
                                           database->name, engine_name(database->engine)));
    }
  }
  // Names without a schema are in the reference database's default one.
  const std::shared_ptr<const Database>& reference =
      target->database ? target->database : target->source;
  const std::string schema = reference ? default_schema(*reference) : "public";
  // A MySQL side whose DSN names no database lists every database: a name without one would
  // match whatever database holds it.
  const std::shared_ptr<const Database>& unnamed =
      schema.empty()                                                ? reference
      : (target->target && default_schema(*target->target).empty()) ? target->target
                                                                    : nullptr;
  const auto qualified = [&](const std::string& name, std::string_view field) {
    if (unnamed && name.find('.') == std::string::npos) {
      fields.error(std::string(field),
                   fmt::format("{}: '{}' names no database, and the DSN of '{}' names none: "
                               "write database.{}",
                               field, name, unnamed->name, name));
    }
    return qualified_in(name, schema);
  };
  if (target->source && target->target && target->source->dsn == target->target->dsn) {
    fields.error("target", fmt::format("'{}' and '{}' are the same database: a count compared "
                                       "with itself always passes",
                                       target->source->name, target->target->name));
  }
  if (target->database && compare) {
    fields.error("database", "database: give either database (with expect) or source and target");
  } else if (target->database) {
    if (fields.has("tables") || fields.has("exclude")) {
      fields.error(fields.has("tables") ? "tables" : "exclude",
                   "with database, list the tables under expect with their row counts");
    }
    const nlohmann::json expect = fields.object("expect");
    if (!expect.is_object() || expect.empty()) {
      fields.error("expect",
                   "expect: expected a mapping of table to row count, like {public.orders: 1200}");
    } else {
      for (const auto& [name, rows] : expect.items()) {
        if (!rows.is_number_integer() || rows.get<std::int64_t>() < 0 || is_glob(name)) {
          fields.error("expect", fmt::format("expect: {}: expected a row count (a whole number "
                                             "from 0) for a table named without globs",
                                             name));
          continue;
        }
        target->expected[qualified(name, "expect")] = rows.get<std::int64_t>();
      }
    }
  } else if (compare) {
    if (!target->source || !target->target) {
      fields.error(target->source ? "source" : "target",
                   "give both source and target (the databases to compare)");
    }
    if (fields.has("expect")) {
      fields.error("expect", "expect: only with database; source and target are compared");
    }
    for (const std::string& table : fields.strings("tables"))
      target->tables.push_back(qualified(table, "tables"));
    if (target->tables.empty()) {
      fields.error("tables", "tables: expected at least one table name or glob (like sales.*)");
    }
    for (const std::string& glob : fields.strings("exclude"))
      target->exclude.push_back(qualified(glob, "exclude"));
  } else {
    fields.error("source", "give source and target (with tables), or database (with expect)");
  }
  target_ = std::move(target);
}

RowCountCheck::~RowCountCheck() = default;

void RowCountCheck::start(CheckContext& context, Completion done) {
  std::make_shared<CountAttempt>(target_, context, std::move(done))->start();
}

std::string RowCountCheck::describe() const {
  if (target_->database) {
    std::vector<std::string> names;
    for (const auto& [name, rows] : target_->expected)
      names.push_back(fmt::format("{}={}", name, rows));
    return fmt::format("{}: {}", target_->database->name, fmt::join(names, ", "));
  }
  std::string text =
      fmt::format("{} vs {}: {}", target_->source ? target_->source->name : "?",
                  target_->target ? target_->target->name : "?", fmt::join(target_->tables, ", "));
  if (!target_->exclude.empty())
    text += fmt::format(" except {}", fmt::join(target_->exclude, ", "));
  return text;
}

}  // namespace cutover
