#include "loopback/dns_servers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

// The DNS wire code here is written by hand on purpose: the servers must send exactly the
// answers, faults and truncations a test asks for, and must share no code with the client
// under test (a bug common to both would pass unnoticed).

namespace cutover::loopback {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeNs = 2;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypeSoa = 6;
constexpr std::uint16_t kTypePtr = 12;
constexpr std::uint16_t kTypeMx = 15;
constexpr std::uint16_t kTypeTxt = 16;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint16_t kTypeSrv = 33;
constexpr std::uint16_t kTypeOpt = 41;
constexpr std::uint16_t kTypeAny = 255;
constexpr std::uint16_t kTypeCaa = 257;
constexpr std::uint16_t kClassIn = 1;

constexpr std::uint16_t kRcodeNoError = 0;
constexpr std::uint16_t kRcodeFormErr = 1;
constexpr std::uint16_t kRcodeServFail = 2;
constexpr std::uint16_t kRcodeNxDomain = 3;
constexpr std::uint16_t kRcodeNotImp = 4;
constexpr std::uint16_t kRcodeRefused = 5;

constexpr std::uint16_t kFlagQr = 0x8000;
constexpr std::uint16_t kFlagAa = 0x0400;
constexpr std::uint16_t kFlagTc = 0x0200;
constexpr std::uint16_t kFlagRd = 0x0100;
constexpr std::uint16_t kFlagRa = 0x0080;

// RFC 1035 4.2.1: without EDNS a UDP answer holds at most 512 bytes.
constexpr std::size_t kPlainUdpLimit = 512;
// The largest EDNS payload this server accepts and advertises, like common servers' default.
constexpr std::uint16_t kEdnsLimit = 4096;
constexpr std::size_t kTcpLimit = 65535;
constexpr int kMaxChain = 16;
constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxStringLength = 255;
constexpr int kMaxPointerJumps = 64;
constexpr int kPortAttempts = 100;

using Name = std::vector<std::string>;  // labels, in the case they were given

std::string lower(std::string_view text) {
  std::string result(text);
  for (char& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

// Lower case presentation with '.' and '\' inside labels escaped: a map key per name.
std::string name_key(const Name& name) {
  std::string key;
  for (const std::string& label : name) {
    for (char c : lower(label)) {
      if (c == '.' || c == '\\') key += '\\';
      key += c;
    }
    key += '.';
  }
  return key.empty() ? "." : key;
}

bool same_name(const Name& a, const Name& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(),
      [](const std::string& x, const std::string& y) { return lower(x) == lower(y); });
}

// Zone file presentation: labels split on dots, "\." and "\DDD" escapes; every name is taken
// as absolute, with or without its trailing dot.
Name parse_name(std::string_view text) {
  Name name;
  if (text == ".") return name;
  std::string label;
  std::size_t length = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      if (i + 3 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
          std::isdigit(static_cast<unsigned char>(text[i + 2])) &&
          std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
        int value = 0;
        const auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 4, value);
        if (error != std::errc() || end != text.data() + i + 4 || value > 255) {
          throw std::invalid_argument("bad escape in DNS name \"" + std::string(text) + "\"");
        }
        c = static_cast<char>(value);
        i += 3;
      } else {
        c = text[++i];
      }
    } else if (c == '.') {
      if (label.empty())
        throw std::invalid_argument("empty label in \"" + std::string(text) + "\"");
      length += label.size() + 1;
      name.push_back(std::move(label));
      label.clear();
      continue;
    }
    label += c;
    if (label.size() > kMaxLabelLength) {
      throw std::invalid_argument("label longer than 63 bytes in \"" + std::string(text) + "\"");
    }
  }
  if (!label.empty()) {
    length += label.size() + 1;
    name.push_back(std::move(label));
  }
  if (name.empty()) throw std::invalid_argument("empty DNS name");
  if (length > kMaxNameLength) {
    throw std::invalid_argument("DNS name longer than 255 bytes: \"" + std::string(text) + "\"");
  }
  return name;
}

