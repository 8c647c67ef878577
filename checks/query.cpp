#include "checks/query.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "checks/database/attempt.hpp"
#include "checks/database/query_result.hpp"
#include "checks/database/smoke_steps.hpp"
#include "checks/mysql/query_run.hpp"
#include "checks/postgres/pool.hpp"
#include "checks/postgres/query_run.hpp"
#include "harness/duration.hpp"
#include "harness/text.hpp"

namespace cutover {

namespace detail {

struct QueryTarget {
  std::shared_ptr<const Database> database;
  std::string sql;
  std::optional<std::string> expect;
  bool expect_null = false;
  std::optional<double> expect_min;
  std::optional<double> expect_max;
  std::optional<std::int64_t> rows;
  std::optional<bool> empty;
  std::shared_ptr<const Database> same_as;

  // An assertion on the value of a one-row result.
  bool on_value() const { return expect || expect_null || expect_min || expect_max; }
};

}  // namespace detail

namespace {

using detail::QueryTarget;

using database::kMaxRows;
// Differing rows named in the message, per side; the details hold more.
constexpr std::size_t kRowsInMessage = 3;
constexpr std::size_t kRowsInDetails = 20;

using database::QueryResult;
using database::Row;

std::string display(const std::optional<std::string>& value) {
  return postgres::display_value(value);
}

std::string display(const Row& row) {
  std::vector<std::string> cells;
  cells.reserve(row.size());
  for (const auto& cell : row)
    cells.push_back(display(cell));
  return fmt::format("({})", fmt::join(cells, ", "));
}

// SQL on one line, each run of blanks one space.
std::string single_spaced(std::string_view sql) {
  std::string out;
  for (char c : one_line(sql)) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  return out;
}

std::string rows_phrase(std::size_t count) {
  if (count == 0) return "no rows";
  if (count == 1) return "1 row";
  return fmt::format("{} rows", count);
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The rows of one result that the other lacks, counting duplicates, in sorted order.
struct Difference {
  std::vector<Row> only_first;
  std::vector<Row> only_second;
};

Difference difference(const QueryResult& first, const QueryResult& second) {
  std::map<Row, std::int64_t> balance;
  for (const Row& row : first.rows)
    ++balance[row];
  for (const Row& row : second.rows)
    --balance[row];
  Difference out;
  for (const auto& [row, count] : balance) {
    for (std::int64_t i = 0; i < count; ++i)
      out.only_first.push_back(row);
    for (std::int64_t i = 0; i > count; --i)
      out.only_second.push_back(row);
  }
  return out;
}

std::string listed(const std::vector<Row>& rows, std::size_t limit) {
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < rows.size() && i < limit; ++i)
    shown.push_back(display(rows[i]));
  std::string text = fmt::format("{}", fmt::join(shown, ", "));
  if (rows.size() > limit) text += fmt::format(" and {} more", rows.size() - limit);
  return text;
}

// Compares the results of the same query on two databases, as multisets of rows. Empty when
// they are the same.
std::optional<std::string> compare(const std::string& first_name, const QueryResult& first,
                                   const std::string& second_name, const QueryResult& second,
                                   std::string& details) {
  if (first.columns != second.columns) {
    return fmt::format("results differ: '{}' returns {} columns, '{}' {}", first_name,
                       first.columns, second_name, second.columns);
  }
  const Difference diff = difference(first, second);
  if (diff.only_first.empty() && diff.only_second.empty()) return std::nullopt;
  std::string message =
      fmt::format("results differ: '{}' returned {}, '{}' {}", first_name,
                  rows_phrase(first.rows.size()), second_name, rows_phrase(second.rows.size()));
  for (const auto& [name, rows] :
       std::array<std::pair<const std::string*, const std::vector<Row>*>, 2>{
           {{&first_name, &diff.only_first}, {&second_name, &diff.only_second}}}) {
    if (rows->empty()) continue;
    message += fmt::format("; only on '{}': {}", *name, listed(*rows, kRowsInMessage));
    if (!details.empty()) details += "\n";
    details += fmt::format("only on '{}' ({}):", *name, rows_phrase(rows->size()));
    for (std::size_t i = 0; i < rows->size() && i < kRowsInDetails; ++i)
      details += "\n  " + display((*rows)[i]);
    if (rows->size() > kRowsInDetails) {
      details += fmt::format("\n  ... and {} more", rows->size() - kRowsInDetails);
    }
  }
  return message;
}

// The assertions on the value of a one-row result; adds what failed to `problems`.
void judge_value(const QueryTarget& target, const std::optional<std::string>& value,
                 std::vector<std::string>& problems) {
  if (target.expect && value != target.expect) {
    problems.push_back(fmt::format("expected {}, got {}", display(target.expect), display(value)));
  }
  if (target.expect_null && value) {
    problems.push_back(fmt::format("expected NULL, got {}", display(value)));
  }
  if (!target.expect_min && !target.expect_max) return;
  const std::optional<double> number = value ? parse_number(*value) : std::nullopt;
  if (!number) {
    problems.push_back(fmt::format("expected a number, got {}", display(value)));
    return;
  }
  if (target.expect_min && !(*number >= *target.expect_min)) {
    problems.push_back(fmt::format("expected at least {}, got {}", *target.expect_min, *value));
  }
  if (target.expect_max && !(*number <= *target.expect_max)) {
    problems.push_back(fmt::format("expected at most {}, got {}", *target.expect_max, *value));
  }
}

CheckResult judge(const QueryTarget& target, const QueryResult& result,
                  const std::optional<QueryResult>& other) {
  const std::size_t count = result.rows.size();
  std::vector<std::string> problems;
  std::string details;
  if (target.rows && count != static_cast<std::size_t>(*target.rows)) {
    problems.push_back(fmt::format("expected {}, got {}",
                                   rows_phrase(static_cast<std::size_t>(*target.rows)), count));
  }
  if (target.empty == true && count != 0) {
    problems.push_back(fmt::format("expected no rows, got {}", count));
  }
  if (target.empty == false && count == 0) problems.push_back("expected rows, got none");
  if (target.on_value()) {
    if (count != 1) {
      problems.push_back(
          fmt::format("expected one row with the value, got {}", rows_phrase(count)));
    } else {
      judge_value(target, result.rows[0][0], problems);
    }
  }
  if (other) {
    if (auto differs =
            compare(target.database->name, result, target.same_as->name, *other, details)) {
      problems.push_back(std::move(*differs));
    }
  }

  CheckResult outcome;
  if (problems.empty()) {
    std::string message =
        fmt::format("'{}' returned {}", target.database->name, rows_phrase(count));
    if (target.on_value()) message += ": " + display(result.rows[0][0]);
    if (other) message += fmt::format(", the same as '{}'", target.same_as->name);
    outcome = CheckResult::passed(std::move(message));
  } else {
    outcome = CheckResult::failed(fmt::format("{}", fmt::join(problems, "; ")));
    outcome.details = std::move(details);
  }
  outcome.measurements.push_back({"rows", static_cast<double>(count), "rows"});
  outcome.measurements.push_back({"query_ms", to_milliseconds(result.elapsed), "ms"});
  return outcome;
}

// One attempt: the query on its database, and on `same_as` at the same time. A failure on one
// side stops the query on the other too.
class QueryAttempt : public database::Attempt<QueryAttempt> {
  friend Attempt;

