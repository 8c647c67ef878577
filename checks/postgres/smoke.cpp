#include "checks/postgres/smoke.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "checks/postgres/pool.hpp"
#include "harness/duration.hpp"
#include "harness/redactor.hpp"
#include "harness/text.hpp"

namespace cutover {

namespace detail {

struct SmokeStep {
  std::string sql;
  std::optional<std::string> expect;  // the first column of the only row, as text
  std::optional<std::int64_t> rows;   // rows returned, or rows affected without RETURNING
  std::optional<bool> empty;
};

struct SmokeTarget {
  std::shared_ptr<const Database> database;
  std::vector<SmokeStep> steps;
  bool commit = false;
};

}  // namespace detail

namespace {

using detail::SmokeStep;
using detail::SmokeTarget;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kSqlInMessage = 60;
constexpr std::string_view kQueryCanceled = "57014";
constexpr std::string_view kStepKeys = "sql, expect, rows, empty";

// SQL on one line, each run of blanks one space, redacted whole and then cut to kSqlInMessage
// bytes: a cut piece of a secret is no longer the secret, and would not be masked.
std::string short_sql(std::string_view sql, const Redactor& redactor) {
  std::string out;
  for (char c : one_line(sql)) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';'))
    out.pop_back();
  return shorten(redactor.redact(out), kSqlInMessage);
}

std::string rows_phrase(std::int64_t count) {
  if (count == 0) return "no rows";
  if (count == 1) return "1 row";
  return fmt::format("{} rows", count);
}

std::string display(const std::optional<std::string>& value) {
  return postgres::display_value(value);
}

// The first word of a statement, lower case.
std::string first_word(std::string_view sql) {
  const std::size_t begin = sql.find_first_not_of(" \t\r\n(");
  if (begin == std::string_view::npos) return {};
  std::string word;
  for (std::size_t i = begin; i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]));
       ++i)
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i])));
  return word;
}

// The command of a statement that would end or nest the check's transaction ("COMMIT",
// "PREPARE TRANSACTION"), or none. A load error names the command, never the SQL, which may hold
// a secret the loader has not masked yet.
std::optional<std::string> transaction_command(std::string_view sql) {
  static const std::vector<std::string_view> kWords = {"begin",    "start", "commit",    "end",
                                                       "rollback", "abort", "savepoint", "release"};
  const std::string word = first_word(sql);
  const auto upper = [](std::string text) {
    for (char& c : text)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  };
  if (std::find(kWords.begin(), kWords.end(), word) != kWords.end()) return upper(word);
  // PREPARE TRANSACTION would end the transaction too.
  if (word == "prepare") {
    std::string rest;
    for (char c : sql)
      rest += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (rest.find("transaction") != std::string::npos) return "PREPARE TRANSACTION";
  }
  return std::nullopt;
}

// What one step ran into, for the details: "1 row: 'apple'", "3 rows affected", "CREATE TABLE".
struct StepResult {
  std::string summary;
  std::optional<std::string> problem;
};

StepResult judge(const SmokeStep& step, const pqxx::result& result) {
  const bool has_rows = result.columns() > 0;
  const std::int64_t count = has_rows ? static_cast<std::int64_t>(result.size())
                                      : static_cast<std::int64_t>(result.affected_rows());
  // libpqxx 6 keeps the command tag to itself: the statement's first word tells a row count
  // (INSERT, UPDATE, DELETE, MERGE, COPY) from none (CREATE, SET, ...).
  const std::string word = first_word(step.sql);
  const bool counts_rows = has_rows || word == "insert" || word == "update" || word == "delete" ||
                           word == "merge" || word == "copy";
  StepResult out;
  if (has_rows) {
    out.summary = rows_phrase(count);
    if (count == 1) {
      const auto& field = result[0][0];
      out.summary += ": " + display(field.is_null() ? std::nullopt
                                                    : std::optional<std::string>(field.c_str()));
    }
  } else if (counts_rows) {
    out.summary = fmt::format("{} affected", rows_phrase(count));
  } else {
    out.summary = "done";
  }

  if (step.rows && count != *step.rows) {
    out.problem = fmt::format("expected {}, got {}", rows_phrase(*step.rows), count);
  } else if (step.empty == true && count != 0) {
    out.problem = fmt::format("expected no rows, got {}", count);
  } else if (step.empty == false && count == 0) {
    out.problem = "expected rows, got none";
  } else if (step.expect) {
    if (!has_rows) {
      out.problem = fmt::format("expected one row with the value {}, the statement returns no rows",
                                display(step.expect));
    } else if (count != 1) {
      out.problem =
          fmt::format("expected one row with the value {}, got {}", display(step.expect), count);
    } else {
      const auto& field = result[0][0];
      const std::optional<std::string> value =
          field.is_null() ? std::nullopt : std::optional<std::string>(field.c_str());
      if (value != step.expect) {
        out.problem = fmt::format("expected {}, got {}", display(step.expect), display(value));
      }
    }
  }
  return out;
}

