#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "checks/net/dns_client.hpp"
#include "harness/duration.hpp"

namespace cutover::dns {

// What one server answered the dns kind's query.
struct ServerQueryResult {
  QueryResult result;  // over TCP when the UDP answer was truncated
  // The UDP answer came truncated (TC set) after this long, and the query was asked again over
  // TCP: `result` is that second query's.
  std::optional<Duration> truncated_udp;
};

using ServerQueryHandler = std::function<void(ServerQueryResult)>;

// Called on the event loop: async_query to the server of `settings`, over UDP unless
// settings.tcp. A truncated UDP answer is asked again over TCP here, not by c-ares: c-ares would
// report a refused TCP connection as a server that refused everything, hiding that it answered
// over UDP. `handler` runs as async_query's does; cancel() stops whichever query is in flight.
std::shared_ptr<PendingQuery> async_server_query(boost::asio::io_context& io,
                                                 ResolverSettings settings, std::string name,
                                                 int type, ServerQueryHandler handler,
                                                 std::chrono::steady_clock::time_point deadline);

// Why a server's query failed, `no_answer` standing for a timeout: "connection refused", "no
// answer within 720ms", and after a truncated UDP answer "the answer over UDP is truncated (TC
// set), and TCP, where it was asked again, refused the connection".
std::string describe_server_error(const ServerQueryResult& answer, const std::string& no_answer);

}  // namespace cutover::dns
