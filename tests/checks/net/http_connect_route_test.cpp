#include "checks/net/http_connect_route.hpp"

#include <gtest/gtest.h>

namespace cutover::detail {
namespace {

Url url(std::string_view text) {
  return parse_url(text).value();
}

TEST(ConnectRoute, WithoutConnectToGoesToTheUrl) {
  ConnectRoute route(std::nullopt);
  route.aim(url("https://api.test:8443/"));
  EXPECT_FALSE(route.via_connect_to());
  EXPECT_EQ(route.host(), "api.test");
  EXPECT_EQ(route.port(), 8443);
  EXPECT_EQ(route.label(), "api.test:8443");
}

TEST(ConnectRoute, ConnectToStandsForTheFirstHostAndPortOnly) {
  ConnectRoute route(ConnectTo{.host = "::1", .port = std::nullopt});
  route.aim(url("https://api.test/"));
  EXPECT_TRUE(route.via_connect_to());
  EXPECT_EQ(route.label(), "[::1]:443");

  route.aim(url("https://login.test/"));  // a redirect elsewhere goes to its own host
  EXPECT_FALSE(route.via_connect_to());
  EXPECT_EQ(route.label(), "login.test:443");

  route.aim(url("https://api.test:8443/"));  // another port of the first host is elsewhere too
  EXPECT_FALSE(route.via_connect_to());

  route.aim(url("https://api.test/back"));  // and coming back goes through connect_to again
  EXPECT_TRUE(route.via_connect_to());
  EXPECT_EQ(route.host(), "::1");
}

TEST(ConnectRoute, ConnectToMayNameItsOwnPort) {
  ConnectRoute route(ConnectTo{.host = "10.0.0.5", .port = 8080});
  route.aim(url("http://api.test/"));
  EXPECT_EQ(route.label(), "10.0.0.5:8080");
}

}  // namespace
}  // namespace cutover::detail