struct SmokeRun {
  std::vector<std::string> details;    // one line per step that ran
  std::optional<std::string> failure;  // the first failing step
  bool committed = false;
  Duration elapsed{};
  std::vector<std::string> advanced_sequences;  // "public.ticket to 2 (was 1)"
};

// Sequences by qualified name, with their last value as text; "" before the first nextval (or
// where the user may not read it).
using SequenceValues = std::map<std::string, std::string>;

// Outside a transaction. Empty when the server cannot tell (pg_sequences came in PostgreSQL 10).
std::optional<SequenceValues> sequence_values(pqxx::nontransaction& statements) {
  pqxx::result rows;
  try {
    rows = statements.exec(
        "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences");
  } catch (const pqxx::sql_error&) {
    return std::nullopt;
  }
  SequenceValues values;
  for (const auto& row : rows)
    values[row[0].c_str()] = row[1].is_null() ? "" : row[1].c_str();
  return values;
}

// After the transaction ended: the sequences the steps advanced, "public.ticket to 2 (was 1)".
// PostgreSQL never rolls a sequence back. Other sessions move sequences too: a sequence counts
// only when it moved and this session has a currval() of it, which only its own nextval() or
// setval() gives (the connection is new to writing: checks before ran read-only, where nextval
// is refused, and a smoke check's connection is closed after it).
std::vector<std::string> advanced_sequences(pqxx::nontransaction& statements,
                                            const SequenceValues& before) {
  std::vector<std::string> advanced;
  const std::optional<SequenceValues> after = sequence_values(statements);
  if (!after) return advanced;
  for (const auto& [name, value] : *after) {
    const auto earlier = before.find(name);
    const std::string was = earlier == before.end() ? "" : earlier->second;
    if (earlier != before.end() && was == value) continue;
    try {
      // Each statement its own transaction: one that fails leaves the next unharmed.
      const pqxx::result current =
          statements.exec(fmt::format("SELECT currval({}::regclass)", statements.quote(name)));
      advanced.push_back(fmt::format("{} to {} (was {})", name, current[0][0].c_str(),
                                     was.empty() ? "unused" : was));
    } catch (const pqxx::sql_error&) {
      // No currval: another session moved it.
    }
  }
  return advanced;
}

// A server error that ends the check as an error rather than a failed step: the budget or a
// cancellation stopped the query (57014), the server is going away (class 57), or the
// connection broke (class 08, or closed).
bool is_fatal(const pqxx::sql_error& error, pqxx::connection& connection) {
  return !connection.is_open() || error.sqlstate() == kQueryCanceled ||
         error.sqlstate().starts_with("57") || error.sqlstate().starts_with("08");
}

std::string server_message(const pqxx::sql_error& error, const Database& database) {
  return postgres::describe_error(error, database) +
         (error.sqlstate().empty() ? "" : " (SQLSTATE " + error.sqlstate() + ")");
}

