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

// "latency=21.3 ms", "rows=5": the unit once, though the name repeats it ("latency_ms" in ms,
// "rows" in rows).
std::string measurement_text(const Measurement& measurement);

}  // namespace cutover
