#include "checks/net/http_outgoing.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cutover::detail {

namespace http = boost::beast::http;

std::string OutgoingRequest::line() const {
  return fmt::format("{} {}", method, url.text());
}

Expected<OutgoingRequest> prepare_request(const RequestSpec& spec, const Captures& captures) {
  auto url = parse_url(substitute(spec.url, captures));
  if (!url) return url.error();
  OutgoingRequest request{.url = std::move(url).value(), .method = spec.method};
  for (const auto& [name, value] : spec.headers) {
    request.headers.emplace_back(name, substitute(value, captures));
  }
  if (spec.body) {
    const nlohmann::json body = substitute_json(*spec.body, captures);
    request.json_body = !body.is_string();
    request.body = body.is_string() ? body.get<std::string>() : body.dump();
  }
  return request;
}

void follow(OutgoingRequest& request, Url next, int status) {
  const bool to_get = (status == 303 && request.method != "HEAD") ||
                      ((status == 301 || status == 302) && request.method == "POST");
  if (to_get) {
    request.method = "GET";
    request.body.clear();
    request.json_body = false;
    std::erase_if(request.headers, [](const auto& header) {
      const std::string name = lower(header.first);
      return name == "content-type" || name == "content-length";
    });
  }
  if (next.host != request.url.host || next.port != request.url.port) {
    std::erase_if(request.headers, [](const auto& header) {
      const std::string name = lower(header.first);
      return name == "authorization" || name == "cookie";
    });
  }
  request.url = std::move(next);
}

http::request<http::string_body> build_message(const OutgoingRequest& request,
                                               const std::string& cookies) {
  http::request<http::string_body> message;
  message.version(11);
  message.method_string(request.method);
  message.target(request.url.target);
  message.set(http::field::host, request.url.authority());
  message.set(http::field::user_agent, "cutover");
  message.set(http::field::accept, "*/*");
  bool content_type = false;
  for (const auto& [name, value] : request.headers) {
    message.set(name, value);
    content_type = content_type || lower(name) == "content-type";
  }
  if (!cookies.empty()) message.set(http::field::cookie, cookies);
  if (!request.body.empty() || request.json_body) {
    if (request.json_body && !content_type) {
      message.set(http::field::content_type, "application/json");
    }
    message.body() = request.body;
    message.prepare_payload();
  }
  return message;
}

}  // namespace cutover::detail