// On a worker thread. The pooled session is read-only by default: the transaction is begun
// READ WRITE explicitly, and ended (ROLLBACK, or COMMIT) on every path before the connection
// goes back.
SmokeRun run_steps(const SmokeTarget& target, const Redactor& redactor,
                   postgres::Session& session) {
  const auto started = Clock::now();
  pqxx::connection& connection = session.connection();
  SmokeRun out;
  pqxx::nontransaction statements(connection);
  const std::optional<SequenceValues> sequences = sequence_values(statements);
  statements.exec("BEGIN READ WRITE");
  try {
    for (std::size_t i = 0; i < target.steps.size() && !out.failure; ++i) {
      const SmokeStep& step = target.steps[i];
      const std::string name = fmt::format("step {} ({})", i + 1, short_sql(step.sql, redactor));
      // statement_timeout covers one statement: each step gets what is left of the budget.
      statements.exec(fmt::format("SET LOCAL statement_timeout = {}", session.milliseconds_left()));
      pqxx::result result;
      try {
        // The extended protocol: one statement per step.
        result = statements.exec_params(step.sql);
      } catch (const pqxx::sql_error& e) {
        if (is_fatal(e, connection)) throw;
        out.failure = fmt::format("{}: {}", name, server_message(e, *target.database));
        out.details.push_back(*out.failure);
        break;
      }
      const StepResult judged = judge(step, result);
      out.details.push_back(fmt::format("{}: {}", name, judged.summary));
      if (judged.problem) {
        out.failure = fmt::format("{}: {}", name, *judged.problem);
        out.details.back() += " (" + *judged.problem + ")";
      }
    }
    if (!out.failure && target.commit) {
      try {
        statements.exec("COMMIT");
        out.committed = true;
      } catch (const pqxx::sql_error& e) {
        // A deferred constraint, a serialization failure: the transaction is rolled back.
        if (is_fatal(e, connection)) throw;
        out.failure = "commit failed: " + server_message(e, *target.database);
      }
    }
    if (!out.committed) statements.exec("ROLLBACK");
  } catch (...) {
    try {
      statements.exec("ROLLBACK");
    } catch (const std::exception&) {
      // The connection is gone, or the transaction already ended; the pool closes a broken one.
    }
    throw;
  }
  out.elapsed = Clock::now() - started;
  if (sequences) out.advanced_sequences = advanced_sequences(statements, *sequences);
  // What the steps did to the session itself (SET, session advisory locks, LISTEN, prepared
  // statements) must not reach the next check: this connection is not reused.
  connection.disconnect();
  return out;
}

CheckResult report(const SmokeTarget& target, SmokeRun run) {
  CheckResult result;
  if (run.failure) {
    result = CheckResult::failed(std::move(*run.failure));
  } else {
    const std::size_t steps = target.steps.size();
    result =
        CheckResult::passed(fmt::format("{} {} passed; {}", steps, steps == 1 ? "step" : "steps",
                                        run.committed ? "committed" : "rolled back"));
  }
  std::string details;
  for (const std::string& line : run.details) {
    if (!details.empty()) details += "\n";
    details += line;
  }
  if (!details.empty()) details += "\n";
  details += run.committed ? "committed" : "rolled back";
  if (!run.advanced_sequences.empty()) {
    details += fmt::format("\nsequences advanced, which a rollback does not undo: {}",
                           fmt::join(run.advanced_sequences, ", "));
  }
  result.details = std::move(details);
  result.measurements.push_back({"total_ms", to_milliseconds(run.elapsed), "ms"});
  return result;
}

std::string json_type(const nlohmann::json& value) {
  if (value.is_object()) return "a mapping";
  if (value.is_array()) return "a list";
  if (value.is_string()) return "text";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "nothing";
  return "a number";
}

