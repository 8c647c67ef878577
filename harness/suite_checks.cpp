#include "harness/suite_checks.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/suite_fields.hpp"
#include "harness/suite_phases.hpp"
#include "harness/text.hpp"

namespace cutover::detail {
namespace {

const Entry* find_entry(const std::vector<Entry>& entries, std::string_view key) {
  auto it = std::find_if(entries.begin(), entries.end(),
                         [key](const Entry& entry) { return entry.key == key; });
  return it == entries.end() ? nullptr : &*it;
}

bool is_common_key(std::string_view key) {
  const std::vector<std::string>& common = common_check_keys();
  return std::find(common.begin(), common.end(), key) != common.end();
}

const FieldSpec* find_field(const Kind& kind, std::string_view name) {
  for (const FieldSpec& field : kind.spec.fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

// The keys a check of this kind may have: the common ones, then the kind's own.
std::vector<std::string> allowed_keys(const Kind& kind) {
  std::vector<std::string> keys = common_check_keys();
  for (const FieldSpec& field : kind.spec.fields)
    keys.push_back(field.name);
  return keys;
}

// A check as the file's defaults make it, before its own keys are read.
PlannedCheck with_defaults(const yaml::Node& node, const FileContext& context) {
  PlannedCheck check;
  check.suite = context.suite;
  check.location = location_of(node, context.file);
  check.timeout = context.defaults.timeout.value_or(kDefaultTimeout);
  check.retry = context.defaults.retry.value_or(RetryPolicy{});
  check.phase = context.defaults.phase.value_or(std::string(kDefaultPhase));
  check.tags = context.defaults.tags;
  return check;
}

// How messages about a check start: its name once known.
std::string label_of(const PlannedCheck& check) {
  return check.name.empty() ? "a check" : fmt::format("check '{}'", check.name);
}

// Stores a value that was read; false for one that was not (its mistake is already reported).
template <typename Value, typename Target>
bool assign(std::optional<Value> value, Target& target) {
  if (!value) return false;
  target = std::move(*value);
  return true;
}

// Whether `message` names one of `fields` as a word, in any case ("source", "URL").
bool names_any(std::string_view message, const std::set<std::string, std::less<>>& fields) {
  const auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  std::string lower(message);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const std::string& field : fields) {
    for (std::size_t at = lower.find(field); at != std::string::npos;
         at = lower.find(field, at + 1)) {
      const std::size_t end = at + field.size();
      if ((at == 0 || !is_word(lower[at - 1])) && (end == lower.size() || !is_word(lower[end])))
        return true;
    }
  }
  return false;
}

}  // namespace

void CheckReader::read_check(const yaml::Node& node, const FileContext& context) {
  auto entries = reader_.entries(node, context, "a check");
  if (!entries) return;
  PlannedCheck check = with_defaults(node, context);
  const bool named = read_name(*entries, node, context, check);
  const std::string label = label_of(check);
  const Kind* kind = read_kind(*entries, node, context, label, check);
  const bool has_phase = find_entry(*entries, "phase") != nullptr;
  if (has_phase) check.phase.clear();  // set again once read without a mistake
  KindValues kind_values;
  bool ok = read_keys(*entries, context, label, kind, check, kind_values) && named;
  bool phase_known = !check.phase.empty();
  if (!has_phase && !context.defaults.phase &&
      !check_phase(reader_, check.phase, node, context, "phase (the default)")) {
    phase_known = false;
  }
  // The kind judges its fields once they are all read, whatever else is wrong with the check:
  // an unknown key or a bad retry must not hide a wrong value.
  const bool complete =
      kind != nullptr && has_required_fields(node, context, label, *kind, kind_values);
  ok = complete && build(check, *kind, std::move(kind_values), label) && ok;
  if (!named) return;  // no name, or another check's: no `needs` can mean this one
  if (!ok || !phase_known) check.check.reset();
  if (!phase_known) unknown_phases_.emplace(check.suite, check.name);
  plan_.checks.push_back(std::move(check));
}

void CheckReader::resolve_needs() {
  std::map<std::string, std::vector<std::string>> names_by_suite;
  for (const auto& [key, location] : names_)
    names_by_suite[key.first].push_back(key.second);
  for (PlannedCheck& check : plan_.checks) {
    const bool phase_known = !unknown_phases_.contains({check.suite, check.name});
    std::erase_if(check.needs, [&](const std::string& need) {
      if (!names_.contains({check.suite, need})) {
        reader_.add({check.location,
                     fmt::format("check '{}' needs '{}', but suite '{}' has no check of that name",
                                 check.name, need, check.suite) +
                         suggestion_or(need, names_by_suite[check.suite])});
        return true;
      }
      return !phase_known || unknown_phases_.contains({check.suite, need});
    });
  }
}

bool CheckReader::read_name(const std::vector<Entry>& entries, const yaml::Node& node,
                            const FileContext& context, PlannedCheck& check) {
  const Entry* entry = find_entry(entries, "name");
  if (entry == nullptr) {
    reader_.error(node, context, "a check: missing key 'name'");
    return false;
  }
  auto name = reader_.string_value(entry->value, context, "name");
  if (!name) return false;
  if (name->empty()) {
    reader_.error(entry->value, context, "name: must not be empty");
    return false;
  }
  check.name = std::move(*name);
  auto [previous, inserted] = names_.emplace(std::pair{check.suite, check.name}, check.location);
  if (!inserted) {
    reader_.error(entry->value, context,
                  fmt::format("duplicate check name '{}' in suite '{}' (first at {})", check.name,
                              check.suite, to_string(previous->second)));
    return false;
  }
  return true;
}

const Kind* CheckReader::read_kind(const std::vector<Entry>& entries, const yaml::Node& node,
                                   const FileContext& context, const std::string& label,
                                   PlannedCheck& check) {
  const Entry* entry = find_entry(entries, "kind");
  if (entry == nullptr) {
    reader_.error(node, context, fmt::format("{}: missing key 'kind'", label));
    return nullptr;
  }
  auto name = reader_.string_value(entry->value, context, "kind");
  if (!name) return nullptr;
  const Kind* kind = registry_.find(*name);
  if (kind == nullptr) {
    std::vector<std::string> names;
    for (const Kind* known : registry_.kinds())
      names.push_back(known->name);
    reader_.error(
        entry->value, context,
        fmt::format("{}: unknown kind '{}'", label, *name) +
            suggestion_or(*name, names, fmt::format(" (known kinds: {})", fmt::join(names, ", "))));
    return nullptr;
  }
  check.kind = kind->name;
  return kind;
}

// The common keys and, once the kind is known, the kind's own. With an unknown kind the other
// keys cannot be judged, so only the common ones are read.
bool CheckReader::read_keys(const std::vector<Entry>& entries, const FileContext& context,
                            const std::string& label, const Kind* kind, PlannedCheck& check,
                            KindValues& kind_values) {
  bool ok = true;
  for (const Entry& entry : entries) {
    if (is_common_key(entry.key)) {
      ok = read_common_key(entry, context, check) && ok;
    } else if (kind != nullptr) {
      ok = read_kind_field(entry, context, label, *kind, kind_values) && ok;
    }
  }
  return ok;
}

bool CheckReader::read_kind_field(const Entry& entry, const FileContext& context,
                                  const std::string& label, const Kind& kind,
                                  KindValues& kind_values) {
  const FieldSpec* field = find_field(kind, entry.key);
  if (field == nullptr) {
    reader_.error(entry.key_node, context,
                  unknown_key(entry.key, allowed_keys(kind),
                              fmt::format("{} of kind '{}'", label, kind.name)));
    return false;
  }
  reader_.keep_references(kind.spec.runtime_variables);
  auto value = field_value(reader_, *field, entry.value, context);
  reader_.keep_references({});
  if (!value) {
    kind_values.invalid.insert(field->name);
    return false;
  }
  kind_values.values.emplace(field->name, std::move(*value));
  kind_values.locations.emplace(field->name, location_of(entry.value, context.file));
  return true;
}

bool CheckReader::read_common_key(const Entry& entry, const FileContext& context,
                                  PlannedCheck& check) {
  const yaml::Node& value = entry.value;
  if (entry.key == "description") {
    return assign(reader_.string_value(value, context, "description", Characters::multiline),
                  check.description);
  }
  if (entry.key == "phase")
    return assign(phase_value(reader_, value, context, "phase"), check.phase);
  if (entry.key == "timeout") {
    return assign(reader_.duration_value(value, context, "timeout"), check.timeout);
  }
  if (entry.key == "retry") return assign(reader_.retry_value(value, context), check.retry);
  if (entry.key == "needs")
    return assign(reader_.string_list(value, context, "needs"), check.needs);
  if (entry.key == "tags") {
    auto tags = reader_.identifier_list(value, context, "tags");
    if (!tags) return false;
    for (std::string& tag : *tags) {
      if (std::find(check.tags.begin(), check.tags.end(), tag) == check.tags.end()) {
        check.tags.push_back(std::move(tag));
      }
    }
  }
  return true;  // name and kind are read first
}

bool CheckReader::has_required_fields(const yaml::Node& node, const FileContext& context,
                                      const std::string& label, const Kind& kind,
                                      const KindValues& kind_values) {
  bool ok = true;
  for (const FieldSpec& field : kind.spec.fields) {
    if (field.required && !kind_values.values.contains(field.name) &&
        !kind_values.invalid.contains(field.name)) {
      reader_.error(node, context,
                    fmt::format("{}: missing required field '{}' of kind '{}'", label, field.name,
                                kind.name));
      ok = false;
    }
  }
  return ok;
}

// The kind builds the check; a mistake it finds in the values is placed at the field.
bool CheckReader::build(PlannedCheck& check, const Kind& kind, KindValues kind_values,
                        const std::string& label) {
  // With fields already reported wrong, the kind still judges the others in the same pass. What
  // it says of the check as a whole, or of a wrong field, may come from the values it lacks, so
  // then only its mistakes placed on a field read without one, and naming no wrong field, are
  // reported.
  const bool partial = !kind_values.invalid.empty();
  std::vector<SourceLocation> valid_places;
  for (const auto& [name, location] : kind_values.locations)
    valid_places.push_back(location);
  Fields fields(std::move(kind_values.values), std::move(kind_values.locations), check.location,
                check.timeout);
  try {
    check.check = kind.factory(fields);
  } catch (const std::exception& e) {
    if (!partial) reader_.add({check.location, fmt::format("{}: {}", label, e.what())});
    return false;
  }
  Diagnostics field_diagnostics = fields.take_diagnostics();
  for (Diagnostic& diagnostic : field_diagnostics) {
    const bool at_valid_field = std::find(valid_places.begin(), valid_places.end(),
                                          diagnostic.location) != valid_places.end();
    if (partial && (!at_valid_field || names_any(diagnostic.message, kind_values.invalid))) {
      continue;
    }
    diagnostic.message = fmt::format("{}: {}", label, diagnostic.message);
    reader_.add(std::move(diagnostic));
  }
  if (partial) return false;
  if (check.check == nullptr && field_diagnostics.empty()) {
    // Loading must not pass with a check that cannot run.
    reader_.add({check.location, fmt::format("{}: kind '{}' made no check", label, kind.name)});
  }
  return check.check != nullptr && field_diagnostics.empty();
}

}  // namespace cutover::detail