class Writer {
 public:
  void u8(unsigned value) { bytes_ += static_cast<char>(value & 0xFF); }
  void u16(unsigned value) {
    u8(value >> 8);
    u8(value);
  }
  void u32(std::uint32_t value) {
    u16(value >> 16);
    u16(value & 0xFFFF);
  }
  void raw(std::string_view data) { bytes_ += data; }
  // Uncompressed: simpler, and every answer stays well-formed whatever its order.
  void name(const Name& name) {
    for (const std::string& label : name) {
      u8(static_cast<unsigned>(label.size()));
      raw(label);
    }
    u8(0);
  }

  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

// Reads a message; any read past the end clears ok() and returns zeros.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }

  unsigned u8() {
    if (position_ >= data_.size()) {
      ok_ = false;
      return 0;
    }
    return static_cast<unsigned char>(data_[position_++]);
  }
  unsigned u16() {
    const unsigned high = u8();
    return (high << 8) | u8();
  }
  std::uint32_t u32() {
    const std::uint32_t high = u16();
    return (high << 16) | u16();
  }
  void skip(std::size_t count) {
    if (count > data_.size() - std::min(position_, data_.size())) ok_ = false;
    position_ = std::min(position_ + count, data_.size());
  }

  // Follows compression pointers (RFC 1035 4.1.4), with a bound on jumps against loops.
  Name name() {
    Name result;
    std::size_t position = position_;
    std::optional<std::size_t> resume;
    std::size_t length = 1;
    for (int jumps = 0; ok_;) {
      if (position >= data_.size()) break;
      const unsigned length_byte = static_cast<unsigned char>(data_[position]);
      if (length_byte == 0) {
        position_ = resume.value_or(position + 1);
        return result;
      }
      if ((length_byte & 0xC0) == 0xC0) {
        if (position + 1 >= data_.size() || ++jumps > kMaxPointerJumps) break;
        if (!resume) resume = position + 2;
        position = ((length_byte & 0x3F) << 8) | static_cast<unsigned char>(data_[position + 1]);
        continue;
      }
      if ((length_byte & 0xC0) != 0 || position + 1 + length_byte > data_.size()) break;
      result.emplace_back(data_.substr(position + 1, length_byte));
      length += length_byte + 1;
      if (length > kMaxNameLength) break;
      position += 1 + length_byte;
    }
    ok_ = false;
    return {};
  }

