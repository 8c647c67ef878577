#include "checks/database/selection.hpp"

#include <fnmatch.h>

#include <algorithm>

#include <fmt/format.h>

namespace cutover::database {

namespace {

// The schema of a name written without one.
constexpr std::string_view kDefaultSchema = "public";

}  // namespace

bool is_glob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

bool matches(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

std::string qualified(std::string_view name) {
  if (name.find('.') != std::string_view::npos) return std::string(name);
  return fmt::format("{}.{}", kDefaultSchema, name);
}

TableSelection select_tables(const std::vector<std::string>& patterns,
                             const std::vector<std::string>& exclude,
                             const std::vector<const Table*>& listed) {
  TableSelection selection;
  for (const std::string& pattern : patterns) {
    if (!is_glob(pattern)) {
      selection.names.insert(pattern);
      continue;
    }
    bool any = false;
    for (const Table* table : listed) {
      if (!table->partition && matches(pattern, table->qualified())) {
        selection.names.insert(table->qualified());
        any = true;
      }
    }
    if (!any) selection.unmatched.push_back(pattern);
  }
  std::erase_if(selection.names, [&exclude](const std::string& name) {
    return std::any_of(exclude.begin(), exclude.end(),
                       [&name](const std::string& glob) { return matches(glob, name); });
  });
  return selection;
}

}  // namespace cutover::database
