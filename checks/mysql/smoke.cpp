#include "checks/mysql/smoke.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <mysqld_error.h>

#include "checks/database/smoke_steps.hpp"
#include "checks/mysql/session.hpp"
#include "harness/duration.hpp"

namespace cutover {

namespace detail {

struct MysqlSmokeTarget {
  std::shared_ptr<const Database> database;
  std::vector<database::SmokeStep> steps;
};

}  // namespace detail

namespace {

using detail::MysqlSmokeTarget;
using Clock = std::chrono::steady_clock;

// MySQL's error for a statement past max_execution_time; MariaDB's is ER_STATEMENT_TIMEOUT.
constexpr unsigned kMysqlQueryTimeout = 3024;

std::string upper(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

bool contains(const std::vector<std::string_view>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Statements that end or nest a transaction by name.
const std::vector<std::string_view> kTransactionWords = {
    "begin", "start", "commit", "rollback", "savepoint", "release", "xa"};
// Statements after which MySQL and MariaDB commit implicitly ("Statements That Cause an Implicit
// Commit"): DDL, account management, table locks, administration and replication control.
const std::vector<std::string_view> kImplicitCommitWords = {
    "create", "alter",   "drop",      "rename",  "truncate", "lock",   "unlock", "grant",
    "revoke", "install", "uninstall", "analyze", "optimize", "repair", "check",  "cache",
    "flush",  "reset",   "change",    "stop",    "backup",   "purge"};

// The load error for a statement that would end or nest the check's transaction, naming its
// command, or none.
std::optional<std::string> refusal(std::string_view sql) {
  const std::vector<std::string> words = database::leading_words(sql, 64);
  if (words.empty()) return std::nullopt;
  const std::string& word = words.front();
  const std::string second = words.size() > 1 ? upper(words[1]) : std::string();
  if (contains(kTransactionWords, word)) {
    const bool named = word == "start" || word == "xa";
    return fmt::format(
        "{} would end or nest the check's transaction, which is always rolled back on "
        "MySQL/MariaDB",
        upper(word) + (named && !second.empty() ? " " + second : ""));
  }
  std::string command;
  if (contains(kImplicitCommitWords, word)) {
    // CREATE [OR REPLACE] TEMPORARY TABLE and DROP TEMPORARY TABLE do not commit.
    const auto head =
        words.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(words.size(), 4));
    if ((word == "create" || word == "drop") && std::find(words.begin(), head, "temporary") != head)
      return std::nullopt;
    command =
        upper(word) + (word == "lock" || word == "unlock" || word == "cache" ? " " + second : "");
  } else if (word == "load" && second == "INDEX") {
    command = "LOAD INDEX";
  } else if (word == "set" && second == "PASSWORD") {
    command = "SET PASSWORD";
  } else if (word == "set" && std::find(words.begin(), words.end(), "autocommit") != words.end()) {
    command = "SET autocommit";
  } else {
    return std::nullopt;
  }
  return fmt::format(
      "{} would end the check's transaction: MySQL/MariaDB commits implicitly before it, keeping "
      "the changes of the steps before",
      command);
}

struct SmokeRun {
  std::vector<std::string> details;    // one line per step that ran
  std::optional<std::string> failure;  // the first failing step
  bool committed = false;              // a step committed implicitly
  Duration elapsed{};
};

// The budget ran out, a cancel killed the query, or the connection broke: the check ends as an
// error, reported by the pool, rather than a failed step.
bool is_fatal(const mysql::Failure& failure) {
  return failure.code == ER_QUERY_INTERRUPTED || failure.code == ER_STATEMENT_TIMEOUT ||
         failure.code == kMysqlQueryTimeout ||
         // The client's own errors (CR_*); server errors are below 2000 or from 3000 (MySQL
         // 8's, MariaDB's 4025 for a CHECK constraint).
         (failure.code >= 2000 && failure.code < 3000);
}

database::StepOutcome outcome_of(const database::SmokeStep& step,
                                 const mysql::StatementResult& result) {
  const std::string word = database::first_word(step.sql);
  database::StepOutcome outcome{
      .returns_rows = result.returns_rows,
      .rows = static_cast<std::int64_t>(result.rows),
      .counts_rows = word == "insert" || word == "update" || word == "delete" || word == "replace",
  };
  if (result.rows == 1 && result.first_row && !result.first_row->empty())
    outcome.first_value = result.first_row->front();
  return outcome;
}

// Runs the steps in order up to the first that fails, or that ends the transaction.
void run_each(const MysqlSmokeTarget& target, const Redactor& redactor, mysql::Session& session,
              SmokeRun& out) {
  for (std::size_t i = 0; i < target.steps.size(); ++i) {
    const database::SmokeStep& step = target.steps[i];
    const std::string name = database::step_name(i + 1, step.sql, redactor);
    // The server's statement limit covers one statement: each step gets what is left.
    session.set_statement_timeout();
    mysql::StatementResult result;
    try {
      result = session.run_statement(step.sql);
    } catch (const mysql::Failure& failure) {
      if (is_fatal(failure)) throw;
      out.failure = fmt::format("{}: {}", name, mysql::describe_error(failure, *target.database));
      out.details.push_back(*out.failure);
      return;
    }
    const database::StepVerdict verdict = database::judge_step(step, outcome_of(step, result));
    out.details.push_back(fmt::format("{}: {}", name, verdict.summary));
    if (!session.in_transaction()) {
      // A statement the load did not recognise (a CALL, a prepared statement) committed.
      out.committed = true;
      out.failure = fmt::format(
          "{}: ended the check's transaction (an implicit commit): the changes of this step and "
          "those before it were committed",
          name);
      out.details.back() += " (ended the transaction)";
      return;
    }
    if (verdict.problem) {
      out.failure = fmt::format("{}: {}", name, *verdict.problem);
      out.details.back() += " (" + *verdict.problem + ")";
      return;
    }
  }
}

// On a worker thread. The pooled session is read-only by default: the transaction is begun READ
// WRITE explicitly, and rolled back on every path.
SmokeRun run_steps(const MysqlSmokeTarget& target, const Redactor& redactor,
                   mysql::Session& session) {
  const auto started = Clock::now();
  SmokeRun out;
  // What the steps do to the session (SET, temporary tables, user variables) must not reach the
  // next check; and a connection left in an unknown state by an error is not reused either.
  session.close();
  session.execute("START TRANSACTION READ WRITE");
  try {
    run_each(target, redactor, session, out);
    if (!out.committed) session.execute("ROLLBACK");
  } catch (...) {
    try {
      session.execute("ROLLBACK");
    } catch (const std::exception&) {
      // The connection is gone; the server rolls back when it closes, as the pool closes it.
    }
    throw;
  }
  out.elapsed = Clock::now() - started;
  return out;
}

CheckResult report(const MysqlSmokeTarget& target, SmokeRun run) {
  CheckResult result;
  if (run.failure) {
    result = CheckResult::failed(std::move(*run.failure));
  } else {
    const std::size_t steps = target.steps.size();
    result = CheckResult::passed(
        fmt::format("{} {} passed; rolled back", steps, steps == 1 ? "step" : "steps"));
  }
  std::string details;
  for (const std::string& line : run.details)
    details += line + "\n";
  details += run.committed ? "committed implicitly" : "rolled back";
  result.details = std::move(details);
  result.measurements.push_back({"total_ms", to_milliseconds(run.elapsed), "ms"});
  return result;
}

}  // namespace

KindSpec MysqlSmokeCheck::spec() {
  return {
      .description =
          "SQL steps run in one read-write InnoDB transaction, each with optional assertions on "
          "its result; the first failing step stops the run. Always rolled back. Statements "
          "that commit implicitly (DDL, LOCK TABLES, GRANT, ...) are refused. A step's SQL error "
          "fails the check. Measures total_ms.",
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
                   "of the only row, rows: rows returned (or affected without a result; an "
                   "UPDATE's rows matched), empty: true or false}; a step without assertions "
                   "must just succeed",
               .characters = Characters::multiline},
          },
  };
}

