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

// How to ask. Requests with equal settings and the same purpose share one c-ares channel:
// queries (async_query), address lookups (async_resolve) and localhost lookups each have their
// own. Settings differing in anything (servers or their order, tcp, try_timeout, tries) make
// another channel, even against the same servers: two checks asking 10.0.0.53 with different
// timeouts use two channels, each with its own cap (kMaxInFlightPerChannel), so that server may
// see up to twice the cap at once. A Resolver given a budget sets its own timeouts (resolver.hpp),
// so checks with different budgets use different channels too.
struct ResolverSettings {
  // Empty: the system's configuration (resolv.conf, and /etc/hosts for address lookups), as
  // c-ares reads it. Listed servers are asked in order; neither /etc/hosts nor resolv.conf's
  // search domains are consulted (names are asked as written).
  std::vector<ServerAddress> servers{};
  bool tcp = false;  // TCP for every query (c-ares switches to TCP by itself on a truncated answer)
  // Queries: a truncated UDP answer is delivered as it is (TC set), not asked again over TCP,
  // so the caller can ask over TCP itself and tell which of the two failed.
  bool keep_truncated = false;
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
// (REFUSED)", "no DNS server could be reached (connection refused)", "not a valid host name",
// and for kNoServerAnswered "no DNS server gave an answer (SERVFAIL, REFUSED or connection
// refused)".
const boost::system::error_category& ares_category();
boost::system::error_code make_ares_error(int status);

// Not a c-ares status: an address lookup that asked every server and got no answer it could use,
// each server having answered SERVFAIL, REFUSED or NOTIMP or refused the connection. c-ares 1.18
// reports that as ARES_ECONNREFUSED, which async_resolve replaces with this.
inline constexpr int kNoServerAnswered = 1000;

// One query's outcome. `message` is the raw DNS response when a server answered (whatever its
// RCODE: SERVFAIL, REFUSED and NXDOMAIN answers are delivered, not retried elsewhere; c-ares
// drops an answer to another question, and the caller checks the question again); `error` is
// set when none did.
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
// queries per channel are in flight; more wait in a queue, in order. A query without an answer
// by `deadline`, whether still queued or in flight, ends then with ARES_ETIMEOUT (c-ares's own
// tries go on unheard): the channel's timer serves every deadline, where a timer per query
// would cost a wait, a cancel and a handler each.
std::shared_ptr<PendingQuery> async_query(
    boost::asio::io_context& io, const ResolverSettings& settings, std::string name, int type,
    QueryHandler handler,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

using Endpoints = std::vector<boost::asio::ip::tcp::endpoint>;
using ResolveHandler = std::function<void(boost::system::error_code, Endpoints)>;

// Called on the event loop. The addresses of `host` (IPv4 and IPv6, in RFC 6724 order as
// ares_getaddrinfo sorts them) with `port`: with the system's settings, /etc/hosts and DNS in the
// order nsswitch.conf (or host.conf) gives; with listed servers, DNS only. IP literals
// ("10.0.0.1", "[::1]") resolve to themselves without a lookup. "localhost" and names under it
// never go to DNS (RFC 6761), with any settings and any nsswitch.conf: /etc/hosts alone, and
// [::1] and 127.0.0.1 when it lists nothing for them. Never empty on success; an error's
// message() reads "no such host", "no answer (timed out)" ... Same handler and cancel rules as
// async_query.
// Unlike a query, a lookup is c-ares's own: a server answering SERVFAIL, REFUSED or NOTIMP is
// passed over for the next one and not asked again in later tries (a lone server is asked in every
// try). When every server failed so, or refused a TCP connection, the lookup fails with
// kNoServerAnswered; when its last query timed out, with ARES_ETIMEOUT. Over UDP a closed port ends
// as a timeout: A and AAAA share a socket, and the port-unreachable error fails only one of them.
std::shared_ptr<PendingQuery> async_resolve(boost::asio::io_context& io,
                                            const ResolverSettings& settings, std::string host,
                                            std::uint16_t port, ResolveHandler handler);

// Past a few hundred queries at once on one socket, UDP receive buffers overflow and answers
// are lost. An address lookup counts twice (A and AAAA), for as long as c-ares works on it, even
// after it was cancelled. The cap is per channel (see ResolverSettings), not per server.
inline constexpr std::size_t kMaxInFlightPerChannel = 256;

// Called on the event loop. How many servers a lookup with `settings` may ask: the listed ones,
// or those of the system's configuration as c-ares read it (127.0.0.1 when resolv.conf lists
// none).
std::size_t server_count(boost::asio::io_context& io, const ResolverSettings& settings);

namespace detail {

// For tests: the most queries the channel for `settings` ever had in flight at once.
std::size_t peak_in_flight(boost::asio::io_context& io, const ResolverSettings& settings);

}  // namespace detail

}  // namespace cutover::dns
