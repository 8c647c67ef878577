#include "reports/measurement_text.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace cutover {

std::string number_text(double value) {
  if (!std::isfinite(value)) return fmt::format("{}", value);
  const double magnitude = std::abs(value);
  if (magnitude < 1e15 && value == std::floor(value)) return fmt::format("{:.0f}", value);
  // Decimals for 3 significant digits; the whole part is never rounded away.
  const int exponent = magnitude == 0 ? 0 : static_cast<int>(std::floor(std::log10(magnitude)));
  const int decimals = std::clamp(2 - exponent, 0, 12);
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.ends_with('.')) text.pop_back();
  }
  return text;
}

ShownMeasurement shown_measurement(const Measurement& measurement) {
  ShownMeasurement shown{measurement.name, number_text(measurement.value)};
  const std::string& unit = measurement.unit;
  if (unit.empty()) return shown;
  if (shown.name.ends_with("_" + unit)) shown.name.resize(shown.name.size() - unit.size() - 1);
  if (shown.name != unit) shown.value += " " + unit;
  return shown;
}

std::string measurement_text(const Measurement& measurement) {
  const ShownMeasurement shown = shown_measurement(measurement);
  return shown.name + "=" + shown.value;
}

}  // namespace cutover
