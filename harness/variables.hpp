#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/expected.hpp"
#include "harness/redactor.hpp"

namespace cutover {

using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment, through getenv.
Environment process_environment();

// What an unset secret reads as when a lint (--dry-run, --list) lets it be unset: a word that
// fits a host name, a URL and a password alike, so that nothing else is reported because of it.
inline constexpr std::string_view kUnsetSecretPlaceholder = "cutover-unset-secret";

// Substitutes `${NAME}`, `${NAME:-default}` and `${secret:NAME}` in suite text. NAME is looked up
// in the defined variables first, then in the environment; `secret:` reads only the environment
// and hands the value to the redactor. `$${` stands for a literal `${`. Substituted values are
// not scanned again, so a value may safely contain "${".
class Variables {
 public:
  // With `unset_secrets`, an unset or empty secret is not an error: its name is added there and
  // kUnsetSecretPlaceholder stands for its value. Copies share the set.
  Variables(Environment environment, Redactor& redactor,
            std::set<std::string>* unset_secrets = nullptr);

  // Defines (or redefines) a variable; later definitions win.
  void define(std::string name, std::string value);

  bool defined(std::string_view name) const;

  // The text with every reference replaced, or a message naming the first undefined variable
  // (and a defined one whose name is close).
  // References whose name starts with one of `kept` ("steps.") stay as written, for the check
  // kind that resolves them at run time.
  Expected<std::string> substitute(std::string_view text,
                                   const std::vector<std::string>& kept = {}) const;

 private:
  // "undefined variable 'x'", with a defined variable whose name is close, or how to define it.
  std::string undefined_message(std::string_view name) const;

  Environment environment_;
  Redactor& redactor_;
  std::set<std::string>* unset_secrets_;
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace cutover
