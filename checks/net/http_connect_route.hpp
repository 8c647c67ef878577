#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "checks/net/http_request.hpp"
#include "checks/net/url.hpp"

namespace cutover::detail {

// Where the connection of each request of an attempt goes: the URL's host and port, or
// connect_to's in their place. connect_to stands for the first request's host and port, as
// curl's --connect-to names the host it replaces: a step or redirect elsewhere goes to its own
// host, and one that comes back goes through connect_to again (never through DNS to the old
// environment).
class ConnectRoute {
 public:
  explicit ConnectRoute(std::optional<ConnectTo> connect_to);

  // Called for each request (a step's, or a redirect's) before it is sent, with its URL.
  void aim(const Url& url);

  bool via_connect_to() const { return via_connect_to_; }
  const std::string& host() const { return host_; }
  std::uint16_t port() const { return port_; }

  // "10.0.0.5:443", "[::1]:8443".
  std::string label() const;

 private:
  std::optional<ConnectTo> connect_to_;
  std::optional<std::pair<std::string, std::uint16_t>> origin_;  // what connect_to replaces
  bool via_connect_to_ = false;
  std::string host_;
  std::uint16_t port_ = 0;
};

}  // namespace cutover::detail
