#include "harness/fields.hpp"

#include <fmt/format.h>

namespace cutover {

std::string_view to_string(FieldType type) {
  switch (type) {
    case FieldType::string:
      return "string";
    case FieldType::integer:
      return "integer";
    case FieldType::number:
      return "number";
    case FieldType::boolean:
      return "boolean";
    case FieldType::duration:
      return "duration";
    case FieldType::seconds:
      return "seconds or duration";
    case FieldType::string_list:
      return "list of strings";
    case FieldType::choice:
      return "one of";
    case FieldType::object:
      return "object";
    case FieldType::database:
      return "database name";
  }
  return "unknown";
}

std::string range_text(const FieldSpec& field) {
  if (field.min && field.max) return fmt::format("from {} to {}", *field.min, *field.max);
  if (field.min) return fmt::format("from {}", *field.min);
  if (field.max) return fmt::format("up to {}", *field.max);
  return {};
}

bool in_range(const FieldSpec& field, std::int64_t value) {
  return (!field.min || value >= *field.min) && (!field.max || value <= *field.max);
}

Fields::Fields(std::map<std::string, FieldValue, std::less<>> values,
               std::map<std::string, SourceLocation, std::less<>> locations, SourceLocation check,
               Duration timeout)
    : values_(std::move(values)),
      locations_(std::move(locations)),
      check_(std::move(check)),
      timeout_(timeout) {}

namespace {

template <typename T>
T value_or(const std::map<std::string, FieldValue, std::less<>>& values, std::string_view name,
           T fallback) {
  auto it = values.find(name);
  if (it == values.end()) return fallback;
  if (const T* value = std::get_if<T>(&it->second)) return *value;
  return fallback;
}

}  // namespace

std::string Fields::string(std::string_view name, std::string fallback) const {
  return value_or<std::string>(values_, name, std::move(fallback));
}

std::int64_t Fields::integer(std::string_view name, std::int64_t fallback) const {
  return value_or<std::int64_t>(values_, name, fallback);
}

double Fields::number(std::string_view name, double fallback) const {
  return value_or<double>(values_, name, fallback);
}

bool Fields::boolean(std::string_view name, bool fallback) const {
  return value_or<bool>(values_, name, fallback);
}

Duration Fields::duration(std::string_view name, Duration fallback) const {
  return value_or<Duration>(values_, name, fallback);
}

std::vector<std::string> Fields::strings(std::string_view name) const {
  return value_or<std::vector<std::string>>(values_, name, {});
}

nlohmann::json Fields::object(std::string_view name) const {
  return value_or<nlohmann::json>(values_, name, nullptr);
}

std::shared_ptr<const Database> Fields::database(std::string_view name) const {
  return value_or<std::shared_ptr<const Database>>(values_, name, nullptr);
}

void Fields::error(std::string_view name, std::string message) {
  auto it = locations_.find(name);
  diagnostics_.push_back({it != locations_.end() ? it->second : check_, std::move(message)});
}

}  // namespace cutover
