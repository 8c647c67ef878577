#pragma once

#include <cstdint>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace cutover::test {

// A TCP server on 127.0.0.1 that answers every connection with `greeting` (by default an SSH
// banner, what a TLS client meets on a port that another service took), reads what the client
// sends, and closes once the client has: a target that answers, but not with TLS or HTTP.
class GarbageServer {
 public:
  explicit GarbageServer(std::string greeting = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
  ~GarbageServer();
  GarbageServer(const GarbageServer&) = delete;
  GarbageServer& operator=(const GarbageServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  void accept_next();

  const std::string greeting_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace cutover::test
