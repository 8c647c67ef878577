#include "checks/net/dns_message.hpp"
#include "tests/support/dns_wire.hpp"

#include <arpa/nameser.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace cutover::dns {
namespace {

// DNS messages built byte by byte, so each test shows exactly what the parser is given.
using namespace test::wire;

constexpr std::uint16_t kResponse = 0x8180;   // QR, RD, RA, NOERROR
constexpr std::uint16_t kTruncated = 0x8380;  // ... and TC

// A compression pointer to `offset` in the message.
Bytes pointer(std::uint16_t offset) {
  return u16(static_cast<std::uint16_t>(0xC000 | offset));
}

// Sized once and copied into: GCC 12 at -O3 reports a -Warray-bounds false positive when a
// one-byte vector grows by insert.
Bytes text(std::string_view value) {
  Bytes out(value.size() + 1);
  out[0] = static_cast<unsigned char>(value.size());
  std::copy(value.begin(), value.end(), out.begin() + 1);
  return out;
}

Bytes header(std::uint16_t flags, std::uint16_t questions, std::uint16_t answers) {
  return concat({u16(0x1234), u16(flags), u16(questions), u16(answers), u16(0), u16(0)});
}

// Question for "app.example.test" starts at offset 12, which pointers below refer to.
constexpr std::uint16_t kQuestionName = 12;

Bytes question(int type) {
  return concat(
      {wire_name("app.example.test"), u16(static_cast<std::uint16_t>(type)), u16(ns_c_in)});
}

Bytes record(const Bytes& owner, int type, std::uint32_t ttl, const Bytes& data) {
  return concat({owner, u16(static_cast<std::uint16_t>(type)), u16(ns_c_in), u32(ttl),
                 u16(static_cast<std::uint16_t>(data.size())), data});
}

// A response to "app.example.test `type`" with one answer owned by the question's name.
Bytes answer(int type, const Bytes& data, std::uint16_t flags = kResponse) {
  return concat(
      {header(flags, 1, 1), question(type), record(pointer(kQuestionName), type, 300, data)});
}

std::string data_of(const Bytes& bytes) {
  const auto message = parse_message(bytes);
  if (!message) return "error: " + message.error().message;
  if (message.value().answers.size() != 1)
    return "answers: " + std::to_string(message.value().answers.size());
  return message.value().answers.front().data;
}

std::string error_of(const Bytes& bytes) {
  const auto message = parse_message(bytes);
  if (message) return "parsed";
  return message.error().message;
}

TEST(DnsMessage, ReadsTheHeaderAndARecord) {
  const auto message = parse_message(answer(ns_t_a, {10, 0, 0, 1}));
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_EQ(message.value().rcode, ns_r_noerror);
  EXPECT_FALSE(message.value().truncated);
  ASSERT_EQ(message.value().answers.size(), 1u);
  const ResourceRecord& record = message.value().answers.front();
  EXPECT_EQ(record.name, "app.example.test");
  EXPECT_EQ(record.type, ns_t_a);
  EXPECT_EQ(record.record_class, ns_c_in);
  EXPECT_EQ(record.ttl, 300u);
  EXPECT_EQ(record.data, "10.0.0.1");
}

TEST(DnsMessage, EveryTypeInCanonicalText) {
  EXPECT_EQ(
      data_of(answer(ns_t_aaaa, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})),
      "2001:db8::1");
  EXPECT_EQ(data_of(answer(ns_t_cname, wire_name("Edge.Example.TEST"))), "edge.example.test");
  EXPECT_EQ(data_of(answer(ns_t_ns, wire_name("ns1.example.test"))), "ns1.example.test");
  EXPECT_EQ(data_of(answer(ns_t_ptr, wire_name("host.example.test"))), "host.example.test");
  EXPECT_EQ(data_of(answer(ns_t_mx, concat({u16(10), wire_name("mail.example.test")}))),
            "10 mail.example.test");
  EXPECT_EQ(data_of(answer(ns_t_mx, concat({u16(0), Bytes{0}}))), "0 .") << "null MX (RFC 7505)";
  EXPECT_EQ(data_of(answer(ns_t_txt, concat({text("v=spf1 "), text("-all")}))), "v=spf1 -all");
  EXPECT_EQ(data_of(answer(ns_t_txt, text(""))), "");
  EXPECT_EQ(data_of(answer(ns_t_srv,
                           concat({u16(10), u16(5), u16(5060), wire_name("sip.example.test")}))),
            "10 5 5060 sip.example.test");
  EXPECT_EQ(data_of(answer(ns_t_soa, concat({wire_name("ns1.example.test"),
                                             wire_name("hostmaster.example.test"), u32(2026112601),
                                             u32(3600), u32(600), u32(86400), u32(300)}))),
            "ns1.example.test hostmaster.example.test 2026112601 3600 600 86400 300");
  EXPECT_EQ(data_of(answer(ns_t_caa, concat({Bytes{0, 5}, Bytes{'I', 's', 's', 'u', 'e'},
                                             Bytes{'l', 'e', '"', '\\'}}))),
            R"(0 issue "le\"\\")");
  EXPECT_EQ(data_of(answer(ns_t_caa, concat({Bytes{128, 5}, Bytes{'i', 's', 's', 'u', 'e'},
                                             Bytes{'l', 'e', 't', 's'}}))),
            R"(128 issue "lets")");
  EXPECT_EQ(data_of(answer(99, Bytes{0x0a, 0, 0, 1})), R"(\# 4 0a000001)");
  EXPECT_EQ(data_of(answer(99, Bytes{})), R"(\# 0 )");
}

