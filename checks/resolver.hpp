#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace cutover {

// The address of an IPv4 or IPv6 literal ("10.0.0.1", "::1", "[::1]", "fe80::1%eth0"); nothing
// for a host name.
std::optional<boost::asio::ip::address> parse_ip_literal(std::string_view host);

// Name resolution on the run's event loop, one lookup at a time. The one place that knows how
// names are resolved: replacing the system resolver (by c-ares on the same loop) changes this
// class's private part and resolver.cpp, and nothing that calls it.
class Resolver {
 public:
  using Endpoints = std::vector<boost::asio::ip::tcp::endpoint>;
  using Handler = std::function<void(boost::system::error_code, Endpoints)>;

  explicit Resolver(boost::asio::io_context& io);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Called on the event loop to look up `host`. `handler` runs exactly once, on the event loop
  // and never inside this call, with the addresses in the resolver's order (never empty on
  // success) or an error whose message() names the cause. IP literals resolve to themselves
  // without any lookup.
  void async_resolve(std::string_view host, std::uint16_t port, Handler handler);

  // Called on the event loop to abandon the lookup in flight: its handler gets
  // operation_aborted unless the lookup had already finished. The system resolver delivers it
  // only once its blocked lookup returns, so a caller that must stop at once stops waiting.
  void cancel();

 private:
  boost::asio::io_context& io_;
  std::optional<boost::asio::ip::tcp::resolver> system_;  // created for the first name only
};

}  // namespace cutover