 public:
  QueryAttempt(std::shared_ptr<const QueryTarget> target, CheckContext& context, Completion done)
      : Attempt(context, std::move(done)), target_(std::move(target)) {}

  void start() {
    if (!watch()) return;
    const bool both = target_->same_as != nullptr;
    pending_ = both ? 2 : 1;
    run(0, target_->database);
    if (both) run(1, target_->same_as);
  }

 private:
  // Cancelled, the jobs answer, each with the stage its query was stopped in.
  std::optional<CheckResult> cancelled_result() { return std::nullopt; }

  void run(std::size_t side, const std::shared_ptr<const Database>& database) {
    auto answered = then([side](QueryAttempt& self, Expected<QueryResult> result) {
      self.on_result(side, std::move(result));
    });
    if (database->engine == Engine::mysql) {
      mysql::run<QueryResult>(
          job_context(), database,
          [target = target_](mysql::Session& session) {
            return mysql::run_query(target->sql, session);
          },
          answered);
    } else {
      postgres::run<QueryResult>(
          job_context(), database,
          [target = target_](postgres::Session& session) {
            return postgres::run_query(target->sql, session);
          },
          answered);
    }
  }

  void on_result(std::size_t side, Expected<QueryResult> result) {
    if (!result) {
      // With two databases, the message says which one failed.
      const std::string& name = side == 0 ? target_->database->name : target_->same_as->name;
      return finish(CheckResult::error(target_->same_as == nullptr
                                           ? result.error().message
                                           : fmt::format("{}: {}", name, result.error().message)));
    }
    results_[side] = std::move(result).value();
    if (--pending_ > 0) return;
    finish(judge(*target_, *results_[0], results_[1]));
  }

