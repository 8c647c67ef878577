#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "loopback/temp_dir.hpp"

namespace cutover::loopback {

// "127.0.0.1:PORT", the address the DNS servers give tests.
std::string loopback_address(std::uint16_t port);

// Opens `udp_socket` and a listening `acceptor` on one free port of 127.0.0.1, as a resolver
// expects of a DNS server, and returns the port. Another process may hold the TCP port of a
// free UDP port: then it starts over, and throws std::runtime_error after many attempts.
std::uint16_t bind_udp_and_tcp(boost::asio::ip::udp::socket& udp_socket,
                               boost::asio::ip::tcp::acceptor& acceptor);

// One resource record in zone-file presentation: {"app.example.test.", "A", 60, "10.0.0.1"},
// {"example.test.", "MX", 300, "10 mail.example.test."}, TXT data quoted: "\"v=spf1 -all\"",
// several quoted strings of at most 255 bytes each for a longer text, \" and \\ inside quotes.
// SRV: "prio weight port target"; SOA: "mname rname serial refresh retry expire minimum";
// CAA: "0 issue \"ca.test\"". Names are absolute (the trailing dot may be left out) and compared
// case-insensitively.
struct DnsRecord {
  std::string name{};
  std::string type{};  // A AAAA CNAME MX TXT SRV NS SOA CAA PTR
  std::uint32_t ttl = 300;
  std::string data{};
};

// How the in-process server treats a query for a name (or every name, see set_fault). A fault
// applies to the name queried, not to the names a CNAME chain leads to.
enum class DnsFault {
  none,          // answer from the records: NOERROR with answers, NODATA, or NXDOMAIN
  servfail,      // RCODE 2
  refused,       // RCODE 5
  silent,        // never answers (UDP or TCP)
  truncate_udp,  // over UDP: an empty answer with TC set; over TCP: the full answer
};

// An authoritative-style DNS server in the test process, on UDP and TCP of the same free port
// of 127.0.0.1, served by its own thread. It follows CNAME chains within its own records
// (the answer to "A www" holds "www CNAME app" and "app A ..."; longer than 16 links: SERVFAIL),
// answers NXDOMAIN for names it has no record of (also names with records only below them),
// and NODATA (NOERROR, no answers) for names with records of other types. Negative answers
// carry the SOA of the closest enclosing name that has one, if any, in the authority section.
// Like a real server it truncates UDP answers over 512 bytes (TC set, no records), or over the
// query's EDNS size (at most 4096); it answers an EDNS query with an OPT record. Answers never
// use name compression.
class DnsTestServer {
 public:
  // Throws std::invalid_argument for a record it cannot encode (as do the setters below).
  explicit DnsTestServer(std::vector<DnsRecord> records = {});
  ~DnsTestServer();
  DnsTestServer(const DnsTestServer&) = delete;
  DnsTestServer& operator=(const DnsTestServer&) = delete;

  // Thread-safe; takes effect for the next query.
  void set_records(std::vector<DnsRecord> records);
  void add_record(DnsRecord record);
  // "" for every name; a fault set for a name wins over the one for every name.
  void set_fault(const std::string& name, DnsFault fault);
  void set_delay(std::chrono::milliseconds delay);  // before each answer
  // Stops listening on TCP: connections are refused from now on, while UDP is still answered
  // (with truncate_udp, a server whose TCP port a firewall closes).
  void stop_tcp();

  std::uint16_t port() const;
  std::string address() const;  // "127.0.0.1:PORT", as a suite's `servers:` entry takes it

  // Messages received so far, answered or not (silent faults and malformed ones count too).
  int udp_queries() const;
  int tcp_queries() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace cutover::loopback
