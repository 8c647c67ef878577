#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/ip/address.hpp>

// Host and port text as suites and URLs write them, read without any lookup.
namespace cutover {

// The address of an IPv4 or IPv6 literal ("10.0.0.1", "::1", "[::1]", "fe80::1%eth0"); nothing
// for a host name.
std::optional<boost::asio::ip::address> parse_ip_literal(std::string_view host);

// A port from 1 to 65535 written in decimal, or nothing.
std::optional<std::uint16_t> parse_port(std::string_view text);

// "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 address. Returns the host without
// brackets and the port if any, or nothing when malformed.
std::optional<std::pair<std::string, std::optional<std::uint16_t>>> split_host_port(
    std::string_view text);

}  // namespace cutover