// Reads one step, recording its mistakes as "step N: ...".
std::optional<SmokeStep> read_step(std::size_t number, const nlohmann::json& item, Fields& fields) {
  const auto error = [&fields, number](const std::string& message) {
    fields.error("steps", fmt::format("step {}: {}", number, message));
  };
  if (!item.is_object()) {
    error(
        fmt::format("expected a mapping like {{sql: \"...\", rows: 1}}, got {}", json_type(item)));
    return std::nullopt;
  }
  SmokeStep step;
  bool valid = true;
  for (const auto& [key, value] : item.items()) {
    if (key == "sql") {
      if (!value.is_string() ||
          value.get<std::string>().find_first_not_of(" \t\r\n;") == std::string::npos) {
        error("sql: expected one SQL statement");
        valid = false;
      } else {
        step.sql = value.get<std::string>();
        if (const std::optional<std::string> command = transaction_command(step.sql)) {
          error(
              fmt::format("sql: {} would end or nest the check's transaction; use commit: true "
                          "to keep the changes",
                          *command));
          valid = false;
        }
      }
    } else if (key == "expect") {
      if (value.is_string()) {
        step.expect = value.get<std::string>();
      } else if (value.is_number_integer()) {
        step.expect = std::to_string(value.get<std::int64_t>());
      } else {
        error(
            fmt::format("expect: expected text as PostgreSQL prints the value, got {} (quote "
                        "it: '1.50', 't')",
                        json_type(value)));
        valid = false;
      }
    } else if (key == "rows") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
        error("rows: expected a row count (a whole number from 0)");
        valid = false;
      } else {
        step.rows = value.get<std::int64_t>();
      }
    } else if (key == "empty") {
      if (!value.is_boolean()) {
        error("empty: expected true or false");
        valid = false;
      } else {
        step.empty = value.get<bool>();
      }
    } else {
      error(fmt::format("unknown key '{}' (known: {})", key, kStepKeys));
      valid = false;
    }
  }
  if (!item.contains("sql")) {
    error("sql is missing");
    valid = false;
  }
  if (!valid) return std::nullopt;
  if (step.expect && step.rows && *step.rows != 1) {
    error(fmt::format("expect reads a one-row result, but rows is {}", *step.rows));
  } else if (step.empty == true && (step.expect || (step.rows && *step.rows != 0))) {
    error("empty: true contradicts expect or rows, which need rows");
  } else if (step.empty == false && step.rows == 0) {
    error("empty: false contradicts rows: 0");
  }
  return step;
}

}  // namespace

KindSpec PostgresSmokeCheck::spec() {
  return {
      .description =
          "SQL steps run in one read-write transaction, each with optional assertions on its "
          "result; the first failing step stops the run. Rolled back at the end unless commit: "
          "true: the only check kind that writes. A rollback does not undo nextval(): "
          "PostgreSQL never rolls sequences back, so the details name the sequences the steps "
          "advanced. A step's SQL error fails the check. Measures total_ms.",
      .fields =
          {
              {.name = "database",
               .type = FieldType::database,
               .required = true,
               .description = "A database the suite declares under `databases:`"},
              {.name = "steps",
               .type = FieldType::object,
               .required = true,
               .description =
                   "A list of steps, each {sql: one statement, expect: text of the first column "
                   "of the only row, rows: rows returned (or affected without RETURNING), "
                   "empty: true or false}; a step without assertions must just succeed",
               .characters = Characters::multiline},
              {.name = "commit",
               .type = FieldType::boolean,
               .description = "true: commit the transaction when every step passed",
               .default_value = "false"},
          },
  };
}

PostgresSmokeCheck::PostgresSmokeCheck(Fields& fields) {
  auto target = std::make_shared<SmokeTarget>();
  target->database = fields.database("database");
  if (target->database == nullptr) fields.error("database", "expected the name of a database");
  target->commit = fields.boolean("commit");
  const nlohmann::json steps = fields.object("steps");
  if (!steps.is_array() || steps.empty()) {
    fields.error("steps",
                 fmt::format("expected a list of steps like [{{sql: \"...\", rows: 1}}], got {}",
                             steps.is_array() ? "an empty list" : json_type(steps)));
  } else {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (auto step = read_step(i + 1, steps[i], fields)) {
        target->steps.push_back(std::move(*step));
      }
    }
  }
  target_ = std::move(target);
}

PostgresSmokeCheck::~PostgresSmokeCheck() = default;

void PostgresSmokeCheck::start(CheckContext& context, Completion done) {
  postgres::run<SmokeRun>(
      context, target_->database,
      // The run's redactor outlives every attempt.
      [target = target_, &redactor = context.redactor](postgres::Session& session) {
        return run_steps(*target, redactor, session);
      },
      [target = target_, done = std::move(done)](Expected<SmokeRun> run) {
        if (!run) return done(CheckResult::error(run.error().message));
        done(report(*target, std::move(run).value()));
      });
}

std::string PostgresSmokeCheck::describe() const {
  const std::size_t steps = target_->steps.size();
  return fmt::format("database '{}': {} {}{}",
                     target_->database ? target_->database->name : std::string(), steps,
                     steps == 1 ? "step" : "steps", target_->commit ? ", committed" : "");
}

}  // namespace cutover
