#include "harness/duration.hpp"

#include <array>
#include <charconv>
#include <cstdint>

#include <fmt/format.h>

namespace cutover {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t nanoseconds;
};

// Longest suffixes first so that "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 7> kUnits{{
    {"ns", 1},
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
    {"d", 86'400'000'000'000},
}};

// The sum of `text`'s terms in nanoseconds, unbounded; nothing when it is not a duration.
std::optional<long double> duration_nanoseconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  long double total = 0;
  while (!text.empty()) {
    std::size_t digits = 0;
    while (digits < text.size() &&
           ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    double value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + digits, value);
    if (error != std::errc{} || end != text.data() + digits) return std::nullopt;
    text.remove_prefix(digits);

    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (text.starts_with(candidate.suffix) &&
          (unit == nullptr || candidate.suffix.size() > unit->suffix.size())) {
        unit = &candidate;
      }
    }
    if (unit == nullptr) return std::nullopt;
    text.remove_prefix(unit->suffix.size());
    total += static_cast<long double>(value) * static_cast<long double>(unit->nanoseconds);
  }
  return total;
}

// A parsed total, rounded to the nanosecond; none when there is none or it is past kMaxDuration.
std::optional<Duration> within_maximum(std::optional<long double> total) {
  if (!total || *total > static_cast<long double>(kMaxDuration.count())) return std::nullopt;
  return Duration(static_cast<std::int64_t>(*total + 0.5L));
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  return within_maximum(duration_nanoseconds(text));
}

Expected<Duration> parse_positive_duration(std::string_view text) {
  const std::optional<long double> total = duration_nanoseconds(text);
  const std::optional<Duration> duration = within_maximum(total);
  if (total && !duration) {
    return Error{fmt::format("'{}' is too long: the longest duration is {} (100 years)", text,
                             format_duration(kMaxDuration))};
  }
  if (!duration || *duration <= Duration::zero()) {
    return Error{
        fmt::format("expected a positive duration like 500ms, 5s, 2m or 1h, got '{}'", text)};
  }
  return *duration;
}

std::string format_duration(Duration duration) {
  std::int64_t remaining = duration.count();
  if (remaining == 0) return "0s";
  std::string text;
  if (remaining < 0) {
    text = "-";
    remaining = -remaining;
  }
  constexpr std::int64_t kSecond = 1'000'000'000;
  // Whole days, hours and minutes, then seconds with the decimals they need ("1m30.25s"); a
  // value under a second takes the single finest exact unit instead ("250ms", "15us").
  for (auto it = kUnits.rbegin(); it != kUnits.rend() && it->nanoseconds > kSecond; ++it) {
    if (remaining >= it->nanoseconds) {
      text += fmt::format("{}{}", remaining / it->nanoseconds, it->suffix);
      remaining %= it->nanoseconds;
    }
  }
  if (remaining >= kSecond || (remaining > 0 && text.size() > (text.starts_with('-') ? 1 : 0))) {
    std::string seconds = fmt::format("{}.{:09}", remaining / kSecond, remaining % kSecond);
    while (seconds.back() == '0')
      seconds.pop_back();
    if (seconds.back() == '.') seconds.pop_back();
    return text + seconds + "s";
  }
  for (auto it = kUnits.rbegin() + 3; remaining > 0 && it != kUnits.rend(); ++it) {
    if (remaining % it->nanoseconds == 0) {
      return text + fmt::format("{}{}", remaining / it->nanoseconds, it->suffix);
    }
  }
  return text;
}

std::string format_seconds(Duration duration) {
  // Integer arithmetic: no locale, no binary floating point rounding surprises.
  const std::int64_t milliseconds = (duration.count() + 500'000) / 1'000'000;
  return fmt::format("{}.{:03}", milliseconds / 1000, milliseconds % 1000);
}

std::string format_milliseconds(Duration duration) {
  const double milliseconds = to_milliseconds(duration);
  if (milliseconds < 1) return fmt::format("{:.2f}ms", milliseconds);
  return fmt::format("{:.1f}ms", milliseconds);
}

double to_milliseconds(Duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

}  // namespace cutover
