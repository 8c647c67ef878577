#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cutover {

using Duration = std::chrono::nanoseconds;

// Parses "250ms", "5s", "1.5s", "2m", "1h30m", "1d". A bare number is rejected: "5" could mean
// seconds or milliseconds, and guessing wrong turns a 5 s timeout into a 5 ms one.
std::optional<Duration> parse_duration(std::string_view text);

// The shortest exact rendering in the units parse_duration reads: "2s", "250ms", "1.5s",
// "1m30s". Messages and reports say every duration this way.
std::string format_duration(Duration duration);

// Seconds with exactly three decimals, independent of the locale: "0.500".
std::string format_seconds(Duration duration);

}  // namespace cutover