TEST(DnsMessage, FollowsCompressionPointers) {
  // The CNAME's target is "edge." followed by a pointer to "example.test" inside the question.
  const Bytes bytes =
      concat({header(kResponse, 1, 2), question(ns_t_a),
              record(pointer(kQuestionName), ns_t_cname, 60,
                     concat({Bytes{4, 'e', 'd', 'g', 'e'}, pointer(kQuestionName + 4)})),
              // Offset of the CNAME's data: header 12 + question 22 + owner 2 + fixed 10 = 46.
              record(pointer(46), ns_t_a, 30, {10, 0, 0, 2})});
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message) << message.error().message;
  ASSERT_EQ(message.value().answers.size(), 2u);
  EXPECT_EQ(message.value().answers[0].name, "app.example.test");
  EXPECT_EQ(message.value().answers[0].data, "edge.example.test");
  EXPECT_EQ(message.value().answers[1].name, "edge.example.test");
  EXPECT_EQ(message.value().answers[1].ttl, 30u);
  EXPECT_EQ(message.value().answers[1].data, "10.0.0.2");
}

TEST(DnsMessage, ReadsRcodesAndTruncation) {
  const auto nxdomain = parse_message(concat({header(0x8183, 1, 0), question(ns_t_a)}));
  ASSERT_TRUE(nxdomain);
  EXPECT_EQ(nxdomain.value().rcode, ns_r_nxdomain);
  EXPECT_TRUE(nxdomain.value().answers.empty());
  const auto truncated = parse_message(concat({header(kTruncated, 1, 0), question(ns_t_a)}));
  ASSERT_TRUE(truncated);
  EXPECT_TRUE(truncated.value().truncated);
}

TEST(DnsMessage, ReadsTheQuestionAndTheAaFlag) {
  const auto message = parse_message(
      concat({header(0x8580, 1, 0),
              concat({wire_name("App.Example.TEST"), u16(ns_t_aaaa), u16(ns_c_in)})}));
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_TRUE(message.value().authoritative);
  ASSERT_EQ(message.value().questions.size(), 1u);
  EXPECT_EQ(message.value().questions[0].name, "app.example.test");
  EXPECT_EQ(message.value().questions[0].type, ns_t_aaaa);
  EXPECT_EQ(message.value().questions[0].question_class, ns_c_in);

  const auto none = parse_message(header(kResponse, 0, 0));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.value().authoritative);
  EXPECT_TRUE(none.value().questions.empty());
  const auto two = parse_message(
      concat({header(kResponse, 2, 0), question(ns_t_a),
              concat({wire_name("other.example.test"), u16(ns_t_mx), u16(ns_c_chaos)})}));
  ASSERT_TRUE(two);
  ASSERT_EQ(two.value().questions.size(), 2u);
  EXPECT_EQ(two.value().questions[1].name, "other.example.test");
  EXPECT_EQ(two.value().questions[1].type, ns_t_mx);
  EXPECT_EQ(two.value().questions[1].question_class, ns_c_chaos);
}

