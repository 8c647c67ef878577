#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "harness/expected.hpp"

namespace cutover::detail {

// An http or https URL, split for the request line, the Host header and the connection.
struct Url {
  bool tls = false;
  std::string host;  // without brackets; lower case
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" at least

  bool default_port() const { return port == (tls ? 443 : 80); }
  std::string host_for_authority() const {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
  }
  // The Host header: the port only when it is not the scheme's default.
  std::string authority() const {
    return default_port() ? host_for_authority() : fmt::format("{}:{}", host_for_authority(), port);
  }
  std::string text() const {
    return fmt::format("{}://{}{}", tls ? "https" : "http", authority(), target);
  }
};

// An absolute http:// or https:// URL, or why it is not one ("expected an http:// or https://
// URL, got ...").
Expected<Url> parse_url(std::string_view text);

// Where a Location header points, relative to the URL that answered (RFC 9110 allows
// relative references).
Expected<Url> resolve_location(const Url& base, std::string_view location);

// The text in lower case (ASCII), as host names and header names compare.
std::string lower(std::string_view text);

}  // namespace cutover::detail
