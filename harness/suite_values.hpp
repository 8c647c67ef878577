#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/characters.hpp"
#include "harness/database.hpp"
#include "harness/diagnostics.hpp"
#include "harness/duration.hpp"
#include "harness/plan.hpp"
#include "harness/variables.hpp"
#include "harness/yaml.hpp"

// The suite loader's reading of YAML nodes into values (harness/suite.cpp), shared by the parts
// that read a suite's sections.
namespace cutover::detail {

// What a file's `defaults:` give its checks.
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

// One entry of a mapping.
struct Entry {
  const std::string& key;  // key_node's text
  const yaml::Node& key_node;
  const yaml::Node& value;
};

SourceLocation location_of(const yaml::Node& node, const std::string& file);

// A node as messages name what was found: 'text', a list, a mapping, nothing.
std::string describe(const yaml::Node& node);

// Letters, digits, '_', '-' and '.': names of phases, tags, databases.
bool is_identifier(std::string_view text);

std::optional<std::int64_t> parse_integer(std::string_view text);
std::optional<double> parse_number(std::string_view text);

// Reads nodes into values, substituting variables in every string. A mistake is recorded with
// its place and the value comes back empty; the caller goes on, so every mistake is reported.
class ValueReader {
 public:
  void error(const yaml::Node& node, const FileContext& context, std::string message);
  void add(Diagnostic diagnostic);
  Diagnostics take_diagnostics() { return std::move(diagnostics_); }

  // While a kind's fields are read: references starting with these prefixes stay as written
  // (KindSpec::runtime_variables). Empty otherwise.
  void keep_references(std::vector<std::string> prefixes) {
    kept_references_ = std::move(prefixes);
  }

  // The entries of a mapping, with duplicate keys and keys holding characters that `allowed`
  // refuses reported and left out. Keys are not substituted.
  std::optional<std::vector<Entry>> entries(const yaml::Node& node, const FileContext& context,
                                            std::string_view what,
                                            Characters allowed = Characters::printable);
  // Entries whose keys are all in `allowed`; unknown keys are reported and dropped.
  std::vector<Entry> known_entries(const yaml::Node& node, const FileContext& context,
                                   std::string_view what, const std::vector<std::string>& allowed);

  // A string with its variables substituted, holding only the characters `allowed` admits.
  std::optional<std::string> string_value(const yaml::Node& node, const FileContext& context,
                                          std::string_view what,
                                          Characters allowed = Characters::printable);
  // A list of strings; a single string is a list of one.
  std::optional<std::vector<std::string>> string_list(const yaml::Node& node,
                                                      const FileContext& context,
                                                      std::string_view what,
                                                      Characters allowed = Characters::printable);
  // A string_list whose items are all identifiers.
  std::optional<std::vector<std::string>> identifier_list(const yaml::Node& node,
                                                          const FileContext& context,
                                                          std::string_view what);
  // A positive duration.
  std::optional<Duration> duration_value(const yaml::Node& node, const FileContext& context,
                                         std::string_view what);
  // Any structure, typed as YAML types plain scalars; its strings and keys hold only the
  // characters `allowed` admits. Nesting is bounded by the parser (yaml::kMaxDepth).
  std::optional<nlohmann::json> json_value(const yaml::Node& node, const FileContext& context,
                                           std::string_view what, Characters allowed);
  // `retry: {attempts: 3, interval: 2s}` or `retry: {until: 10m, interval: 30s}`.
  std::optional<RetryPolicy> retry_value(const yaml::Node& node, const FileContext& context);

 private:
  std::optional<nlohmann::json> scalar_json(const yaml::Node& node, const FileContext& context,
                                            std::string_view what, Characters allowed);
  std::optional<int> retry_attempts(const yaml::Node& node, const FileContext& context);

  Diagnostics diagnostics_;
  std::vector<std::string> kept_references_;
};

}  // namespace cutover::detail
