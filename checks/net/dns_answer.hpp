#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "checks/net/dns_message.hpp"

// What a parsed DNS response says about the question asked: whether it answers that question,
// the records that speak to it, and whether an empty answer proves there are none.
namespace cutover::dns {

// TXT values in messages are shortened to this many bytes.
inline constexpr std::size_t kMessageTextLimit = 120;

// A record's data as messages show it: TXT quoted and escaped on one line, shortened to `limit`
// bytes; other types as they are (their canonical text is already one short line).
std::string display(int type, const std::string& data, std::size_t limit = kMessageTextLimit);

// Appends display(type, data, limit) to `out`.
void append_display(std::string& out, int type, const std::string& data,
                    std::size_t limit = kMessageTextLimit);

// Appends each of `values` as display() shows it, `separator` between them.
template <typename Values>
void append_joined(std::string& out, int type, const Values& values, std::string_view separator) {
  bool first = true;
  for (const std::string& value : values) {
    if (!first) out += separator;
    first = false;
    append_display(out, type, value);
  }
}

// The values as append_joined() writes them.
template <typename Values>
std::string join_display(int type, const Values& values, std::string_view separator) {
  std::string out;
  append_joined(out, type, values, separator);
  return out;
}

// The records of an answer section that speak to a query.
struct AnswerReading {
  std::vector<std::string> chain{};  // CNAME targets from the query on
  std::vector<std::size_t> used{};   // the chain's CNAMEs and the answers, for TTLs (positions)
  std::set<std::string> answers{};   // data of the queried type's records, canonical
};

// Follows the CNAME chain from `query` through the answer section and picks the records of
// `type` owned by a name on it into `reading`: records for other names prove nothing about the
// query. A chain that comes back to a name on it is an error: "CNAME loop: a -> b -> a".
std::optional<std::string> read_answers(const Message& message, const std::string& query, int type,
                                        AnswerReading& reading);

// Why the answer is not one to the question asked (`query`, `type`, class IN). c-ares 1.18
// already matches an answer to its query by ID and question (same_questions() in ares_process.c,
// even with ARES_FLAG_NOCHECKRESP) and drops others, so none should reach here; this keeps callers
// from depending on that: an answer about another name must never pass.
std::optional<std::string> question_problem(const Message& message, const std::string& query,
                                            int type);

// Why a NOERROR answer without records of the type does not show that there are none: only an
// SOA in the authority section (RFC 2308), or AA for the queried name itself, does. NS records
// there instead are a referral (a server that does not recurse, or is lame for the zone).
std::optional<std::string> unproven_empty_answer(const Message& message, const std::string& query,
                                                 int type, const AnswerReading& reading);

}  // namespace cutover::dns
