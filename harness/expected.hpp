#pragma once

#include <string>

#include <boost/outcome/result.hpp>

namespace cutover {

namespace outcome = boost::outcome_v2;

// Why an operation failed, in words for the user. A type of its own so that Expected<std::string>
// can tell a value from an error (Outcome requires distinct types).
struct Error {
  std::string message;
};

// A value or what went wrong, for expected failures inside the harness (STYLE 9). Boost 1.74's
// Outcome stands in for std::expected (C++23).
template <typename T, typename E = Error>
using Expected = outcome::result<T, E, outcome::policy::terminate>;

}  // namespace cutover
