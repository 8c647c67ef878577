#include "harness/suite_fields.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/text.hpp"

namespace cutover::detail {
namespace {

// One field being read: what every per-type reader below needs.
struct FieldNode {
  ValueReader& reader;
  const FieldSpec& field;
  const yaml::Node& node;
  const FileContext& context;

  std::optional<std::string> text() const {
    return reader.string_value(node, context, field.name, field.characters);
  }
  void error(std::string message) const { reader.error(node, context, std::move(message)); }
};

std::optional<FieldValue> string_field(const FieldNode& in) {
  auto text = in.text();
  if (!text) return std::nullopt;
  if (in.field.non_empty && text->empty()) {
    in.error(fmt::format("{}: expected a non-empty string, got ''", in.field.name));
    return std::nullopt;
  }
  return FieldValue(std::move(*text));
}

std::optional<FieldValue> integer_field(const FieldNode& in) {
  auto text = in.text();
  if (!text) return std::nullopt;
  auto value = parse_integer(*text);
  if (!value || !in_range(in.field, *value)) {
    const std::string range = range_text(in.field);
    in.error(fmt::format("{}: expected an integer{}{}, got '{}'", in.field.name,
                         range.empty() ? "" : " ", range, *text));
    return std::nullopt;
  }
  return FieldValue(*value);
}

std::optional<FieldValue> number_field(const FieldNode& in) {
  auto text = in.text();
  if (!text) return std::nullopt;
  auto value = parse_number(*text);
  if (!value) {
    in.error(fmt::format("{}: expected a number, got '{}'", in.field.name, *text));
    return std::nullopt;
  }
  return FieldValue(*value);
}

std::optional<FieldValue> boolean_field(const FieldNode& in) {
  auto text = in.text();
  if (!text) return std::nullopt;
  if (*text != "true" && *text != "false") {
    in.error(fmt::format("{}: expected true or false, got '{}'", in.field.name, *text));
    return std::nullopt;
  }
  return FieldValue(*text == "true");
}

std::optional<FieldValue> duration_field(const FieldNode& in) {
  auto value = in.reader.duration_value(in.node, in.context, in.field.name);
  if (!value) return std::nullopt;
  return FieldValue(*value);
}

// Whole seconds as DNS writes TTLs (300), or a duration (5m); zero is allowed.
std::optional<FieldValue> seconds_field(const FieldNode& in) {
  auto text = in.text();
  if (!text) return std::nullopt;
  if (auto seconds = parse_integer(*text); seconds && *seconds >= 0) {
    return FieldValue(Duration(std::chrono::seconds(*seconds)));
  }
  if (auto duration = parse_duration(*text); duration && *duration >= Duration::zero()) {
    return FieldValue(*duration);
  }
  in.error(fmt::format("{}: expected whole seconds (300) or a duration like 5m, got '{}'",
                       in.field.name, *text));
  return std::nullopt;
}

std::optional<FieldValue> string_list_field(const FieldNode& in) {
  auto values = in.reader.string_list(in.node, in.context, in.field.name, in.field.characters);
  if (!values) return std::nullopt;
  if (in.field.non_empty && std::find(values->begin(), values->end(), "") != values->end()) {
    in.error(fmt::format("{}: expected non-empty strings, got ''", in.field.name));
    return std::nullopt;
  }
  return FieldValue(std::move(*values));
}

std::optional<FieldValue> choice_field(const FieldNode& in) {
  auto text = in.text();
  if (!text) return std::nullopt;
  const std::vector<std::string>& choices = in.field.choices;
  if (std::find(choices.begin(), choices.end(), *text) == choices.end()) {
    in.error(fmt::format("{}: expected one of {}, got '{}'", in.field.name,
                         fmt::join(choices, ", "), *text) +
             suggestion_or(*text, choices));
    return std::nullopt;
  }
  return FieldValue(std::move(*text));
}

std::optional<FieldValue> object_field(const FieldNode& in) {
  auto value = in.reader.json_value(in.node, in.context, in.field.name, in.field.characters);
  if (!value) return std::nullopt;
  return FieldValue(std::move(*value));
}

// The name of a database the file declares (its own, or its includer's).
std::optional<FieldValue> database_field(const FieldNode& in) {
  auto name = in.text();
  if (!name) return std::nullopt;
  const auto& declared = in.context.databases;
  if (auto it = declared.find(*name); it != declared.end()) {
    // Null for a declared database with a mistake, which is reported where it is declared.
    if (it->second == nullptr) return std::nullopt;
    return FieldValue(it->second);
  }
  if (declared.empty()) {
    in.error(
        fmt::format("{}: unknown database '{}': the suite declares none (declare it under "
                    "'databases:' with its dsn)",
                    in.field.name, *name));
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (const auto& [declared_name, database] : declared)
    names.push_back(declared_name);
  in.error(fmt::format("{}: unknown database '{}'", in.field.name, *name) +
           suggestion_or(*name, names, fmt::format(" (declared: {})", fmt::join(names, ", "))));
  return std::nullopt;
}

}  // namespace

std::optional<FieldValue> field_value(ValueReader& reader, const FieldSpec& field,
                                      const yaml::Node& node, const FileContext& context) {
  const FieldNode in{reader, field, node, context};
  switch (field.type) {
    case FieldType::string:
      return string_field(in);
    case FieldType::integer:
      return integer_field(in);
    case FieldType::number:
      return number_field(in);
    case FieldType::boolean:
      return boolean_field(in);
    case FieldType::duration:
      return duration_field(in);
    case FieldType::seconds:
      return seconds_field(in);
    case FieldType::string_list:
      return string_list_field(in);
    case FieldType::choice:
      return choice_field(in);
    case FieldType::object:
      return object_field(in);
    case FieldType::database:
      return database_field(in);
  }
  return std::nullopt;
}

}  // namespace cutover::detail
