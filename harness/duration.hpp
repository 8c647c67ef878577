#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "harness/expected.hpp"

namespace cutover {

using Duration = std::chrono::nanoseconds;

// The longest duration parse_duration reads: a century, far past any sensible deadline, and
// still within 64-bit nanoseconds (which end near 292 years).
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 36500);

// Parses "250ms", "5s", "1.5s", "2m", "1h30m", "1d". A bare number is rejected: "5" could mean
// seconds or milliseconds, and guessing wrong turns a 5 s timeout into a 5 ms one.
std::optional<Duration> parse_duration(std::string_view text);

// A duration a suite gives as a timeout, an interval or a limit: above zero and at most
// kMaxDuration. The error says which of those `text` is not, for "timeout: " + message:
//   "expected a positive duration like 500ms, 5s, 2m or 1h, got '5'",
//   "'2000000h' is too long: the longest duration is 36500d (100 years)".
Expected<Duration> parse_positive_duration(std::string_view text);

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
