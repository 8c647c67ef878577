#include "loopback/nsd_server.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "loopback/dns_servers.hpp"
#include "loopback/dns_wire.hpp"

namespace cutover::loopback {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using namespace dns;

constexpr const char* kNsdPath = "/usr/sbin/nsd";
constexpr std::chrono::seconds kNsdStartBudget{5};
constexpr std::chrono::milliseconds kNsdQueryInterval{100};
constexpr std::chrono::seconds kNsdStopBudget{2};
constexpr int kNsdPortAttempts = 3;
constexpr std::uint16_t kProbeId = 0x4E53;

// A port free for both UDP and TCP right now; NSD binds it a moment later.
std::uint16_t free_udp_and_tcp_port() {
  asio::io_context io;
  udp::socket probe_udp(io);
  tcp::acceptor probe_tcp(io);
  return bind_udp_and_tcp(probe_udp, probe_tcp);
}

std::string soa_query(const std::string& origin) {
  Writer writer;
  writer.u16(kProbeId);
  writer.u16(0);
  writer.u16(1);
  writer.u16(0);
  writer.u16(0);
  writer.u16(0);
  writer.name(parse_name(origin));
  writer.u16(kTypeSoa);
  writer.u16(kClassIn);
  return std::move(writer.bytes());
}

enum class Probe { serving, broken, no_answer };

// NSD answers only once its zones are loaded: an authoritative SOA means it serves the zone,
// any other answer that the zone failed to load.
Probe probe_answer(std::string_view response) {
  Reader reader(response);
  const unsigned id = reader.u16();
  const unsigned flags = reader.u16();
  reader.u16();
  const unsigned answers = reader.u16();
  if (!reader.ok() || id != kProbeId || (flags & kFlagQr) == 0) return Probe::no_answer;
  const bool serving = (flags & kFlagAa) != 0 && (flags & 0xF) == kRcodeNoError && answers > 0;
  return serving ? Probe::serving : Probe::broken;
}

std::optional<int> exit_status(int pid) {
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void stop_process(int pid) {
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kNsdStopBudget;
  while (std::chrono::steady_clock::now() < deadline) {
    if (exit_status(pid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// Nothing once NSD answers the SOA query of `origin` with authority, else what went wrong;
// `exited` tells whether NSD has ended (and was reaped).
std::optional<std::string> wait_until_serving(int pid, std::uint16_t port,
                                              const std::string& origin, bool& exited) {
  const std::string query = soa_query(origin);
  asio::io_context io;
  udp::socket socket(io, udp::v4());
  socket.connect(udp::endpoint(asio::ip::address_v4::loopback(), port));
  const auto deadline = std::chrono::steady_clock::now() + kNsdStartBudget;
  while (std::chrono::steady_clock::now() < deadline) {
    if (const std::optional<int> status = exit_status(pid)) {
      exited = true;
      return "exited with status " + std::to_string(*status);
    }
    boost::system::error_code error;
    socket.send(asio::buffer(query), 0, error);
    pollfd readable{socket.native_handle(), POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(kNsdQueryInterval.count())) != 1) continue;
    std::array<char, 4096> response{};
    const std::size_t size = socket.receive(asio::buffer(response), 0, error);
    if (error) continue;  // ICMP port unreachable: NSD has not bound the port yet
    switch (probe_answer({response.data(), size})) {
      case Probe::serving:
        return std::nullopt;
      case Probe::broken:
        return "does not serve " + origin + " (its SOA query failed)";
      case Probe::no_answer:
        break;
    }
  }
  return "did not answer the SOA query of " + origin + " within " +
         std::to_string(kNsdStartBudget.count()) + "s";
}

std::string nsd_conf(const std::filesystem::path& dir, std::uint16_t port,
                     const std::string& origin) {
  // Everything NSD writes stays in `dir`; username "" keeps the caller's user (root in CI
  // would otherwise switch to the nsd user, which cannot read the temp dir); database ""
  // serves straight from the zone file (NSD 4.6 still defaults to a database file).
  return fmt::format(R"(server:
  ip-address: 127.0.0.1
  port: {port}
  do-ip6: no
  server-count: 1
  verbosity: 0
  username: ""
  chroot: ""
  zonesdir: "{dir}"
  pidfile: "{dir}/nsd.pid"
  xfrdfile: "{dir}/xfrd.state"
  xfrdir: "{dir}"
  zonelistfile: "{dir}/zone.list"
  database: ""
  logfile: "{dir}/nsd.log"
remote-control:
  control-enable: no
zone:
  name: "{origin}"
  zonefile: "{dir}/zone"
)",
                     fmt::arg("port", port), fmt::arg("dir", dir.string()),
                     fmt::arg("origin", origin));
}

}  // namespace

NsdServer::NsdServer(std::string origin, std::string zone) {
  if (!available()) throw std::runtime_error(std::string("NsdServer: no executable ") + kNsdPath);
  dir_.write("zone", zone);
  const std::string conf = (dir_.path() / "nsd.conf").string();
  const std::string output = (dir_.path() / "nsd.out").string();
  std::string failure;
  for (int attempt = 0; attempt < kNsdPortAttempts; ++attempt) {
    port_ = free_udp_and_tcp_port();
    dir_.write("nsd.conf", nsd_conf(dir_.path(), port_, origin));
    // Everything the child needs is built before fork: the test process has threads.
    std::vector<std::string> arguments{kNsdPath, "-d", "-c", conf};
    std::vector<char*> argv;
    for (std::string& argument : arguments)
      argv.push_back(argument.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("NsdServer: fork failed");
    if (pid_ == 0) {
      // NSD must not outlive a test binary that crashes or is killed.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int null = ::open("/dev/null", O_RDONLY);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      ::dup2(null, STDIN_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }

    bool exited = false;
    const std::optional<std::string> problem = wait_until_serving(pid_, port_, origin, exited);
    if (!problem) return;
    if (!exited) stop_process(pid_);
    pid_ = -1;
    const std::string log = read_file(output) + read_file(dir_.path() / "nsd.log");
    failure = "NsdServer: nsd on " + loopback_address(port_) + " " + *problem + ": " + log;
    // Another process may have taken the port between the probe and NSD's bind.
    if (log.find("in use") == std::string::npos) break;
  }
  throw std::runtime_error(failure);
}

NsdServer::~NsdServer() {
  if (pid_ > 0) stop_process(pid_);
}

bool NsdServer::available() {
  return ::access(kNsdPath, X_OK) == 0;
}

std::string NsdServer::address() const {
  return loopback_address(port_);
}

}  // namespace cutover::loopback
