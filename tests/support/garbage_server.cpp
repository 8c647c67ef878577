#include "tests/support/garbage_server.hpp"

#include <array>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace cutover::test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Reads and drops what the client sends until it closes, then closes too.
void drain(std::shared_ptr<tcp::socket> socket) {
  auto buffer = std::make_shared<std::array<char, 4096>>();
  socket->async_read_some(asio::buffer(*buffer),
                          [socket, buffer](boost::system::error_code error, std::size_t) {
                            if (!error) drain(socket);
                          });
}

}  // namespace

GarbageServer::GarbageServer(std::string greeting)
    : greeting_(std::move(greeting)),
      acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
      port_(acceptor_.local_endpoint().port()) {
  accept_next();
  thread_ = std::thread([this] { io_.run(); });
}

GarbageServer::~GarbageServer() {
  io_.stop();
  thread_.join();
}

void GarbageServer::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code error, tcp::socket accepted) {
    if (error) return;
    auto socket = std::make_shared<tcp::socket>(std::move(accepted));
    asio::async_write(*socket, asio::buffer(greeting_),
                      [socket](boost::system::error_code written, std::size_t) {
                        if (!written) drain(socket);
                      });
    accept_next();
  });
}

}  // namespace cutover::test
