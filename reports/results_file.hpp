#pragma once

// Reads a cutover-results JSON file back. (Being written.)
namespace cutover {}  // namespace cutover
