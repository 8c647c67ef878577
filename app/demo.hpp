#pragma once

#include "harness/cli.hpp"

namespace cutover::demo {

// `cutover demo`: starts stand-ins for a migration's old and new environments on loopback, runs
// the shipped suites against them and writes every report. The extensions must outlive the
// returned command.
Command command(const Extensions& extensions);

}  // namespace cutover::demo
