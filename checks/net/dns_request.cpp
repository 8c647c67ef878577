#include "checks/net/dns_request.hpp"

#include <utility>

#include <boost/asio/post.hpp>

#include "checks/net/dns_deadlines.hpp"

namespace cutover::dns::detail {

Request::Request(boost::asio::io_context& io, std::string name, bool lookup)
    : io_(io), name_(std::move(name)), lookup_(lookup) {}

void Request::cancel() {
  settle();
  // Moved out first: destroying a handler can end a session whose resolver cancels again.
  QueryHandler dropped_query = std::exchange(on_query_, nullptr);
  ResolveHandler dropped_resolve = std::exchange(on_resolve_, nullptr);
}

void Request::deliver(QueryResult result) {
  settle();
  boost::asio::post(io_, [self = shared_from_this(), result = std::move(result)]() mutable {
    if (QueryHandler handler = std::exchange(self->on_query_, nullptr)) {
      handler(std::move(result));
    }
  });
}

void Request::deliver(boost::system::error_code error, Endpoints endpoints) {
  settle();
  boost::asio::post(io_,
                    [self = shared_from_this(), error, endpoints = std::move(endpoints)]() mutable {
                      if (ResolveHandler handler = std::exchange(self->on_resolve_, nullptr)) {
                        handler(error, std::move(endpoints));
                      }
                    });
}

void Request::fail(int status) {
  if (lookup_) {
    deliver(make_ares_error(status), {});
  } else {
    deliver(QueryResult{.error = make_ares_error(status)});
  }
}

void Request::settle() {
  settled_ = true;
  if (deadline_owner_ != nullptr) deadline_owner_->remove(*this);
}

}  // namespace cutover::dns::detail
