#include "checks/http.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "checks/net/address.hpp"
#include "checks/net/http_request.hpp"
#include "checks/net/http_session.hpp"
#include "checks/net/resolver.hpp"
#include "checks/net/tls_client.hpp"
#include "checks/net/url.hpp"

namespace cutover {

namespace {

using detail::ConnectTo;
using detail::HttpTarget;
using detail::RequestSpec;
using nlohmann::json;

constexpr std::int64_t kDefaultMaxBody = 1024 * 1024;
constexpr std::int64_t kMaxMaxBody = std::int64_t{1024} * 1024 * 1024;
constexpr std::int64_t kMaxRedirects = 20;

void read_tls_options(Fields& fields, HttpTarget& target) {
  target.tls.insecure = fields.boolean("insecure", false);
  target.tls.ca_file = fields.string("ca_file");
  target.tls.client_certificate = fields.string("client_certificate");
  target.tls.client_key = fields.string("client_key");
  if (target.tls.client_certificate.empty() != target.tls.client_key.empty()) {
    fields.error(target.tls.client_key.empty() ? "client_certificate" : "client_key",
                 "client_certificate and client_key go together: give both or neither");
  }
  if (target.tls.insecure && !target.tls.ca_file.empty()) {
    fields.error("ca_file", "ca_file has no effect with insecure: true; remove one of them");
  }
}

std::optional<ConnectTo> read_connect_to(Fields& fields) {
  if (!fields.has("connect_to")) return std::nullopt;
  const std::string text = fields.string("connect_to");
  if (auto host_port = split_host_port(text)) {
    return ConnectTo{detail::lower(host_port->first), host_port->second};
  }
  fields.error("connect_to",
               fmt::format("connect_to: expected ADDRESS or ADDRESS:PORT (an IPv6 address in "
                           "brackets: [::1]:8443), got \"{}\"",
                           text));
  return std::nullopt;
}

// The request fields of a check without steps, as the JSON a step would have.
json request_fields(const Fields& fields) {
  json single = json::object();
  for (const std::string& key : detail::request_keys()) {
    if (!fields.has(key)) continue;
    if (key == "url" || key == "method") {
      single[key] = fields.string(key);
    } else {
      single[key] = fields.object(key);
    }
  }
  for (const std::string& key : detail::assertion_keys()) {
    if (!fields.has(key)) continue;
    if (key == "max_latency" || key == "hsts_min_max_age") {
      single[key] = format_duration(fields.duration(key));
    } else {
      single[key] = fields.object(key);
    }
  }
  return single;
}

std::vector<RequestSpec> read_requests(Fields& fields, HttpTarget& target) {
  const json single = request_fields(fields);
  if (!fields.has("steps")) {
    return {detail::read_single_request(single, [&](std::string_view key, std::string message) {
      fields.error(key, std::move(message));
    })};
  }
  target.steps = true;
  for (const auto& [key, value] : single.items()) {
    if (key == "request_headers") continue;
    fields.error(
        key,
        fmt::format("{}: with steps, each step has its own {}; move it into the steps", key, key));
  }
  const json shared_headers =
      single.contains("request_headers") ? single["request_headers"] : json();
  return detail::read_steps(fields.object("steps"), shared_headers, [&](std::string message) {
    fields.error("steps", std::move(message));
  });
}

bool uses_tls(const RequestSpec& request) {
  return request.url.starts_with("https://");
}

// Files are read once, here: a missing ca_file is a suite mistake, not an attempt's error.
void build_tls_context(Fields& fields, HttpTarget& target) {
  const bool any_tls = std::any_of(target.requests.begin(), target.requests.end(), uses_tls);
  const bool tls_options =
      target.tls.insecure || !target.tls.ca_file.empty() || !target.tls.client_certificate.empty();
  if (!any_tls && !tls_options) return;
  if (auto context = make_tls_context(target.tls)) {
    target.tls_context = std::move(context).value();
  } else {
    const std::string field = !target.tls.client_certificate.empty() ? "client_certificate"
                              : !target.tls.ca_file.empty()          ? "ca_file"
                                                                     : "url";
    fields.error(field, fmt::format("TLS setup failed: {}", context.error().message));
  }
}

std::string label(const HttpTarget& target) {
  // No request: `steps` was empty or not a list, a mistake already reported; the check never runs.
  if (target.requests.empty()) return "no requests";
  const RequestSpec& first = target.requests.front();
  std::string text = target.steps ? fmt::format("{} steps from {} {}", target.requests.size(),
                                                first.method, first.url)
                                  : fmt::format("{} {}", first.method, first.url);
  if (target.connect_to) {
    const ConnectTo& to = *target.connect_to;
    const std::string host = to.host.find(':') != std::string::npos ? "[" + to.host + "]" : to.host;
    text += " via " + (to.port ? fmt::format("{}:{}", host, *to.port) : host);
  }
  return text;
}

}  // namespace

KindSpec HttpCheck::spec() {
  return {
      .description =
          "Sends an HTTP(S) request, or an ordered smoke flow of `steps` sharing a cookie jar, "
          "and asserts status, headers, body, JSON values and latency. Measures status, "
          "connect_ms, tls_ms, first_byte_ms (from the start of the request, lookup included), "
          "total_ms and body_bytes.",
      .fields =
          {
              {.name = "url",
               .description = "http:// or https:// URL; required unless `steps` is given"},
              {.name = "method", .description = "HTTP method in capitals", .default_value = "GET"},
              {.name = "request_headers",
               .type = FieldType::object,
               .description = "headers to send: {name: value}; with steps, sent by every step"},
              {.name = "request_body",
               .type = FieldType::object,
               .description = "body to send: a text as is, or a mapping or list as JSON (with "
                              "content-type application/json unless set)",
               .characters = Characters::any},
              {.name = "follow_redirects",
               .type = FieldType::integer,
               .description = "how many redirects to follow; 0 reports the redirect itself",
               .default_value = "0",
               .min = 0,
               .max = kMaxRedirects},
              {.name = "max_body",
               .type = FieldType::integer,
               .description = "bytes of the response body read at most; a longer body is cut "
                              "there and the result says so",
               .default_value = std::to_string(kDefaultMaxBody),
               .min = 1,
               .max = kMaxMaxBody},
              {.name = "insecure",
               .type = FieldType::boolean,
               .description = "https without certificate verification (flagged in the result)",
               .default_value = "false"},
              {.name = "ca_file", .description = "PEM bundle to verify the server against"},
              {.name = "client_certificate",
               .description = "PEM client certificate for mutual TLS (with client_key)"},
              {.name = "client_key", .description = "PEM private key of client_certificate"},
              {.name = "connect_to",
               .description = "ADDRESS[:PORT] to connect to instead of the URL's host; the Host "
                              "header, SNI and certificate verification keep the URL's host"},
              resolver_field_spec(),
              {.name = "status",
               .type = FieldType::object,
               .description = "expected status: a code, a range like 2xx, or a list of them",
               .default_value = "2xx"},
              {.name = "headers",
               .type = FieldType::object,
               .description =
                   "response header assertions: {name: {present: true or false, absent: true, "
                   "equals: text, matches: regex}} or {name: text}"},
              {.name = "body",
               .type = FieldType::object,
               .description = "response body assertions: {contains, not_contains, matches}",
               .characters = Characters::multiline},
              {.name = "json",
               .type = FieldType::object,
               .description = "JSON pointer assertions: {\"/a/b\": {equals, exists, not_exists, "
                              "lt, le, gt, ge, length}} or {\"/a/b\": value}",
               .characters = Characters::multiline},
              {.name = "max_latency",
               .type = FieldType::duration,
               .description = "longest the whole request (redirects included) may take"},
              {.name = "hsts_min_max_age",
               .type = FieldType::duration,
               .description = "Strict-Transport-Security must be sent with at least this "
                              "max-age (e.g. 180d)"},
              {.name = "steps",
               .type = FieldType::object,
               .description = "smoke flow: a list of requests {name, url, method, "
                              "request_headers, request_body, assertions…, capture: {VAR: "
                              "{json: /ptr | header: name | regex: re, secret: true}}}; later "
                              "steps use ${steps.NAME.VAR}",
               // Steps hold bodies; the kind judges their names, URLs and headers itself.
               .characters = Characters::any},
          },
      .runtime_variables = {"steps."},
  };
}

HttpCheck::HttpCheck(Fields& fields) {
  auto target = std::make_shared<HttpTarget>();
  target->follow_redirects = static_cast<int>(fields.integer("follow_redirects", 0));
  target->max_body = static_cast<std::uint64_t>(fields.integer("max_body", kDefaultMaxBody));
  read_tls_options(fields, *target);
  target->connect_to = read_connect_to(fields);
  target->resolver = read_resolver_field(fields);
  target->requests = read_requests(fields, *target);
  build_tls_context(fields, *target);
  target->label = label(*target);
  target_ = std::move(target);
}

HttpCheck::~HttpCheck() = default;

void HttpCheck::start(CheckContext& context, Completion done) {
  detail::start_http_attempt(context, target_, std::move(done));
}

std::string HttpCheck::describe() const {
  return target_->label;
}

}  // namespace cutover
