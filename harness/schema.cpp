#include "harness/schema.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/plan.hpp"
#include "harness/suite_values.hpp"

namespace cutover {
namespace {

// Ordered: keys come out as written, and fields in the order their kind declares them.
using json = nlohmann::ordered_json;

constexpr std::string_view kDraft = "https://json-schema.org/draft/2020-12/schema";

// Bounds the loader applies outside the kinds' specs (harness/suite_values.cpp and
// harness/suite_databases.cpp); tests/harness/schema_test.cpp checks both agree.
constexpr int kMaxRetryAttempts = 1000;
constexpr int kMaxConnections = 64;

// A number as harness/duration reads one (5, 1.5, .5), and the same number when it is zero.
constexpr std::string_view kDurationNumber = R"(([0-9]+(\.[0-9]*)?|\.[0-9]+))";
constexpr std::string_view kZeroNumber = R"((0+(\.0*)?|\.0+))";
constexpr std::string_view kDurationUnits = "(ns|us|ms|s|m|h|d)";

json ref(std::string_view name) {
  return {{"$ref", "#/$defs/" + std::string(name)}};
}

// A value typed by its spec, or a string holding a ${...} reference: the loader substitutes
// variables in every scalar before it reads the value, so only loading can judge one.
json or_variable(json typed) {
  return {{"anyOf", json::array({std::move(typed), ref("variable")})}};
}

json described(json schema, std::string_view description) {
  schema["description"] = description;
  return schema;
}

// One or more strings: the loader reads a single string as a list of one.
json one_or_list(const json& item, std::string_view description) {
  return described({{"anyOf", json::array({item, {{"type", "array"}, {"items", item}}})}},
                   description);
}

// "(5s|0.5ms)+" made of `number`.
std::string duration_pattern(std::string_view number) {
  return "^(" + std::string(number) + std::string(kDurationUnits) + ")+$";
}

// Values shared by the suite's sections and the kinds' fields.
json scalar_definitions() {
  json defs;
  defs["variable"] = {
      {"type", "string"},
      {"pattern", R"(\$\{(secret:)?[A-Za-z_][A-Za-z0-9_.-]*(:-[^}]*)?\})"},
      {"description",
       "a text with a variable reference, ${NAME}, ${NAME:-default} or ${secret:NAME}, "
       "substituted when the suite is loaded"}};
  // Plain scalars are read as their text: `expect: 3` is the string "3".
  defs["scalar"] = {{"type", json::array({"string", "number", "boolean"})}};
  defs["non_empty_scalar"] = {{"type", json::array({"string", "number", "boolean"})},
                              {"minLength", 1}};
  defs["string_list"] = one_or_list(ref("scalar"), "a string, or a list of strings");
  defs["non_empty_string_list"] =
      one_or_list(ref("non_empty_scalar"), "a non-empty string, or a list of them");
  defs["identifier"] = or_variable({{"type", json::array({"string", "number", "boolean"})},
                                    {"pattern", "^[A-Za-z0-9_.-]+$"},
                                    {"description", "letters, digits, '_', '-' and '.'"}});
  defs["identifier_list"] = one_or_list(ref("identifier"), "a name, or a list of names");
  defs["phase"] = described({{"anyOf", json::array({ref("identifier"),
                                                    {{"type", "array"},
                                                     {"items", ref("identifier")},
                                                     {"minItems", 1},
                                                     {"maxItems", 1}}})}},
                            "one phase name");
  defs["duration"] =
      described(or_variable({{"type", "string"},
                             {"pattern", duration_pattern(kDurationNumber)},
                             {"not", {{"pattern", duration_pattern(kZeroNumber)}}}}),
                "a positive duration: 250ms, 5s, 2m, 1h30m, 1d (units ns, us, ms, s, m, h, d)");
  defs["seconds"] = described(
      or_variable({{"anyOf", json::array({{{"type", "integer"}, {"minimum", 0}},
                                          {{"type", "string"},
                                           {"pattern", duration_pattern(kDurationNumber)}}})}}),
      "whole seconds (300) or a duration (5m)");
  return defs;
}

json retry_definition() {
  return {
      {"type", "object"},
      {"description",
       "retry a failing check: {attempts: 3, interval: 2s} or {until: 10m, interval: 30s}"},
      {"properties",
       {{"attempts",
         described(
             or_variable({{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxRetryAttempts}}),
             "how many times the check runs at most")},
        {"interval", described(ref("duration"), "the wait between attempts (default 1s)")},
        {"until", described(ref("duration"), "retry until the check passes or this time is up")}}},
      {"additionalProperties", false},
      {"oneOf", json::array({{{"required", {"attempts"}}}, {{"required", {"until"}}}})}};
}

json database_definition() {
  return {
      {"type", "object"},
      {"properties",
       {{"dsn", described(ref("non_empty_scalar"),
                          "libpq connection string or URI: postgresql://user@host/db")},
        {"max_connections",
         described(or_variable({{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxConnections}}),
                   "connections the checks may hold open to this database at once")}}},
      {"required", {"dsn"}},
      {"additionalProperties", false}};
}

// The schema of a field's value, from its type and rules.
json value_schema(const FieldSpec& field) {
  switch (field.type) {
    case FieldType::string:
      return field.non_empty ? ref("non_empty_scalar") : ref("scalar");
    case FieldType::integer: {
      json integer = {{"type", "integer"}};
      if (field.min) integer["minimum"] = *field.min;
      if (field.max) integer["maximum"] = *field.max;
      return or_variable(std::move(integer));
    }
    case FieldType::number:
      return or_variable({{"type", "number"}});
    case FieldType::boolean:
      return or_variable({{"type", "boolean"}});
    case FieldType::duration:
      return ref("duration");
    case FieldType::seconds:
      return ref("seconds");
    case FieldType::string_list:
      return field.non_empty ? ref("non_empty_string_list") : ref("string_list");
    case FieldType::choice:
      return or_variable({{"enum", field.choices}});
    case FieldType::object:
      return json::object();
    case FieldType::database:
      return ref("identifier");
  }
  return json::object();
}

// "[a, b]" as `cutover kinds` shows a list, or a single value.
json list_default(std::string_view text) {
  json items = json::array();
  if (!text.starts_with('[') || !text.ends_with(']')) return items.emplace_back(text), items;
  text = text.substr(1, text.size() - 2);
  while (!text.empty()) {
    const std::size_t comma = std::min(text.find(','), text.size());
    std::string_view item = text.substr(0, comma);
    while (item.starts_with(' '))
      item.remove_prefix(1);
    while (item.ends_with(' '))
      item.remove_suffix(1);
    if (!item.empty()) items.push_back(item);
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return items;
}

// The default a kind applies, typed as the field's values are; none when the text is a note
// rather than a value ("native on 14+").
std::optional<json> typed_default(const FieldSpec& field) {
  const std::string& text = field.default_value;
  if (text.empty()) return std::nullopt;
  switch (field.type) {
    case FieldType::integer:
      if (auto value = detail::parse_integer(text)) return json(*value);
      return std::nullopt;
    case FieldType::number:
      if (auto value = detail::parse_number(text)) return json(*value);
      return std::nullopt;
    case FieldType::boolean:
      if (text == "true" || text == "false") return json(text == "true");
      return std::nullopt;
    case FieldType::choice:
      if (std::find(field.choices.begin(), field.choices.end(), text) != field.choices.end()) {
        return json(text);
      }
      return std::nullopt;
    case FieldType::duration:
      if (parse_duration(text)) return json(text);
      return std::nullopt;
    case FieldType::string_list:
      return list_default(text);
    default:
      return json(text);
  }
}

json field_schema(const FieldSpec& field) {
  json schema = value_schema(field);
  std::string description = field.description;
  if (auto value = typed_default(field)) {
    schema["default"] = std::move(*value);
  } else if (!field.default_value.empty()) {
    description += " (default: " + field.default_value + ")";
  }
  schema["description"] = std::move(description);
  return schema;
}

// What every check has, whatever its kind (common_check_keys()).
json common_properties(const Registry& registry) {
  json kinds = json::array();
  for (const Kind* kind : registry.kinds())
    kinds.push_back(kind->name);
  return {
      {"name", described(ref("non_empty_scalar"), "the check's name, unique in its suite")},
      {"kind", {{"enum", std::move(kinds)}, {"description", "the check kind: cutover kinds"}}},
      {"description", described(ref("scalar"), "what the check is for, shown in reports")},
      {"phase", described(ref("phase"), "the phase the check runs in (default: " +
                                            std::string(kDefaultPhase) + ")")},
      {"tags", described(ref("identifier_list"), "names to select checks with: --tag")},
      {"timeout", described(ref("duration"), "the longest one attempt may take (default " +
                                                 format_duration(kDefaultTimeout) + ")")},
      {"retry", ref("retry")},
      {"needs", described(ref("string_list"),
                          "checks of the same suite that must pass before this one runs")},
  };
}

// The keys a check of `kind` may have: the common ones, then the kind's own fields.
json kind_schema(const Kind& kind) {
  json properties = json::object();
  for (const std::string& key : common_check_keys())
    properties[key] = true;
  json required = json::array();
  for (const FieldSpec& field : kind.spec.fields) {
    properties[field.name] = field_schema(field);
    if (field.required) required.push_back(field.name);
  }
  json schema = {{"description", kind.spec.description},
                 {"properties", std::move(properties)},
                 {"additionalProperties", false}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

// `kind` chooses the fields: one if/then per registered kind. An unknown kind fails on `kind`
// alone, as the loader then judges no other key.
json check_definition(const Registry& registry) {
  json by_kind = json::array();
  for (const Kind* kind : registry.kinds()) {
    by_kind.push_back(
        {{"if", {{"properties", {{"kind", {{"const", kind->name}}}}}, {"required", {"kind"}}}},
         {"then", kind_schema(*kind)}});
  }
  return {{"type", "object"},
          {"required", {"name", "kind"}},
          {"properties", common_properties(registry)},
          {"allOf", std::move(by_kind)}};
}

json defaults_properties() {
  return {{"timeout", described(ref("duration"), "the checks' timeout")},
          {"retry", ref("retry")},
          {"tags", described(ref("identifier_list"), "tags every check of the file gets")},
          {"phase", described(ref("phase"), "the phase of checks that name none")}};
}

json suite_properties() {
  return {
      {"suite", described(ref("non_empty_scalar"),
                          "the suite's name (required, except in a file that is only included)")},
      {"description", described(ref("scalar"), "what the suite checks")},
      {"vars",
       {{"type", "object"},
        {"description", "variables the suite's values use as ${NAME}; --var overrides"},
        {"propertyNames", {{"pattern", "^[A-Za-z0-9_.]+$"}}},
        {"additionalProperties", ref("scalar")}}},
      {"databases",
       {{"type", "object"},
        {"description", "the databases checks name, each with its dsn"},
        {"propertyNames", {{"pattern", "^[A-Za-z0-9_.-]+$"}}},
        {"additionalProperties", ref("database")}}},
      {"phases", described({{"anyOf", json::array({ref("identifier"),
                                                   {{"type", "array"},
                                                    {"items", ref("identifier")},
                                                    {"minItems", 1},
                                                    {"uniqueItems", true}}})}},
                           "the phases checks may name, in the order they run")},
      {"defaults",
       {{"type", "object"},
        {"description", "settings for every check of this file"},
        {"properties", defaults_properties()},
        {"additionalProperties", false}}},
      {"include", described(ref("string_list"),
                            "suite files, relative to this one, whose checks join this suite")},
      {"checks", {{"type", "array"}, {"description", "the checks"}, {"items", ref("check")}}},
  };
}

}  // namespace

nlohmann::ordered_json suite_schema(const Registry& registry) {
  json defs = scalar_definitions();
  defs["retry"] = retry_definition();
  defs["database"] = database_definition();
  defs["check"] = check_definition(registry);
  return {{"$schema", kDraft},
          {"title", "Cutover suite"},
          {"description",
           "A suite file of Cutover checks (cutover run). Generated by `cutover schema` from the "
           "check kinds the binary registers."},
          {"type", "object"},
          {"properties", suite_properties()},
          {"additionalProperties", false},
          {"$defs", std::move(defs)}};
}

}  // namespace cutover
