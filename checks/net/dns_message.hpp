#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/expected.hpp"

// DNS responses as the `dns` kind compares them: the question, the answer and authority
// sections' records with their data in one canonical text form, which is also how users write
// expected values and how messages show them.
//
// Canonical data, by type:
//   A, AAAA          the address as asio prints it: "10.0.0.1", "2001:db8::1"
//   CNAME, NS, PTR   the target name, lower-case, without the trailing dot: "app.example.test"
//   MX               "10 mail.example.test"
//   TXT              the record's strings concatenated without separators, bytes as sent (SPF
//                    and DKIM consumers join them so: RFC 7208 3.3)
//   SRV              "10 5 5060 sip.example.test" (priority weight port target)
//   SOA              "ns1.example.test hostmaster.example.test 2026112601 3600 600 86400 300"
//   CAA              "0 issue \"letsencrypt.org\"" (tag lower-case; '"' and '\' escaped)
//   other types      RFC 3597's "\# 4 0a000001"
// The root name is ".", so a null MX reads "0 .".
namespace cutover::dns {

struct ResourceRecord {
  std::string name{};  // owner name, canonical
  int type = 0;        // ns_t_a, ns_t_aaaa, ... (<arpa/nameser.h>)
  int record_class = 0;
  std::uint32_t ttl = 0;  // seconds, as sent
  std::string data{};     // canonical text, see above
};

struct Question {
  std::string name{};  // canonical
  int type = 0;
  int question_class = 0;
};

struct Message {
  int rcode = 0;               // ns_r_noerror, ns_r_nxdomain, ...
  bool authoritative = false;  // AA set: the server answers for the queried name from its zone
  bool truncated = false;      // TC set: the answers may be incomplete
  std::vector<Question> questions{};        // the question section, as echoed by the server
  std::vector<ResourceRecord> answers{};    // the answer section, in the order sent
  std::vector<ResourceRecord> authority{};  // the SOA of a negative answer, NS of a referral
};

// The response in `bytes`, or why it cannot be read ("answer 2 (app.example.test A): expected 4
// bytes of address, got 5"). Every length is checked against the message: a malformed or hostile
// message is an error, never a read past its end. With TC set, a record cut off at the end of the
// message is dropped rather than reported. The additional section is not read.
Expected<Message> parse_message(std::span<const unsigned char> bytes);

// "A", "AAAA", ... for the types above; "TYPE65" for the others (RFC 3597).
std::string type_name(int type);

// The number of one of the types the `dns` kind queries (A AAAA CNAME MX TXT SRV NS SOA CAA
// PTR), written in any case; nothing for another name.
std::optional<int> type_number(std::string_view name);

// "NOERROR", "SERVFAIL", "NXDOMAIN", "REFUSED", ...; "RCODE 12" for unassigned codes.
std::string rcode_name(int rcode);

// A domain name as compared: lower-case ASCII, without one trailing dot; "." for the root.
std::string canonical_name(std::string_view name);

// Why `name` cannot be a domain name to query ("empty label", "label longer than 63
// characters"), or nothing when it can. Takes the name with or without a trailing dot.
std::optional<std::string> name_problem(std::string_view name);

// A value as a user writes it for `type` ("10.0.0.1", "10 Mail.Example.Test.", "0 issue
// letsencrypt.org"), in the canonical form above, so it compares with parsed records; or why it
// does not fit the type ("\"abc\" is not an IPv4 address").
Expected<std::string> canonical_data(int type, std::string_view text);

// The name PTR queries ask for an address: "1.0.0.127.in-addr.arpa", and the nibble form under
// ip6.arpa for IPv6; nothing when `text` is not an IP address.
std::optional<std::string> reverse_name(std::string_view text);

}  // namespace cutover::dns
