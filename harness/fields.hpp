#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/characters.hpp"
#include "harness/database.hpp"
#include "harness/diagnostics.hpp"
#include "harness/duration.hpp"

namespace cutover {

enum class FieldType {
  string,
  integer,
  number,
  boolean,
  duration,     // "250ms", "5s"
  seconds,      // a duration, or a whole number of seconds as DNS writes TTLs: 300, "5m"
  string_list,  // a list of strings; a single string is read as a list of one
  choice,       // a string from FieldSpec::choices
  object,       // any structure (maps, lists, scalars), handed over as JSON
  database,     // the name of a database the suite declares under `databases:`
};

std::string_view to_string(FieldType type);

// One field a check kind reads from its entry in a suite file.
// Every member has a default so kinds can list fields with designated initializers.
struct FieldSpec {
  std::string name{};
  FieldType type = FieldType::string;
  bool required = false;
  std::string description{};
  std::vector<std::string> choices{};  // for FieldType::choice
  std::string default_value{};         // shown by `cutover kinds`; the kind applies it
  std::optional<std::int64_t> min{};   // for FieldType::integer: the smallest value allowed
  std::optional<std::int64_t> max{};   // and the largest
  bool non_empty = false;  // for string and string_list: an empty string (or item) is an error
  // What its text may hold (every string of a list or object, keys included), judged after
  // variables are substituted. Names, hosts, URLs, paths and headers keep the default.
  Characters characters = Characters::printable;
};

// The range an integer field allows, as loader messages and `cutover kinds` say it: "from 1 to
// 65535", "from 0", "up to 10"; empty for a field without bounds.
std::string range_text(const FieldSpec& field);

// Whether `value` lies in the field's range.
bool in_range(const FieldSpec& field, std::int64_t value);

// Everything a check kind declares about itself, in one place: validation, `cutover kinds`
// and the README's field tables all read it.
struct KindSpec {
  std::string description{};
  std::vector<FieldSpec> fields{};
  // Prefixes of variables the kind substitutes itself while it runs ("steps." for values one
  // request captures for the next): the loader leaves ${steps....} in its fields as written.
  std::vector<std::string> runtime_variables{};
};

using FieldValue =
    std::variant<std::string, std::int64_t, double, bool, Duration, std::vector<std::string>,
                 nlohmann::json, std::shared_ptr<const Database>>;

// The validated, typed values of one check's kind-specific fields, handed to the kind's
// constructor. Types, choices, ranges and emptiness were checked against the KindSpec before; a
// kind only adds checks that involve several fields or the meaning of a value, through error().
class Fields {
 public:
  Fields(std::map<std::string, FieldValue, std::less<>> values,
         std::map<std::string, SourceLocation, std::less<>> locations, SourceLocation check,
         Duration timeout);

  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }

  // The value of a field; a field that is absent returns `fallback`.
  std::string string(std::string_view name, std::string fallback = {}) const;
  std::int64_t integer(std::string_view name, std::int64_t fallback = 0) const;
  double number(std::string_view name, double fallback = 0) const;
  bool boolean(std::string_view name, bool fallback = false) const;
  Duration duration(std::string_view name, Duration fallback = {}) const;
  std::vector<std::string> strings(std::string_view name) const;
  nlohmann::json object(std::string_view name) const;
  std::shared_ptr<const Database> database(std::string_view name) const;  // null when absent

  // The check's timeout for one attempt, for kinds that budget stages within it.
  Duration timeout() const { return timeout_; }

  // Records a mistake at the field's place in the suite file (the check's when it is absent).
  void error(std::string_view name, std::string message);

  Diagnostics take_diagnostics() { return std::move(diagnostics_); }

 private:
  std::map<std::string, FieldValue, std::less<>> values_;
  std::map<std::string, SourceLocation, std::less<>> locations_;
  SourceLocation check_;
  Duration timeout_;
  Diagnostics diagnostics_;
};

}  // namespace cutover
