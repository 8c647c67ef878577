#include "loopback/dns_records.hpp"

#include <cctype>
#include <charconv>
#include <limits>
#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace cutover::loopback::dns {
namespace {

namespace asio = boost::asio;

struct Token {
  std::string text;
  bool quoted = false;
};

// Splits record data on blanks; "quoted strings" may hold blanks and the escapes \" \\ \DDD.
std::vector<Token> tokenize(std::string_view data) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < data.size()) {
    if (std::isspace(static_cast<unsigned char>(data[i]))) {
      ++i;
      continue;
    }
    Token token;
    if (data[i] != '"') {
      while (i < data.size() && !std::isspace(static_cast<unsigned char>(data[i])))
        token.text += data[i++];
      tokens.push_back(std::move(token));
      continue;
    }
    token.quoted = true;
    ++i;
    bool closed = false;
    while (i < data.size()) {
      const char c = data[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c != '\\' || i == data.size()) {
        token.text += c;
      } else if (i + 2 < data.size() && std::isdigit(static_cast<unsigned char>(data[i])) &&
                 std::isdigit(static_cast<unsigned char>(data[i + 1])) &&
                 std::isdigit(static_cast<unsigned char>(data[i + 2]))) {
        const int value = (data[i] - '0') * 100 + (data[i + 1] - '0') * 10 + (data[i + 2] - '0');
        if (value > 255) throw std::invalid_argument("bad escape in a quoted string");
        token.text += static_cast<char>(value);
        i += 3;
      } else {
        token.text += data[i++];
      }
    }
    if (!closed) throw std::invalid_argument("unclosed quote");
    tokens.push_back(std::move(token));
  }
  return tokens;
}

template <typename Integer>
Integer parse_number(const std::string& text, const std::string& what) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() ||
      value > std::numeric_limits<Integer>::max()) {
    throw std::invalid_argument("bad " + what + " \"" + text + "\"");
  }
  return static_cast<Integer>(value);
}

using Tokens = std::vector<Token>;

void expect_tokens(const Tokens& tokens, std::size_t count, const DnsRecord& given,
                   const char* shape) {
  if (tokens.size() != count) {
    throw std::invalid_argument(given.type + " data must be \"" + shape + "\"");
  }
}

void write_address(Writer& rdata, const Tokens& tokens, const DnsRecord& given, bool v4) {
  expect_tokens(tokens, 1, given, "address");
  boost::system::error_code error;
  const asio::ip::address address = asio::ip::make_address(tokens[0].text, error);
  if (error || address.is_v4() != v4) throw std::invalid_argument("bad " + given.type + " address");
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    rdata.raw({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  } else {
    const auto bytes = address.to_v6().to_bytes();
    rdata.raw({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  }
}

void write_txt(Writer& rdata, const Tokens& tokens) {
  if (tokens.empty()) throw std::invalid_argument("TXT data is empty");
  for (const Token& token : tokens) {
    if (token.text.size() > kMaxStringLength) {
      throw std::invalid_argument(
          "a TXT string is longer than 255 bytes: split it into several quoted strings");
    }
    rdata.u8(static_cast<unsigned>(token.text.size()));
    rdata.raw(token.text);
  }
}

void write_caa(Writer& rdata, const Tokens& tokens, const DnsRecord& given) {
  expect_tokens(tokens, 3, given, "flags tag value");
  rdata.u8(parse_number<std::uint8_t>(tokens[0].text, "CAA flags"));
  if (tokens[1].text.empty() || tokens[1].text.size() > kMaxStringLength) {
    throw std::invalid_argument("bad CAA tag \"" + tokens[1].text + "\"");
  }
  rdata.u8(static_cast<unsigned>(tokens[1].text.size()));
  rdata.raw(tokens[1].text);
  rdata.raw(tokens[2].text);
}

Record parse_record_data(const DnsRecord& given) {
  Record record;
  record.name = parse_name(given.name);
  record.type = type_code(given.type);
  record.ttl = given.ttl;
  const Tokens tokens = tokenize(given.data);
  Writer rdata;
  switch (record.type) {
    case kTypeA:
    case kTypeAaaa:
      write_address(rdata, tokens, given, record.type == kTypeA);
      break;
    case kTypeCname:
    case kTypeNs:
    case kTypePtr:
      expect_tokens(tokens, 1, given, "name");
      record.target = parse_name(tokens[0].text);
      rdata.name(record.target);
      break;
    case kTypeMx:
      expect_tokens(tokens, 2, given, "preference name");
      rdata.u16(parse_number<std::uint16_t>(tokens[0].text, "MX preference"));
      rdata.name(parse_name(tokens[1].text));
      break;
    case kTypeTxt:
      write_txt(rdata, tokens);
      break;
    case kTypeSrv:
      expect_tokens(tokens, 4, given, "priority weight port target");
      rdata.u16(parse_number<std::uint16_t>(tokens[0].text, "SRV priority"));
      rdata.u16(parse_number<std::uint16_t>(tokens[1].text, "SRV weight"));
      rdata.u16(parse_number<std::uint16_t>(tokens[2].text, "SRV port"));
      rdata.name(parse_name(tokens[3].text));
      break;
    case kTypeSoa:
      expect_tokens(tokens, 7, given, "mname rname serial refresh retry expire minimum");
      rdata.name(parse_name(tokens[0].text));
      rdata.name(parse_name(tokens[1].text));
      for (std::size_t i = 2; i < 7; ++i)
        rdata.u32(parse_number<std::uint32_t>(tokens[i].text, "SOA number"));
      break;
    case kTypeCaa:
      write_caa(rdata, tokens, given);
      break;
  }
  record.rdata = std::move(rdata.bytes());
  return record;
}

}  // namespace

std::uint16_t type_code(const std::string& type) {
  static const std::map<std::string, std::uint16_t, std::less<>> kTypes = {
      {"A", kTypeA},     {"AAAA", kTypeAaaa}, {"CNAME", kTypeCname}, {"MX", kTypeMx},
      {"TXT", kTypeTxt}, {"SRV", kTypeSrv},   {"NS", kTypeNs},       {"SOA", kTypeSoa},
      {"CAA", kTypeCaa}, {"PTR", kTypePtr}};
  std::string upper(type);
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto found = kTypes.find(upper);
  if (found == kTypes.end()) throw std::invalid_argument("unsupported record type " + type);
  return found->second;
}

Record parse_record(const DnsRecord& given) {
  try {
    return parse_record_data(given);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument("DnsTestServer: bad record {\"" + given.name + "\", \"" +
                                given.type + "\", " + std::to_string(given.ttl) + ", \"" +
                                given.data + "\"}: " + error.what());
  }
}

}  // namespace cutover::loopback::dns
