#include "loopback/tcp_servers.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace cutover::loopback {
namespace {

using boost::asio::ip::tcp;

// Enough for any kernel's idea of a full queue at backlog 0 (Linux needs one).
constexpr std::size_t kMaxQueued = 8;
constexpr int kSettleMilliseconds = 2000;

tcp::acceptor listening_acceptor(boost::asio::io_context& io,
                                 const boost::asio::ip::address& address, int backlog) {
  const tcp::endpoint endpoint(address, 0);
  tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol());
  acceptor.bind(endpoint);
  acceptor.listen(backlog);
  return acceptor;
}

struct AcceptQueue {
  unsigned length = 0;  // connections waiting for accept()
  unsigned limit = 0;   // the backlog the kernel applies
};

// For a listening socket Linux reports its accept queue in tcp_info: tcpi_unacked is the
// queue length and tcpi_sacked the backlog.
AcceptQueue accept_queue(tcp::acceptor& acceptor) {
  tcp_info info{};
  socklen_t size = sizeof(info);
  if (::getsockopt(acceptor.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &size) != 0) {
    throw std::runtime_error("getsockopt(TCP_INFO) failed on a listening socket");
  }
  return {info.tcpi_unacked, info.tcpi_sacked};
}

// The kernel's own test (sk_acceptq_is_full): SYNs are dropped once the queue is longer than
// the backlog.
bool full(const AcceptQueue& queue) {
  return queue.length > queue.limit;
}

}  // namespace

AcceptingServer::AcceptingServer(const boost::asio::ip::address& address)
    : acceptor_(listening_acceptor(io_, address, boost::asio::socket_base::max_listen_connections)),
      port_(acceptor_.local_endpoint().port()) {
  accept_next();
  thread_ = std::thread([this] { io_.run(); });
}

AcceptingServer::~AcceptingServer() {
  // Closing the acceptor ends the pending accept, which leaves the loop without work.
  boost::asio::post(io_, [this] { acceptor_.close(); });
  thread_.join();
}

void AcceptingServer::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code error, tcp::socket) {
    if (error == boost::asio::error::operation_aborted) return;
    accept_next();  // the accepted socket closes as it goes out of scope
  });
}

UnansweringServer::UnansweringServer()
    : acceptor_(listening_acceptor(io_, boost::asio::ip::address_v4::loopback(), 0)),
      port_(acceptor_.local_endpoint().port()) {
  const tcp::endpoint endpoint = acceptor_.local_endpoint();
  AcceptQueue queue = accept_queue(acceptor_);
  while (!full(queue)) {
    if (queued_.size() == kMaxQueued) {
      throw std::runtime_error("the accept queue of port " + std::to_string(port_) +
                               " does not fill up");
    }
    tcp::socket& client = queued_.emplace_back(io_);
    client.open(endpoint.protocol());
    client.native_non_blocking(true);
    // Plain connect(2): asio's blocking connect would wait forever if the SYN were dropped.
    if (::connect(client.native_handle(), endpoint.data(), endpoint.size()) != 0 &&
        errno != EINPROGRESS) {
      throw std::runtime_error("connect to port " + std::to_string(port_) +
                               " failed: " + std::strerror(errno));
    }
    // The queue has room, so the handshake completes at once; the timeout bounds a failure.
    pollfd writable{client.native_handle(), POLLOUT, 0};
    if (::poll(&writable, 1, kSettleMilliseconds) != 1) {
      throw std::runtime_error("connect to port " + std::to_string(port_) + " did not complete");
    }
    // The listener counts the connection when it handles the final ACK, possibly just after
    // the client's connect returned.
    const auto settle_until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kSettleMilliseconds);
    const unsigned before = queue.length;
    while ((queue = accept_queue(acceptor_)).length == before &&
           std::chrono::steady_clock::now() < settle_until) {
      std::this_thread::yield();
    }
  }
}

UnansweringServer::~UnansweringServer() = default;

std::uint16_t unused_port(const boost::asio::ip::address& address) {
  boost::asio::io_context io;
  const tcp::endpoint endpoint(address, 0);
  tcp::acceptor acceptor(io, endpoint.protocol());
  acceptor.bind(endpoint);
  return acceptor.local_endpoint().port();
}

bool ipv6_loopback_available() {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io);
  boost::system::error_code error;
  acceptor.open(tcp::v6(), error);
  if (!error) acceptor.bind(tcp::endpoint(boost::asio::ip::address_v6::loopback(), 0), error);
  return !error;
}

}  // namespace cutover::loopback
