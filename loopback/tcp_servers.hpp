#pragma once

#include <cstdint>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace cutover::loopback {

// Accepts every connection and closes it at once, on its own thread.
class AcceptingServer {
 public:
  // Listens on port 0 of `address`: 127.0.0.1, or ::1 for IPv6 tests.
  explicit AcceptingServer(
      const boost::asio::ip::address& address = boost::asio::ip::address_v4::loopback());
  ~AcceptingServer();
  AcceptingServer(const AcceptingServer&) = delete;
  AcceptingServer& operator=(const AcceptingServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  void accept_next();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A listener on 127.0.0.1 whose accept queue is full: Linux drops further SYNs, so a connect
// gets no answer, as behind a firewall that drops packets.
class UnansweringServer {
 public:
  UnansweringServer();
  ~UnansweringServer();
  UnansweringServer(const UnansweringServer&) = delete;
  UnansweringServer& operator=(const UnansweringServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  boost::asio::io_context io_;  // never run: the sockets are used blocking
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<boost::asio::ip::tcp::socket> queued_;  // connected, never accepted
  std::uint16_t port_ = 0;
};

// A port of `address` with nothing listening on it, so connects are refused. Another process
// could take it in between; tests use it at once.
std::uint16_t unused_port(
    const boost::asio::ip::address& address = boost::asio::ip::address_v4::loopback());

// Whether ::1 can be bound here; containers without IPv6 skip the IPv6 tests.
bool ipv6_loopback_available();

}  // namespace cutover::loopback
