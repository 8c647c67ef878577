#include "harness/diagnostics.hpp"

#include <fmt/format.h>

namespace cutover {

std::string to_string(const SourceLocation& location) {
  if (location.line == 0) return location.file;
  if (location.column == 0) return fmt::format("{}:{}", location.file, location.line);
  return fmt::format("{}:{}:{}", location.file, location.line, location.column);
}

std::string to_string(const Diagnostic& diagnostic) {
  return fmt::format("{}: error: {}", to_string(diagnostic.location), diagnostic.message);
}

}  // namespace cutover
