#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cutover {

// Knows the values of every `${secret:NAME}` a run read and replaces them with "***" in any text
// before it leaves the process: console, reports, error messages.
class Redactor {
 public:
  static constexpr std::string_view kMask = "***";

  // Called by the suite loader for every secret value it substitutes.
  void add_secret(std::string value);

  std::string redact(std::string_view text) const;

  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;
};

}  // namespace cutover
