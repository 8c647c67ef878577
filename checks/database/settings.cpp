#include "checks/database/settings.hpp"

#include <optional>

#include <fmt/format.h>

namespace cutover::database {
namespace {

bool is_setting_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.';
    if (!allowed) return false;
  }
  return true;
}

std::optional<std::string> setting_text(const nlohmann::json& value, SettingsForm form) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return std::string(value.get<bool>() ? form.true_text : form.false_text);
  if (value.is_number_integer()) return value.dump();
  if (value.is_number()) return fmt::format("{}", value.get<double>());
  return std::nullopt;
}

std::string_view json_kind(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  if (value.is_array()) return "a list";
  if (value.is_object()) return "a map";
  return "a value";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> read_settings(Fields& fields, SettingsForm form) {
  std::vector<std::pair<std::string, std::string>> out;
  const nlohmann::json settings = fields.object("settings");
  if (!settings.is_object()) {
    fields.error("settings", fmt::format("expected a map of setting names to values, got {}",
                                         json_kind(settings)));
    return out;
  }
  if (settings.empty()) {
    fields.error("settings", "expected at least one setting");
    return out;
  }
  // nlohmann keeps a map's keys sorted: messages list the settings in that order.
  for (const auto& [name, value] : settings.items()) {
    if (!is_setting_name(name)) {
      fields.error("settings", fmt::format("\"{}\" is not a setting name", name));
      continue;
    }
    std::optional<std::string> text = setting_text(value, form);
    if (!text) {
      fields.error("settings", fmt::format("{}: expected the text {} gives, got {}", name,
                                           form.shown_by, json_kind(value)));
      continue;
    }
    out.emplace_back(name, std::move(*text));
  }
  return out;
}

}  // namespace cutover::database
