#include "checks/net/dns_socket_watcher.hpp"

#include <utility>

#include <boost/asio/posix/stream_descriptor.hpp>

namespace cutover::dns::detail {

namespace net = boost::asio;

// A socket c-ares opened, watched for it by the loop.
struct SocketWatcher::Watch {
  Watch(net::io_context& io, ares_socket_t fd) : descriptor(io), fd(fd) {}

  net::posix::stream_descriptor descriptor;
  ares_socket_t fd;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;  // an async_wait is pending
  bool writing = false;
  bool closed = false;  // c-ares let go of the socket (it may already reuse the number)
};

SocketWatcher::SocketWatcher(net::io_context& io, Ready ready)
    : io_(io), ready_(std::move(ready)) {}

SocketWatcher::~SocketWatcher() = default;

void SocketWatcher::update(ares_socket_t fd, bool readable, bool writable) {
  const auto found = watches_.find(fd);
  if (!readable && !writable) {
    if (found == watches_.end()) return;
    forget(*found->second);
    watches_.erase(found);
    return;
  }
  std::shared_ptr<Watch> watch;
  if (found != watches_.end()) {
    watch = found->second;
  } else {
    watch = std::make_shared<Watch>(io_, fd);
    boost::system::error_code error;
    watch->descriptor.assign(fd, error);
    // Unwatched, the socket's queries end by c-ares's own timeout.
    if (error) return;
    watches_.emplace(fd, watch);
  }
  watch->want_read = readable;
  watch->want_write = writable;
  arm(watch);
}

void SocketWatcher::forget_all() {
  auto watches = std::move(watches_);
  for (auto& [fd, watch] : watches)
    forget(*watch);
}

// The descriptor is released, never closed: the socket is c-ares's to close.
void SocketWatcher::forget(Watch& watch) {
  watch.closed = true;
  boost::system::error_code ignored;
  watch.descriptor.cancel(ignored);
  watch.descriptor.release();
}

void SocketWatcher::arm(const std::shared_ptr<Watch>& watch) {
  if (watch->want_read && !watch->reading) {
    watch->reading = true;
    watch->descriptor.async_wait(net::posix::stream_descriptor::wait_read,
                                 [weak = weak_from_this(), watch](boost::system::error_code error) {
                                   watch->reading = false;
                                   if (auto self = weak.lock()) self->on_ready(watch, false, error);
                                 });
  }
  if (watch->want_write && !watch->writing) {
    watch->writing = true;
    watch->descriptor.async_wait(net::posix::stream_descriptor::wait_write,
                                 [weak = weak_from_this(), watch](boost::system::error_code error) {
                                   watch->writing = false;
                                   if (auto self = weak.lock()) self->on_ready(watch, true, error);
                                 });
  }
}

void SocketWatcher::on_ready(const std::shared_ptr<Watch>& watch, bool write,
                             boost::system::error_code error) {
  // A socket c-ares closed, even if its number now belongs to a new one, is never processed.
  if (error || watch->closed) return;
  // No longer wanted: c-ares asks again through the socket-state callback when it is.
  if (!(write ? watch->want_write : watch->want_read)) return;
  ready_(write ? ARES_SOCKET_BAD : watch->fd, write ? watch->fd : ARES_SOCKET_BAD);
  if (!watch->closed) arm(watch);
}

}  // namespace cutover::dns::detail
