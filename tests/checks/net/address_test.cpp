#include "checks/net/address.hpp"

#include <optional>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace cutover {
namespace {

using HostPort = std::pair<std::string, std::optional<std::uint16_t>>;

TEST(Address, ParsesIpLiterals) {
  EXPECT_EQ(parse_ip_literal("10.0.0.1"), boost::asio::ip::make_address("10.0.0.1"));
  EXPECT_EQ(parse_ip_literal("::1"), boost::asio::ip::make_address("::1"));
  EXPECT_EQ(parse_ip_literal("[::1]"), boost::asio::ip::make_address("::1"));
  EXPECT_EQ(parse_ip_literal("localhost"), std::nullopt);
  EXPECT_EQ(parse_ip_literal("[10.0.0.1]"), std::nullopt);
  EXPECT_EQ(parse_ip_literal("[::1"), std::nullopt);
  EXPECT_EQ(parse_ip_literal(""), std::nullopt);
  EXPECT_EQ(parse_ip_literal(std::string(200, '1')), std::nullopt);
}

TEST(Address, ParsesPortsFromOneTo65535) {
  EXPECT_EQ(parse_port("1"), std::uint16_t{1});
  EXPECT_EQ(parse_port("65535"), std::uint16_t{65535});
  EXPECT_EQ(parse_port("0"), std::nullopt);
  EXPECT_EQ(parse_port("65536"), std::nullopt);
  EXPECT_EQ(parse_port("123456"), std::nullopt);
  EXPECT_EQ(parse_port(""), std::nullopt);
  EXPECT_EQ(parse_port("8a"), std::nullopt);
  EXPECT_EQ(parse_port("-1"), std::nullopt);
}

TEST(Address, SplitsHostAndPort) {
  EXPECT_EQ(split_host_port("example.test"), (HostPort{"example.test", std::nullopt}));
  EXPECT_EQ(split_host_port("example.test:8443"), (HostPort{"example.test", 8443}));
  EXPECT_EQ(split_host_port("10.0.0.1:53"), (HostPort{"10.0.0.1", 53}));
  EXPECT_EQ(split_host_port("[::1]"), (HostPort{"::1", std::nullopt}));
  EXPECT_EQ(split_host_port("[::1]:5353"), (HostPort{"::1", 5353}));
  EXPECT_EQ(split_host_port("::1"), (HostPort{"::1", std::nullopt}));
}

TEST(Address, RejectsMalformedHostPorts) {
  EXPECT_EQ(split_host_port(""), std::nullopt);
  EXPECT_EQ(split_host_port(":80"), std::nullopt);
  EXPECT_EQ(split_host_port("example.test:"), std::nullopt);
  EXPECT_EQ(split_host_port("example.test:0"), std::nullopt);
  EXPECT_EQ(split_host_port("[10.0.0.1]:53"), std::nullopt);
  EXPECT_EQ(split_host_port("[::1"), std::nullopt);
  EXPECT_EQ(split_host_port("[::1]5353"), std::nullopt);
  EXPECT_EQ(split_host_port("user@example.test"), std::nullopt);
  EXPECT_EQ(split_host_port("a b:80"), std::nullopt);
  EXPECT_EQ(split_host_port("1:2:zz"), std::nullopt);
}

}  // namespace
}  // namespace cutover