// Header with `authorities` records in the authority section.
Bytes header_with_authority(std::uint16_t flags, std::uint16_t answers, std::uint16_t authorities) {
  return concat({u16(0x1234), u16(flags), u16(1), u16(answers), u16(authorities), u16(0)});
}

TEST(DnsMessage, ReadsTheAuthoritySection) {
  const Bytes soa = concat({wire_name("ns1.example.test"), wire_name("hostmaster.example.test"),
                            u32(2026112601), u32(3600), u32(600), u32(86400), u32(300)});
  const auto message = parse_message(
      concat({header_with_authority(0x8180, 1, 2), question(ns_t_a),
              record(pointer(kQuestionName), ns_t_a, 60, {10, 0, 0, 1}),
              record(wire_name("example.test"), ns_t_soa, 300, soa),
              record(wire_name("Example.Test"), ns_t_ns, 300, wire_name("NS1.example.test"))}));
  ASSERT_TRUE(message) << message.error().message;
  ASSERT_EQ(message.value().answers.size(), 1u);
  ASSERT_EQ(message.value().authority.size(), 2u);
  EXPECT_EQ(message.value().authority[0].name, "example.test");
  EXPECT_EQ(message.value().authority[0].type, ns_t_soa);
  EXPECT_EQ(message.value().authority[0].data,
            "ns1.example.test hostmaster.example.test 2026112601 3600 600 86400 300");
  EXPECT_EQ(message.value().authority[1].name, "example.test");
  EXPECT_EQ(message.value().authority[1].type, ns_t_ns);
  EXPECT_EQ(message.value().authority[1].ttl, 300u);
  EXPECT_EQ(message.value().authority[1].data, "ns1.example.test");
}

TEST(DnsMessage, MalformedAuthorityRecordsAreErrors) {
  EXPECT_EQ(error_of(concat({header_with_authority(kResponse, 0, 1), question(ns_t_a),
                             record(wire_name("example.test"), ns_t_ns, 300, {3, 'n', 's'})})),
            "authority 1 (example.test NS): malformed name at offset 58 (a label or compression "
            "pointer past the end, or a pointer loop)");
  EXPECT_EQ(error_of(concat({header_with_authority(kResponse, 0, 2), question(ns_t_a),
                             record(wire_name("example.test"), ns_t_a, 300, {10, 0, 0, 1})})),
            "authority 2: name at offset 62 is cut off");
  // With TC set, the authority record the message ends in is dropped; the answers are kept.
  Bytes truncated =
      concat({header_with_authority(kTruncated, 1, 1), question(ns_t_a),
              record(pointer(kQuestionName), ns_t_a, 60, {10, 0, 0, 1}),
              record(wire_name("example.test"), ns_t_ns, 300, wire_name("ns1.example.test"))});
  truncated.resize(truncated.size() - 3);
  const auto message = parse_message(truncated);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_EQ(message.value().answers.size(), 1u);
  EXPECT_TRUE(message.value().authority.empty());
}

TEST(DnsMessage, ATruncatedMessageDropsTheRecordItEndsIn) {
  Bytes bytes = answer(ns_t_a, {10, 0, 0, 1}, kTruncated);
  bytes.resize(bytes.size() - 2);
  const auto message = parse_message(bytes);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_TRUE(message.value().truncated);
  EXPECT_TRUE(message.value().answers.empty());
}

TEST(DnsMessage, MalformedHeaders) {
  EXPECT_EQ(error_of({0x12, 0x34, 0x81}), "3 bytes is shorter than a DNS header (12 bytes)");
  EXPECT_EQ(error_of(concat({header(0x0100, 1, 0), question(ns_t_a)})),
            "not a response (QR bit clear)");
  EXPECT_EQ(error_of(Bytes(65536, 0)),
            "65536 bytes is longer than a DNS message can be (65535 bytes)");
}

