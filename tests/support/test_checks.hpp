#pragma once

#include <cstddef>

#include "harness/registry.hpp"

namespace cutover::test {

// What the scripted checks of a test did, for assertions on the scheduler.
struct ScriptStats {
  std::size_t starts = 0;
  std::size_t running = 0;
  std::size_t max_running = 0;
  std::size_t cancelled = 0;
};

// Registers two kinds for harness tests, standing in for nothing real:
// - "scripted": per attempt an outcome from `outcomes` (pass, fail, error, hang, throw; the last
//   one repeats) after `delay`; "hang" never answers until cancelled, "throw" throws from start().
// - "probe": a field of every FieldType; describe() prints the values it received.
void register_test_checks(Registry& registry, ScriptStats& stats);

}  // namespace cutover::test
