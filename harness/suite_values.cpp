#include "harness/suite_values.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "harness/text.hpp"

namespace cutover::detail {
namespace {

const std::vector<std::string> kRetryKeys{"attempts", "interval", "until"};
constexpr Duration kDefaultRetryInterval = std::chrono::seconds(1);
constexpr std::int64_t kMaxRetryAttempts = 1000;

// from_chars with an optional leading '+', which YAML and JSON numbers may have.
template <typename Number>
std::optional<Number> parse_whole(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  Number value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

SourceLocation location_of(const yaml::Node& node, const std::string& file) {
  return {file, node.mark.line, node.mark.column};
}

std::string describe(const yaml::Node& node) {
  switch (node.type) {
    case yaml::NodeType::null:
      return "nothing";
    case yaml::NodeType::scalar:
      return "'" + shorten(escape_control_characters(one_line(node.scalar)), 60) + "'";
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
  return parse_whole<std::int64_t>(text);
}

std::optional<double> parse_number(std::string_view text) {
  return parse_whole<double>(text);
}

void ValueReader::error(const yaml::Node& node, const FileContext& context, std::string message) {
  diagnostics_.push_back({location_of(node, context.file), std::move(message)});
}

void ValueReader::add(Diagnostic diagnostic) {
  diagnostics_.push_back(std::move(diagnostic));
}

std::optional<std::vector<Entry>> ValueReader::entries(const yaml::Node& node,
                                                       const FileContext& context,
                                                       std::string_view what, Characters allowed) {
  if (!node.is_map()) {
    error(node, context, fmt::format("{}: expected a mapping, got {}", what, describe(node)));
    return std::nullopt;
  }
  std::vector<Entry> out;
  // Each key's first node, so that a mapping of many keys is read in linear time.
  std::unordered_map<std::string_view, const yaml::Node*> first;
  for (const auto& [key_node, value] : node.entries) {
    if (!key_node->is_scalar()) {
      error(*key_node, context, fmt::format("{}: keys must be plain strings", what));
      continue;
    }
    const std::string& key = key_node->scalar;
    if (auto problem = characters_problem(key, allowed)) {
      error(*key_node, context, fmt::format("{}: a key: {}", what, *problem));
      continue;
    }
    if (auto [previous, added] = first.emplace(key, key_node); !added) {
      error(*key_node, context,
            fmt::format("duplicate key '{}' in {} (first at line {})", key, what,
                        location_of(*previous->second, context.file).line));
      continue;
    }
    out.push_back({key, *key_node, *value});
  }
  return out;
}

std::vector<Entry> ValueReader::known_entries(const yaml::Node& node, const FileContext& context,
                                              std::string_view what,
                                              const std::vector<std::string>& allowed) {
  auto all = entries(node, context, what);
  if (!all) return {};
  std::vector<Entry> out;
  for (Entry& entry : *all) {
    if (std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
      error(entry.key_node, context, unknown_key(entry.key, allowed, what));
      continue;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<std::string> ValueReader::string_value(const yaml::Node& node,
                                                     const FileContext& context,
                                                     std::string_view what, Characters allowed) {
  if (!node.is_scalar()) {
    error(node, context, fmt::format("{}: expected a string, got {}", what, describe(node)));
    return std::nullopt;
  }
  auto substituted = context.variables.substitute(node.scalar, kept_references_);
  if (!substituted) {
    // The message quotes the reference as written, line breaks and all.
    error(node, context,
          fmt::format("{}: {}", what, escape_control_characters(substituted.error().message)));
    return std::nullopt;
  }
  // Judged once substituted: a variable's value may hold what the file does not.
  if (auto problem = characters_problem(substituted.value(), allowed)) {
    error(node, context, fmt::format("{}: {}", what, *problem));
    return std::nullopt;
  }
  return std::move(substituted).value();
}

std::optional<std::vector<std::string>> ValueReader::string_list(const yaml::Node& node,
                                                                 const FileContext& context,
                                                                 std::string_view what,
                                                                 Characters allowed) {
  if (node.is_scalar()) {
    auto single = string_value(node, context, what, allowed);
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
    auto value = string_value(*item, context, what, allowed);
    if (value) {
      out.push_back(std::move(*value));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> ValueReader::identifier_list(const yaml::Node& node,
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

std::optional<Duration> ValueReader::duration_value(const yaml::Node& node,
                                                    const FileContext& context,
                                                    std::string_view what) {
  auto text = string_value(node, context, what);
  if (!text) return std::nullopt;
  auto duration = parse_positive_duration(*text);
  if (!duration) {
    error(node, context, fmt::format("{}: {}", what, duration.error().message));
    return std::nullopt;
  }
  return duration.value();
}

std::optional<nlohmann::json> ValueReader::json_value(const yaml::Node& node,
                                                      const FileContext& context,
                                                      std::string_view what, Characters allowed) {
  switch (node.type) {
    case yaml::NodeType::null:
      return nlohmann::json(nullptr);
    case yaml::NodeType::scalar:
      return scalar_json(node, context, what, allowed);
    case yaml::NodeType::sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const yaml::Node* item : node.items) {
        auto value = json_value(*item, context, what, allowed);
        if (!value) return std::nullopt;
        array.push_back(std::move(*value));
      }
      return array;
    }
    case yaml::NodeType::map: {
      auto all = entries(node, context, what, allowed);
      if (!all) return std::nullopt;
      nlohmann::json object = nlohmann::json::object();
      for (const Entry& entry : *all) {
        auto value = json_value(entry.value, context, what, allowed);
        if (!value) return std::nullopt;
        object[entry.key] = std::move(*value);
      }
      return object;
    }
  }
  return std::nullopt;
}

std::optional<nlohmann::json> ValueReader::scalar_json(const yaml::Node& node,
                                                       const FileContext& context,
                                                       std::string_view what, Characters allowed) {
  auto text = string_value(node, context, what, allowed);
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

std::optional<RetryPolicy> ValueReader::retry_value(const yaml::Node& node,
                                                    const FileContext& context) {
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
  bool has_attempts = false;
  for (const Entry& entry : known_entries(node, context, "retry", kRetryKeys)) {
    if (entry.key == "attempts") {
      has_attempts = true;
      auto attempts = retry_attempts(entry.value, context);
      if (attempts) policy.attempts = *attempts;
      ok = ok && attempts.has_value();
      continue;
    }
    auto duration = duration_value(entry.value, context, "retry." + entry.key);
    if (!duration) {
      ok = false;
    } else if (entry.key == "interval") {
      policy.interval = *duration;
    } else {
      policy.until = *duration;
    }
  }
  if (has_attempts && policy.until) {
    error(node, context,
          "retry: give either 'attempts' or 'until', not both ('until' retries until the check "
          "passes or the time is up)");
    return std::nullopt;
  }
  if (ok && !has_attempts && !policy.until) {
    error(node, context, "retry: expected 'attempts' or 'until'");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return policy;
}

std::optional<int> ValueReader::retry_attempts(const yaml::Node& node, const FileContext& context) {
  auto text = string_value(node, context, "retry.attempts");
  if (!text) return std::nullopt;
  auto attempts = parse_integer(*text);
  if (!attempts || *attempts < 1 || *attempts > kMaxRetryAttempts) {
    error(node, context,
          fmt::format("retry.attempts: expected an integer from 1 to {}, got '{}'",
                      kMaxRetryAttempts, *text));
    return std::nullopt;
  }
  return static_cast<int>(*attempts);
}

}  // namespace cutover::detail