TEST(DnsMessage, PointerLoopIsAnError) {
  // The question's name is a pointer to itself.
  const Bytes bytes = concat({header(kResponse, 1, 0), pointer(kQuestionName), u16(1), u16(1)});
  EXPECT_EQ(error_of(bytes),
            "question 1: malformed name at offset 12 (a label or compression pointer past the "
            "end, or a pointer loop)");
  // Two names pointing at each other.
  const Bytes pair = concat({header(kResponse, 0, 1), pointer(14), pointer(12), u16(1), u16(1),
                             u32(0), u16(4), Bytes{10, 0, 0, 1}});
  EXPECT_EQ(error_of(pair),
            "answer 1: malformed name at offset 12 (a label or compression pointer past the end, "
            "or a pointer loop)");
}

TEST(DnsMessage, PointersAndLabelsPastTheEndAreErrors) {
  EXPECT_EQ(error_of(concat({header(kResponse, 1, 0), pointer(500), u16(1), u16(1)})),
            "question 1: malformed name at offset 12 (a label or compression pointer past the "
            "end, or a pointer loop)");
  EXPECT_EQ(error_of(concat({header(kResponse, 1, 0), Bytes{40, 'a', 'b'}})),
            "question 1: malformed name at offset 12 (a label or compression pointer past the "
            "end, or a pointer loop)");
  EXPECT_EQ(error_of(concat({header(kResponse, 1, 0), wire_name("app.example.test"), u16(1)})),
            "question 1: cut off after the name");
  EXPECT_EQ(error_of(header(kResponse, 1, 0)), "question 1: name at offset 12 is cut off");
  // A reserved label type (01).
  EXPECT_EQ(error_of(concat({header(kResponse, 1, 0), Bytes{0x40, 0}, u16(1), u16(1)})),
            "question 1: malformed name at offset 12 (a label or compression pointer past the "
            "end, or a pointer loop)");
}

TEST(DnsMessage, CutOffRecordsAreErrors) {
  const Bytes full = answer(ns_t_a, {10, 0, 0, 1});
  Bytes cut = full;
  cut.resize(full.size() - 2);
  EXPECT_EQ(error_of(cut),
            "answer 1 (app.example.test A): data of 4 bytes runs past the end of the message (2 "
            "left)");
  cut.resize(12 + 22 + 2 + 5);
  EXPECT_EQ(error_of(cut),
            "answer 1: cut off after the name (5 of 10 bytes of type, class, TTL and length)");
  cut.resize(12 + 22);
  EXPECT_EQ(error_of(cut), "answer 1: name at offset 34 is cut off");
}

TEST(DnsMessage, RecordDataOfTheWrongSizeIsAnError) {
  EXPECT_EQ(error_of(answer(ns_t_a, {10, 0, 0, 1, 5})),
            "answer 1 (app.example.test A): expected 4 bytes of address, got 5");
  EXPECT_EQ(error_of(answer(ns_t_aaaa, {10, 0, 0, 1})),
            "answer 1 (app.example.test AAAA): expected 16 bytes of address, got 4");
  EXPECT_EQ(error_of(answer(ns_t_txt, {})),
            "answer 1 (app.example.test TXT): expected at least one string, got no data");
  EXPECT_EQ(error_of(answer(ns_t_txt, {9, 'a', 'b'})),
            "answer 1 (app.example.test TXT): string of 9 bytes runs past the data (2 left)");
  EXPECT_EQ(error_of(answer(ns_t_mx, {0})),
            "answer 1 (app.example.test MX): expected a preference and a name, got 1 bytes");
  EXPECT_EQ(error_of(answer(ns_t_mx, concat({u16(10), wire_name("mail.example.test"), Bytes{7}}))),
            "answer 1 (app.example.test MX): 1 bytes left over after the name");
  EXPECT_EQ(error_of(answer(ns_t_srv, concat({u16(10), u16(5)}))),
            "answer 1 (app.example.test SRV): expected priority, weight, port and a target, got "
            "4 bytes");
  EXPECT_EQ(error_of(answer(ns_t_soa, concat({wire_name("ns1.example.test"),
                                              wire_name("hostmaster.example.test"), u32(1)}))),
            "answer 1 (app.example.test SOA): expected 20 bytes of serial and timers after the "
            "names, got 4");
  EXPECT_EQ(error_of(answer(ns_t_caa, {0, 9, 'i', 's'})),
            "answer 1 (app.example.test CAA): tag of 9 bytes does not fit the data (2 left)");
  EXPECT_EQ(error_of(answer(ns_t_caa, {0, 0, 'i', 's'})),
            "answer 1 (app.example.test CAA): tag of 0 bytes does not fit the data (2 left)");
  EXPECT_EQ(error_of(answer(ns_t_caa, {0})),
            "answer 1 (app.example.test CAA): expected flags and a tag, got 1 bytes");
}

