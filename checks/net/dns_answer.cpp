#include "checks/net/dns_answer.hpp"

#include <algorithm>
#include <string_view>

#include <arpa/nameser.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cutover::dns {
namespace {

// "app.example.test A", and the class when it is not IN.
std::string question_text(const Question& question) {
  std::string text = fmt::format("{} {}", question.name, type_name(question.type));
  if (question.question_class != ns_c_in) text += fmt::format(" class {}", question.question_class);
  return text;
}

}  // namespace

std::string display(int type, const std::string& data, std::size_t limit) {
  if (type != ns_t_txt) return data;
  std::string_view head = data;
  if (head.size() > limit) {
    std::size_t end = limit;
    // Back off to a UTF-8 character boundary.
    while (end > 0 && (static_cast<unsigned char>(data[end]) & 0xC0) == 0x80)
      --end;
    head = head.substr(0, end);
  }
  std::string quoted = nlohmann::json(std::string(head))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (head.size() < data.size()) quoted += fmt::format("... ({} bytes)", data.size());
  return quoted;
}

void append_display(std::string& out, int type, const std::string& data, std::size_t limit) {
  if (type != ns_t_txt) {
    out += data;
  } else {
    out += display(type, data, limit);
  }
}

std::optional<std::string> read_answers(const Message& message, const std::string& query, int type,
                                        AnswerReading& reading) {
  // The names on the chain: the query and the CNAME targets so far.
  const auto owns = [&](const std::string& name) {
    return name == query ||
           std::find(reading.chain.begin(), reading.chain.end(), name) != reading.chain.end();
  };
  const auto& records = message.answers;
  if (type != ns_t_cname) {
    const std::string* current = &query;
    // Each step consumes one record, so even a malformed chain ends.
    for (std::size_t step = 0; step < records.size(); ++step) {
      const auto next = std::find_if(records.begin(), records.end(), [&](const auto& record) {
        return record.type == ns_t_cname && record.record_class == ns_c_in &&
               record.name == *current;
      });
      if (next == records.end()) break;
      if (owns(next->data)) {
        std::string path = query;
        for (const std::string& name : reading.chain)
          path += " -> " + name;
        return fmt::format("CNAME loop: {} -> {}", path, next->data);
      }
      reading.used.push_back(static_cast<std::size_t>(next - records.begin()));
      reading.chain.push_back(next->data);
      current = &reading.chain.back();
    }
  }
  for (std::size_t position = 0; position < records.size(); ++position) {
    const ResourceRecord& record = records[position];
    if (record.type != type || record.record_class != ns_c_in) continue;
    if (type == ns_t_cname) {
      // Only the query owns a CNAME answer: targets added below do not make owners.
      if (record.name != query) continue;
    } else if (!owns(record.name)) {
      continue;
    }
    reading.used.push_back(position);
    reading.answers.insert(record.data);
    if (type == ns_t_cname) reading.chain.push_back(record.data);
  }
  return std::nullopt;
}

std::optional<std::string> question_problem(const Message& message, const std::string& query,
                                            int type) {
  const auto asked = [&] {
    return Question{.name = query, .type = type, .question_class = ns_c_in};
  };
  if (message.questions.size() != 1) {
    return fmt::format("answer with {} questions, expected 1 ({})", message.questions.size(),
                       question_text(asked()));
  }
  const Question& echoed = message.questions.front();
  if (echoed.name != query || echoed.type != type || echoed.question_class != ns_c_in) {
    return fmt::format("answer for a different question ({}), asked {}", question_text(echoed),
                       question_text(asked()));
  }
  return std::nullopt;
}

std::optional<std::string> unproven_empty_answer(const Message& message, const std::string& query,
                                                 int type, const AnswerReading& reading) {
  if (message.rcode != ns_r_noerror || !reading.answers.empty()) return std::nullopt;
  const auto has = [&](int type) {
    return std::any_of(message.authority.begin(), message.authority.end(),
                       [&](const auto& record) { return record.type == type; });
  };
  if (has(ns_t_soa)) return std::nullopt;
  if (message.authoritative && reading.chain.empty()) return std::nullopt;
  if (has(ns_t_ns)) {
    const auto ns = std::find_if(message.authority.begin(), message.authority.end(),
                                 [](const auto& record) { return record.type == ns_t_ns; });
    return fmt::format(
        "referral to other servers (NS records for {} in the authority section), not an answer",
        ns->name);
  }
  if (!reading.chain.empty()) {
    return fmt::format(
        "no {} records for {} at the end of the CNAME chain, and no SOA in the authority "
        "section to show that there are none",
        type_name(type), reading.chain.back());
  }
  return fmt::format(
      "no {} records for {}, without AA set or an SOA in the authority section to show that "
      "there are none",
      type_name(type), query);
}

}  // namespace cutover::dns
