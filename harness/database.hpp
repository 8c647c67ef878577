#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/diagnostics.hpp"

namespace cutover {

// A database a suite declares once under `databases:` and its checks name (`source: src`).
// The harness only carries it; the check kinds of its engine connect to it.
struct Database {
  std::string name;
  std::string dsn;  // a connection string or URI, variables substituted; may hold a password
  int max_connections = 4;  // connections a run opens to it at most
  SourceLocation location;
};

// The passwords written into a connection string: `password=...` in key/value form (quoted or
// not) and the user-info password of a URI (`scheme://user:password@host`), percent-decoded
// as well as written. The loader masks them like secrets.
std::vector<std::string> dsn_passwords(std::string_view dsn);

}  // namespace cutover