TEST(DnsMessage, ANameInRecordDataMustEndWithinIt) {
  // The CNAME's data length says 3, but its name is longer: the name would run into the next
  // record.
  Bytes bytes = answer(ns_t_cname, wire_name("edge.example.test"));
  const std::size_t length_offset = 12 + 22 + 2 + 8;
  bytes[length_offset] = 0;
  bytes[length_offset + 1] = 3;
  EXPECT_EQ(error_of(bytes),
            "answer 1 (app.example.test CNAME): name at offset 46 runs past its record");
}

TEST(DnsMessage, EveryPrefixOfAMessageIsReadSafely) {
  const Bytes full = concat(
      {header(kResponse, 1, 3), question(ns_t_mx),
       record(pointer(kQuestionName), ns_t_mx, 60, concat({u16(10), pointer(kQuestionName)})),
       record(pointer(kQuestionName), ns_t_txt, 60, concat({text("abc"), text("def")})),
       record(pointer(kQuestionName), ns_t_soa, 60,
              concat({pointer(kQuestionName), pointer(kQuestionName), u32(1), u32(2), u32(3),
                      u32(4), u32(5)}))});
  ASSERT_TRUE(parse_message(full));
  for (std::size_t size = 0; size < full.size(); ++size) {
    const Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_FALSE(parse_message(prefix)) << size;
  }
  // Every single byte changed to each of a few values: any outcome but a crash or a hang.
  for (std::size_t at = 0; at < full.size(); ++at) {
    for (unsigned char value : {0x00, 0x01, 0x3F, 0x40, 0xC0, 0xFF}) {
      Bytes changed = full;
      changed[at] = value;
      (void)parse_message(changed);
    }
  }
}

TEST(DnsMessage, TypeAndRcodeNames) {
  EXPECT_EQ(type_name(ns_t_a), "A");
  EXPECT_EQ(type_name(ns_t_caa), "CAA");
  EXPECT_EQ(type_name(65), "TYPE65");
  EXPECT_EQ(type_number("AAAA"), ns_t_aaaa);
  EXPECT_EQ(type_number("srv"), ns_t_srv);
  EXPECT_EQ(type_number("PTR"), ns_t_ptr);
  EXPECT_EQ(type_number("ANY"), std::nullopt);
  EXPECT_EQ(type_number(""), std::nullopt);
  EXPECT_EQ(rcode_name(0), "NOERROR");
  EXPECT_EQ(rcode_name(2), "SERVFAIL");
  EXPECT_EQ(rcode_name(3), "NXDOMAIN");
  EXPECT_EQ(rcode_name(5), "REFUSED");
  EXPECT_EQ(rcode_name(12), "RCODE 12");
}

TEST(DnsMessage, CanonicalNames) {
  EXPECT_EQ(canonical_name("App.Example.TEST."), "app.example.test");
  EXPECT_EQ(canonical_name("app.example.test"), "app.example.test");
  EXPECT_EQ(canonical_name("."), ".");
  EXPECT_EQ(canonical_name(""), ".");
  EXPECT_EQ(name_problem("app.example.test."), std::nullopt);
  EXPECT_EQ(name_problem("."), std::nullopt);
  EXPECT_EQ(name_problem("_sip._tcp.example.test"), std::nullopt);
  EXPECT_EQ(name_problem(""), "empty name");
  EXPECT_EQ(name_problem("a..b"), "empty label");
  EXPECT_EQ(name_problem(".a"), "empty label");
  EXPECT_EQ(name_problem("a b"), "contains a space or control character");
  EXPECT_EQ(name_problem(std::string(64, 'a') + ".test"), "label longer than 63 characters");
  std::string long_name;
  for (int i = 0; i < 64; ++i)
    long_name += "abc.";
  EXPECT_EQ(name_problem(long_name), "longer than 253 characters");
}

