#pragma once

// cutover merge and cutover report. (Being written.)
namespace cutover {}  // namespace cutover
