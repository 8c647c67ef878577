#include "reports/prometheus.hpp"

#include <gtest/gtest.h>

namespace cutover {
namespace {

TEST(PrometheusPlaceholder, Builds) {
  SUCCEED();
}

}  // namespace
}  // namespace cutover
