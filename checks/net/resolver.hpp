#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "checks/net/dns_client.hpp"
#include "harness/duration.hpp"
#include "harness/fields.hpp"

namespace cutover {

// The `resolver` field of the kinds that connect to a host (tcp, http, tls), declared once:
// `resolver: {servers: ["10.0.0.53", "[::1]:5353"], tcp: true}`.
FieldSpec resolver_field_spec();

// The settings written in the check's `resolver` field; the system's when it is absent. Unknown
// keys and addresses that are not IP[:PORT] are reported through `fields`.
dns::ResolverSettings read_resolver_field(Fields& fields);

// Name resolution for one check's attempt, on the run's event loop, one lookup at a time,
// through c-ares (dns_client.hpp) with the check's resolver settings.
class Resolver {
 public:
  using Endpoints = dns::Endpoints;
  using Handler = std::function<void(boost::system::error_code, Endpoints)>;

  // Empty `settings`: the system's configuration (/etc/hosts, resolv.conf). With `budget` (the
  // attempt's) and no try_timeout of their own, c-ares's tries are cut to it: two rounds over
  // every server of the channel (the listed ones, or as many as resolv.conf lists) that end just
  // after the budget, so a silent server is reported by the caller's own deadline and no query
  // outlives the attempt, or holds places under the channel's cap, more than a few milliseconds
  // longer. Called on the event loop.
  explicit Resolver(boost::asio::io_context& io, dns::ResolverSettings settings = {},
                    std::optional<Duration> budget = std::nullopt);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Called on the event loop to look up `host`. `handler` runs exactly once, on the event loop
  // and never inside this call, with the addresses in the resolver's order (never empty on
  // success) or an error whose message() names the cause ("no such host"). IP literals resolve
  // to themselves without any lookup. A server answering SERVFAIL or REFUSED is passed over for
  // the next; when none is left: "no DNS server gave an answer (SERVFAIL, REFUSED or connection
  // refused)". A lookup still running at `deadline` is abandoned, and the handler gets
  // boost::asio::error::timed_out.
  void async_resolve(std::string_view host, std::uint16_t port, Handler handler,
                     std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

  // Called on the event loop to abandon the lookup in flight: its handler gets
  // operation_aborted, from the loop, unless the lookup had already finished.
  void cancel();

 private:
  struct Lookup;

  boost::asio::io_context& io_;
  const dns::ResolverSettings settings_;
  std::shared_ptr<Lookup> lookup_;  // the latest lookup
};

}  // namespace cutover
