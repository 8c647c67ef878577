#include "harness/suite.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include "harness/text.hpp"
#include "harness/yaml.hpp"

// JSON suites are read as YAML too (harness/yaml.hpp): every node keeps its line and column, which
// nlohmann/json does not, and duplicate keys are kept, so they are reported here rather than
// silently resolved.

namespace cutover {
namespace {

const std::vector<std::string> kTopLevelKeys{"suite",  "description", "vars",   "databases",
                                             "phases", "defaults",    "checks", "include"};
const std::vector<std::string> kDatabaseKeys{"dsn", "max_connections"};
constexpr int kMaxConnectionsLimit = 64;
const std::vector<std::string> kDefaultsKeys{"timeout", "retry", "tags", "phase"};
const std::vector<std::string> kRetryKeys{"attempts", "interval", "until"};
constexpr Duration kDefaultRetryInterval = std::chrono::seconds(1);

struct Defaults {
  std::optional<Duration> timeout;
  std::optional<RetryPolicy> retry;
  std::vector<std::string> tags;
  std::optional<std::string> phase;
};

// What a file's checks are read with. An included file starts from a copy of its includer's
// context, so it sees the includer's vars and defaults and may override them for itself.
struct FileContext {
  std::string file;
  std::filesystem::path path;
  std::string suite;
  Variables variables;
  Defaults defaults;
  std::vector<std::string> phases;  // declared with `phases:`; when not empty, the only ones
  std::map<std::string, std::shared_ptr<const Database>, std::less<>> databases;
};

struct Entry {
  const std::string& key;  // key_node's text
  const yaml::Node& key_node;
  const yaml::Node& value;
};

SourceLocation location_of(const yaml::Node& node, const std::string& file) {
  return {file, node.mark.line, node.mark.column};
}

std::string describe(const yaml::Node& node) {
  switch (node.type) {
    case yaml::NodeType::null:
      return "nothing";
    case yaml::NodeType::scalar:
      return "'" + shorten(one_line(node.scalar), 60) + "'";
    case yaml::NodeType::sequence:
      return "a list";
    case yaml::NodeType::map:
      return "a mapping";
  }
  return "nothing";
}

bool is_identifier(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

class Loader {
 public:
  Loader(const Registry& registry, const LoadOptions& options, Plan& plan)
      : registry_(registry), options_(options), plan_(plan) {}

  void load_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      diagnostics_.push_back(Diagnostic{SourceLocation{path.string()}, "cannot open suite file"});
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    load_text(text.str(), path.string());
  }

  void load_text(std::string_view text, const std::string& file) {
    FileContext context{file, std::filesystem::path(file),
                        "",   Variables(options_.environment, plan_.redactor),
                        {},   {},
                        {}};
    auto root = parse(text, file);
    if (!root) return;
    read_suite(root->root(), context, /*included=*/false);
  }

  Diagnostics take_diagnostics() {
    Diagnostics all = std::move(diagnostics_);
    for (Diagnostic& diagnostic : all)
      diagnostic.message = plan_.redactor.redact(diagnostic.message);
    return all;
  }

 private:
  std::optional<yaml::Document> parse(std::string_view text, const std::string& file) {
    auto document = yaml::parse(text);
    if (!document) {
      const yaml::SyntaxError& e = document.error();
      diagnostics_.push_back({{file, e.mark.line, e.mark.column}, "syntax error: " + e.message});
      return std::nullopt;
    }
    return std::move(document).value();
  }

  void error(const yaml::Node& node, const FileContext& context, std::string message) {
    diagnostics_.push_back({location_of(node, context.file), std::move(message)});
  }

  std::string unknown_key_message(std::string_view key, std::string_view where,
                                  const std::vector<std::string>& allowed) {
    std::string message = fmt::format("unknown key '{}' in {}", key, where);
    if (std::string suggestion = closest_match(key, allowed); !suggestion.empty()) {
      message += fmt::format(" (did you mean '{}'?)", suggestion);
    } else {
      message += fmt::format(" (expected one of: {})", fmt::join(allowed, ", "));
    }
    return message;
  }

  // The entries of a mapping, with duplicate keys reported. Keys are not substituted.
  std::optional<std::vector<Entry>> entries(const yaml::Node& node, const FileContext& context,
                                            std::string_view what) {
    if (!node.is_map()) {
      error(node, context, fmt::format("{}: expected a mapping, got {}", what, describe(node)));
      return std::nullopt;
    }
    std::vector<Entry> out;
    for (const auto& [key_node, value] : node.entries) {
      if (!key_node->is_scalar()) {
        error(*key_node, context, fmt::format("{}: keys must be plain strings", what));
        continue;
      }
      const std::string& key = key_node->scalar;
      auto previous =
          std::find_if(out.begin(), out.end(), [&](const Entry& e) { return e.key == key; });
      if (previous != out.end()) {
        error(*key_node, context,
              fmt::format("duplicate key '{}' in {} (first at line {})", key, what,
                          location_of(previous->key_node, context.file).line));
        continue;
      }
      out.push_back({key, *key_node, *value});
    }
    return out;
  }

  // Entries whose keys are all in `allowed`; unknown keys are reported and dropped.
  std::vector<Entry> known_entries(const yaml::Node& node, const FileContext& context,
                                   std::string_view what, const std::vector<std::string>& allowed) {
    auto all = entries(node, context, what);
    if (!all) return {};
    std::vector<Entry> out;
    for (Entry& entry : *all) {
      if (std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
        error(entry.key_node, context, unknown_key_message(entry.key, what, allowed));
        continue;
      }
      out.push_back(std::move(entry));
    }
    return out;
  }

  std::optional<std::string> string_value(const yaml::Node& node, const FileContext& context,
                                          std::string_view what) {
    if (!node.is_scalar()) {
      error(node, context, fmt::format("{}: expected a string, got {}", what, describe(node)));
      return std::nullopt;
    }
    auto substituted = context.variables.substitute(node.scalar, kept_references_);
    if (!substituted) {
      error(node, context, fmt::format("{}: {}", what, substituted.error().message));
      return std::nullopt;
    }
    return std::move(substituted).value();
  }

  std::optional<std::vector<std::string>> string_list(const yaml::Node& node,
                                                      const FileContext& context,
                                                      std::string_view what) {
    if (node.is_scalar()) {
      auto single = string_value(node, context, what);
      if (!single) return std::nullopt;
      return std::vector<std::string>{std::move(*single)};
    }
    if (!node.is_sequence()) {
      error(node, context,
            fmt::format("{}: expected a list of strings, got {}", what, describe(node)));
      return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (const yaml::Node* item : node.items) {
      auto value = string_value(*item, context, what);
      if (value) {
        out.push_back(std::move(*value));
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::optional<std::vector<std::string>> identifier_list(const yaml::Node& node,
                                                          const FileContext& context,
                                                          std::string_view what) {
    auto values = string_list(node, context, what);
    if (!values) return std::nullopt;
    for (const std::string& value : *values) {
      if (!is_identifier(value)) {
        error(node, context,
              fmt::format("{}: '{}' is not a valid name (letters, digits, '_', '-', '.')", what,
                          value));
        return std::nullopt;
      }
    }
    return values;
  }

  std::optional<Duration> duration_value(const yaml::Node& node, const FileContext& context,
                                         std::string_view what) {
    auto text = string_value(node, context, what);
    if (!text) return std::nullopt;
    auto duration = parse_duration(*text);
    if (!duration || *duration <= Duration::zero()) {
      error(node, context,
            fmt::format("{}: expected a positive duration like 500ms, 5s, 2m or 1h, got '{}'", what,
                        *text));
      return std::nullopt;
    }
    return duration;
  }

  std::optional<nlohmann::json> json_value(const yaml::Node& node, const FileContext& context,
                                           std::string_view what) {
    switch (node.type) {
      case yaml::NodeType::null:
        return nlohmann::json(nullptr);
      case yaml::NodeType::scalar: {
        auto text = string_value(node, context, what);
        if (!text) return std::nullopt;
        // Quoted scalars stay strings; plain ones are typed as YAML and JSON read them.
        if (!node.plain) return nlohmann::json(*text);
        if (*text == "true") return nlohmann::json(true);
        if (*text == "false") return nlohmann::json(false);
        if (*text == "null" || *text == "~") return nlohmann::json(nullptr);
        if (auto integer = parse_integer(*text)) return nlohmann::json(*integer);
        if (auto number = parse_number(*text)) return nlohmann::json(*number);
        return nlohmann::json(*text);
      }
      case yaml::NodeType::sequence: {
        nlohmann::json array = nlohmann::json::array();
        for (const yaml::Node* item : node.items) {
          auto value = json_value(*item, context, what);
          if (!value) return std::nullopt;
          array.push_back(std::move(*value));
        }
        return array;
      }
      case yaml::NodeType::map: {
        auto all = entries(node, context, what);
        if (!all) return std::nullopt;
        nlohmann::json object = nlohmann::json::object();
        for (const Entry& entry : *all) {
          auto value = json_value(entry.value, context, what);
          if (!value) return std::nullopt;
          object[entry.key] = std::move(*value);
        }
        return object;
      }
    }
    return std::nullopt;
  }

  std::optional<RetryPolicy> retry_value(const yaml::Node& node, const FileContext& context) {
    if (!node.is_map()) {
      error(node, context,
            fmt::format("retry: expected a mapping like {{attempts: 3, interval: 2s}} or "
                        "{{until: 10m, interval: 30s}}, got {}",
                        describe(node)));
      return std::nullopt;
    }
    RetryPolicy policy;
    policy.interval = kDefaultRetryInterval;
    bool ok = true;
    const yaml::Node* attempts_node = nullptr;
    for (const Entry& entry : known_entries(node, context, "retry", kRetryKeys)) {
      if (entry.key == "attempts") {
        attempts_node = &entry.value;
        auto text = string_value(entry.value, context, "retry.attempts");
        auto attempts = text ? parse_integer(*text) : std::nullopt;
        if (!attempts || *attempts < 1 || *attempts > 1000) {
          if (text) {
            error(
                entry.value, context,
                fmt::format("retry.attempts: expected an integer from 1 to 1000, got '{}'", *text));
          }
          ok = false;
          continue;
        }
        policy.attempts = static_cast<int>(*attempts);
      } else if (entry.key == "interval") {
        auto interval = duration_value(entry.value, context, "retry.interval");
        if (!interval) {
          ok = false;
          continue;
        }
        policy.interval = *interval;
      } else if (entry.key == "until") {
        auto until = duration_value(entry.value, context, "retry.until");
        if (!until) {
          ok = false;
          continue;
        }
        policy.until = *until;
      }
    }
    if (attempts_node != nullptr && policy.until) {
      error(node, context,
            "retry: give either 'attempts' or 'until', not both ('until' retries until the check "
            "passes or the time is up)");
      return std::nullopt;
    }
    if (ok && attempts_node == nullptr && !policy.until) {
      error(node, context, "retry: expected 'attempts' or 'until'");
      return std::nullopt;
    }
    if (!ok) return std::nullopt;
    return policy;
  }

  void read_suite(const yaml::Node& root, FileContext& context, bool included) {
    if (!root.is_map()) {
      error(root, context,
            fmt::format("expected a suite (a mapping with 'suite' and 'checks'), got {}",
                        describe(root)));
      return;
    }
    std::map<std::string, Entry> keys;
    for (Entry& entry : known_entries(root, context, "the suite", kTopLevelKeys)) {
      keys.emplace(entry.key, std::move(entry));
    }

    // vars first: every other value may use them. --var overrides are defined first, so suite
    // vars can read them, and read_vars skips the names they set.
    for (const auto& [name, value] : options_.variables)
      context.variables.define(name, value);
    if (auto it = keys.find("vars"); it != keys.end()) read_vars(it->second.value, context);

    std::string description;
    if (auto it = keys.find("suite"); it != keys.end()) {
      auto name = string_value(it->second.value, context, "suite");
      if (name && !included) {
        if (name->empty()) error(it->second.value, context, "suite: the name must not be empty");
        context.suite = *name;
      }
    } else if (!included) {
      error(root, context, "missing key 'suite' (the suite's name)");
    }
    if (auto it = keys.find("description"); it != keys.end()) {
      if (auto text = string_value(it->second.value, context, "description")) description = *text;
    }
    if (!included) {
      for (const SuiteInfo& suite : plan_.suites) {
        if (suite.name == context.suite && !context.suite.empty()) {
          error(keys.count("suite") ? keys.at("suite").value : root, context,
                fmt::format("suite '{}' is also defined in {}", context.suite, suite.file));
        }
      }
      plan_.suites.push_back({context.suite, description, context.file});
    }

    if (auto it = keys.find("databases"); it != keys.end()) {
      read_databases(it->second.value, context);
    }
    if (auto it = keys.find("phases"); it != keys.end()) read_phases(it->second.value, context);
    if (auto it = keys.find("defaults"); it != keys.end()) read_defaults(it->second.value, context);

    if (auto it = keys.find("include"); it != keys.end()) {
      read_includes(it->second.value, context);
    }
    if (auto it = keys.find("checks"); it != keys.end()) {
      const yaml::Node& checks = it->second.value;
      if (!checks.is_sequence()) {
        error(checks, context,
              fmt::format("checks: expected a list of checks, got {}", describe(checks)));
      } else {
        for (const yaml::Node* check : checks.items)
          read_check(*check, context);
      }
    } else if (!included && keys.count("include") == 0) {
      error(root, context, "missing key 'checks' (the list of checks)");
    }
  }

  void read_vars(const yaml::Node& node, FileContext& context) {
    auto all = entries(node, context, "vars");
    if (!all) return;
    for (const Entry& entry : *all) {
      if (!is_identifier(entry.key) || entry.key.find('-') != std::string::npos) {
        error(entry.key_node, context,
              fmt::format("vars: '{}' is not a valid variable name (letters, digits, '_')",
                          entry.key));
        continue;
      }
      if (options_.variables.contains(entry.key)) continue;  // --var wins
      auto value = string_value(entry.value, context, "vars." + entry.key);
      if (value) context.variables.define(entry.key, std::move(*value));
    }
  }

  // `databases: { source: { dsn: "${secret:SOURCE_DSN}", max_connections: 4 } }`. A name an
  // included file declares again stands for its own database there.
  void read_databases(const yaml::Node& node, FileContext& context) {
    auto all = entries(node, context, "databases");
    if (!all) return;
    for (const Entry& entry : *all) {
      if (!is_identifier(entry.key)) {
        error(entry.key_node, context,
              fmt::format("databases: '{}' is not a valid name (letters, digits, '_', '-', '.')",
                          entry.key));
        continue;
      }
      const std::string what = "databases." + entry.key;
      auto database = std::make_shared<Database>();
      database->name = entry.key;
      database->location = location_of(entry.key_node, context.file);
      bool ok = entry.value.is_map();
      bool has_dsn = false;
      for (const Entry& setting : known_entries(entry.value, context, what, kDatabaseKeys)) {
        if (setting.key == "dsn") {
          auto dsn = string_value(setting.value, context, what + ".dsn");
          if (dsn && dsn->empty()) {
            error(setting.value, context,
                  what + ".dsn: expected a connection string or URI, got an empty string");
            ok = false;
          } else if (dsn) {
            database->dsn = std::move(*dsn);
            for (std::string& password : dsn_passwords(database->dsn))
              plan_.redactor.add_secret(std::move(password));
            has_dsn = true;
          } else {
            ok = false;
          }
        } else if (setting.key == "max_connections") {
          auto text = string_value(setting.value, context, what + ".max_connections");
          auto count = text ? parse_integer(*text) : std::nullopt;
          if (!count || *count < 1 || *count > kMaxConnectionsLimit) {
            if (text) {
              error(setting.value, context,
                    fmt::format("{}.max_connections: expected an integer from 1 to {}, got '{}'",
                                what, kMaxConnectionsLimit, *text));
            }
            ok = false;
            continue;
          }
          database->max_connections = static_cast<int>(*count);
        }
      }
      if (entry.value.is_map() && !has_dsn && ok) {
        error(entry.value, context, what + ": missing key 'dsn' (a connection string or URI)");
        ok = false;
      }
      if (!ok) continue;
      context.databases[entry.key] = database;
      plan_.databases.push_back(std::move(database));
    }
  }

  // `phases: [pre, sync, post]` fixes the order phases run in, whatever order checks (and
  // included files) use them in, and makes any other phase name an error.
  void read_phases(const yaml::Node& node, FileContext& context) {
    auto phases = identifier_list(node, context, "phases");
    if (!phases) return;
    if (phases->empty()) {
      error(node, context, "phases: expected at least one phase name");
      return;
    }
    std::vector<std::string>& order = plan_.phase_order;
    std::size_t previous = 0;
    for (const std::string& phase : *phases) {
      if (std::count(phases->begin(), phases->end(), phase) > 1) {
        error(node, context, fmt::format("phases: '{}' is listed twice", phase));
        return;
      }
      auto it = std::find(order.begin(), order.end(), phase);
      if (it == order.end()) it = order.insert(order.end(), phase);
      const auto position = static_cast<std::size_t>(it - order.begin());
      if (position < previous) {
        error(node, context,
              fmt::format("phases: the order conflicts with another suite's ({})",
                          fmt::join(order, ", ")));
        return;
      }
      previous = position;
    }
    context.phases = std::move(*phases);
  }

  // With declared phases, a phase name must be one of them: a typo must not make a new phase.
  bool check_phase(const std::string& phase, const yaml::Node& node, const FileContext& context,
                   std::string_view what) {
    if (context.phases.empty() ||
        std::find(context.phases.begin(), context.phases.end(), phase) != context.phases.end()) {
      return true;
    }
    std::string message = fmt::format("{}: '{}' is not one of the suite's phases ({})", what, phase,
                                      fmt::join(context.phases, ", "));
    if (std::string suggestion = closest_match(phase, context.phases); !suggestion.empty()) {
      message += fmt::format(" (did you mean '{}'?)", suggestion);
    }
    error(node, context, message);
    return false;
  }

  void read_defaults(const yaml::Node& node, FileContext& context) {
    for (const Entry& entry : known_entries(node, context, "defaults", kDefaultsKeys)) {
      if (entry.key == "timeout") {
        if (auto timeout = duration_value(entry.value, context, "defaults.timeout")) {
          context.defaults.timeout = *timeout;
        }
      } else if (entry.key == "retry") {
        if (auto retry = retry_value(entry.value, context)) context.defaults.retry = *retry;
      } else if (entry.key == "tags") {
        if (auto tags = identifier_list(entry.value, context, "defaults.tags")) {
          context.defaults.tags = *tags;
        }
      } else if (entry.key == "phase") {
        if (auto phase = identifier_list(entry.value, context, "defaults.phase")) {
          if (phase->size() != 1) {
            error(entry.value, context, "defaults.phase: expected one phase name");
          } else if (check_phase(phase->front(), entry.value, context, "defaults.phase")) {
            context.defaults.phase = phase->front();
          }
        }
      }
    }
  }

  void read_includes(const yaml::Node& node, const FileContext& context) {
    auto paths = string_list(node, context, "include");
    if (!paths) return;
    for (const std::string& relative : *paths) {
      const std::filesystem::path path = context.path.parent_path() / relative;
      std::error_code ignored;
      const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ignored);
      if (std::find(include_stack_.begin(), include_stack_.end(), canonical) !=
          include_stack_.end()) {
        error(node, context,
              fmt::format("include: '{}' includes itself (an include cycle)", path.string()));
        continue;
      }
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        error(node, context, fmt::format("include: cannot open '{}'", path.string()));
        continue;
      }
      std::ostringstream text;
      text << in.rdbuf();
      auto root = parse(text.str(), path.string());
      if (!root) continue;
      FileContext child = context;
      child.file = path.string();
      child.path = path;
      include_stack_.push_back(canonical);
      read_suite(root->root(), child, /*included=*/true);
      include_stack_.pop_back();
    }
  }

  void read_check(const yaml::Node& node, const FileContext& context) {
    auto all = entries(node, context, "a check");
    if (!all) return;
    std::map<std::string_view, const Entry*> keys;
    for (const Entry& entry : *all)
      keys.emplace(entry.key, &entry);

    PlannedCheck check;
    check.suite = context.suite;
    check.location = location_of(node, context.file);
    check.timeout = context.defaults.timeout.value_or(kDefaultTimeout);
    check.retry = context.defaults.retry.value_or(RetryPolicy{});
    check.phase = context.defaults.phase.value_or(std::string(kDefaultPhase));
    check.tags = context.defaults.tags;

    bool ok = true;
    std::string label = "a check";
    if (auto it = keys.find("name"); it != keys.end()) {
      auto name = string_value(it->second->value, context, "name");
      if (name && name->empty()) {
        error(it->second->value, context, "name: must not be empty");
        ok = false;
      } else if (name) {
        check.name = *name;
        label = fmt::format("check '{}'", check.name);
        auto [previous, inserted] =
            names_.emplace(std::pair{check.suite, check.name}, check.location);
        if (!inserted) {
          error(it->second->value, context,
                fmt::format("duplicate check name '{}' in suite '{}' (first at {})", check.name,
                            check.suite, to_string(previous->second)));
          ok = false;
        }
      } else {
        ok = false;
      }
    } else {
      error(node, context, "a check: missing key 'name'");
      ok = false;
    }

    const Kind* kind = nullptr;
    if (auto it = keys.find("kind"); it != keys.end()) {
      auto name = string_value(it->second->value, context, "kind");
      if (name) {
        kind = registry_.find(*name);
        if (kind == nullptr) {
          std::vector<std::string> names;
          for (const Kind* known : registry_.kinds())
            names.push_back(known->name);
          std::string message = fmt::format("{}: unknown kind '{}'", label, *name);
          if (std::string suggestion = closest_match(*name, names); !suggestion.empty()) {
            message += fmt::format(" (did you mean '{}'?)", suggestion);
          } else {
            message += fmt::format(" (known kinds: {})", fmt::join(names, ", "));
          }
          error(it->second->value, context, message);
        } else {
          check.kind = kind->name;
        }
      }
    } else {
      error(node, context, fmt::format("{}: missing key 'kind'", label));
    }
    if (kind == nullptr) ok = false;

    // Keys: common ones and, once the kind is known, the kind's own. With an unknown kind the
    // other keys cannot be judged, so only the common ones are read.
    const auto allowed = [kind] {
      std::vector<std::string> keys = common_check_keys();
      for (const FieldSpec& field : kind->spec.fields)
        keys.push_back(field.name);
      return keys;
    };
    std::map<std::string, FieldValue, std::less<>> values;
    std::map<std::string, SourceLocation, std::less<>> locations;
    std::set<std::string, std::less<>> invalid;  // present but wrong: not also "missing"
    for (const Entry& entry : *all) {
      const auto& common = common_check_keys();
      const bool is_common = std::find(common.begin(), common.end(), entry.key) != common.end();
      if (!is_common) {
        if (kind == nullptr) continue;
        const FieldSpec* field = find_field(*kind, entry.key);
        if (field == nullptr) {
          error(entry.key_node, context,
                unknown_key_message(entry.key, fmt::format("{} of kind '{}'", label, kind->name),
                                    allowed()));
          ok = false;
          continue;
        }
        kept_references_ = kind->spec.runtime_variables;
        auto value = field_value(*field, entry.value, context);
        kept_references_.clear();
        if (!value) {
          invalid.insert(field->name);
          ok = false;
          continue;
        }
        values.emplace(field->name, std::move(*value));
        locations.emplace(field->name, location_of(entry.value, context.file));
        continue;
      }
      if (!read_common_key(entry, context, check)) ok = false;
    }
    if (!keys.contains("phase") && !context.defaults.phase &&
        !check_phase(check.phase, node, context, "phase (the default)")) {
      ok = false;
    }
    if (kind != nullptr) {
      for (const FieldSpec& field : kind->spec.fields) {
        if (field.required && !values.contains(field.name) && !invalid.contains(field.name)) {
          error(node, context,
                fmt::format("{}: missing required field '{}' of kind '{}'", label, field.name,
                            kind->name));
          ok = false;
        }
      }
    }
    if (!ok) return;

    Fields fields(std::move(values), std::move(locations), check.location, check.timeout);
    try {
      check.check = kind->factory(fields);
    } catch (const std::exception& e) {
      diagnostics_.push_back({check.location, fmt::format("{}: {}", label, e.what())});
      return;
    }
    Diagnostics field_diagnostics = fields.take_diagnostics();
    if (!field_diagnostics.empty() || check.check == nullptr) {
      for (Diagnostic& diagnostic : field_diagnostics) {
        diagnostic.message = fmt::format("{}: {}", label, diagnostic.message);
        diagnostics_.push_back(std::move(diagnostic));
      }
      return;
    }
    plan_.checks.push_back(std::move(check));
  }

  bool read_common_key(const Entry& entry, const FileContext& context, PlannedCheck& check) {
    if (entry.key == "name" || entry.key == "kind") return true;
    if (entry.key == "description") {
      auto text = string_value(entry.value, context, "description");
      if (text) check.description = *text;
      return text.has_value();
    }
    if (entry.key == "phase") {
      auto phase = identifier_list(entry.value, context, "phase");
      if (phase && phase->size() != 1) {
        error(entry.value, context, "phase: expected one phase name");
        return false;
      }
      if (!phase || !check_phase(phase->front(), entry.value, context, "phase")) return false;
      check.phase = phase->front();
      return true;
    }
    if (entry.key == "tags") {
      auto tags = identifier_list(entry.value, context, "tags");
      if (!tags) return false;
      for (std::string& tag : *tags) {
        if (std::find(check.tags.begin(), check.tags.end(), tag) == check.tags.end()) {
          check.tags.push_back(std::move(tag));
        }
      }
      return true;
    }
    if (entry.key == "timeout") {
      auto timeout = duration_value(entry.value, context, "timeout");
      if (timeout) check.timeout = *timeout;
      return timeout.has_value();
    }
    if (entry.key == "retry") {
      auto retry = retry_value(entry.value, context);
      if (retry) check.retry = *retry;
      return retry.has_value();
    }
    if (entry.key == "needs") {
      auto needs = string_list(entry.value, context, "needs");
      if (needs) check.needs = *needs;
      return needs.has_value();
    }
    return true;
  }

  static const FieldSpec* find_field(const Kind& kind, std::string_view name) {
    for (const FieldSpec& field : kind.spec.fields) {
      if (field.name == name) return &field;
    }
    return nullptr;
  }

  std::optional<FieldValue> field_value(const FieldSpec& field, const yaml::Node& node,
                                        const FileContext& context) {
    const std::string& what = field.name;
    switch (field.type) {
      case FieldType::string: {
        auto text = string_value(node, context, what);
        if (!text) return std::nullopt;
        if (field.non_empty && text->empty()) {
          error(node, context, fmt::format("{}: expected a non-empty string, got ''", what));
          return std::nullopt;
        }
        return FieldValue(std::move(*text));
      }
      case FieldType::integer: {
        auto text = string_value(node, context, what);
        if (!text) return std::nullopt;
        auto value = parse_integer(*text);
        if (!value || !in_range(field, *value)) {
          const std::string range = range_text(field);
          error(node, context,
                fmt::format("{}: expected an integer{}{}, got '{}'", what, range.empty() ? "" : " ",
                            range, *text));
          return std::nullopt;
        }
        return FieldValue(*value);
      }
      case FieldType::number: {
        auto text = string_value(node, context, what);
        if (!text) return std::nullopt;
        auto value = parse_number(*text);
        if (!value) {
          error(node, context, fmt::format("{}: expected a number, got '{}'", what, *text));
          return std::nullopt;
        }
        return FieldValue(*value);
      }
      case FieldType::boolean: {
        auto text = string_value(node, context, what);
        if (!text) return std::nullopt;
        if (*text != "true" && *text != "false") {
          error(node, context, fmt::format("{}: expected true or false, got '{}'", what, *text));
          return std::nullopt;
        }
        return FieldValue(*text == "true");
      }
      case FieldType::duration: {
        auto value = duration_value(node, context, what);
        if (!value) return std::nullopt;
        return FieldValue(*value);
      }
      case FieldType::seconds: {
        auto text = string_value(node, context, what);
        if (!text) return std::nullopt;
        if (auto seconds = parse_integer(*text); seconds && *seconds >= 0) {
          return FieldValue(Duration(std::chrono::seconds(*seconds)));
        }
        if (auto duration = parse_duration(*text); duration && *duration >= Duration::zero()) {
          return FieldValue(*duration);
        }
        error(node, context,
              fmt::format("{}: expected whole seconds (300) or a duration like 5m, got '{}'", what,
                          *text));
        return std::nullopt;
      }
      case FieldType::string_list: {
        auto values = string_list(node, context, what);
        if (!values) return std::nullopt;
        if (field.non_empty && std::find(values->begin(), values->end(), "") != values->end()) {
          error(node, context, fmt::format("{}: expected non-empty strings, got ''", what));
          return std::nullopt;
        }
        return FieldValue(std::move(*values));
      }
      case FieldType::choice: {
        auto text = string_value(node, context, what);
        if (!text) return std::nullopt;
        if (std::find(field.choices.begin(), field.choices.end(), *text) == field.choices.end()) {
          std::string message = fmt::format("{}: expected one of {}, got '{}'", what,
                                            fmt::join(field.choices, ", "), *text);
          if (std::string suggestion = closest_match(*text, field.choices); !suggestion.empty()) {
            message += fmt::format(" (did you mean '{}'?)", suggestion);
          }
          error(node, context, message);
          return std::nullopt;
        }
        return FieldValue(std::move(*text));
      }
      case FieldType::object: {
        auto value = json_value(node, context, what);
        if (!value) return std::nullopt;
        return FieldValue(std::move(*value));
      }
      case FieldType::database: {
        auto name = string_value(node, context, what);
        if (!name) return std::nullopt;
        auto it = context.databases.find(*name);
        if (it != context.databases.end()) return FieldValue(it->second);
        if (context.databases.empty()) {
          error(node, context,
                fmt::format("{}: unknown database '{}': the suite declares none (declare it under "
                            "'databases:' with its dsn)",
                            what, *name));
          return std::nullopt;
        }
        std::vector<std::string> names;
        for (const auto& [declared, database] : context.databases)
          names.push_back(declared);
        std::string message = fmt::format("{}: unknown database '{}'", what, *name);
        if (std::string suggestion = closest_match(*name, names); !suggestion.empty()) {
          message += fmt::format(" (did you mean '{}'?)", suggestion);
        } else {
          message += fmt::format(" (declared: {})", fmt::join(names, ", "));
        }
        error(node, context, message);
        return std::nullopt;
      }
    }
    return std::nullopt;
  }

  const Registry& registry_;
  const LoadOptions& options_;
  std::vector<std::string>
      kept_references_;  // while reading a kind's fields: its runtime_variables
  Plan& plan_;
  Diagnostics diagnostics_;
  std::vector<std::filesystem::path> include_stack_;
  std::map<std::pair<std::string, std::string>, SourceLocation> names_;

 public:
  void enter_file(const std::filesystem::path& path) {
    std::error_code ignored;
    include_stack_.push_back(std::filesystem::weakly_canonical(path, ignored));
  }
  void leave_file() { include_stack_.pop_back(); }
};

// Takes the plan by reference: the loader redacts with the plan's redactor, so the plan may only
// move once the loader is done with it.
Expected<Plan, Diagnostics> finish(Plan& plan, Loader& loader) {
  Diagnostics diagnostics = loader.take_diagnostics();
  for (Diagnostic& diagnostic : validate_needs(plan)) {
    diagnostic.message = plan.redactor.redact(diagnostic.message);
    diagnostics.push_back(std::move(diagnostic));
  }
  if (!diagnostics.empty()) return outcome::failure(std::move(diagnostics));

  // Only now is every secret known: a value read as ${NAME} in one place may be a secret in a
  // later one. Names are compared raw while loading and masked here, before anything prints them.
  const Redactor& redactor = plan.redactor;
  const auto redact_all = [&redactor](std::vector<std::string>& texts) {
    for (std::string& text : texts)
      text = redactor.redact(text);
  };
  for (SuiteInfo& suite : plan.suites) {
    suite.name = redactor.redact(suite.name);
    suite.description = redactor.redact(suite.description);
  }
  for (PlannedCheck& check : plan.checks) {
    check.suite = redactor.redact(check.suite);
    check.name = redactor.redact(check.name);
    check.description = redactor.redact(check.description);
    check.phase = redactor.redact(check.phase);
    redact_all(check.tags);
    redact_all(check.needs);
  }
  return outcome::success(std::move(plan));
}

}  // namespace

Expected<Plan, Diagnostics> load_suites(const std::vector<std::filesystem::path>& files,
                                        const Registry& registry, const LoadOptions& options) {
  Plan plan;
  Loader loader(registry, options, plan);
  for (const std::filesystem::path& file : files) {
    loader.enter_file(file);
    loader.load_file(file);
    loader.leave_file();
  }
  return finish(plan, loader);
}

Expected<Plan, Diagnostics> load_suite_text(std::string_view text, const std::string& file,
                                            const Registry& registry, const LoadOptions& options) {
  Plan plan;
  Loader loader(registry, options, plan);
  loader.enter_file(file);
  loader.load_text(text, file);
  loader.leave_file();
  return finish(plan, loader);
}

}  // namespace cutover