  std::shared_ptr<const QueryTarget> target_;
  std::size_t pending_ = 0;
  std::array<std::optional<QueryResult>, 2> results_;
};

}  // namespace

namespace {

// What MySQL/MariaDB would run in a read-only transaction but still changes something: a
// statement other than a query (CALL, DO, SET GLOBAL, KILL), or SELECT ... INTO a file or a
// variable. The connector sends one statement, so the first word says what it is.
std::optional<std::string> mysql_refusal(std::string_view sql) {
  static const std::vector<std::string> kQueries{"select", "with",     "show", "table",
                                                 "values", "describe", "desc", "explain"};
  const std::string word = database::first_word(sql);
  if (std::find(kQueries.begin(), kQueries.end(), word) == kQueries.end()) {
    return fmt::format(
        "on MySQL/MariaDB, expected one query (SELECT, WITH, SHOW, TABLE, VALUES, DESCRIBE or "
        "EXPLAIN), got {}",
        word.empty() ? std::string("nothing") : word);
  }
  const std::vector<std::string> words = database::leading_words(sql, sql.size());
  if (std::find(words.begin(), words.end(), "into") != words.end()) {
    return std::string(
        "on MySQL/MariaDB, SELECT ... INTO writes a file or sets variables: leave INTO out");
  }
  return std::nullopt;
}

}  // namespace

KindSpec QueryCheck::postgres_spec() {
  KindSpec spec = QueryCheck::spec();
  spec.description =
      "Runs one read-only query and checks its result: the value of a one-row result, the row "
      "count, emptiness, or the same rows as on another database. The query runs in a "
      "read-only transaction that is rolled back; it cannot write.";
  for (FieldSpec& field : spec.fields) {
    if (field.name == "same_as") {
      field.description =
          "Another database on which the same query returns the same rows, in any order "
          "(compared as text, duplicates counted)";
    }
  }
  return spec;
}

KindSpec QueryCheck::spec() {
  return {
      .description =
          "Runs one read-only query (PostgreSQL or MySQL/MariaDB) and checks its result: the "
          "value of a one-row result, the row count, emptiness, or the same rows as on another "
          "database. The query runs in a read-only transaction that is rolled back; it cannot "
          "write.",
      .fields =
          {
              {.name = "database",
               .type = FieldType::database,
               .required = true,
               .description = "A database the suite declares under `databases:`"},
              {.name = "sql",
               .required = true,
               .description = "One query: SELECT, VALUES, TABLE, WITH ..., SHOW",
               .characters = Characters::multiline},
              {.name = "expect",
               .description = "The result has one row whose first column, as text, is exactly "
                              "this; NULL never equals it",
               .characters = Characters::multiline},
              {.name = "expect_null",
               .type = FieldType::boolean,
               .description = "true: the result has one row whose first column is NULL",
               .default_value = "false"},
              {.name = "expect_min",
               .type = FieldType::number,
               .description = "The result has one row whose first column is a number at least "
                              "this"},
              {.name = "expect_max",
               .type = FieldType::number,
               .description = "The result has one row whose first column is a number at most "
                              "this"},
              {.name = "rows",
               .type = FieldType::integer,
               .description = "The number of rows",
               .min = 0,
               .max = static_cast<std::int64_t>(kMaxRows)},
              {.name = "empty",
               .type = FieldType::boolean,
               .description = "true: no rows; false: at least one"},
              {.name = "same_as",
               .type = FieldType::database,
               .description = "Another database, of either engine, on which the same query "
                              "returns the same rows, in any order (compared as the servers' "
                              "text, duplicates counted)"},
          },
  };
}

QueryCheck::QueryCheck(Fields& fields) {
  auto target = std::make_shared<QueryTarget>();
  target->database = fields.database("database");
  if (target->database == nullptr) fields.error("database", "expected the name of a database");

  target->sql = fields.string("sql");
  if (fields.has("sql") && target->sql.find_first_not_of(" \t\r\n;") == std::string::npos) {
    fields.error("sql", "expected one SQL query, got nothing");
  }

  if (fields.has("expect")) target->expect = fields.string("expect");
  target->expect_null = fields.boolean("expect_null");
  if (fields.has("expect_min")) target->expect_min = fields.number("expect_min");
  if (fields.has("expect_max")) target->expect_max = fields.number("expect_max");
  if (fields.has("rows")) target->rows = fields.integer("rows");
  if (fields.has("empty")) target->empty = fields.boolean("empty");
  target->same_as = fields.database("same_as");

  if (!target->on_value() && !target->rows && !target->empty && !target->same_as) {
    fields.error("",
                 "expected at least one assertion: expect, expect_null, expect_min, "
                 "expect_max, rows, empty or same_as");
  }
  if (target->expect && target->expect_null) {
    fields.error("expect_null", "expect_null: true and expect cannot both hold");
  }
  if (target->expect_null && (target->expect_min || target->expect_max)) {
    fields.error("expect_null", "expect_null: true and expect_min/expect_max cannot both hold");
  }
  if (target->expect_min && target->expect_max && *target->expect_min > *target->expect_max) {
    fields.error("expect_max", fmt::format("expected a bound at least expect_min ({}), got {}",
                                           *target->expect_min, *target->expect_max));
  }
  if (target->on_value() && target->rows && *target->rows != 1) {
    fields.error("rows", fmt::format("expect, expect_null, expect_min and expect_max read a "
                                     "one-row result, but rows is {}",
                                     *target->rows));
  }
  if (target->empty == true && (target->on_value() || (target->rows && *target->rows != 0))) {
    fields.error("empty", "empty: true contradicts the other assertions, which need rows");
  }
  if (target->empty == false && target->rows == 0) {
    fields.error("empty", "empty: false contradicts rows: 0");
  }
  const bool on_mysql = (target->database && target->database->engine == Engine::mysql) ||
                        (target->same_as && target->same_as->engine == Engine::mysql);
  if (on_mysql && fields.has("sql")) {
    if (auto refusal = mysql_refusal(target->sql)) fields.error("sql", *refusal);
  }
  if (target->same_as && target->same_as == target->database) {
    fields.error("same_as",
                 fmt::format("expected another database than '{}'", target->database->name));
  }
  target_ = std::move(target);
}

QueryCheck::~QueryCheck() = default;

void QueryCheck::start(CheckContext& context, Completion done) {
  std::make_shared<QueryAttempt>(target_, context, std::move(done))->start();
}

// The SQL comes last and whole: --dry-run redacts the line, then cuts it.
std::string QueryCheck::describe() const {
  std::string text =
      fmt::format("database '{}'", target_->database ? target_->database->name : std::string());
  if (target_->expect) text += " expect " + display(target_->expect);
  if (target_->expect_null) text += " expect NULL";
  if (target_->expect_min) text += fmt::format(" at least {}", *target_->expect_min);
  if (target_->expect_max) text += fmt::format(" at most {}", *target_->expect_max);
  if (target_->rows) text += fmt::format(" rows {}", *target_->rows);
  if (target_->empty) text += *target_->empty ? " empty" : " not empty";
  if (target_->same_as) text += fmt::format(" same as '{}'", target_->same_as->name);
  return text + ": " + single_spaced(target_->sql);
}

}  // namespace cutover
