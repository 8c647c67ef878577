// Messages are parsed here by hand rather than with c-ares's ares_parse_*_reply functions, which
// drop what the `dns` kind checks: they give no TTL for the CNAMEs of a chain and parse only some
// types, each into its own struct, where the kind wants every type in one canonical text form;
// and they skip the question and authority sections, which tell an answer to another question
// and a referral from a real answer. Names are still expanded by c-ares (ares_expand_name).

#include "checks/net/dns_message.hpp"

#include <ares.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>

namespace cutover::dns {
namespace {

namespace ip = boost::asio::ip;

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxMessageSize = 65535;  // a TCP message's two-byte length
constexpr std::size_t kFixedRecordSize = 10;    // type, class, TTL, data length
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxName = 253;  // 255 octets on the wire, as text without the dot

constexpr std::array<std::pair<int, std::string_view>, 10> kTypes{{
    {ns_t_a, "A"},
    {ns_t_aaaa, "AAAA"},
    {ns_t_cname, "CNAME"},
    {ns_t_mx, "MX"},
    {ns_t_txt, "TXT"},
    {ns_t_srv, "SRV"},
    {ns_t_ns, "NS"},
    {ns_t_soa, "SOA"},
    {ns_t_caa, "CAA"},
    {ns_t_ptr, "PTR"},
}};

constexpr std::array<std::string_view, 11> kRcodes{
    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
};

Error error(std::string message) {
  return Error{std::move(message)};
}

// Reads a message front to back; every read is checked against `end`, which is the message's
// end or, inside a record's data, the end of that data.
class Reader {
 public:
  explicit Reader(std::span<const unsigned char> message) : message_(message) {}

  std::size_t offset() const { return offset_; }
  std::size_t left(std::size_t end) const { return offset_ < end ? end - offset_ : 0; }

  bool has(std::size_t count, std::size_t end) const { return left(end) >= count; }

  std::uint8_t u8() { return message_[offset_++]; }
  std::uint16_t u16() {
    const auto value = static_cast<std::uint16_t>(message_[offset_] << 8 | message_[offset_ + 1]);
    offset_ += 2;
    return value;
  }
  std::uint32_t u32() {
    const std::uint32_t high = u16();
    return high << 16 | u16();
  }
  std::span<const unsigned char> bytes(std::size_t count) {
    auto out = message_.subspan(offset_, count);
    offset_ += count;
    return out;
  }

  // A possibly compressed name, expanded by c-ares, which follows pointers anywhere in the
  // message and detects loops; the encoded part must also end before `end`.
  Expected<std::string> name(std::size_t end) {
    const std::size_t start = offset_;
    if (start >= end) return error(fmt::format("name at offset {} is cut off", start));
    char* expanded = nullptr;
    long encoded_length = 0;
    const int status =
        ares_expand_name(message_.data() + start, message_.data(),
                         static_cast<int>(message_.size()), &expanded, &encoded_length);
    const std::unique_ptr<char, decltype(&ares_free_string)> owner(expanded, &ares_free_string);
    if (status != ARES_SUCCESS) {
      return error(fmt::format(
          "malformed name at offset {} (a label or compression pointer past the end, or a "
          "pointer loop)",
          start));
    }
    if (encoded_length <= 0 || static_cast<std::size_t>(encoded_length) > end - start) {
      return error(fmt::format("name at offset {} runs past its record", start));
    }
    offset_ += static_cast<std::size_t>(encoded_length);
    return canonical_name(expanded);
  }

