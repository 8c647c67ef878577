#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/expected.hpp"
#include "harness/redactor.hpp"

namespace cutover {

using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment, through getenv.
Environment process_environment();

// Substitutes `${NAME}`, `${NAME:-default}` and `${secret:NAME}` in suite text. NAME is looked up
// in the defined variables first, then in the environment; `secret:` reads only the environment
// and hands the value to the redactor. `$${` stands for a literal `${`. Substituted values are
// not scanned again, so a value may safely contain "${".
class Variables {
 public:
  Variables(Environment environment, Redactor& redactor);

  // Defines (or redefines) a variable; later definitions win.
  void define(std::string name, std::string value);

  bool defined(std::string_view name) const;

  // The text with every reference replaced, or a message naming the first undefined variable.
  // References whose name starts with one of `kept` ("steps.") stay as written, for the check
  // kind that resolves them at run time.
  Expected<std::string> substitute(std::string_view text,
                                   const std::vector<std::string>& kept = {}) const;

 private:
  Environment environment_;
  Redactor& redactor_;
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace cutover
