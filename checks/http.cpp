#include "checks/http.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <nlohmann/json.hpp>

#include "checks/net/http_assertions.hpp"
#include "checks/net/address.hpp"
#include "checks/net/resolver.hpp"
#include "checks/net/session.hpp"
#include "checks/net/tls_client.hpp"
#include "harness/redactor.hpp"
#include "harness/text.hpp"

namespace cutover {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace detail {

// An http or https URL, split for the request line, the Host header and the connection.
struct Url {
  bool tls = false;
  std::string host;  // without brackets; lower case
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" at least

  bool default_port() const { return port == (tls ? 443 : 80); }
  std::string host_for_authority() const {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
  }
  // The Host header: the port only when it is not the scheme's default.
  std::string authority() const {
    return default_port() ? host_for_authority() : fmt::format("{}:{}", host_for_authority(), port);
  }
  std::string text() const {
    return fmt::format("{}://{}{}", tls ? "https" : "http", authority(), target);
  }
  bool same_origin(const Url& other) const {
    return tls == other.tls && host == other.host && port == other.port;
  }
};

// Where connections go instead of the URL's host (curl's --connect-to).
struct ConnectTo {
  std::string host;                   // without brackets
  std::optional<std::uint16_t> port;  // the URL's port when absent
};

// One request as configured: a whole check, or one of its steps. Text may hold
// ${steps.NAME.VAR}, substituted when the step runs.
struct RequestSpec {
  std::string name;  // the step's name; empty for a check without steps
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<json> body;  // a string is sent as is; anything else as JSON
  HttpAssertions assertions;
  std::vector<CaptureRule> captures;
};

struct HttpTarget {
  std::vector<RequestSpec> requests;  // one, or the steps in order
  bool steps = false;
  int follow_redirects = 0;
  std::uint64_t max_body = 0;
  std::optional<ConnectTo> connect_to;
  dns::ResolverSettings resolver;
  TlsClientOptions tls;
  std::shared_ptr<ssl::context> tls_context;  // built with the check when any URL is https
  std::string label;                          // for describe() and messages
};

}  // namespace detail

namespace {

using detail::CaptureRule;
using detail::ConnectTo;
using detail::HttpAssertions;
using detail::HttpResponse;
using detail::HttpTarget;
using detail::RequestSpec;
using detail::Url;

constexpr std::int64_t kDefaultMaxBody = 1024 * 1024;
constexpr std::int64_t kMaxMaxBody = std::int64_t{1024} * 1024 * 1024;
constexpr std::int64_t kMaxRedirects = 20;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::string_view kStepReference = "${steps.";

const std::vector<std::string> kRequestKeys = {"url", "method", "request_headers", "request_body"};
const std::vector<std::string> kStepOnlyKeys = {"name", "capture"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_step_name(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// Boost 1.74 has no URL parser (Boost.URL came in 1.81); checks need only absolute http(s)
// URLs and the Location forms servers send, which this covers.
Expected<Url> parse_url(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return outcome::failure(
        Error{fmt::format("expected an http:// or https:// URL, got \"{}\"{}", text, why)});
  };
  const std::size_t separator = text.find("://");
  if (separator == std::string_view::npos) return bad("");
  const std::string scheme = lower(text.substr(0, separator));
  if (scheme != "http" && scheme != "https") return bad("");
  Url url;
  url.tls = scheme == "https";
  std::string_view rest = text.substr(separator + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return bad(
        " (credentials in URLs are not supported; send an Authorization header in "
        "request_headers)");
  }
  auto host_port = split_host_port(authority);
  if (!host_port) return bad(" (no valid host[:port])");
  url.host = lower(host_port->first);
  url.port = host_port->second.value_or(url.tls ? 443 : 80);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  target = target.substr(0, target.find('#'));
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return bad(" (spaces and control characters must be percent-encoded, e.g. %20)");
    }
  }
  url.target =
      target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return outcome::success(std::move(url));
}

// Where a Location header points, relative to the URL that answered (RFC 9110 allows
// relative references).
Expected<Url> resolve_location(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return parse_url(location);
  if (location.starts_with("//")) {
    return parse_url(fmt::format("{}:{}", base.tls ? "https" : "http", location));
  }
  Url url = base;
  if (location.starts_with('/')) {
    url.target = std::string(location);
  } else {
    std::string path = base.target.substr(0, base.target.find('?'));
    path = path.substr(0, path.rfind('/') + 1);
    url.target = path + std::string(location);
  }
  url.target = url.target.substr(0, url.target.find('#'));
  return outcome::success(std::move(url));
}

// Every ${steps.NAME.VAR} in a text, as (NAME, VAR).
std::vector<std::pair<std::string, std::string>> step_references(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t at = text.find(kStepReference); at != std::string_view::npos;
       at = text.find(kStepReference, at + 1)) {
    const std::size_t close = text.find('}', at);
    if (close == std::string_view::npos) break;
    const std::string_view inner =
        text.substr(at + kStepReference.size(), close - at - kStepReference.size());
    const std::size_t dot = inner.find('.');
    out.emplace_back(std::string(inner.substr(0, dot)), dot == std::string_view::npos
                                                            ? std::string()
                                                            : std::string(inner.substr(dot + 1)));
  }
  return out;
}

