// Measurements as the console, HTML and Markdown show them: 3 significant digits, the unit once.
#include "reports/measurement_text.hpp"

#include <gtest/gtest.h>

namespace cutover {
namespace {

TEST(MeasurementText, NumbersHaveThreeSignificantDigitsAndWholeNumbersStayWhole) {
  EXPECT_EQ(number_text(21.325743), "21.3");
  EXPECT_EQ(number_text(1.5), "1.5");
  EXPECT_EQ(number_text(0.012345), "0.0123");
  EXPECT_EQ(number_text(1234.56), "1235");
  EXPECT_EQ(number_text(5000), "5000");
  EXPECT_EQ(number_text(0), "0");
  EXPECT_EQ(number_text(-2.346), "-2.35");
  EXPECT_EQ(number_text(123456789012.0), "123456789012");
}

TEST(MeasurementText, TheUnitIsWrittenOnce) {
  EXPECT_EQ(measurement_text({"rows", 5, "rows"}), "rows=5");
  EXPECT_EQ(measurement_text({"latency_ms", 21.325743, "ms"}), "latency=21.3 ms");
  EXPECT_EQ(measurement_text({"rows_source", 1000, "rows"}), "rows_source=1000 rows");
  EXPECT_EQ(measurement_text({"lag", 3, ""}), "lag=3");
}

}  // namespace
}  // namespace cutover
