#pragma once

#include <string_view>

#include "harness/result.hpp"

namespace cutover {

// The outcome as a status column shows it, at most five letters: "PASS", "FAIL", "ERROR",
// "SKIP".
std::string_view outcome_label(Outcome outcome);

}  // namespace cutover