MysqlSmokeCheck::MysqlSmokeCheck(Fields& fields) {
  auto target = std::make_shared<MysqlSmokeTarget>();
  target->database = fields.database("database");
  if (target->database == nullptr) fields.error("database", "expected the name of a database");
  target->steps = database::read_steps(
      fields, {.engine = "MySQL/MariaDB", .expect_examples = "'1.50', '1'", .refusal = refusal});
  target_ = std::move(target);
}

MysqlSmokeCheck::~MysqlSmokeCheck() = default;

void MysqlSmokeCheck::start(CheckContext& context, Completion done) {
  mysql::run<SmokeRun>(
      context, target_->database,
      // The run's redactor outlives every attempt.
      [target = target_, &redactor = context.redactor](mysql::Session& session) {
        return run_steps(*target, redactor, session);
      },
      [target = target_, done = std::move(done)](Expected<SmokeRun> run) {
        if (!run) return done(CheckResult::error(run.error().message));
        done(report(*target, std::move(run).value()));
      });
}

std::string MysqlSmokeCheck::describe() const {
  const std::size_t steps = target_->steps.size();
  return fmt::format("database '{}': {} {}",
                     target_->database ? target_->database->name : std::string(), steps,
                     steps == 1 ? "step" : "steps");
}

}  // namespace cutover
