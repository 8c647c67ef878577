// Stand-in targets for bench/tcp_checks.sh: TCP listeners on loopback addresses that accept every
// connection and close it at once, like the demo's and the tests' AcceptingServer, but many of
// them and in a process of their own, so the benchmark measures cutover and not its targets.
//
//   cutover_bench_listeners --count 100 --hosts 4
//
// Prints "HOST PORT" per listener, then "ready", then runs until SIGINT or SIGTERM; at exit it
// prints "accepted N" on stderr, which lets the script cross-check the number of connects.

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iostream>
#include <list>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/system/error_code.hpp>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::size_t kDefaultCount = 100;
constexpr std::size_t kMaxCount = 10000;  // each one is a file descriptor
constexpr std::size_t kDefaultHosts = 1;
// 127.0.0.1 to 127.0.0.254: every one of them reaches the loopback interface on Linux.
constexpr std::size_t kMaxHosts = 254;

class Listeners {
 public:
  explicit Listeners(asio::io_context& io) : io_(io) {}

  // Opens a listener on an ephemeral port of `address`; returns the port.
  std::uint16_t open(const asio::ip::address_v4& address) {
    tcp::acceptor& acceptor = acceptors_.emplace_back(io_);
    const tcp::endpoint endpoint(address, 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    // The kernel caps this at net.core.somaxconn; a full queue would drop SYNs and turn a
    // benchmark of cutover into one of SYN retransmission timers.
    acceptor.listen(asio::socket_base::max_listen_connections);
    accept_next(acceptor);
    return acceptor.local_endpoint().port();
  }

  void close() {
    for (tcp::acceptor& acceptor : acceptors_)
      acceptor.close();
  }

  std::size_t accepted() const { return accepted_; }

 private:
  void accept_next(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](boost::system::error_code error, tcp::socket) {
      if (error == asio::error::operation_aborted) return;  // close(): the run is over
      if (!error) ++accepted_;
      // The accepted socket closes as it goes out of scope; errors such as a connection reset
      // before accept() concern one client only, so the listener keeps going.
      accept_next(acceptor);
    });
  }

  asio::io_context& io_;
  std::list<tcp::acceptor> acceptors_;  // stable addresses: the handlers hold references
  std::size_t accepted_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"TCP listeners on loopback that accept and close every connection"};
  std::size_t count = kDefaultCount;
  std::size_t hosts = kDefaultHosts;
  app.add_option("--count", count, "listening sockets to open")
      ->check(CLI::Range(std::size_t{1}, kMaxCount))
      ->capture_default_str();
  app.add_option("--hosts", hosts, "spread them over 127.0.0.1 .. 127.0.0.HOSTS")
      ->check(CLI::Range(std::size_t{1}, kMaxHosts))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    asio::io_context io(1);
    Listeners listeners(io);
    // Installed before "ready", so that a caller that stops us at once still gets the count.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { listeners.close(); });
    for (std::size_t k = 0; k < count; ++k) {
      const auto address = asio::ip::make_address_v4(fmt::format("127.0.0.{}", 1 + k % hosts));
      const std::uint16_t port = listeners.open(address);
      std::cout << address.to_string() << ' ' << port << '\n';
    }
    std::cout << "ready" << std::endl;
    io.run();
    std::cerr << "accepted " << listeners.accepted() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "cutover_bench_listeners: " << e.what() << std::endl;
    return 1;
  }
}
