#include "checks/database/smoke_steps.hpp"

#include <cctype>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/text.hpp"

namespace cutover::database {
namespace {

constexpr std::size_t kSqlInMessage = 60;
constexpr std::string_view kStepKeys = "sql, expect, rows, empty";

bool is_word_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string rows_phrase(std::int64_t count) {
  if (count == 0) return "no rows";
  if (count == 1) return "1 row";
  return fmt::format("{} rows", count);
}

// A number as the server prints it stays bare; other text is quoted: 4, 'kiwi', NULL.
std::string display(const std::optional<std::string>& value) {
  if (!value) return "NULL";
  const std::string_view text = *value;
  std::size_t at = text.starts_with('-') ? 1 : 0;
  bool digits = false;
  bool point = false;
  for (; at < text.size(); ++at) {
    if (std::isdigit(static_cast<unsigned char>(text[at]))) {
      digits = true;
    } else if (text[at] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (digits && at == text.size()) return *value;
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string json_type(const nlohmann::json& value) {
  if (value.is_object()) return "a mapping";
  if (value.is_array()) return "a list";
  if (value.is_string()) return "text";
  if (value.is_boolean()) return "a boolean";
  if (value.is_null()) return "nothing";
  return "a number";
}

// The contradictions between a valid step's assertions.
std::optional<std::string> contradiction(const SmokeStep& step) {
  if (step.expect && step.rows && *step.rows != 1)
    return fmt::format("expect reads a one-row result, but rows is {}", *step.rows);
  if (step.empty == true && (step.expect || (step.rows && *step.rows != 0)))
    return "empty: true contradicts expect or rows, which need rows";
  if (step.empty == false && step.rows == 0) return "empty: false contradicts rows: 0";
  return std::nullopt;
}

// Reads one step, recording its mistakes as "step N: ...".
std::optional<SmokeStep> read_step(std::size_t number, const nlohmann::json& item, Fields& fields,
                                   const StepRules& rules) {
  bool valid = true;
  const auto error = [&fields, &valid, number](const std::string& message) {
    fields.error("steps", fmt::format("step {}: {}", number, message));
    valid = false;
  };
  if (!item.is_object()) {
    error(
        fmt::format("expected a mapping like {{sql: \"...\", rows: 1}}, got {}", json_type(item)));
    return std::nullopt;
  }
  SmokeStep step;
  for (const auto& [key, value] : item.items()) {
    if (key == "sql") {
      if (!value.is_string() ||
          value.get<std::string>().find_first_not_of(" \t\r\n;") == std::string::npos) {
        error("sql: expected one SQL statement");
      } else {
        step.sql = value.get<std::string>();
        if (const std::optional<std::string> refused = rules.refusal(step.sql))
          error("sql: " + *refused);
      }
    } else if (key == "expect") {
      if (value.is_string()) {
        step.expect = value.get<std::string>();
      } else if (value.is_number_integer()) {
        step.expect = std::to_string(value.get<std::int64_t>());
      } else {
        error(fmt::format("expect: expected text as {} prints the value, got {} (quote it: {})",
                          rules.engine, json_type(value), rules.expect_examples));
      }
    } else if (key == "rows") {
      if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
        error("rows: expected a row count (a whole number from 0)");
      } else {
        step.rows = value.get<std::int64_t>();
      }
    } else if (key == "empty") {
      if (!value.is_boolean()) {
        error("empty: expected true or false");
      } else {
        step.empty = value.get<bool>();
      }
    } else {
      error(fmt::format("unknown key '{}' (known: {})", key, kStepKeys));
    }
  }
  if (!item.contains("sql")) error("sql is missing");
  if (!valid) return std::nullopt;
  if (const std::optional<std::string> problem = contradiction(step)) error(*problem);
  return step;
}

}  // namespace

std::vector<SmokeStep> read_steps(Fields& fields, const StepRules& rules) {
  std::vector<SmokeStep> out;
  const nlohmann::json steps = fields.object("steps");
  if (!steps.is_array() || steps.empty()) {
    fields.error("steps",
                 fmt::format("expected a list of steps like [{{sql: \"...\", rows: 1}}], got {}",
                             steps.is_array() ? "an empty list" : json_type(steps)));
    return out;
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (auto step = read_step(i + 1, steps[i], fields, rules)) out.push_back(std::move(*step));
  }
  return out;
}

StepVerdict judge_step(const SmokeStep& step, const StepOutcome& outcome) {
  const std::int64_t count = outcome.rows;
  StepVerdict out;
  if (outcome.returns_rows) {
    out.summary = rows_phrase(count);
    if (count == 1) out.summary += ": " + display(outcome.first_value);
  } else if (outcome.counts_rows) {
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
    if (!outcome.returns_rows) {
      out.problem = fmt::format("expected one row with the value {}, the statement returns no rows",
                                display(step.expect));
    } else if (count != 1) {
      out.problem =
          fmt::format("expected one row with the value {}, got {}", display(step.expect), count);
    } else if (outcome.first_value != step.expect) {
      out.problem =
          fmt::format("expected {}, got {}", display(step.expect), display(outcome.first_value));
    }
  }
  return out;
}

std::string step_name(std::size_t number, std::string_view sql, const Redactor& redactor) {
  // Each run of blanks one space; redacted whole and then cut: a cut piece of a secret is no
  // longer the secret, and would not be masked.
  std::string out;
  for (char c : one_line(sql)) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ';'))
    out.pop_back();
  return fmt::format("step {} ({})", number, shorten(redactor.redact(out), kSqlInMessage));
}

std::vector<std::string> leading_words(std::string_view sql, std::size_t count) {
  std::vector<std::string> words;
  std::size_t at = 0;
  const auto skip_to = [&](std::string_view end) {
    const std::size_t found = sql.find(end, at);
    at = found == std::string_view::npos ? sql.size() : found + end.size();
  };
  while (at < sql.size() && words.size() < count) {
    const std::string_view rest = sql.substr(at);
    if (rest.starts_with("/*!") || rest.starts_with("/*M!")) {
      // An executable comment runs its text (after an optional version number).
      at += rest.starts_with("/*!") ? 3 : 4;
      while (at < sql.size() && std::isdigit(static_cast<unsigned char>(sql[at])))
        ++at;
    } else if (rest.starts_with("/*")) {
      skip_to("*/");
    } else if (rest.starts_with("*/")) {
      at += 2;
    } else if (rest.starts_with('#') || rest.starts_with("-- ") || rest == "--" ||
               rest.starts_with("--\t") || rest.starts_with("--\n")) {
      skip_to("\n");
    } else if (rest.front() == '\'' || rest.front() == '"' || rest.front() == '`') {
      ++at;
      skip_to(std::string_view(&rest.front(), 1));
    } else if (is_word_character(rest.front())) {
      std::string word;
      while (at < sql.size() && is_word_character(sql[at]))
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[at++])));
      words.push_back(std::move(word));
    } else {
      ++at;
    }
  }
  return words;
}

std::string first_word(std::string_view sql) {
  const std::vector<std::string> words = leading_words(sql, 1);
  return words.empty() ? std::string() : words.front();
}

}  // namespace cutover::database
