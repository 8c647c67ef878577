#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loopback/dns_records.hpp"
#include "loopback/dns_wire.hpp"

namespace cutover::loopback::dns {

// The largest EDNS payload the servers accept and advertise, like common servers' default.
constexpr std::uint16_t kEdnsLimit = 4096;

struct Query {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  Name name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  bool edns = false;
  std::uint16_t edns_size = 0;
};

// What the server makes of a received message.
struct ParsedQuery {
  bool drop = false;  // too short to answer, or itself a response
  std::uint16_t rcode = kRcodeNoError;
  bool has_question = false;
  Query query;
};

// Reads a received message: its question and EDNS size, or the error code a server answers a
// malformed or unsupported message with.
ParsedQuery parse_query(std::string_view message);

struct Answer {
  std::uint16_t rcode = kRcodeNoError;
  std::vector<Record> answers;
  std::vector<Record> authorities;
};

// The answer `records` give to `query`: CNAME chains followed, NXDOMAIN, and the enclosing SOA
// in the authority section of negative answers (RFC 2308).
Answer resolve(const std::vector<Record>& records, const Query& query);

// The response message; `truncated` sends the question alone with TC set.
std::string build_message(const ParsedQuery& parsed, const Answer& answer, bool truncated);

}  // namespace cutover::loopback::dns