using Captures = std::map<std::string, std::map<std::string, std::string>>;

std::string substitute(std::string_view text, const Captures& captures) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = text.find(kStepReference); at != std::string_view::npos;
       at = text.find(kStepReference, from)) {
    const std::size_t close = text.find('}', at);
    if (close == std::string_view::npos) break;
    out.append(text.substr(from, at - from));
    const std::string_view inner =
        text.substr(at + kStepReference.size(), close - at - kStepReference.size());
    const std::size_t dot = inner.find('.');
    const auto step = captures.find(std::string(inner.substr(0, dot)));
    bool replaced = false;
    if (step != captures.end() && dot != std::string_view::npos) {
      if (auto value = step->second.find(std::string(inner.substr(dot + 1)));
          value != step->second.end()) {
        out += value->second;
        replaced = true;
      }
    }
    if (!replaced) out.append(text.substr(at, close + 1 - at));
    from = close + 1;
  }
  out.append(text.substr(from));
  return out;
}

json substitute_json(const json& value, const Captures& captures) {
  if (value.is_string()) return substitute(value.get<std::string>(), captures);
  if (value.is_array() || value.is_object()) {
    json out = value;
    for (auto& item : out)
      item = substitute_json(item, captures);
    return out;
  }
  return value;
}

void collect_strings(const json& value, std::vector<std::string>& into) {
  if (value.is_string()) {
    into.push_back(value.get<std::string>());
  } else if (value.is_array() || value.is_object()) {
    for (const auto& item : value)
      collect_strings(item, into);
  }
}

std::string format_milliseconds(Duration duration) {
  const double milliseconds = std::chrono::duration<double, std::milli>(duration).count();
  if (milliseconds < 1) return fmt::format("{:.2f}ms", milliseconds);
  return fmt::format("{:.1f}ms", milliseconds);
}

double to_milliseconds(Duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

// The cookies of one attempt. Beast has no cookie jar; smoke flows need only what a login
// session uses (RFC 6265 name=value with Domain, Path, Secure and Max-Age), not a browser's
// full policy.
class CookieJar {
 public:
  void store(const Url& url, std::string_view set_cookie) {
    std::vector<std::string_view> parts;
    for (std::size_t from = 0; from <= set_cookie.size();) {
      const std::size_t end = std::min(set_cookie.find(';', from), set_cookie.size());
      parts.push_back(trim(set_cookie.substr(from, end - from)));
      from = end + 1;
    }
    const std::size_t equals = parts.front().find('=');
    if (equals == std::string_view::npos || equals == 0) return;
    Cookie cookie{std::string(trim(parts.front().substr(0, equals))),
                  std::string(trim(parts.front().substr(equals + 1))),
                  url.host,
                  true,
                  default_path(url.target),
                  false};
    bool expired = false;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::size_t split = parts[i].find('=');
      const std::string key = lower(trim(parts[i].substr(0, split)));
      const std::string_view value =
          split == std::string_view::npos ? std::string_view() : trim(parts[i].substr(split + 1));
      if (key == "domain" && !value.empty()) {
        std::string domain = lower(value.starts_with('.') ? value.substr(1) : value);
        if (!domain_matches(url.host, domain)) return;  // a cookie for another site
        cookie.domain = std::move(domain);
        cookie.host_only = false;
      } else if (key == "path" && value.starts_with('/')) {
        cookie.path = std::string(value);
      } else if (key == "secure") {
        cookie.secure = true;
      } else if (key == "max-age") {
        expired = value.starts_with('-') || value == "0";
      }
    }
    std::erase_if(cookies_, [&](const Cookie& other) {
      return other.name == cookie.name && other.domain == cookie.domain &&
             other.path == cookie.path;
    });
    if (!expired) cookies_.push_back(std::move(cookie));
  }

  // The Cookie header for a request, or "" when no cookie applies.
  std::string header_for(const Url& url) const {
    std::string out;
    const std::string path = url.target.substr(0, url.target.find('?'));
    for (const Cookie& cookie : cookies_) {
      const bool host =
          cookie.host_only ? url.host == cookie.domain : domain_matches(url.host, cookie.domain);
      if (!host || (cookie.secure && !url.tls) || !path_matches(path, cookie.path)) continue;
      if (!out.empty()) out += "; ";
      out += cookie.name + "=" + cookie.value;
    }
    return out;
  }

 private:
  struct Cookie {
    std::string name, value, domain;
    bool host_only = true;
    std::string path;
    bool secure = false;
  };

  static std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
      text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
      text.remove_suffix(1);
    return text;
  }
  static bool domain_matches(const std::string& host, const std::string& domain) {
    return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                              host[host.size() - domain.size() - 1] == '.');
  }
  static bool path_matches(const std::string& path, const std::string& cookie_path) {
    if (!path.starts_with(cookie_path)) return false;
    return path.size() == cookie_path.size() || cookie_path.ends_with('/') ||
           path[cookie_path.size()] == '/';
  }
  static std::string default_path(const std::string& target) {
    const std::string path = target.substr(0, target.find('?'));
    const std::size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }

  std::vector<Cookie> cookies_;
};

