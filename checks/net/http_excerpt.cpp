#include "checks/net/http_excerpt.hpp"

#include <fmt/format.h>

namespace cutover::detail {
namespace {

using nlohmann::json;

// `value` with every text in it (keys too) redacted: a secret is masked before dump() escapes it.
json redacted(const json& value, const Redactor& redactor) {
  if (value.is_string()) return redactor.redact(value.get<std::string>());
  if (value.is_array()) {
    json out = json::array();
    for (const json& item : value)
      out.push_back(redacted(item, redactor));
    return out;
  }
  if (!value.is_object()) return value;
  json out = json::object();
  for (const auto& [key, item] : value.items())
    out[redactor.redact(key)] = redacted(item, redactor);
  return out;
}

// Keeps at most `limit` bytes of `text`, backing off to a character boundary: a cut inside a
// UTF-8 sequence would read as invalid.
std::string_view head_of(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return text.substr(0, end);
}

}  // namespace

std::string json_excerpt(const nlohmann::json& value, const Redactor& redactor) {
  const std::string text = redactor.redact(
      redacted(value, redactor).dump(-1, ' ', false, json::error_handler_t::replace));
  if (text.size() <= 120) return text;
  return fmt::format("{}... ({} bytes)", head_of(text, 120), text.size());
}

std::string body_excerpt(const HttpResponse& response, const Redactor& redactor,
                         std::size_t limit) {
  return excerpt(response.body, redactor, limit, {.after = response.body_truncated});
}

std::string header_excerpt(std::string_view name, const std::string& value,
                           const Redactor& redactor) {
  const std::string prefix = fmt::format("{}: ", name);
  std::string line = redactor.redact(prefix + value);
  if (line.starts_with(prefix)) line.erase(0, prefix.size());
  return excerpt(line, no_secrets());
}

std::string excerpt(std::string_view text, const Redactor& redactor, std::size_t limit,
                    Redactor::Cuts cuts) {
  // Redacted whole before it is cut and escaped. Only the part shown, with room for a secret
  // that starts inside it, is redacted: a body may be a gigabyte.
  const std::string_view part = text.substr(0, limit + redactor.longest_form());
  const std::string shown = redactor.redact(
      part, {.before = cuts.before, .after = cuts.after || part.size() < text.size()});
  const std::string_view head = head_of(shown, limit);
  std::string quoted = json(std::string(head)).dump(-1, ' ', false, json::error_handler_t::replace);
  if (head.size() < shown.size() || part.size() < text.size()) {
    quoted += fmt::format("... ({} bytes)", text.size());
  }
  return quoted;
}

std::string describe_response(const HttpResponse& response, const Redactor& redactor) {
  std::string out = fmt::format("HTTP {} {}\n", response.status, response.reason);
  for (const auto& [name, value] : response.headers) {
    out += redactor.redact(fmt::format("{}: {}", name, value)) + "\n";
  }
  out += fmt::format("\nbody ({} bytes{}): {}\n", response.body.size(),
                     response.body_truncated ? ", cut at max_body" : "",
                     body_excerpt(response, redactor, 2048));
  return out;
}

}  // namespace cutover::detail
