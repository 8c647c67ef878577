#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "checks/net/dns_client.hpp"

namespace cutover::dns::detail {

class Channel;
class DeadlineHeap;

// One query or address lookup, from async_query/async_resolve to its handler. Its channel reads
// and writes the members directly: the request is the channel's record of it.
class Request : public PendingQuery, public std::enable_shared_from_this<Request> {
 public:
  using Clock = std::chrono::steady_clock;

  Request(boost::asio::io_context& io, std::string name, bool lookup);

  void cancel() override;

  // Called on the loop: runs the handler later, from the loop, unless cancelled by then.
  void deliver(QueryResult result);
  void deliver(boost::system::error_code error, Endpoints endpoints);

  // Delivers the c-ares `status` as the error, to whichever handler the request has.
  void fail(int status);

  bool cancelled() const { return !on_query_ && !on_resolve_; }

  // Whether a result may still be delivered: none was, and the request was not cancelled.
  bool open() const { return !settled_ && !cancelled(); }

  // The result is decided (delivered, or cancelled): its deadline no longer matters.
  void settle();

  // ares_getaddrinfo asks for A and AAAA at once: two queries on the wire.
  std::size_t weight() const { return lookup_ ? 2 : 1; }

  boost::asio::io_context& io_;
  const std::string name_;
  const bool lookup_;  // an address lookup (async_resolve), not a query
  int type_ = 0;       // the record type of a query
  std::uint16_t port_ = 0;
  QueryHandler on_query_;
  ResolveHandler on_resolve_;
  Channel* channel_ = nullptr;  // while c-ares holds the request
  Clock::time_point sent_{};
  bool settled_ = false;
  // Answered ARES_ETIMEOUT at this time unless settled before; max: c-ares's timeouts alone.
  Clock::time_point deadline_ = Clock::time_point::max();
  DeadlineHeap* deadline_owner_ = nullptr;  // the deadline heap that holds the request
  std::size_t deadline_slot_ = 0;           // its place in that heap
  // While c-ares holds the request: the channel's list of them, which owns it through `self_`.
  std::shared_ptr<Request> self_;
  Request* previous_ = nullptr;
  Request* next_ = nullptr;
};

}  // namespace cutover::dns::detail
