#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/check.hpp"
#include "harness/fields.hpp"

namespace cutover {

// Builds a check from its validated fields; reports value mistakes through Fields::error.
using CheckFactory = std::function<std::unique_ptr<Check>(Fields&)>;

struct Kind {
  std::string name;
  KindSpec spec;
  CheckFactory factory;
};

// The check kinds a run knows, filled explicitly at start-up (checks/builtin.cpp), not by
// static self-registration, which static libraries silently drop.
class Registry {
 public:
  // Registers a kind whose type has `static KindSpec spec()` and a constructor taking Fields&.
  template <typename CheckType>
  void add(std::string name) {
    add(std::move(name), CheckType::spec(),
        [](Fields& fields) { return std::make_unique<CheckType>(fields); });
  }

  // Throws std::logic_error for a name registered twice or a field named like a common key.
  void add(std::string name, KindSpec spec, CheckFactory factory);

  const Kind* find(std::string_view name) const;

  // Sorted by name.
  std::vector<const Kind*> kinds() const;

 private:
  std::map<std::string, Kind, std::less<>> kinds_;
};

// The keys every check has, whatever its kind.
const std::vector<std::string>& common_check_keys();

}  // namespace cutover
