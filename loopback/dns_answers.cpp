#include "loopback/dns_answers.hpp"

#include <algorithm>
#include <optional>

namespace cutover::loopback::dns {
namespace {

constexpr int kMaxChain = 16;  // CNAMEs followed before answering SERVFAIL

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

}  // namespace

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

}  // namespace cutover::loopback::dns
