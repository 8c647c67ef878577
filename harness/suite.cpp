#include "harness/suite.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "harness/input_file.hpp"
#include "harness/suite_checks.hpp"
#include "harness/suite_databases.hpp"
#include "harness/suite_phases.hpp"
#include "harness/suite_values.hpp"
#include "harness/text.hpp"
#include "harness/yaml.hpp"

// JSON suites are read as YAML too (harness/yaml.hpp): every node keeps its line and column, which
// nlohmann/json does not, and duplicate keys are kept, so they are reported here rather than
// silently resolved.

namespace cutover {
namespace {

using detail::Entry;
using detail::FileContext;

const std::vector<std::string> kTopLevelKeys{"suite",  "description", "vars",   "databases",
                                             "phases", "defaults",    "checks", "include"};
const std::vector<std::string> kDefaultsKeys{"timeout", "retry", "tags", "phase"};

// Names looked at for "did you mean" in a folder: a suite's folder is small, a home folder not.
constexpr std::size_t kMaxNearbyFiles = 1000;

// How messages name a suite read from standard input ("-" on the command line), as compilers do.
constexpr const char* kStandardInputName = "<stdin>";

// " (did you mean 'network.yaml'?)" for a file in the same folder whose name is close.
std::string nearby_file(const std::filesystem::path& path) {
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : ".";
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it(folder, error), end;
       !error && it != end && names.size() < kMaxNearbyFiles; it.increment(error)) {
    if (it->is_regular_file(error)) names.push_back(it->path().filename().string());
  }
  return suggestion_or(path.filename().string(), names);
}

// Why a suite or included file was not read: the reader's reason, with how to raise the cap
// when that was it, or a nearby name when nothing has this one.
std::string unread_reason(const InputError& error, const std::filesystem::path& path) {
  if (error.over_limit) return error.message + " (--max-suite-size raises it)";
  return error.missing ? error.message + nearby_file(path) : error.message;
}

// Reads files into the plan, collecting every mistake. Files and includes are walked here, with
// a suite's top-level sections; values, databases, phases and checks are read by detail::.
class Loader {
 public:
  Loader(const Registry& registry, const LoadOptions& options, Plan& plan)
      : options_(options), plan_(plan), checks_(reader_, registry, plan) {}

  void load_file(const std::filesystem::path& path);
  void load_text(std::string_view text, const std::string& file);
  // Every mistake, redacted with the secrets known so far; once every file is read (it judges
  // `needs` names against every check's).
  Diagnostics take_diagnostics();

  // Around each top-level file, so that an include of it is a cycle.
  void enter_file(const std::filesystem::path& path);
  void leave_file() { include_stack_.pop_back(); }

 private:
  std::optional<yaml::Document> parse(std::string_view text, const std::string& file);
  void read_suite(const yaml::Node& root, FileContext& context, bool included);
  // `suite:` and `description:`. An included file's name is read for its mistakes only: its
  // checks join the includer's suite.
  void read_name(const yaml::Node* suite, const yaml::Node* description, const yaml::Node& root,
                 FileContext& context, bool included);
  void read_vars(const yaml::Node& node, FileContext& context);
  void read_defaults(const yaml::Node& node, FileContext& context);
  // Each included file is read as a suite of its own that joins the includer's: it starts from
  // the includer's context.
  void read_includes(const yaml::Node& node, const FileContext& context);
  // One of them, `entry` being where the includer names it.
  void include_file(const std::string& relative, const yaml::Node& entry,
                    const FileContext& context);
  void read_checks(const yaml::Node& checks, const FileContext& context);

