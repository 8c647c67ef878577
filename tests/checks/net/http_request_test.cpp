#include "checks/net/http_request.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

namespace cutover::detail {
namespace {

using nlohmann::json;

// A body as deep as a suite may nest it (yaml::kMaxDepth), with a wide mapping at the bottom.
json deep_wide_body(int depth, int width) {
  json leaf = json::object();
  for (int i = 0; i < width; ++i)
    leaf["k" + std::to_string(i)] = "Bearer ${steps.login.token} #" + std::to_string(i);
  json body = std::move(leaf);
  for (int i = 0; i < depth; ++i)
    body = json{{"level", std::move(body)}};
  return body;
}

// Each level copied its whole subtree: quadratic in the depth, on the event-loop thread (depth
// 10,000 took 18 s and 3.1 GB).
TEST(HttpRequest, SubstitutingIntoADeepWideBodyTakesLinearTime) {
  constexpr int kDepth = 250;
  constexpr int kWidth = 50'000;
  const json body = deep_wide_body(kDepth, kWidth);
  const Captures captures{{"login", {{"token", "t0k"}}}};

  const auto start = std::chrono::steady_clock::now();
  const json substituted = substitute_json(body, captures);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));

  const json* leaf = &substituted;
  for (int i = 0; i < kDepth; ++i)
    leaf = &(*leaf)["level"];
  ASSERT_EQ(leaf->size(), static_cast<std::size_t>(kWidth));
  EXPECT_EQ((*leaf)["k0"], "Bearer t0k #0");
  EXPECT_EQ((*leaf)["k49999"], "Bearer t0k #49999");
  // The original is left as it was, for the next attempt.
  EXPECT_EQ(body.dump().find("t0k"), std::string::npos);
}

TEST(HttpRequest, SubstitutionLeavesOtherValuesAlone) {
  const json body = {{"n", 1}, {"list", {"${steps.a.b}", true, nullptr}}, {"kept", "${steps.x.y}"}};
  const json substituted = substitute_json(body, {{"a", {{"b", "B"}}}});
  EXPECT_EQ(substituted,
            json({{"n", 1}, {"list", {"B", true, nullptr}}, {"kept", "${steps.x.y}"}}));
}

}  // namespace
}  // namespace cutover::detail