// ---------------------------------------------------------------------------------------------
// Reading the suite

using detail::SpecErrorSink;

bool is_token(std::string_view method) {
  return !method.empty() && std::all_of(method.begin(), method.end(), [](unsigned char c) {
    return std::isupper(c) || c == '-' || c == '_';
  });
}

// Reads one request from its keys. For a step, `error` prefixes messages with the step.
RequestSpec read_request(const json& object, bool step, const SpecErrorSink& error) {
  std::vector<std::string> allowed = kRequestKeys;
  allowed.insert(allowed.end(), detail::assertion_keys().begin(), detail::assertion_keys().end());
  if (step) allowed.insert(allowed.end(), kStepOnlyKeys.begin(), kStepOnlyKeys.end());

  RequestSpec request;
  for (const auto& [key, value] : object.items()) {
    if (key == "url" || key == "method" || key == "name") {
      if (!value.is_string()) {
        error(key, fmt::format("{}: expected a string, got {}", key, value.dump()));
        continue;
      }
      const std::string text = value.get<std::string>();
      if (key == "url") {
        request.url = text;
      } else if (key == "name") {
        request.name = text;
      } else if (!is_token(text)) {
        std::string message = fmt::format(
            "method: expected an HTTP method in capitals like GET, POST, PUT or DELETE, got \"{}\"",
            text);
        std::string upper = text;
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (is_token(upper)) message += fmt::format(" (did you mean '{}'?)", upper);
        error(key, std::move(message));
      } else {
        request.method = text;
      }
    } else if (key == "request_headers") {
      if (!value.is_object()) {
        error(key, fmt::format("request_headers: expected a mapping of header names to values, "
                               "got {}",
                               value.dump()));
        continue;
      }
      for (const auto& [name, header] : value.items()) {
        if (!header.is_string() && !header.is_number() && !header.is_boolean()) {
          error(key, fmt::format("request_headers: {}: expected a text value, got {}", name,
                                 header.dump()));
          continue;
        }
        const std::string text = header.is_string() ? header.get<std::string>() : header.dump();
        if (text.find_first_of("\r\n") != std::string::npos) {
          error(key, fmt::format("request_headers: {}: a header value cannot contain a line break",
                                 name));
          continue;
        }
        request.headers.emplace_back(name, text);
      }
    } else if (key == "request_body") {
      request.body = value;
    } else if (key == "capture" && step) {
      request.captures = detail::read_captures(value, error);
    } else if (!detail::read_assertion(key, value, request.assertions, error)) {
      std::string message = fmt::format("unknown key '{}'", key);
      if (std::string suggestion = closest_match(key, allowed); !suggestion.empty()) {
        message += fmt::format(" (did you mean '{}'?)", suggestion);
      } else {
        message += fmt::format(" (expected one of: {})", fmt::join(allowed, ", "));
      }
      error(key, std::move(message));
    }
  }
  return request;
}

// The URL must parse now, unless it is built from an earlier step's capture.
void check_url(const RequestSpec& request, const SpecErrorSink& error) {
  if (request.url.find(kStepReference) != std::string::npos) {
    if (!request.url.starts_with("http://") && !request.url.starts_with("https://")) {
      error("url",
            fmt::format("url: expected an http:// or https:// URL, got \"{}\"", request.url));
    }
    return;
  }
  if (auto url = parse_url(request.url); !url) error("url", "url: " + url.error().message);
}

