#pragma once

#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "checks/net/http_request.hpp"
#include "checks/net/url.hpp"
#include "harness/expected.hpp"

namespace cutover::detail {

// The request a step sends next: its RequestSpec with what earlier steps captured substituted,
// rewritten by every redirect it follows.
struct OutgoingRequest {
  Url url{};
  std::string method{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  bool json_body = false;  // sent as application/json unless a header names another type

  // "GET https://api.example.test/health", for messages.
  std::string line() const;
};

// The request `spec` describes, with ${steps.NAME.VAR} replaced from `captures`; the URL's
// problem when it is not one.
Expected<OutgoingRequest> prepare_request(const RequestSpec& spec, const Captures& captures);

// Turns `request` into the one a redirect with `status` to `next` asks for. As browsers do, 303
// always, and 301/302 after a POST, continue as GET without a body; credentials meant for one
// host are not handed to another (as curl does).
void follow(OutgoingRequest& request, Url next, int status);

// The HTTP/1.1 message for `request`, carrying `cookies` (a Cookie header's value) when any.
boost::beast::http::request<boost::beast::http::string_body> build_message(
    const OutgoingRequest& request, const std::string& cookies);

}  // namespace cutover::detail