 private:
  std::span<const unsigned char> message_;
  std::size_t offset_ = 0;
};

std::string to_hex(std::span<const unsigned char> bytes) {
  std::string out;
  for (unsigned char byte : bytes)
    out += fmt::format("{:02x}", byte);
  return out;
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// SOA data: "primary mailbox serial refresh retry expire minimum".
Expected<std::string> read_soa(Reader& reader, std::size_t end) {
  auto primary = reader.name(end);
  if (!primary) return primary.error();
  auto mailbox = reader.name(end);
  if (!mailbox) return mailbox.error();
  if (reader.left(end) != 20) {
    return error(fmt::format("expected 20 bytes of serial and timers after the names, got {}",
                             reader.left(end)));
  }
  std::string text = primary.value() + " " + mailbox.value();
  for (int i = 0; i < 5; ++i)
    text += fmt::format(" {}", reader.u32());
  return text;
}

// TXT data: the strings concatenated, bytes as sent.
Expected<std::string> read_txt(Reader& reader, std::size_t end) {
  if (reader.left(end) == 0) return error("expected at least one string, got no data");
  std::string text;
  while (reader.left(end) > 0) {
    const std::size_t size = reader.u8();
    if (!reader.has(size, end)) {
      return error(
          fmt::format("string of {} bytes runs past the data ({} left)", size, reader.left(end)));
    }
    const auto bytes = reader.bytes(size);
    text.append(bytes.begin(), bytes.end());
  }
  return text;
}

// CAA data: "flags tag \"value\"".
Expected<std::string> read_caa(Reader& reader, std::size_t end) {
  const std::size_t length = reader.left(end);
  if (length < 2) return error(fmt::format("expected flags and a tag, got {} bytes", length));
  const std::uint8_t flags = reader.u8();
  const std::size_t tag_length = reader.u8();
  if (tag_length == 0 || !reader.has(tag_length, end)) {
    return error(fmt::format("tag of {} bytes does not fit the data ({} left)", tag_length,
                             reader.left(end)));
  }
  const auto tag = reader.bytes(tag_length);
  const auto value = reader.bytes(reader.left(end));
  return fmt::format("{} {} {}", flags, canonical_name(std::string(tag.begin(), tag.end())),
                     quote(std::string(value.begin(), value.end())));
}

// The record data between the reader's offset and `end`, as canonical text.
Expected<std::string> read_data(Reader& reader, int type, std::size_t end) {
  const std::size_t length = reader.left(end);
  // A name that ends the data, after `prefix`; nothing may follow it.
  const auto last_name = [&](std::string prefix) -> Expected<std::string> {
    auto target = reader.name(end);
    if (!target) return target.error();
    if (reader.left(end) > 0) {
      return error(fmt::format("{} bytes left over after the name", reader.left(end)));
    }
    return prefix + target.value();
  };
  switch (type) {
    case ns_t_a: {
      if (length != 4) return error(fmt::format("expected 4 bytes of address, got {}", length));
      ip::address_v4::bytes_type address;
      std::copy_n(reader.bytes(4).begin(), 4, address.begin());
      return ip::address_v4(address).to_string();
    }
    case ns_t_aaaa: {
      if (length != 16) return error(fmt::format("expected 16 bytes of address, got {}", length));
      ip::address_v6::bytes_type address;
      std::copy_n(reader.bytes(16).begin(), 16, address.begin());
      return ip::address_v6(address).to_string();
    }
    case ns_t_cname:
    case ns_t_ns:
    case ns_t_ptr:
      return last_name("");
    case ns_t_mx: {
      if (length < 2)
        return error(fmt::format("expected a preference and a name, got {} bytes", length));
      const std::uint16_t preference = reader.u16();
      return last_name(fmt::format("{} ", preference));
    }
    case ns_t_srv: {
      if (length < 6) {
        return error(
            fmt::format("expected priority, weight, port and a target, got {} bytes", length));
      }
      const std::uint16_t priority = reader.u16();
      const std::uint16_t weight = reader.u16();
      const std::uint16_t port = reader.u16();
      return last_name(fmt::format("{} {} {} ", priority, weight, port));
    }
    case ns_t_soa:
      return read_soa(reader, end);
    case ns_t_txt:
      return read_txt(reader, end);
    case ns_t_caa:
      return read_caa(reader, end);
    default:
      return fmt::format("\\# {} {}", length, to_hex(reader.bytes(length)));
  }
}

// Record `index` of `section` ("answer", "authority"), as errors name it.
Expected<ResourceRecord> read_record(Reader& reader, std::size_t message_end,
                                     std::string_view section, std::size_t index) {
  const auto where = [&](std::string what) {
    return fmt::format("{} {}: {}", section, index, what);
  };
  auto owner = reader.name(message_end);
  if (!owner) return error(where(owner.error().message));
  if (!reader.has(kFixedRecordSize, message_end)) {
    return error(
        where(fmt::format("cut off after the name ({} of {} bytes of type, class, TTL "
                          "and length)",
                          reader.left(message_end), kFixedRecordSize)));
  }
  ResourceRecord record;
  record.name = std::move(owner).value();
  record.type = reader.u16();
  record.record_class = reader.u16();
  record.ttl = reader.u32();
  const std::size_t length = reader.u16();
  const auto where_record = [&](std::string what) {
    return fmt::format("{} {} ({} {}): {}", section, index, record.name, type_name(record.type),
                       what);
  };
  if (!reader.has(length, message_end)) {
    return error(
        where_record(fmt::format("data of {} bytes runs past the end of the message ({} "
                                 "left)",
                                 length, reader.left(message_end))));
  }
  const std::size_t end = reader.offset() + length;
  auto data = read_data(reader, record.type, end);
  if (!data) return error(where_record(data.error().message));
  record.data = std::move(data).value();
  return record;
}

std::optional<std::uint32_t> parse_number(std::string_view text, std::uint32_t max) {
  std::uint32_t value = 0;
  const auto [end, problem] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (problem != std::errc() || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (start < text.size()) {
    if (text[start] == ' ' || text[start] == '\t') {
      ++start;
      continue;
    }
    std::size_t end = start;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t')
      ++end;
    words.push_back(text.substr(start, end - start));
    start = end;
  }
  return words;
}

// Numbers and names in the order `shape` gives them ('n' a 16-bit number, 'N' a 32-bit one, 'h'
// a name), joined canonically. `what` and `form` describe the value for the error.
Expected<std::string> structured(std::string_view text, std::string_view shape,
                                 std::string_view what, std::string_view form,
                                 std::string_view example) {
  const std::vector<std::string_view> words = split_words(text);
  const auto mistake = [&] {
    return error(
        fmt::format("\"{}\" is not {}: expected {}, like \"{}\"", text, what, form, example));
  };
  if (words.size() != shape.size()) return mistake();
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ' ';
    if (shape[i] == 'h') {
      if (name_problem(words[i])) return mistake();
      out += canonical_name(words[i]);
    } else {
      const auto value = parse_number(words[i], shape[i] == 'n' ? 0xFFFF : 0xFFFFFFFF);
      if (!value) return mistake();
      out += std::to_string(*value);
    }
  }
  return out;
}

Expected<std::string> canonical_caa(std::string_view text) {
  const auto mistake = [&] {
    return error(
        fmt::format("\"{}\" is not a CAA value: expected FLAGS TAG VALUE, like \"0 issue "
                    "letsencrypt.org\"",
                    text));
  };
  const std::vector<std::string_view> words = split_words(text);
  if (words.size() < 3) return mistake();
  const auto flags = parse_number(words[0], 255);
  const bool tag_ok = std::all_of(words[1].begin(), words[1].end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
  if (!flags || !tag_ok) return mistake();
  // The value is the rest of the text after the tag, as written, or inside quotes.
  std::string_view value = text.substr(static_cast<std::size_t>(words[2].data() - text.data()));
  std::string unquoted;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    for (std::size_t i = 1; i + 1 < value.size(); ++i) {
      if (value[i] == '\\' && i + 2 < value.size()) ++i;
      unquoted += value[i];
    }
  } else {
    unquoted = std::string(value);
  }
  return fmt::format("{} {} {}", *flags, canonical_name(words[1]), quote(unquoted));
}

}  // namespace

Expected<Message> parse_message(std::span<const unsigned char> bytes) {
  if (bytes.size() < kHeaderSize) {
    return error(fmt::format("{} bytes is shorter than a DNS header (12 bytes)", bytes.size()));
  }
  if (bytes.size() > kMaxMessageSize) {
    return error(
        fmt::format("{} bytes is longer than a DNS message can be (65535 bytes)", bytes.size()));
  }
  Reader reader(bytes);
  reader.u16();  // the ID, matched by c-ares
  const std::uint16_t flags = reader.u16();
  const std::uint16_t questions = reader.u16();
  const std::uint16_t answers = reader.u16();
  const std::uint16_t authorities = reader.u16();
  reader.u16();  // the additional count: that section is not read
  if ((flags & 0x8000) == 0) return error("not a response (QR bit clear)");
  Message message;
  message.rcode = flags & 0x000F;
  message.authoritative = (flags & 0x0400) != 0;
  message.truncated = (flags & 0x0200) != 0;

  const std::size_t end = bytes.size();
  for (std::size_t i = 1; i <= questions; ++i) {
    auto name = reader.name(end);
    if (!name) return error(fmt::format("question {}: {}", i, name.error().message));
    if (!reader.has(4, end)) return error(fmt::format("question {}: cut off after the name", i));
    Question question{.name = std::move(name).value()};
    question.type = reader.u16();
    question.question_class = reader.u16();
    message.questions.push_back(std::move(question));
  }
  // A truncated message may end inside a record; what came before is still complete.
  for (std::size_t i = 1; i <= answers; ++i) {
    auto record = read_record(reader, end, "answer", i);
    if (!record) {
      if (message.truncated) return message;
      return record.error();
    }
    message.answers.push_back(std::move(record).value());
  }
  for (std::size_t i = 1; i <= authorities; ++i) {
    auto record = read_record(reader, end, "authority", i);
    if (!record) {
      if (message.truncated) return message;
      return record.error();
    }
    message.authority.push_back(std::move(record).value());
  }
  return message;
}

std::string type_name(int type) {
  for (const auto& [number, name] : kTypes) {
    if (number == type) return std::string(name);
  }
  return fmt::format("TYPE{}", type);
}

std::optional<int> type_number(std::string_view name) {
  for (const auto& [number, candidate] : kTypes) {
    if (std::equal(name.begin(), name.end(), candidate.begin(), candidate.end(),
                   [](char a, char b) { return (a >= 'a' && a <= 'z' ? a - 32 : a) == b; })) {
      return number;
    }
  }
  return std::nullopt;
}

std::string rcode_name(int rcode) {
  if (rcode >= 0 && static_cast<std::size_t>(rcode) < kRcodes.size()) {
    return std::string(kRcodes[static_cast<std::size_t>(rcode)]);
  }
  return fmt::format("RCODE {}", rcode);
}

std::string canonical_name(std::string_view name) {
  if (name.ends_with('.') && !name.ends_with("\\.")) name.remove_suffix(1);
  if (name.empty()) return ".";
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> name_problem(std::string_view name) {
  if (name.empty()) return "empty name";
  if (name == ".") return std::nullopt;
  if (name.ends_with('.')) name.remove_suffix(1);
  for (char c : name) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7F) {
      return "contains a space or control character";
    }
  }
  if (name.size() > kMaxName) {
    return fmt::format("longer than {} characters", kMaxName);
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t dot = std::min(name.find('.', start), name.size());
    const std::size_t length = dot - start;
    if (length == 0) return "empty label";
    if (length > kMaxLabel) return fmt::format("label longer than {} characters", kMaxLabel);
    start = dot + 1;
  }
  return std::nullopt;
}

Expected<std::string> canonical_data(int type, std::string_view text) {
  boost::system::error_code problem;
  switch (type) {
    case ns_t_a: {
      const ip::address_v4 address = ip::make_address_v4(std::string(text), problem);
      if (problem) return error(fmt::format("\"{}\" is not an IPv4 address", text));
      return address.to_string();
    }
    case ns_t_aaaa: {
      const ip::address_v6 address = ip::make_address_v6(std::string(text), problem);
      if (problem || address.scope_id() != 0) {
        return error(fmt::format("\"{}\" is not an IPv6 address", text));
      }
      return address.to_string();
    }
    case ns_t_cname:
    case ns_t_ns:
    case ns_t_ptr:
      if (const auto why = name_problem(text)) {
        return error(fmt::format("\"{}\" is not a domain name: {}", text, *why));
      }
      return canonical_name(text);
    case ns_t_mx:
      return structured(text, "nh", "an MX value", "PREFERENCE NAME", "10 mail.example.test");
    case ns_t_srv:
      return structured(text, "nnnh", "an SRV value", "PRIORITY WEIGHT PORT TARGET",
                        "10 5 5060 sip.example.test");
    case ns_t_soa:
      return structured(text, "hhNNNNN", "an SOA value",
                        "MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM",
                        "ns1.example.test hostmaster.example.test 2026112601 3600 600 86400 300");
    case ns_t_caa:
      return canonical_caa(text);
    default:
      return std::string(text);
  }
}

std::optional<std::string> reverse_name(std::string_view text) {
  boost::system::error_code problem;
  const ip::address address = ip::make_address(std::string(text), problem);
  if (problem) return std::nullopt;
  std::string name;
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    for (auto it = bytes.rbegin(); it != bytes.rend(); ++it)
      name += fmt::format("{}.", *it);
    return name + "in-addr.arpa";
  }
  if (address.to_v6().scope_id() != 0) return std::nullopt;
  const auto bytes = address.to_v6().to_bytes();
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it)
    name += fmt::format("{:x}.{:x}.", *it & 0x0F, *it >> 4);
  return name + "ip6.arpa";
}

}  // namespace cutover::dns
