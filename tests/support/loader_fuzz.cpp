#include "tests/support/loader_fuzz.hpp"

#include <exception>
#include <set>

#include <fmt/format.h>

#include "checks/builtin.hpp"
#include "harness/characters.hpp"

namespace cutover::test {
namespace {

// What the shipped suites read from the environment, in kinds that fit each name.
std::optional<std::string> fuzz_environment(std::string_view name) {
  if (name.ends_with("PORT")) return "5432";
  if (name.ends_with("DSN")) return "postgresql://cutover@127.0.0.1:5432/shop";
  // A bundle that is not there: loading the system's for every mutated check is slow.
  if (name == "CA_FILE") return "/nonexistent/ca.pem";
  return "127.0.0.1";
}

}  // namespace

LoaderFuzzer::LoaderFuzzer(std::string file) : file_(std::move(file)) {
  register_builtin_checks(registry_);
  options_.environment = fuzz_environment;
}

std::string LoaderFuzzer::judge(std::string_view text) {
  std::set<std::string> unset_secrets;
  options_.unset_secrets = &unset_secrets;
  try {
    auto result = load_suite_text(text, file_, registry_, options_);
    if (result) {
      for (const PlannedCheck& check : result.value().checks)
        (void)check.check->describe();
      return "";
    }
    if (result.error().empty()) return "refused without a diagnostic";
    for (const Diagnostic& diagnostic : result.error()) {
      const SourceLocation& place = diagnostic.location;
      if (place.file.empty() || place.line < 1 || place.column < 1 || diagnostic.message.empty()) {
        return "a diagnostic without its place or message: " + to_string(diagnostic);
      }
      if (auto problem = forbidden_character(diagnostic.message, Characters::printable)) {
        return fmt::format("a diagnostic holds {}: {}", *problem, to_string(diagnostic));
      }
    }
    return "";
  } catch (const std::exception& e) {
    return fmt::format("the loader threw (exit 3): {}", e.what());
  } catch (...) {
    return "the loader threw something that is not a std::exception (exit 3)";
  }
}

}  // namespace cutover::test
