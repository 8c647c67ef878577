#pragma once

#include "harness/registry.hpp"

namespace cutover {

// Registers every check kind that ships with Cutover. Called once at start-up, before suites
// are loaded.
void register_builtin_checks(Registry& registry);

}  // namespace cutover
