#include "checks/net/address.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace cutover {
namespace {

// Longer than any IPv6 text form (45) plus a scope id (at most 15 + '%').
constexpr std::size_t kMaxLiteralLength = 63;

}  // namespace

std::optional<boost::asio::ip::address> parse_ip_literal(std::string_view host) {
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host.empty() || host.size() > kMaxLiteralLength) return std::nullopt;
  // A stack copy: make_address wants a terminated string and the check runs thousands of
  // times a second.
  std::array<char, kMaxLiteralLength + 1> text{};
  std::copy(host.begin(), host.end(), text.begin());
  boost::system::error_code error;
  const boost::asio::ip::address address = boost::asio::ip::make_address(text.data(), error);
  if (error) return std::nullopt;
  // Brackets belong to IPv6 only: "[10.0.0.1]" is a mistake, not an address.
  if (bracketed && !address.is_v6()) return std::nullopt;
  return address;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<std::pair<std::string, std::optional<std::uint16_t>>> split_host_port(
    std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string host(text.substr(1, close - 1));
    const auto address = parse_ip_literal(host);
    if (!address || !address->is_v6()) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return std::pair{host, std::optional<std::uint16_t>{}};
    if (rest.front() != ':') return std::nullopt;
    auto port = parse_port(rest.substr(1));
    if (!port) return std::nullopt;
    return std::pair{host, std::optional<std::uint16_t>{port}};
  }
  if (std::count(text.begin(), text.end(), ':') > 1) {
    if (!parse_ip_literal(text)) return std::nullopt;
    return std::pair{std::string(text), std::optional<std::uint16_t>{}};
  }
  const std::size_t colon = text.find(':');
  std::string host(text.substr(0, colon));
  if (host.empty()) return std::nullopt;
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '@') return std::nullopt;
  }
  if (colon == std::string_view::npos) return std::pair{host, std::optional<std::uint16_t>{}};
  auto port = parse_port(text.substr(colon + 1));
  if (!port) return std::nullopt;
  return std::pair{host, std::optional<std::uint16_t>{port}};
}

}  // namespace cutover
