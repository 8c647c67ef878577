#pragma once

#include <cstdint>
#include <string>

#include "loopback/dns_servers.hpp"
#include "loopback/dns_wire.hpp"

namespace cutover::loopback::dns {

struct Record {
  Name name;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string rdata;  // wire format, names uncompressed
  Name target;        // CNAME only
};

// The type code of a record type's name ("A", "aaaa", "CAA"); throws std::invalid_argument for
// a type the servers do not support.
std::uint16_t type_code(const std::string& type);

// A record a test gives, checked at once so a typo fails in the test's own thread: throws
// std::invalid_argument naming the record and what is wrong with it.
Record parse_record(const DnsRecord& given);

}  // namespace cutover::loopback::dns
