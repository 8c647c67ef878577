#include "reports/replay.hpp"

#include <gtest/gtest.h>

namespace cutover {
namespace {

TEST(ReplayPlaceholder, Builds) {
  SUCCEED();
}

}  // namespace
}  // namespace cutover
