#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/fields.hpp"
#include "harness/redactor.hpp"

// The steps of a smoke check, whatever the engine: how the `steps` field reads, and how one
// step's result is judged against its assertions (expect, rows, empty).
namespace cutover::database {

struct SmokeStep {
  std::string sql;
  std::optional<std::string> expect;  // the first column of the only row, as text
  std::optional<std::int64_t> rows;   // rows returned, or rows affected without a result
  std::optional<bool> empty;
};

// What an engine says about steps while they are read.
struct StepRules {
  // "PostgreSQL": names whose printing `expect` matches.
  std::string_view engine;
  // "'1.50', 't'": examples of quoted values for `expect`.
  std::string_view expect_examples;
  // The load error for SQL the check must refuse ("COMMIT would end or nest the check's
  // transaction; ..."), or none. It names the command, never the SQL, which may hold a secret
  // the loader has not masked yet.
  std::function<std::optional<std::string>(std::string_view sql)> refusal;
};

// Reads `steps`, recording each mistake as "step N: ...".
std::vector<SmokeStep> read_steps(Fields& fields, const StepRules& rules);

// What a step's statement gave.
struct StepOutcome {
  bool returns_rows = false;
  std::int64_t rows = 0;  // returned, or affected
  // Whether a statement without a result counts rows (INSERT, UPDATE, DELETE): "1 row
  // affected" rather than "done".
  bool counts_rows = false;
  std::optional<std::string> first_value{};  // of the first row, when there is exactly one
};

// What one step ran into, for the details: "1 row: 'apple'", "3 rows affected", "done", and the
// first assertion that failed, expected against found.
struct StepVerdict {
  std::string summary;
  std::optional<std::string> problem;
};
StepVerdict judge_step(const SmokeStep& step, const StepOutcome& outcome);

// "step 2 (UPDATE items SET ...)": SQL on one line, redacted whole and then cut.
std::string step_name(std::size_t number, std::string_view sql, const Redactor& redactor);

// The first word of a statement, lower case, past blanks, '(' and comments; inside a MySQL
// executable comment (/*!50100 ... */), its first word.
std::string first_word(std::string_view sql);

// The words of a statement, lower case, past blanks and comments, up to `count` of them.
std::vector<std::string> leading_words(std::string_view sql, std::size_t count);

}  // namespace cutover::database