  const LoadOptions& options_;
  Plan& plan_;
  detail::ValueReader reader_;
  detail::CheckReader checks_;
  std::vector<std::filesystem::path> include_stack_;
  bool read_standard_input_ = false;
};

void Loader::load_file(const std::filesystem::path& path) {
  const bool standard_input = path == "-";
  const std::string file = standard_input ? kStandardInputName : path.string();
  if (standard_input && read_standard_input_) {
    reader_.add(Diagnostic{SourceLocation{file},
                           "'-' (standard input) is named twice; it can be read only once"});
    return;
  }
  read_standard_input_ = read_standard_input_ || standard_input;
  auto text = standard_input ? read_standard_input(options_.max_file_bytes)
                             : read_input_file(path, options_.max_file_bytes);
  if (!text) {
    reader_.add(Diagnostic{SourceLocation{file},
                           "cannot open suite file: " + unread_reason(text.error(), path)});
    return;
  }
  load_text(text.value(), file);
}

void Loader::load_text(std::string_view text, const std::string& file) {
  FileContext context{file, std::filesystem::path(file),
                      "",   Variables(options_.environment, plan_.redactor, options_.unset_secrets),
                      {},   {},
                      {}};
  auto root = parse(text, file);
  if (!root) return;
  read_suite(root->root(), context, /*included=*/false);
}

Diagnostics Loader::take_diagnostics() {
  checks_.resolve_needs();
  Diagnostics all = reader_.take_diagnostics();
  for (Diagnostic& diagnostic : all)
    diagnostic.message = plan_.redactor.redact(diagnostic.message);
  return all;
}

void Loader::enter_file(const std::filesystem::path& path) {
  std::error_code ignored;
  include_stack_.push_back(std::filesystem::weakly_canonical(path, ignored));
}

std::optional<yaml::Document> Loader::parse(std::string_view text, const std::string& file) {
  auto document = yaml::parse(text);
  if (!document) {
    const yaml::SyntaxError& e = document.error();
    reader_.add({{file, e.mark.line, e.mark.column}, "syntax error: " + e.message});
    return std::nullopt;
  }
  return std::move(document).value();
}

void Loader::read_suite(const yaml::Node& root, FileContext& context, bool included) {
  if (!root.is_map()) {
    reader_.error(root, context,
                  fmt::format("expected a suite (a mapping with 'suite' and 'checks'), got {}",
                              detail::describe(root)));
    return;
  }
  std::map<std::string, Entry> keys;
  for (Entry& entry : reader_.known_entries(root, context, "the suite", kTopLevelKeys)) {
    keys.emplace(entry.key, std::move(entry));
  }
  const auto section = [&keys](const std::string& key) -> const yaml::Node* {
    auto it = keys.find(key);
    return it == keys.end() ? nullptr : &it->second.value;
  };

  // vars first: every other value may use them. --var overrides are defined first, so suite
  // vars can read them, and read_vars skips the names they set.
  for (const auto& [name, value] : options_.variables)
    context.variables.define(name, value);
  if (const yaml::Node* vars = section("vars")) read_vars(*vars, context);

  read_name(section("suite"), section("description"), root, context, included);
  if (const yaml::Node* databases = section("databases")) {
    detail::read_databases(reader_, *databases, context, plan_);
  }
  if (const yaml::Node* phases = section("phases")) {
    detail::read_phases(reader_, *phases, context, plan_.phase_order);
  }
  if (const yaml::Node* defaults = section("defaults")) read_defaults(*defaults, context);
  if (const yaml::Node* include = section("include")) read_includes(*include, context);
  if (const yaml::Node* checks = section("checks")) {
    read_checks(*checks, context);
  } else if (!included && section("include") == nullptr) {
    reader_.error(root, context, "missing key 'checks' (the list of checks)");
  }
}

void Loader::read_name(const yaml::Node* suite, const yaml::Node* description,
                       const yaml::Node& root, FileContext& context, bool included) {
  if (suite != nullptr) {
    auto name = reader_.string_value(*suite, context, "suite");
    if (name && !included) {
      if (name->empty()) reader_.error(*suite, context, "suite: the name must not be empty");
      context.suite = *name;
    }
  } else if (!included) {
    reader_.error(root, context, "missing key 'suite' (the suite's name)");
  }
  std::string description_text;
  if (description != nullptr) {
    auto text = reader_.string_value(*description, context, "description", Characters::multiline);
    if (text) description_text = *text;
  }
  if (included) return;
  for (const SuiteInfo& other : plan_.suites) {
    if (other.name == context.suite && !context.suite.empty()) {
      reader_.error(suite != nullptr ? *suite : root, context,
                    fmt::format("suite '{}' is also defined in {}", context.suite, other.file));
    }
  }
  plan_.suites.push_back({context.suite, description_text, context.file});
}

void Loader::read_vars(const yaml::Node& node, FileContext& context) {
  auto all = reader_.entries(node, context, "vars");
  if (!all) return;
  for (const Entry& entry : *all) {
    if (!detail::is_identifier(entry.key) || entry.key.find('-') != std::string::npos) {
      reader_.error(
          entry.key_node, context,
          fmt::format("vars: '{}' is not a valid variable name (letters, digits, '_')", entry.key));
      continue;
    }
    if (options_.variables.contains(entry.key)) continue;  // --var wins
    // Any text: where a value is used, that field judges its characters.
    auto value = reader_.string_value(entry.value, context, "vars." + entry.key, Characters::any);
    if (value) context.variables.define(entry.key, std::move(*value));
  }
}

void Loader::read_defaults(const yaml::Node& node, FileContext& context) {
  detail::Defaults& defaults = context.defaults;
  for (const Entry& entry : reader_.known_entries(node, context, "defaults", kDefaultsKeys)) {
    if (entry.key == "timeout") {
      if (auto timeout = reader_.duration_value(entry.value, context, "defaults.timeout")) {
        defaults.timeout = *timeout;
      }
    } else if (entry.key == "retry") {
      if (auto retry = reader_.retry_value(entry.value, context)) defaults.retry = *retry;
    } else if (entry.key == "tags") {
      if (auto tags = reader_.identifier_list(entry.value, context, "defaults.tags")) {
        defaults.tags = *tags;
      }
    } else if (entry.key == "phase") {
      if (auto phase = detail::phase_value(reader_, entry.value, context, "defaults.phase")) {
        defaults.phase = *phase;
      }
    }
  }
}

void Loader::read_includes(const yaml::Node& node, const FileContext& context) {
  auto paths = reader_.string_list(node, context, "include");
  if (!paths) return;
  for (std::size_t i = 0; i < paths->size(); ++i) {
    // A list's items have places of their own; a single name is the node itself.
    include_file((*paths)[i], node.is_sequence() ? *node.items[i] : node, context);
  }
}

void Loader::include_file(const std::string& relative, const yaml::Node& entry,
                          const FileContext& context) {
  if (relative == "-") {
    reader_.error(entry, context,
                  "include: '-' (standard input) can be named only on the command line; name "
                  "the file ('./-' for a file called '-')");
    return;
  }
  const std::filesystem::path path = context.path.parent_path() / relative;
  std::error_code ignored;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ignored);
  if (std::find(include_stack_.begin(), include_stack_.end(), canonical) != include_stack_.end()) {
    reader_.error(entry, context,
                  fmt::format("include: '{}' includes itself (an include cycle)", path.string()));
    return;
  }
  auto text = read_input_file(path, options_.max_file_bytes);
  if (!text) {
    const std::string absolute =
        std::filesystem::absolute(path, ignored).lexically_normal().string();
    if (text.error().directory) {
      reader_.error(entry, context,
                    fmt::format("include: '{}' ({}) is a directory; include the suite files in "
                                "it by name",
                                relative, absolute));
      return;
    }
    reader_.error(entry, context,
                  fmt::format("include: cannot open '{}' ({}): {}", relative, absolute,
                              unread_reason(text.error(), path)));
    return;
  }
  auto root = parse(text.value(), path.string());
  if (!root) return;
  FileContext child = context;
  child.file = path.string();
  child.path = path;
  include_stack_.push_back(canonical);
  read_suite(root->root(), child, /*included=*/true);
  include_stack_.pop_back();
}

void Loader::read_checks(const yaml::Node& checks, const FileContext& context) {
  if (!checks.is_sequence()) {
    reader_.error(
        checks, context,
        fmt::format("checks: expected a list of checks, got {}", detail::describe(checks)));
    return;
  }
  for (const yaml::Node* check : checks.items)
    checks_.read_check(*check, context);
}

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
