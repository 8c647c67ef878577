#pragma once

#include <functional>
#include <memory>
#include <unordered_map>

#include <ares.h>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

namespace cutover::dns::detail {

// The sockets c-ares opens for one channel, watched by the event loop: c-ares says through its
// socket-state callback which sockets it wants to read or write, update() arms an async_wait for
// each, and `ready` runs when one is ready. asio never closes a socket: it is c-ares's, and the
// descriptor is released instead.
class SocketWatcher : public std::enable_shared_from_this<SocketWatcher> {
 public:
  // Called on the loop with the socket that is ready to read, or the one ready to write; the
  // other is ARES_SOCKET_BAD (as ares_process_fd takes them).
  using Ready = std::function<void(ares_socket_t read, ares_socket_t write)>;

  SocketWatcher(boost::asio::io_context& io, Ready ready);
  ~SocketWatcher();
  SocketWatcher(const SocketWatcher&) = delete;
  SocketWatcher& operator=(const SocketWatcher&) = delete;

  // Called from c-ares's socket-state callback: what c-ares now wants of `fd`. Neither readable
  // nor writable: c-ares let go of the socket, which is forgotten.
  void update(ares_socket_t fd, bool readable, bool writable);

  // Called as the channel is destroyed: no socket is watched or processed any more.
  void forget_all();

 private:
  struct Watch;

  void arm(const std::shared_ptr<Watch>& watch);
  void on_ready(const std::shared_ptr<Watch>& watch, bool write, boost::system::error_code error);
  static void forget(Watch& watch);

  boost::asio::io_context& io_;
  Ready ready_;
  std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches_;
};

}  // namespace cutover::dns::detail