bool uses_tls(const RequestSpec& request) {
  return request.url.starts_with("https://");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// One attempt

namespace {

using detail::HttpResponse;

class HttpSession : public detail::CheckSession<HttpSession> {
 public:
  HttpSession(net::io_context& io, std::shared_ptr<const HttpTarget> target, Completion done,
              OwnBudget budget)
      : CheckSession(io, std::move(done), target->label, budget),
        target_(std::move(target)),
        resolver_(io, target_->resolver, budget.length),
        watchdog_(io),
        tls_context_(target_->tls_context) {}

  void run(Cancellation& cancellation) {
    if (!watch(cancellation)) return;  // cancelled before it began
    started_ = Clock::now();
    watchdog_.expires_at(budget_end_);
    watchdog_.async_wait(beast::bind_front_handler(&HttpSession::on_watchdog, shared_from_this()));
    start_step();
  }

 private:
  const RequestSpec& spec() const { return target_->requests[step_]; }

  // "step 'login': " for steps, nothing otherwise.
  std::string prefix() const {
    return target_->steps ? fmt::format("step '{}': ", spec().name) : std::string();
  }

  void start_step() {
    const RequestSpec& request = spec();
    auto url = parse_url(substitute(request.url, captures_));
    if (!url) return finish(CheckResult::error(prefix() + "url: " + url.error().message));
    url_ = std::move(url).value();
    method_ = request.method;
    headers_.clear();
    for (const auto& [name, value] : request.headers) {
      headers_.emplace_back(name, substitute(value, captures_));
    }
    body_.clear();
    json_body_ = false;
    if (request.body) {
      const json body = substitute_json(*request.body, captures_);
      json_body_ = !body.is_string();
      body_ = body.is_string() ? body.get<std::string>() : body.dump();
    }
    if (!connect_origin_) connect_origin_ = std::pair{url_.host, url_.port};
    via_connect_to_ = uses_connect_to(url_);
    redirects_ = 0;
    step_started_ = Clock::now();
    send();
  }

  // connect_to stands for the first request's host and port, as curl's --connect-to names the
  // host it replaces: a step or redirect elsewhere goes to its own host, and one that comes back
  // goes through connect_to again (never through DNS to the old environment).
  bool uses_connect_to(const Url& url) const {
    return target_->connect_to && connect_origin_ && url.host == connect_origin_->first &&
           url.port == connect_origin_->second;
  }

  std::string connect_label() const {
    const std::string host = connect_host();
    const std::uint16_t port = connect_port();
    return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                               : fmt::format("{}:{}", host, port);
  }
  std::string connect_host() const {
    return via_connect_to_ ? target_->connect_to->host : url_.host;
  }
  std::uint16_t connect_port() const {
    return via_connect_to_ ? target_->connect_to->port.value_or(url_.port) : url_.port;
  }
  std::string request_line() const { return fmt::format("{} {}", method_, url_.text()); }

  void send() {
    close_stream();
    response_ = HttpResponse{};
    response_.tls = url_.tls;
    hop_started_ = Clock::now();
    connect_time_ = tls_time_ = Duration{};
    stage_ = fmt::format("resolving {}", connect_host());
    resolver_.async_resolve(
        connect_host(), connect_port(),
        beast::bind_front_handler(&HttpSession::on_resolve, shared_from_this()));
  }

  void on_resolve(beast::error_code ec, Resolver::Endpoints endpoints) {
    if (stopped()) return;
    if (ec) return fail(fmt::format("could not resolve {}: {}", connect_host(), ec.message()));
    if (url_.tls) {
      if (!tls_context_) {
        auto context = make_tls_context(target_->tls);
        if (!context) return fail(fmt::format("TLS setup failed: {}", context.error().message));
        tls_context_ = std::move(context).value();
      }
      secure_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, *tls_context_);
      std::string problem;
      if (!prepare_tls_connection(secure_->native_handle(), url_.host, target_->tls.insecure,
                                  problem)) {
        return fail(fmt::format("TLS setup for {} failed: {}", url_.host, problem));
      }
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(io_);
    }
    stage_ = fmt::format("connecting to {}", connect_label());
    const Clock::time_point connect_started = Clock::now();
    lowest().async_connect(endpoints, [self = shared_from_this(), connect_started](
                                          beast::error_code ec, const net::ip::tcp::endpoint&) {
      self->on_connect(ec, Clock::now() - connect_started);
    });
  }

  void on_connect(beast::error_code ec, Duration took) {
    if (stopped()) return;
    if (ec) return fail(fmt::format("could not connect to {}: {}", connect_label(), ec.message()));
    connect_time_ = took;
    if (!secure_) return write();
    stage_ = fmt::format("in the TLS handshake with {}", connect_label());
    handshake_started_ = Clock::now();
    secure_->async_handshake(
        ssl::stream_base::client,
        beast::bind_front_handler(&HttpSession::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (stopped()) return;
    if (ec) {
      return fail(fmt::format("TLS handshake with {}{} failed: {}", url_.host,
                              via_connect_to_ ? fmt::format(" at {}", connect_label()) : "",
                              describe_handshake_failure(secure_->native_handle(), ec)));
    }
    tls_time_ = Clock::now() - handshake_started_;
    write();
  }

  void write() {
    request_ = {};
    request_.version(11);
    request_.method_string(method_);
    request_.target(url_.target);
    request_.set(http::field::host, url_.authority());
    request_.set(http::field::user_agent, "cutover");
    request_.set(http::field::accept, "*/*");
    bool content_type = false;
    for (const auto& [name, value] : headers_) {
      request_.set(name, value);
      content_type = content_type || lower(name) == "content-type";
    }
    if (const std::string cookies = jar_.header_for(url_); !cookies.empty()) {
      request_.set(http::field::cookie, cookies);
    }
    if (!body_.empty() || json_body_) {
      if (json_body_ && !content_type) request_.set(http::field::content_type, "application/json");
      request_.body() = body_;
      request_.prepare_payload();
    }
    stage_ = fmt::format("sending {}", request_line());
    with_stream([this](auto& stream) {
      http::async_write(stream, request_,
                        beast::bind_front_handler(&HttpSession::on_write, shared_from_this()));
    });
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (stopped()) return;
    if (ec) {
      return fail(fmt::format("could not send {} to {}: {}", request_line(), connect_label(),
                              ec.message()));
    }
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // The body is cut at max_body by read_body, not refused. Not boost::none: Beast 1.74
    // compares the content length with the empty optional and reports body_limit.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (method_ == "HEAD") parser_->skip(true);
    buffer_.clear();
    stage_ = fmt::format("waiting for the response to {}", request_line());
    with_stream([this](auto& stream) {
      http::async_read_header(
          stream, buffer_, *parser_,
          beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
    });
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (stopped()) return;
    if (ec) {
      return fail(fmt::format("no HTTP response to {} from {}: {}", request_line(), connect_label(),
                              ec.message()));
    }
    first_byte_time_ = Clock::now() - hop_started_;
    const auto& header = parser_->get();
    response_.status = static_cast<int>(header.result_int());
    response_.reason = std::string(header.reason());
    for (const auto& field : header) {
      response_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      if (field.name() == http::field::set_cookie)
        jar_.store(url_, std::string_view(field.value().data(), field.value().size()));
    }
    if (follow_redirect()) return;
    read_body();
  }

  // Sends the next request when the response redirects and redirects are followed. Returns
  // false when the response is the one to assess.
  bool follow_redirect() {
    static constexpr std::array kRedirects = {301, 302, 303, 307, 308};
    const auto location = response_.header("location");
    if (target_->follow_redirects == 0 || !location ||
        std::find(kRedirects.begin(), kRedirects.end(), response_.status) == kRedirects.end()) {
      return false;
    }
    if (redirects_ >= target_->follow_redirects) {
      finish(CheckResult::failed(
          fmt::format("{}stopped after {} redirects (follow_redirects: {}); {} answered {} to {}",
                      prefix(), redirects_, target_->follow_redirects, request_line(),
                      response_.status, detail::excerpt(*location))));
      return true;
    }
    auto next = resolve_location(url_, *location);
    if (!next) {
      finish(CheckResult::failed(fmt::format("{}{} redirected to an invalid location {}", prefix(),
                                             request_line(), detail::excerpt(*location))));
      return true;
    }
    ++redirects_;
    trail_ += fmt::format("{} {} -> {}\n", request_line(), response_.status, next.value().text());
    // As browsers do: 303 always, and 301/302 after a POST, continue as GET without a body.
    const bool to_get = (response_.status == 303 && method_ != "HEAD") ||
                        ((response_.status == 301 || response_.status == 302) && method_ == "POST");
    if (to_get) {
      method_ = "GET";
      body_.clear();
      json_body_ = false;
      std::erase_if(headers_, [](const auto& header) {
        const std::string name = lower(header.first);
        return name == "content-type" || name == "content-length";
      });
    }
    if (next.value().host != url_.host || next.value().port != url_.port) {
      // Credentials meant for one host are not handed to another (as curl does).
      std::erase_if(headers_, [](const auto& header) {
        const std::string name = lower(header.first);
        return name == "authorization" || name == "cookie";
      });
    }
    url_ = std::move(next).value();
    via_connect_to_ = uses_connect_to(url_);
    send();
    return true;
  }

  void read_body() {
    if (parser_->is_done()) return on_response();
    stage_ = fmt::format("reading the body of {} ({} bytes so far)", request_line(),
                         response_.body.size());
    chunk_.resize(kReadChunk);
    parser_->get().body().data = chunk_.data();
    parser_->get().body().size = chunk_.size();
    with_stream([this](auto& stream) {
      http::async_read(stream, buffer_, *parser_,
                       beast::bind_front_handler(&HttpSession::on_body, shared_from_this()));
    });
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (stopped()) return;
    const std::size_t received = chunk_.size() - parser_->get().body().size;
    const std::uint64_t room = target_->max_body - response_.body.size();
    response_.body.append(chunk_.data(), std::min<std::uint64_t>(received, room));
    if (received > room) response_.body_truncated = true;
    if (ec == http::error::need_buffer) ec = {};
    // Many TLS servers close without close_notify after a body delimited by the connection's
    // end; the body is complete, as curl and browsers accept.
    if (ec == ssl::error::stream_truncated && parser_->need_eof()) {
      beast::error_code ignored;
      parser_->put_eof(ignored);
      ec = {};
    }
    if (ec) {
      return fail(fmt::format("could not read the body of {} from {}: {}", request_line(),
                              connect_label(), ec.message()));
    }
    if (parser_->is_done()) return on_response();
    if (response_.body.size() >= target_->max_body) {
      response_.body_truncated = true;
      return on_response();
    }
    read_body();
  }

  void on_response() {
    close_stream();
    const Clock::time_point now = Clock::now();
    response_.latency = now - step_started_;
    const RequestSpec& request = spec();
    const std::string name = target_->steps ? request.name + "." : std::string();
    const auto measure = [&](std::string what, double value, std::string unit) {
      measurements_.push_back({name + std::move(what), value, std::move(unit)});
    };
    measure("status", response_.status, "");
    measure("connect_ms", to_milliseconds(connect_time_), "ms");
    if (url_.tls) measure("tls_ms", to_milliseconds(tls_time_), "ms");
    measure("first_byte_ms", to_milliseconds(first_byte_time_ + (hop_started_ - step_started_)),
            "ms");
    measure("total_ms", to_milliseconds(response_.latency), "ms");
    measure("body_bytes", static_cast<double>(response_.body.size()), "bytes");
    if (redirects_ > 0) measure("redirects", redirects_, "");

    details_ += fmt::format(
        "{}{}{}\n{}", target_->steps ? "step " + request.name + ": " : "", trail_, request_line(),
        via_connect_to_ ? fmt::format("(connected to {})\n", connect_label()) : std::string());
    details_ += detail::describe_response(response_);
    trail_.clear();

    std::vector<std::string> failures = detail::evaluate(request.assertions, response_);
    // A response that failed its assertions is no source for later steps; but a secret it
    // carries is still learnt, so that the failure's details do not show it.
    const bool usable = failures.empty();
    for (const CaptureRule& rule : request.captures) {
      if (!usable && !rule.secret) continue;
      const detail::Captured captured = detail::capture(rule, response_);
      if (!usable) {
        if (captured.value) redactor_.add_secret(*captured.value);
        continue;
      }
      if (!captured.value) {
        failures.push_back(fmt::format("could not capture {}: {}", rule.name, captured.problem));
        continue;
      }
      if (rule.secret) redactor_.add_secret(*captured.value);
      captures_[request.name][rule.name] = *captured.value;
      details_ += fmt::format(
          "captured {} = {}\n", rule.name,
          rule.secret ? std::string(Redactor::kMask) : detail::excerpt(*captured.value));
    }
    if (!failures.empty()) {
      for (const std::string& failure : failures)
        details_ += "FAILED: " + failure + "\n";
      std::string message = prefix();
      for (std::size_t i = 0; i < failures.size(); ++i) {
        message += (i == 0 ? "" : "; ") + failures[i];
      }
      return finish(CheckResult::failed(std::move(message)));
    }
    details_ += "\n";
    if (target_->steps && step_ + 1 < target_->requests.size()) {
      ++step_;
      return start_step();
    }
    finish(CheckResult::passed(pass_message()));
  }

  std::string pass_message() const {
    std::string message;
    if (target_->steps) {
      std::vector<std::string> names;
      for (const RequestSpec& request : target_->requests)
        names.push_back(request.name);
      message = fmt::format("{} steps passed in {} ({})", names.size(),
                            format_milliseconds(Clock::now() - started_), fmt::join(names, ", "));
    } else {
      message = fmt::format("{} answered {} in {}", request_line(), response_.status,
                            format_milliseconds(response_.latency));
      if (via_connect_to_) message += fmt::format(" via {}", connect_label());
      if (redirects_ > 0) message += fmt::format(" after {} redirects", redirects_);
      if (response_.body_truncated) {
        message += fmt::format(", body cut at max_body ({} bytes)", target_->max_body);
      }
    }
    return message;
  }

  void on_watchdog(beast::error_code ec) {
    if (ec || stopped()) return;
    fail(fmt::format("timed out after {} {}", format_duration(budget_), stage_));
  }

  // A stage that could not be carried out: an error, whatever was asserted.
  void fail(std::string what) { finish(CheckResult::error(prefix() + std::move(what))); }

  // Hides CheckSession::finish to add what the attempt gathered; a cancelled attempt reports
  // without it.
  void finish(CheckResult result) {
    stop();
    if (target_->tls.insecure && (url_.tls || tls_context_)) {
      if (result.outcome == Outcome::passed) {
        result.message += " (insecure: certificate not verified)";
      }
      details_ += "insecure: TLS certificates were not verified\n";
    }
    result.details = std::move(details_);
    result.measurements = std::move(measurements_);
    report(std::move(result));
  }

  friend class detail::CheckSession<HttpSession>;

  void stop_work() {
    resolver_.cancel();
    watchdog_.cancel();
    close_stream();
  }

  void close_stream() {
    beast::error_code ignored;
    if (plain_) plain_->socket().close(ignored);
    if (secure_) beast::get_lowest_layer(*secure_).socket().close(ignored);
    // Streams are kept until the next request replaces them or the session ends: a handler of
    // the closed one may still be queued.
    if (plain_) retired_plain_.push_back(std::move(plain_));
    if (secure_) retired_secure_.push_back(std::move(secure_));
  }

  // Captured secrets are masked here: the scheduler's redactor only knows the suite's secrets.
  void redact(CheckResult& result) {
    if (!redactor_.empty()) {
      result.message = redactor_.redact(result.message);
      result.details = redactor_.redact(result.details);
    }
  }

  beast::tcp_stream& lowest() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }

  template <typename Operation>
  void with_stream(Operation&& operation) {
    if (secure_) {
      operation(*secure_);
    } else {
      operation(*plain_);
    }
  }

  std::shared_ptr<const HttpTarget> target_;
  Resolver resolver_;
  net::steady_timer watchdog_;
  std::shared_ptr<ssl::context> tls_context_;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure_;
  std::vector<std::unique_ptr<beast::tcp_stream>> retired_plain_;
  std::vector<std::unique_ptr<beast::ssl_stream<beast::tcp_stream>>> retired_secure_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  std::vector<char> chunk_;
  http::request<http::string_body> request_;

  std::size_t step_ = 0;
  Url url_;
  std::string method_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;
  bool json_body_ = false;
  bool via_connect_to_ = false;
  std::optional<std::pair<std::string, std::uint16_t>> connect_origin_;  // what connect_to replaces
  int redirects_ = 0;
  std::string trail_;  // the redirects that led to the current request
  HttpResponse response_;
  CookieJar jar_;
  Captures captures_;
  Redactor redactor_;
  std::string stage_;
  std::string details_;
  std::vector<Measurement> measurements_;

  Clock::time_point started_, step_started_, hop_started_, handshake_started_;
  Duration connect_time_{}, tls_time_{}, first_byte_time_{};
};

}  // namespace

// ---------------------------------------------------------------------------------------------

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
                              "content-type application/json unless set)"},
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
               .description = "response body assertions: {contains, not_contains, matches}"},
              {.name = "json",
               .type = FieldType::object,
               .description = "JSON pointer assertions: {\"/a/b\": {equals, exists, not_exists, "
                              "lt, le, gt, ge, length}} or {\"/a/b\": value}"},
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
                              "steps use ${steps.NAME.VAR}"},
          },
      .runtime_variables = {"steps."},
  };
}

