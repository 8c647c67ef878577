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

// A measured time for messages: milliseconds with one decimal ("12.3ms"), two below 1ms
// ("0.42ms"), where loopback and LAN latencies would all read "0.0ms".
std::string format_milliseconds(Duration duration);

// Milliseconds as a fraction, the unit of the `*_ms` measurements: 1.5 for 1500us.
double to_milliseconds(Duration duration);

}  // namespace cutover