 private:
  std::string_view data_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

struct Record {
  Name name;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string rdata;  // wire format, names uncompressed
  Name target;        // CNAME only
};

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

Record parse_record_data(const DnsRecord& given) {
  Record record;
  record.name = parse_name(given.name);
  record.type = type_code(given.type);
  record.ttl = given.ttl;
  const std::vector<Token> tokens = tokenize(given.data);
  const auto expect_tokens = [&](std::size_t count, const char* shape) {
    if (tokens.size() != count) {
      throw std::invalid_argument(given.type + " data must be \"" + shape + "\"");
    }
  };
  Writer rdata;
  switch (record.type) {
    case kTypeA:
    case kTypeAaaa: {
      expect_tokens(1, "address");
      boost::system::error_code error;
      const asio::ip::address address = asio::ip::make_address(tokens[0].text, error);
      if (error || address.is_v4() != (record.type == kTypeA)) {
        throw std::invalid_argument("bad " + given.type + " address");
      }
      if (address.is_v4()) {
        const auto bytes = address.to_v4().to_bytes();
        rdata.raw({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
      } else {
        const auto bytes = address.to_v6().to_bytes();
        rdata.raw({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
      }
      break;
    }
    case kTypeCname:
    case kTypeNs:
    case kTypePtr:
      expect_tokens(1, "name");
      record.target = parse_name(tokens[0].text);
      rdata.name(record.target);
      break;
    case kTypeMx:
      expect_tokens(2, "preference name");
      rdata.u16(parse_number<std::uint16_t>(tokens[0].text, "MX preference"));
      rdata.name(parse_name(tokens[1].text));
      break;
    case kTypeTxt:
      if (tokens.empty()) throw std::invalid_argument("TXT data is empty");
      for (const Token& token : tokens) {
        if (token.text.size() > kMaxStringLength) {
          throw std::invalid_argument(
              "a TXT string is longer than 255 bytes: split it into several quoted strings");
        }
        rdata.u8(static_cast<unsigned>(token.text.size()));
        rdata.raw(token.text);
      }
      break;
    case kTypeSrv:
      expect_tokens(4, "priority weight port target");
      rdata.u16(parse_number<std::uint16_t>(tokens[0].text, "SRV priority"));
      rdata.u16(parse_number<std::uint16_t>(tokens[1].text, "SRV weight"));
      rdata.u16(parse_number<std::uint16_t>(tokens[2].text, "SRV port"));
      rdata.name(parse_name(tokens[3].text));
      break;
    case kTypeSoa:
      expect_tokens(7, "mname rname serial refresh retry expire minimum");
      rdata.name(parse_name(tokens[0].text));
      rdata.name(parse_name(tokens[1].text));
      for (std::size_t i = 2; i < 7; ++i)
        rdata.u32(parse_number<std::uint32_t>(tokens[i].text, "SOA number"));
      break;
    case kTypeCaa:
      expect_tokens(3, "flags tag value");
      rdata.u8(parse_number<std::uint8_t>(tokens[0].text, "CAA flags"));
      if (tokens[1].text.empty() || tokens[1].text.size() > kMaxStringLength) {
        throw std::invalid_argument("bad CAA tag \"" + tokens[1].text + "\"");
      }
      rdata.u8(static_cast<unsigned>(tokens[1].text.size()));
      rdata.raw(tokens[1].text);
      rdata.raw(tokens[2].text);
      break;
  }
  record.rdata = std::move(rdata.bytes());
  return record;
}

// A record a test gives, checked at once so a typo fails in the test's own thread.
Record parse_record(const DnsRecord& given) {
  try {
    return parse_record_data(given);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument("DnsTestServer: bad record {\"" + given.name + "\", \"" +
                                given.type + "\", " + std::to_string(given.ttl) + ", \"" +
                                given.data + "\"}: " + error.what());
  }
}

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

ParsedQuery parse_query(std::string_view message) {
  ParsedQuery parsed;
  Reader reader(message);
  Query& query = parsed.query;
  query.id = static_cast<std::uint16_t>(reader.u16());
  query.flags = static_cast<std::uint16_t>(reader.u16());
  const unsigned questions = reader.u16();
  const unsigned answers = reader.u16();
  const unsigned authorities = reader.u16();
  const unsigned additionals = reader.u16();
  if (!reader.ok() || (query.flags & kFlagQr) != 0) {
    parsed.drop = true;
    return parsed;
  }
  if (questions != 1) {
    parsed.rcode = kRcodeFormErr;
    return parsed;
  }
  query.name = reader.name();
  query.type = static_cast<std::uint16_t>(reader.u16());
  query.klass = static_cast<std::uint16_t>(reader.u16());
  if (!reader.ok()) {
    parsed.rcode = kRcodeFormErr;
    return parsed;
  }
  parsed.has_question = true;
  for (unsigned i = 0; i < answers + authorities + additionals && reader.ok(); ++i) {
    reader.name();
    const unsigned type = reader.u16();
    const unsigned klass = reader.u16();
    reader.u32();
    reader.skip(reader.u16());
    if (type == kTypeOpt && i >= answers + authorities) {
      query.edns = true;
      query.edns_size = static_cast<std::uint16_t>(klass);
    }
  }
  const unsigned opcode = (query.flags >> 11) & 0xF;
  if (!reader.ok()) {
    parsed.rcode = kRcodeFormErr;
  } else if (opcode != 0) {
    parsed.rcode = kRcodeNotImp;
  }
  return parsed;
}

struct Answer {
  std::uint16_t rcode = kRcodeNoError;
  std::vector<Record> answers;
  std::vector<Record> authorities;
};

std::string build_message(const ParsedQuery& parsed, const Answer& answer, bool truncated) {
  const Query& query = parsed.query;
  Writer writer;
  writer.u16(query.id);
  std::uint16_t flags = kFlagQr | kFlagAa | kFlagRa | (query.flags & (kFlagRd | 0x7800));
  if (truncated) flags |= kFlagTc;
  writer.u16(flags | answer.rcode);
  writer.u16(parsed.has_question ? 1 : 0);
  writer.u16(truncated ? 0 : static_cast<unsigned>(answer.answers.size()));
  writer.u16(truncated ? 0 : static_cast<unsigned>(answer.authorities.size()));
  writer.u16(query.edns ? 1 : 0);
  if (parsed.has_question) {
    writer.name(query.name);
    writer.u16(query.type);
    writer.u16(query.klass);
  }
  if (!truncated) {
    for (const std::vector<Record>* section : {&answer.answers, &answer.authorities}) {
      for (const Record& record : *section) {
        writer.name(record.name);
        writer.u16(record.type);
        writer.u16(kClassIn);
        writer.u32(record.ttl);
        writer.u16(static_cast<unsigned>(record.rdata.size()));
        writer.raw(record.rdata);
      }
    }
  }
  if (query.edns) {  // RFC 6891: an OPT record answers one; no options, version 0
    writer.u8(0);
    writer.u16(kTypeOpt);
    writer.u16(kEdnsLimit);
    writer.u32(0);
    writer.u16(0);
  }
  return std::move(writer.bytes());
}

// The SOA of the closest enclosing name that has one, as RFC 2308 puts in negative answers,
// with the TTL lowered to the SOA minimum.
std::optional<Record> enclosing_soa(const std::vector<Record>& records, Name name) {
  while (true) {
    for (const Record& record : records) {
      if (record.type != kTypeSoa || !same_name(record.name, name)) continue;
      Record soa = record;
      Reader minimum(std::string_view(soa.rdata).substr(soa.rdata.size() - 4));
      soa.ttl = std::min(soa.ttl, minimum.u32());
      return soa;
    }
    if (name.empty()) return std::nullopt;
    name.erase(name.begin());
  }
}

Answer resolve(const std::vector<Record>& records, const Query& query) {
  Answer answer;
  if (query.klass != kClassIn) {
    answer.rcode = kRcodeRefused;
    return answer;
  }
  Name current = query.name;
  for (int step = 0;; ++step) {
    std::vector<const Record*> here;
    for (const Record& record : records) {
      if (same_name(record.name, current)) here.push_back(&record);
    }
    if (here.empty()) {
      answer.rcode = kRcodeNxDomain;
      break;
    }
    const auto cname = std::find_if(
        here.begin(), here.end(), [](const Record* record) { return record->type == kTypeCname; });
    if (cname != here.end() && query.type != kTypeCname && query.type != kTypeAny) {
      if (step == kMaxChain) {  // a loop, or a chain no resolver would follow
        answer = Answer{.rcode = kRcodeServFail, .answers = {}, .authorities = {}};
        return answer;
      }
      answer.answers.push_back(**cname);
      current = (*cname)->target;
      continue;
    }
    for (const Record* record : here) {
      if (record->type == query.type || query.type == kTypeAny) answer.answers.push_back(*record);
    }
    break;
  }
  const bool negative =
      answer.rcode == kRcodeNxDomain ||
      std::none_of(answer.answers.begin(), answer.answers.end(),
                   [&](const Record& record) { return same_name(record.name, current); });
  if (negative) {
    if (auto soa = enclosing_soa(records, current)) answer.authorities.push_back(std::move(*soa));
  }
  return answer;
}

// The records and faults a test sets, read by the server thread for every query.
class Responder {
 public:
  struct Reply {
    std::optional<std::string> message;  // nothing: stay silent
    std::chrono::milliseconds delay{};
  };

  void set_records(std::vector<Record> records) {
    const std::lock_guard lock(mutex_);
    records_ = std::move(records);
  }
  void add_record(Record record) {
    const std::lock_guard lock(mutex_);
    records_.push_back(std::move(record));
  }
  void set_fault(const std::string& name, DnsFault fault) {
    const std::string key = name.empty() ? std::string() : name_key(parse_name(name));
    const std::lock_guard lock(mutex_);
    faults_[key] = fault;
  }
  void set_delay(std::chrono::milliseconds delay) {
    const std::lock_guard lock(mutex_);
    delay_ = delay;
  }

  Reply reply(std::string_view message, bool over_udp) const {
    const ParsedQuery parsed = parse_query(message);
    const std::lock_guard lock(mutex_);
    Reply reply;
    reply.delay = delay_;
    if (parsed.drop) return reply;
    Answer answer;
    answer.rcode = parsed.rcode;
    if (parsed.rcode == kRcodeNoError) {
      switch (fault_for(parsed.query.name)) {
        case DnsFault::none:
          answer = resolve(records_, parsed.query);
          break;
        case DnsFault::servfail:
          answer.rcode = kRcodeServFail;
          break;
        case DnsFault::refused:
          answer.rcode = kRcodeRefused;
          break;
        case DnsFault::silent:
          return reply;
        case DnsFault::truncate_udp:
          if (over_udp) {
            reply.message = build_message(parsed, answer, true);
            return reply;
          }
          answer = resolve(records_, parsed.query);
          break;
      }
    }
    std::size_t limit = kTcpLimit;
    if (over_udp) {
      limit = parsed.query.edns
                  ? std::clamp<std::size_t>(parsed.query.edns_size, kPlainUdpLimit, kEdnsLimit)
                  : kPlainUdpLimit;
    }
    reply.message = build_message(parsed, answer, false);
    if (reply.message->size() > limit) {
      if (over_udp) {
        reply.message = build_message(parsed, answer, true);
      } else {
        reply.message = build_message(
            parsed, Answer{.rcode = kRcodeServFail, .answers = {}, .authorities = {}}, false);
      }
    }
    return reply;
  }

 private:
  DnsFault fault_for(const Name& name) const {
    auto found = faults_.find(name_key(name));
    if (found == faults_.end()) found = faults_.find(std::string());
    return found == faults_.end() ? DnsFault::none : found->second;
  }

  mutable std::mutex mutex_;  // guards everything below
  std::vector<Record> records_;
  std::map<std::string, DnsFault> faults_;  // by name_key; "" for every name
  std::chrono::milliseconds delay_{};
};

// Runs `send` after `delay` on a timer, so other queries are served meanwhile.
template <typename Executor, typename Send>
void after(const Executor& executor, std::chrono::milliseconds delay, Send send) {
  if (delay.count() <= 0) {
    send();
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(executor, delay);
  timer->async_wait([timer, send = std::move(send)](boost::system::error_code error) {
    if (!error) send();
  });
}

// One TCP client: length-prefixed queries (RFC 1035 4.2.2), several per connection, answered
// in the order their delays end.
class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(tcp::socket socket, const Responder& responder, std::atomic<int>& queries)
      : socket_(std::move(socket)), responder_(responder), queries_(queries) {}

  void read_length() {
    asio::async_read(socket_, asio::buffer(length_),
                     [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                       if (error) return;
                       self->read_message();
                     });
  }

 private:
  void read_message() {
    const std::size_t length = (static_cast<std::size_t>(length_[0]) << 8) | length_[1];
    message_.resize(length);
    asio::async_read(socket_, asio::buffer(message_),
                     [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                       if (error) return;
                       ++self->queries_;
                       Responder::Reply reply = self->responder_.reply(self->message_, false);
                       if (reply.message) {
                         after(
                             self->socket_.get_executor(), reply.delay,
                             [self, message = std::move(*reply.message)] { self->send(message); });
                       }
                       self->read_length();
                     });
  }

  void send(const std::string& message) {
    std::string framed;
    framed += static_cast<char>((message.size() >> 8) & 0xFF);
    framed += static_cast<char>(message.size() & 0xFF);
    framed += message;
    outgoing_.push_back(std::move(framed));
    if (outgoing_.size() == 1) write_next();
  }

  void write_next() {
    asio::async_write(socket_, asio::buffer(outgoing_.front()),
                      [self = shared_from_this()](boost::system::error_code error, std::size_t) {
                        if (error) return;
                        self->outgoing_.pop_front();
                        if (!self->outgoing_.empty()) self->write_next();
                      });
  }

  tcp::socket socket_;
  const Responder& responder_;
  std::atomic<int>& queries_;
  std::array<unsigned char, 2> length_{};
  std::string message_;
  std::deque<std::string> outgoing_;  // the front one is being written
};

std::string loopback_address(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

}  // namespace

std::uint16_t bind_udp_and_tcp(udp::socket& udp_socket, tcp::acceptor& acceptor) {
  const auto loopback = asio::ip::address_v4::loopback();
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    udp_socket.open(udp::v4());
    udp_socket.bind(udp::endpoint(loopback, 0));
    const std::uint16_t port = udp_socket.local_endpoint().port();
    boost::system::error_code error;
    acceptor.open(tcp::v4());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(tcp::endpoint(loopback, port), error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (!error) return port;
    acceptor.close();
    udp_socket.close();
  }
  throw std::runtime_error("no free port of 127.0.0.1 for both UDP and TCP");
}

struct DnsTestServer::State {
  State();
  ~State();

  void receive_udp();
  void accept_tcp();

  Responder responder;
  std::atomic<int> udp_queries{0};
  std::atomic<int> tcp_queries{0};

  asio::io_context io;
  udp::socket udp_socket{io};
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::array<char, 65536> datagram{};
  udp::endpoint peer;
  std::thread thread;
};

DnsTestServer::State::State() {
  port = bind_udp_and_tcp(udp_socket, acceptor);
  receive_udp();
  accept_tcp();
  thread = std::thread([this] { io.run(); });
}

DnsTestServer::State::~State() {
  // Silent queries and open TCP connections never end by themselves: stop the loop; destroying
  // the io_context then frees every session.
  io.stop();
  thread.join();
}

void DnsTestServer::State::receive_udp() {
  udp_socket.async_receive_from(
      asio::buffer(datagram), peer, [this](boost::system::error_code error, std::size_t size) {
        if (error == asio::error::operation_aborted) return;
        if (!error) {
          ++udp_queries;
          Responder::Reply reply = responder.reply({datagram.data(), size}, true);
          if (reply.message) {
            after(io.get_executor(), reply.delay,
                  [this, to = peer, message = std::make_shared<std::string>(*reply.message)] {
                    udp_socket.async_send_to(asio::buffer(*message), to,
                                             [message](boost::system::error_code, std::size_t) {});
                  });
          }
        }
        receive_udp();
      });
}

void DnsTestServer::State::accept_tcp() {
  acceptor.async_accept([this](boost::system::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      std::make_shared<TcpSession>(std::move(socket), responder, tcp_queries)->read_length();
    }
    accept_tcp();
  });
}

DnsTestServer::DnsTestServer(std::vector<DnsRecord> records) : state_(std::make_shared<State>()) {
  set_records(std::move(records));
}

DnsTestServer::~DnsTestServer() = default;

void DnsTestServer::set_records(std::vector<DnsRecord> records) {
  std::vector<Record> parsed;
  parsed.reserve(records.size());
  for (const DnsRecord& record : records)
    parsed.push_back(parse_record(record));
  state_->responder.set_records(std::move(parsed));
}

void DnsTestServer::add_record(DnsRecord record) {
  state_->responder.add_record(parse_record(record));
}

void DnsTestServer::set_fault(const std::string& name, DnsFault fault) {
  state_->responder.set_fault(name, fault);
}

void DnsTestServer::set_delay(std::chrono::milliseconds delay) {
  state_->responder.set_delay(delay);
}

std::uint16_t DnsTestServer::port() const {
  return state_->port;
}

std::string DnsTestServer::address() const {
  return loopback_address(state_->port);
}

int DnsTestServer::udp_queries() const {
  return state_->udp_queries;
}

int DnsTestServer::tcp_queries() const {
  return state_->tcp_queries;
}

namespace {

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