std::string canonical(int type, std::string_view text) {
  const auto value = canonical_data(type, text);
  return value ? value.value() : "error: " + value.error().message;
}

TEST(DnsMessage, UserValuesInCanonicalText) {
  EXPECT_EQ(canonical(ns_t_a, "10.0.0.1"), "10.0.0.1");
  EXPECT_EQ(canonical(ns_t_aaaa, "2001:DB8:0:0::1"), "2001:db8::1");
  EXPECT_EQ(canonical(ns_t_cname, "Edge.Example.Test."), "edge.example.test");
  EXPECT_EQ(canonical(ns_t_mx, "10   Mail.Example.Test."), "10 mail.example.test");
  EXPECT_EQ(canonical(ns_t_srv, "10 5 5060 sip.example.test."), "10 5 5060 sip.example.test");
  EXPECT_EQ(canonical(ns_t_soa,
                      "ns1.example.test. hostmaster.example.test. 2026112601 3600 600 "
                      "86400 300"),
            "ns1.example.test hostmaster.example.test 2026112601 3600 600 86400 300");
  EXPECT_EQ(canonical(ns_t_caa, "0 issue letsencrypt.org"), R"(0 issue "letsencrypt.org")");
  EXPECT_EQ(canonical(ns_t_caa, R"(0 ISSUE "letsencrypt.org")"), R"(0 issue "letsencrypt.org")");
  EXPECT_EQ(canonical(ns_t_caa, R"(0 iodef "mailto:a \"b\"")"), R"(0 iodef "mailto:a \"b\"")");
  EXPECT_EQ(canonical(ns_t_txt, "  v=spf1 -all "), "  v=spf1 -all ") << "text is kept as it is";
}

TEST(DnsMessage, UserValuesThatDoNotFitTheType) {
  EXPECT_EQ(canonical(ns_t_a, "abc"), R"(error: "abc" is not an IPv4 address)");
  EXPECT_EQ(canonical(ns_t_a, "::1"), R"(error: "::1" is not an IPv4 address)");
  EXPECT_EQ(canonical(ns_t_aaaa, "10.0.0.1"), R"(error: "10.0.0.1" is not an IPv6 address)");
  EXPECT_EQ(canonical(ns_t_aaaa, "fe80::1%lo"), R"(error: "fe80::1%lo" is not an IPv6 address)");
  EXPECT_EQ(canonical(ns_t_ptr, "a..b"), R"(error: "a..b" is not a domain name: empty label)");
  EXPECT_EQ(
      canonical(ns_t_mx, "mail.example.test"),
      R"(error: "mail.example.test" is not an MX value: expected PREFERENCE NAME, like "10 mail.example.test")");
  EXPECT_EQ(
      canonical(ns_t_mx, "70000 mail.example.test"),
      R"(error: "70000 mail.example.test" is not an MX value: expected PREFERENCE NAME, like "10 mail.example.test")");
  EXPECT_EQ(
      canonical(ns_t_srv, "10 5 sip.example.test"),
      R"(error: "10 5 sip.example.test" is not an SRV value: expected PRIORITY WEIGHT PORT TARGET, like "10 5 5060 sip.example.test")");
  EXPECT_EQ(
      canonical(ns_t_soa, "ns1.example.test 1 2 3"),
      R"(error: "ns1.example.test 1 2 3" is not an SOA value: expected MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM, like "ns1.example.test hostmaster.example.test 2026112601 3600 600 86400 300")");
  EXPECT_EQ(
      canonical(ns_t_caa, "issue letsencrypt.org"),
      R"(error: "issue letsencrypt.org" is not a CAA value: expected FLAGS TAG VALUE, like "0 issue letsencrypt.org")");
}

TEST(DnsMessage, ReverseNames) {
  EXPECT_EQ(reverse_name("127.0.0.1"), "1.0.0.127.in-addr.arpa");
  EXPECT_EQ(reverse_name("2001:db8::1"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  EXPECT_EQ(reverse_name("app.example.test"), std::nullopt);
  EXPECT_EQ(reverse_name("1.0.0.127.in-addr.arpa"), std::nullopt);
}

}  // namespace
}  // namespace cutover::dns
