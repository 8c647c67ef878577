#include "examples/demo/demo.hpp"

#include <iostream>
#include <list>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace cutover::demo {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A loopback service that accepts connections and closes them: enough for TCP checks. It runs on
// its own thread so the runner's event loop sees it as a real, separate server.
class Listeners {
 public:
  Listeners() : work_(asio::make_work_guard(io_)) {}

  ~Listeners() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Opens a listener on 127.0.0.1 and returns its port.
  unsigned short open() {
    auto& acceptor =
        acceptors_.emplace_back(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    accept(acceptor);
    return acceptor.local_endpoint().port();
  }

  void start() {
    thread_ = std::thread([this] { io_.run(); });
  }

 private:
  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](const boost::system::error_code& error, tcp::socket) {
      if (!error) accept(acceptor);
    });
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::list<tcp::acceptor> acceptors_;
  std::thread thread_;
};

// A loopback port with nothing listening: connecting to it is refused.
unsigned short closed_port() {
  asio::io_context io;
  tcp::acceptor probe(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return probe.local_endpoint().port();
}

int run_demo(const std::vector<std::string>& arguments, const Extensions& extensions) {
  CLI::App app{"cutover demo: run the shipped suites against stand-in environments on loopback"};
  app.name("cutover demo");
  std::string out = "cutover-demo";
  std::string suites = std::string(CUTOVER_SOURCE_DIR) + "/suites";
  app.add_option("--out", out, "folder for the reports")->capture_default_str();
  app.add_option("--suites", suites, "folder with the shipped suites")->capture_default_str();
  try {
    std::vector<std::string> reversed(arguments.rbegin(), arguments.rend());
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitPassed : kExitUsage;
  }

  Listeners listeners;
  RunOptions options;
  options.files = {suites + "/pre-cutover.yaml", suites + "/post-cutover.yaml"};
  options.variables = {
      {"TARGET_API_HOST", "127.0.0.1"},
      {"TARGET_API_PORT", std::to_string(listeners.open())},
      {"TARGET_DB_HOST", "127.0.0.1"},
      {"TARGET_DB_PORT", std::to_string(listeners.open())},
      {"TARGET_ADMIN_PORT", std::to_string(closed_port())},
      {"SOURCE_DB_HOST", "127.0.0.1"},
      {"SOURCE_DB_PORT", std::to_string(listeners.open())},
      {"OLD_API_HOST", "127.0.0.1"},
      {"OLD_API_PORT", std::to_string(closed_port())},
  };
  listeners.start();

  for (const ReportFormat& format : extensions.report_formats) {
    const std::string file = format.name == "junit" ? "junit.xml" : "results." + format.name;
    options.reports[format.name] = out + "/" + file;
  }

  std::cout << "cutover demo: the new environment's services listen on 127.0.0.1 ports "
            << options.variables["TARGET_API_PORT"] << " (api) and "
            << options.variables["TARGET_DB_PORT"] << " (database); the old api's port "
            << options.variables["OLD_API_PORT"] << " is closed.\n\n";
  const int code = run_suites(options, extensions);
  std::cout << "\nReports:\n";
  for (const auto& [name, path] : options.reports) {
    std::cout << fmt::format("  {:<6} {}\n", name, path.string());
  }
  return code;
}

}  // namespace

Command command(const Extensions& extensions) {
  return {"demo", "run the shipped suites against stand-in services on loopback",
          [&extensions](const std::vector<std::string>& arguments) {
            return run_demo(arguments, extensions);
          }};
}

}  // namespace cutover::demo
