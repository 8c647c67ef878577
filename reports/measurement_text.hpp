#pragma once

#include <string>

#include "harness/result.hpp"

// Measurements as people read them (console, HTML, Markdown); JSON and JUnit keep the full
// values.
namespace cutover {

// A number with a sensible precision: whole numbers as they are ("5000"), others to 3
// significant digits, never in exponent form and with no trailing zeros ("21.3", "0.0123",
// "1234").
std::string number_text(double value);

// A measurement as people read it: its name without the unit it repeats ("latency" for
// latency_ms in ms) and its number with the unit, said once ("21.3 ms"; "5" for rows in rows).
struct ShownMeasurement {
  std::string name;
  std::string value;
};
ShownMeasurement shown_measurement(const Measurement& measurement);

// "latency=21.3 ms", "rows=5": shown_measurement on one line.
std::string measurement_text(const Measurement& measurement);

}  // namespace cutover