HttpCheck::HttpCheck(Fields& fields) {
  auto target = std::make_shared<HttpTarget>();
  target->follow_redirects = static_cast<int>(fields.integer("follow_redirects", 0));
  if (target->follow_redirects < 0 || target->follow_redirects > kMaxRedirects) {
    fields.error("follow_redirects", fmt::format("follow_redirects: expected 0 to {}, got {}",
                                                 kMaxRedirects, target->follow_redirects));
  }
  const std::int64_t max_body = fields.integer("max_body", kDefaultMaxBody);
  if (max_body < 1 || max_body > kMaxMaxBody) {
    fields.error("max_body",
                 fmt::format("max_body: expected 1 to {} bytes, got {}", kMaxMaxBody, max_body));
  }
  target->max_body = static_cast<std::uint64_t>(std::clamp(max_body, std::int64_t{1}, kMaxMaxBody));

  target->tls.insecure = fields.boolean("insecure", false);
  target->tls.ca_file = fields.string("ca_file");
  target->tls.client_certificate = fields.string("client_certificate");
  target->tls.client_key = fields.string("client_key");
  if (target->tls.client_certificate.empty() != target->tls.client_key.empty()) {
    fields.error(target->tls.client_key.empty() ? "client_certificate" : "client_key",
                 "client_certificate and client_key go together: give both or neither");
  }
  if (target->tls.insecure && !target->tls.ca_file.empty()) {
    fields.error("ca_file", "ca_file has no effect with insecure: true; remove one of them");
  }

  if (fields.has("connect_to")) {
    const std::string text = fields.string("connect_to");
    if (auto host_port = split_host_port(text)) {
      target->connect_to = ConnectTo{lower(host_port->first), host_port->second};
    } else {
      fields.error("connect_to",
                   fmt::format("connect_to: expected ADDRESS or ADDRESS:PORT (an IPv6 address in "
                               "brackets: [::1]:8443), got \"{}\"",
                               text));
    }
  }

  target->resolver = read_resolver_field(fields);

  // The request fields of a check without steps, as the JSON a step would have.
  json single = json::object();
  for (const std::string& key : kRequestKeys) {
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
  json shared_headers = single.contains("request_headers") ? single["request_headers"] : json();

  if (fields.has("steps")) {
    target->steps = true;
    for (const auto& [key, value] : single.items()) {
      if (key == "request_headers") continue;
      fields.error(key, fmt::format("{}: with steps, each step has its own {}; move it into the "
                                    "steps",
                                    key, key));
    }
    const json steps = fields.object("steps");
    if (!steps.is_array() || steps.empty()) {
      fields.error("steps", "steps: expected a list of requests like [{name: login, url: …}]");
    }
    std::size_t index = 0;
    for (const json& step : steps.is_array() ? steps : json::array()) {
      ++index;
      std::string where = fmt::format("steps: step {}", index);
      if (!step.is_object()) {
        fields.error("steps", fmt::format("{}: expected a mapping with name and url", where));
        continue;
      }
      if (step.contains("name") && step["name"].is_string()) {
        where = fmt::format("steps: step '{}'", step["name"].get<std::string>());
      }
      const SpecErrorSink error = [&](std::string_view, std::string message) {
        fields.error("steps", fmt::format("{}: {}", where, message));
      };
      json merged = step;
      if (shared_headers.is_object()) {
        json headers = shared_headers;
        if (step.contains("request_headers") && step["request_headers"].is_object()) {
          headers.update(step["request_headers"]);
        }
        merged["request_headers"] = headers;
      }
      RequestSpec request = read_request(merged, true, error);
      if (!is_step_name(request.name)) {
        error("name", request.name.empty()
                          ? std::string("name: every step needs a name (letters, digits, '_', '-')")
                          : fmt::format("name: '{}' is not a valid step name (letters, digits, "
                                        "'_', '-')",
                                        request.name));
      }
      for (const RequestSpec& earlier : target->requests) {
        if (earlier.name == request.name && !request.name.empty()) {
          error("name", fmt::format("name: '{}' is used by an earlier step", request.name));
        }
      }
      if (request.url.empty()) {
        error("url", "url: every step needs a url");
      } else {
        check_url(request, error);
      }
      // References must name an earlier step and one of its captures.
      std::vector<std::string> texts{request.url};
      for (const auto& header : request.headers)
        texts.push_back(header.second);
      if (request.body) collect_strings(*request.body, texts);
      for (const std::string& text : texts) {
        for (const auto& [step_name, variable] : step_references(text)) {
          const auto earlier =
              std::find_if(target->requests.begin(), target->requests.end(),
                           [&](const RequestSpec& r) { return r.name == step_name; });
          if (earlier == target->requests.end()) {
            std::vector<std::string> names;
            for (const RequestSpec& r : target->requests)
              names.push_back(r.name);
            std::string message =
                fmt::format("${{steps.{}.{}}} names no earlier step", step_name, variable);
            if (std::string suggestion = closest_match(step_name, names); !suggestion.empty()) {
              message += fmt::format(" (did you mean '{}'?)", suggestion);
            }
            error("url", std::move(message));
            continue;
          }
          std::vector<std::string> captured;
          for (const CaptureRule& rule : earlier->captures)
            captured.push_back(rule.name);
          if (std::find(captured.begin(), captured.end(), variable) == captured.end()) {
            std::string message = fmt::format("${{steps.{}.{}}}: step '{}' captures no '{}'",
                                              step_name, variable, step_name, variable);
            if (std::string suggestion = closest_match(variable, captured); !suggestion.empty()) {
              message += fmt::format(" (did you mean '{}'?)", suggestion);
            }
            error("url", std::move(message));
          }
        }
      }
      target->requests.push_back(std::move(request));
    }
  } else {
    const SpecErrorSink error = [&](std::string_view key, std::string message) {
      fields.error(key, std::move(message));
    };
    RequestSpec request = read_request(single, false, error);
    if (!fields.has("url")) {
      fields.error("url", "url: missing: an http check needs url, or steps");
    } else {
      check_url(request, error);
      if (request.url.find(kStepReference) != std::string::npos) {
        error("url", "url: ${steps.…} references need steps");
      }
    }
    target->requests.push_back(std::move(request));
  }

  const bool any_tls = std::any_of(target->requests.begin(), target->requests.end(), uses_tls);
  const bool tls_options = target->tls.insecure || !target->tls.ca_file.empty() ||
                           !target->tls.client_certificate.empty();
  if (any_tls || tls_options) {
    // Files are read once, here: a missing ca_file is a suite mistake, not an attempt's error.
    if (auto context = make_tls_context(target->tls)) {
      target->tls_context = std::move(context).value();
    } else {
      const std::string field = !target->tls.client_certificate.empty() ? "client_certificate"
                                : !target->tls.ca_file.empty()          ? "ca_file"
                                                                        : "url";
      fields.error(field, fmt::format("TLS setup failed: {}", context.error().message));
    }
  }

  const RequestSpec& first = target->requests.front();
  target->label = target->steps ? fmt::format("{} steps from {} {}", target->requests.size(),
                                              first.method, first.url)
                                : fmt::format("{} {}", first.method, first.url);
  if (target->connect_to) {
    const ConnectTo& to = *target->connect_to;
    const std::string host = to.host.find(':') != std::string::npos ? "[" + to.host + "]" : to.host;
    target->label += " via " + (to.port ? fmt::format("{}:{}", host, *to.port) : host);
  }
  target_ = std::move(target);
}

HttpCheck::~HttpCheck() = default;

void HttpCheck::start(CheckContext& context, Completion done) {
  auto session =
      std::make_shared<HttpSession>(context.io, target_, std::move(done), own_budget(context));
  session->run(*context.cancellation);
}

std::string HttpCheck::describe() const {
  return target_->label;
}

}  // namespace cutover
