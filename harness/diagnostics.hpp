#pragma once

#include <string>
#include <vector>

namespace cutover {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown

  bool operator==(const SourceLocation&) const = default;
};

// "file:line:col" (or the parts that are known).
std::string to_string(const SourceLocation& location);

// A mistake in a suite file, reported like a compiler error.
struct Diagnostic {
  SourceLocation location;
  std::string message;
};

using Diagnostics = std::vector<Diagnostic>;

// "file:line:col: error: message"
std::string to_string(const Diagnostic& diagnostic);

}  // namespace cutover
