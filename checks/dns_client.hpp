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
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "harness/duration.hpp"

// DNS on the run's event loop, through c-ares. One DnsService per io_context (an asio service,
// created on first use) owns the c-ares channels, watches their sockets with asio descriptors
// and drives c-ares timeouts from an asio timer: no thread per query, thousands in flight.
namespace cutover::dns {

// A resolver to ask: "10.0.0.53", "10.0.0.53:5353", "[::1]:5353", "::1".
struct ServerAddress {
  boost::asio::ip::address address{};
  std::uint16_t port = 53;

  std::string label() const;  // "10.0.0.53:53", "[::1]:5353"
  friend bool operator==(const ServerAddress&, const ServerAddress&) = default;
};

// The server written in `text`, or nothing when it is not an address with an optional port.
std::optional<ServerAddress> parse_server(std::string_view text);

// How to ask. Requests with equal settings share one c-ares channel.
struct ResolverSettings {
  // Empty: the system's configuration (resolv.conf, and /etc/hosts for address lookups), as
  // c-ares reads it. Listed servers are asked in order; neither /etc/hosts nor resolv.conf's
  // search domains are consulted (names are asked as written).
  std::vector<ServerAddress> servers{};
  bool tcp = false;  // TCP for every query (c-ares switches to TCP by itself on a truncated answer)
  // Per-try timeout and tries per server; zero: c-ares's (resolv.conf's) defaults. c-ares doubles
  // the timeout after each round of servers: one server, T and 3 tries wait at most 7T; N
  // servers, N times that.
  std::chrono::milliseconds try_timeout{0};
  int tries = 0;

  friend bool operator==(const ResolverSettings&, const ResolverSettings&) = default;
};

// c-ares status codes (ARES_ETIMEOUT, ARES_ECONNREFUSED, ARES_ENOTFOUND ...) as error codes;
// message() is a phrase a user can act on: "no such host", "no answer (timed out)", "no A or
// AAAA record", "the DNS server failed to answer (SERVFAIL)", "the DNS server refused the query
// (REFUSED)", "no DNS server could be reached (connection refused)", "not a valid host name".
const boost::system::error_category& ares_category();
boost::system::error_code make_ares_error(int status);

// One query's outcome. `message` is the raw DNS response when a server answered (whatever its
// RCODE: SERVFAIL, REFUSED and NXDOMAIN answers are delivered, not retried elsewhere); `error`
// is set when none did.
struct QueryResult {
  boost::system::error_code error{};
  std::vector<unsigned char> message{};
  Duration latency{};  // from sending (not queueing) to the answer
};

using QueryHandler = std::function<void(QueryResult)>;

// A query in flight. cancel() drops the handler without calling it (the c-ares query itself runs
// to its own end, as c-ares 1.18 cannot cancel a single query); a queued query is dropped at once.
class PendingQuery {
 public:
  virtual ~PendingQuery();
  virtual void cancel() = 0;
};

// Called on the event loop. Sends one query (class IN, recursion desired) for `name` and `type`
// (ns_t_a, ns_t_aaaa, ... as numbers from <arpa/nameser.h>). `handler` runs exactly once on the
// event loop, never inside this call, unless cancelled first. At most kMaxInFlightPerChannel
// queries per channel are in flight; more wait in a queue, in order.
std::shared_ptr<PendingQuery> async_query(boost::asio::io_context& io,
                                          const ResolverSettings& settings, std::string name,
                                          int type, QueryHandler handler);

using Endpoints = std::vector<boost::asio::ip::tcp::endpoint>;
using ResolveHandler = std::function<void(boost::system::error_code, Endpoints)>;

// Called on the event loop. The addresses of `host` (IPv4 and IPv6, in RFC 6724 order as
// ares_getaddrinfo sorts them) with `port`: /etc/hosts first with the system's settings, then
// DNS. IP literals ("10.0.0.1", "[::1]") resolve to themselves without a lookup; "localhost" and
// names under it never go to DNS (RFC 6761), with any settings: /etc/hosts, else loopback. Never
// empty on success; an error's message() reads "no such host", "no answer (timed out)" ... Same
// handler and cancel rules as async_query. A SERVFAIL or REFUSED answer ends the lookup with that
// error, as it ends a query: the next server is not asked.
std::shared_ptr<PendingQuery> async_resolve(boost::asio::io_context& io,
                                            const ResolverSettings& settings, std::string host,
                                            std::uint16_t port, ResolveHandler handler);

// Past a few hundred queries at once on one socket, UDP receive buffers overflow and answers
// are lost. An address lookup counts twice (A and AAAA).
inline constexpr std::size_t kMaxInFlightPerChannel = 256;

namespace detail {

// For tests: the most queries the channel for `settings` ever had in flight at once.
std::size_t peak_in_flight(boost::asio::io_context& io, const ResolverSettings& settings);

}  // namespace detail

}  // namespace cutover::dns
