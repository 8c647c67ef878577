#include "examples/demo/demo.hpp"

#include <gtest/gtest.h>

namespace cutover {
namespace {

TEST(DemoPlaceholder, Builds) {
  SUCCEED();
}

}  // namespace
}  // namespace cutover
