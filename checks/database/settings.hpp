#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/fields.hpp"

// The `settings:` map of the connect kinds, whatever the engine: setting names and the text the
// server shows for each.
namespace cutover::database {

// How an engine shows settings: its words for true and false, and what shows them.
struct SettingsForm {
  std::string_view true_text;   // "on" (PostgreSQL's SHOW), "ON" (MySQL's SHOW VARIABLES)
  std::string_view false_text;  // "off", "OFF"
  std::string_view shown_by;    // "SHOW", "SHOW GLOBAL VARIABLES": named in messages
};

// The `settings` field: names (letters, digits, '_' and '.') and the expected text of each, in
// the map's (sorted) order. YAML may read `on` as text but `true` or `100` as a boolean or a
// number: booleans become the engine's words. Mistakes are reported through `fields`.
std::vector<std::pair<std::string, std::string>> read_settings(Fields& fields, SettingsForm form);

}  // namespace cutover::database
