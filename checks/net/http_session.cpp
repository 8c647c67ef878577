#include "checks/net/http_session.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/error.hpp>
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

#include "checks/net/cookie_jar.hpp"
#include "checks/net/resolver.hpp"
#include "checks/net/session.hpp"
#include "checks/net/url.hpp"
#include "harness/redactor.hpp"

namespace cutover::detail {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;

std::string format_milliseconds(Duration duration) {
  const double milliseconds = std::chrono::duration<double, std::milli>(duration).count();
  if (milliseconds < 1) return fmt::format("{:.2f}ms", milliseconds);
  return fmt::format("{:.1f}ms", milliseconds);
}

double to_milliseconds(Duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

class HttpSession : public CheckSession<HttpSession> {
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
                      response_.status, excerpt(*location))));
      return true;
    }
    auto next = resolve_location(url_, *location);
    if (!next) {
      finish(CheckResult::failed(fmt::format("{}{} redirected to an invalid location {}", prefix(),
                                             request_line(), excerpt(*location))));
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
    details_ += describe_response(response_);
    trail_.clear();

    std::vector<std::string> failures = evaluate(request.assertions, response_);
    // A response that failed its assertions is no source for later steps; but a secret it
    // carries is still learnt, so that the failure's details do not show it.
    const bool usable = failures.empty();
    for (const CaptureRule& rule : request.captures) {
      if (!usable && !rule.secret) continue;
      const Captured captured = capture(rule, response_);
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
      details_ +=
          fmt::format("captured {} = {}\n", rule.name,
                      rule.secret ? std::string(Redactor::kMask) : excerpt(*captured.value));
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

  friend class CheckSession<HttpSession>;

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

void start_http_attempt(net::io_context& io, std::shared_ptr<const HttpTarget> target,
                        Completion done, OwnBudget budget, Cancellation& cancellation) {
  auto session = std::make_shared<HttpSession>(io, std::move(target), std::move(done), budget);
  session->run(cancellation);
}

}  // namespace cutover::detail
