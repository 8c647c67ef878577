#include "harness/registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace cutover {

const std::vector<std::string>& common_check_keys() {
  static const std::vector<std::string> keys{"name", "kind",    "description", "phase",
                                             "tags", "timeout", "retry",       "needs"};
  return keys;
}

void Registry::add(std::string name, KindSpec spec, CheckFactory factory) {
  const auto& common = common_check_keys();
  for (const FieldSpec& field : spec.fields) {
    if (std::find(common.begin(), common.end(), field.name) != common.end()) {
      throw std::logic_error("check kind '" + name + "' declares the common key '" + field.name +
                             "' as its own field");
    }
  }
  if (kinds_.count(name) != 0) {
    throw std::logic_error("check kind '" + name + "' registered twice");
  }
  Kind kind{name, std::move(spec), std::move(factory)};
  kinds_.emplace(std::move(name), std::move(kind));
}

const Kind* Registry::find(std::string_view name) const {
  auto it = kinds_.find(name);
  return it == kinds_.end() ? nullptr : &it->second;
}

std::vector<const Kind*> Registry::kinds() const {
  std::vector<const Kind*> out;
  for (const auto& [name, kind] : kinds_)
    out.push_back(&kind);
  return out;
}

}  // namespace cutover
