#include "checks/net/http_session.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "checks/net/cookie_jar.hpp"
#include "checks/net/http_assessment.hpp"
#include "checks/net/http_connect_route.hpp"
#include "checks/net/http_excerpt.hpp"
#include "checks/net/http_outgoing.hpp"
#include "checks/net/http_response_reader.hpp"
#include "checks/net/http_stream.hpp"
#include "checks/net/resolver.hpp"
#include "checks/net/session.hpp"
#include "checks/net/tls_client.hpp"
#include "checks/net/url.hpp"
#include "harness/duration.hpp"
#include "harness/redactor.hpp"

namespace cutover::detail {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using Clock = std::chrono::steady_clock;

// The server sent a header that is not HTTP (another service on the port): it answered,
// wrongly. Closing before or during the header gave nothing to judge.
bool answered_not_http(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_version).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// One attempt of an `http` check: each request (one, or the steps in order) resolved,
// connected, sent and read, its redirects followed, its response assessed.
class HttpSession : public CheckSession<HttpSession> {
 public:
  HttpSession(net::io_context& io, std::shared_ptr<const HttpTarget> target, Completion done,
              OwnBudget budget, const Redactor& redactor)
      : CheckSession(io, std::move(done), target->label, budget),
        target_(std::move(target)),
        redactor_(Redactor::extending(redactor)),
        resolver_(io, target_->resolver, budget.length),
        watchdog_(io),
        tls_context_(target_->tls_context),
        stream_(io),
        route_(target_->connect_to) {}

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
    auto prepared = prepare_request(spec(), captures_);
    if (!prepared) {
      return finish(CheckResult::error(prefix() + "url: " + prepared.error().message));
    }
    outgoing_ = std::move(prepared).value();
    route_.aim(outgoing_.url);
    redirects_ = 0;
    step_started_ = Clock::now();
    send();
  }

  std::string request_line() const { return outgoing_.line(); }

  void send() {
    stream_.close();
    response_ = HttpResponse{};
    response_.tls = outgoing_.url.tls;
    hop_started_ = Clock::now();
    connect_time_ = tls_time_ = Duration{};
    reading_body_ = false;
    stage_ = fmt::format("resolving {}", route_.host());
    resolver_.async_resolve(
        route_.host(), route_.port(),
        beast::bind_front_handler(&HttpSession::on_resolve, shared_from_this()));
  }

  void on_resolve(beast::error_code ec, Resolver::Endpoints endpoints) {
    if (stopped()) return;
    if (ec) return fail(fmt::format("could not resolve {}: {}", route_.host(), ec.message()));
    if (outgoing_.url.tls) {
      if (!tls_context_) {
        auto context = make_tls_context(target_->tls);
        if (!context) return fail(fmt::format("TLS setup failed: {}", context.error().message));
        tls_context_ = std::move(context).value();
      }
      const std::optional<std::string> problem =
          stream_.open_tls(*tls_context_, outgoing_.url.host, target_->tls.insecure);
      if (problem) {
        return fail(fmt::format("TLS setup for {} failed: {}", outgoing_.url.host, *problem));
      }
    } else {
      stream_.open_plain();
    }
    stage_ = fmt::format("connecting to {}", route_.label());
    stream_.async_connect(endpoints,
                          beast::bind_front_handler(&HttpSession::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, Duration took) {
    if (stopped()) return;
    if (ec) return fail(fmt::format("could not connect to {}: {}", route_.label(), ec.message()));
    connect_time_ = took;
    if (!stream_.tls()) return write();
    stage_ = fmt::format("in the TLS handshake with {}", route_.label());
    handshake_started_ = Clock::now();
    stream_.async_handshake(
        beast::bind_front_handler(&HttpSession::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (stopped()) return;
    if (ec) {
      std::string what =
          fmt::format("TLS handshake with {}{} failed: {}", outgoing_.url.host,
                      route_.via_connect_to() ? fmt::format(" at {}", route_.label()) : "",
                      stream_.handshake_failure(ec));
      // The rule of every kind: a target that answered wrongly (not TLS, an alert, a certificate
      // that does not verify) failed; one that closed without a word gave nothing to judge.
      if (stream_.handshake_answered()) return finish(CheckResult::failed(prefix() + what));
      return fail(std::move(what));
    }
    tls_time_ = Clock::now() - handshake_started_;
    write();
  }

  void write() {
    request_ = build_message(outgoing_, jar_.header_for(outgoing_.url));
    stage_ = fmt::format("sending {}", request_line());
    stream_.with_stream([this](auto& stream) {
      http::async_write(stream, request_,
                        beast::bind_front_handler(&HttpSession::on_write, shared_from_this()));
    });
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (stopped()) return;
    if (ec) {
      return fail(
          fmt::format("could not send {} to {}: {}", request_line(), route_.label(), ec.message()));
    }
    reader_.reset(outgoing_.method == "HEAD");
    stage_ = fmt::format("waiting for the response to {}", request_line());
    stream_.with_stream([this](auto& stream) {
      reader_.async_read_header(
          stream, beast::bind_front_handler(&HttpSession::on_header, shared_from_this()));
    });
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (stopped()) return;
    if (ec) {
      std::string what = fmt::format("no HTTP response to {} from {}: {}", request_line(),
                                     route_.label(), ec.message());
      if (answered_not_http(ec)) return finish(CheckResult::failed(prefix() + what));
      return fail(std::move(what));
    }
    first_byte_time_ = Clock::now() - hop_started_;
    reader_.read_header(response_);
    for (const auto& [name, value] : response_.headers) {
      if (lower(name) == "set-cookie") jar_.store(outgoing_.url, value);
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
                      response_.status, excerpt(*location, redactor_))));
      return true;
    }
    auto next = resolve_location(outgoing_.url, *location);
    if (!next) {
      finish(CheckResult::failed(fmt::format("{}{} redirected to an invalid location {}", prefix(),
                                             request_line(), excerpt(*location, redactor_))));
      return true;
    }
    ++redirects_;
    trail_ += fmt::format("{} {} -> {}\n", request_line(), response_.status, next.value().text());
    follow(outgoing_, std::move(next).value(), response_.status);
    route_.aim(outgoing_.url);
    send();
    return true;
  }

  void read_body() {
    if (reader_.done()) return on_response();
    if (!reading_body_) {  // once per response: stage_text() counts the bytes
      stage_ = fmt::format("reading the body of {}", request_line());
      reading_body_ = true;
    }
    stream_.with_stream([this](auto& stream) {
      reader_.async_read_chunk(
          stream, beast::bind_front_handler(&HttpSession::on_body, shared_from_this()));
    });
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (stopped()) return;
    ec = reader_.take_chunk(ec, response_, target_->max_body);
    if (ec) {
      return fail(fmt::format("could not read the body of {} from {}: {}", request_line(),
                              route_.label(), ec.message()));
    }
    if (reader_.done()) return on_response();
    if (response_.body.size() >= target_->max_body) {
      response_.body_truncated = true;
      return on_response();
    }
    read_body();
  }

  void on_response() {
    stream_.close();
    response_.latency = Clock::now() - step_started_;
    const RequestSpec& request = spec();
    measure(request);
    details_ += fmt::format(
        "{}{}{}\n{}", target_->steps ? "step " + request.name + ": " : "", trail_, request_line(),
        route_.via_connect_to() ? fmt::format("(connected to {})\n", route_.label())
                                : std::string());
    details_ += describe_response(response_, redactor_);
    trail_.clear();

    const std::vector<std::string> failures =
        assess_response(request, response_, captures_, redactor_, details_);
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

  // The measurements of the request's response, named after its step when there are steps.
  void measure(const RequestSpec& request) {
    const std::string name = target_->steps ? request.name + "." : std::string();
    const auto add = [&](std::string what, double value, std::string unit) {
      measurements_.push_back({name + std::move(what), value, std::move(unit)});
    };
    add("status", response_.status, "");
    add("connect_ms", to_milliseconds(connect_time_), "ms");
    if (outgoing_.url.tls) add("tls_ms", to_milliseconds(tls_time_), "ms");
    add("first_byte_ms", to_milliseconds(first_byte_time_ + (hop_started_ - step_started_)), "ms");
    add("total_ms", to_milliseconds(response_.latency), "ms");
    add("body_bytes", static_cast<double>(response_.body.size()), "bytes");
    if (redirects_ > 0) add("redirects", redirects_, "");
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
      if (route_.via_connect_to()) message += fmt::format(" via {}", route_.label());
      if (redirects_ > 0) message += fmt::format(" after {} redirects", redirects_);
      if (response_.body_truncated) {
        message += fmt::format(", body cut at max_body ({} bytes)", target_->max_body);
      }
    }
    return message;
  }

  void on_watchdog(beast::error_code ec) {
    if (ec || stopped()) return;
    fail(fmt::format("timed out after {} {}", format_duration(budget_), stage_text()));
  }

  // The stage, and for the body how much of it came: counted when asked, as a slow body's
  // bytes gather in the reader's chunk.
  std::string stage_text() const {
    if (!reading_body_) return stage_;
    return fmt::format("{} ({} bytes so far)", stage_,
                       response_.body.size() + reader_.chunk_bytes());
  }

  // A stage that could not be carried out: an error, whatever was asserted.
  void fail(std::string what) { finish(CheckResult::error(prefix() + std::move(what))); }

  // Hides CheckSession::finish to add what the attempt gathered; a cancelled attempt reports
  // without it.
  void finish(CheckResult result) {
    stop();
    if (target_->tls.insecure && (outgoing_.url.tls || tls_context_)) {
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
    stream_.close();
  }

  // Captured secrets are masked here, in one pass with the run's: the scheduler's redactor knows
  // only the run's, and masks them alone when nothing was captured. Texts that quote the response
  // are redacted where they are made, before they are cut.
  void redact(CheckResult& result) {
    if (redactor_.has_own_secrets()) {
      result.message = redactor_.redact(result.message);
      result.details = redactor_.redact(result.details);
    }
  }

  std::shared_ptr<const HttpTarget> target_;
  Redactor redactor_;  // extends the run's with the secrets this attempt captures
  Resolver resolver_;
  net::steady_timer watchdog_;
  std::shared_ptr<ssl::context> tls_context_;
  HttpStream stream_;
  http::request<http::string_body> request_;
  ResponseReader reader_;

  std::size_t step_ = 0;
  OutgoingRequest outgoing_;
  ConnectRoute route_;
  int redirects_ = 0;
  std::string trail_;  // the redirects that led to the current request
  HttpResponse response_;
  CookieJar jar_;
  Captures captures_;
  std::string stage_;
  bool reading_body_ = false;  // stage_ names the body, whose bytes stage_text() counts
  std::string details_;
  std::vector<Measurement> measurements_;

  Clock::time_point started_, step_started_, hop_started_, handshake_started_;
  Duration connect_time_{}, tls_time_{}, first_byte_time_{};
};

}  // namespace

void start_http_attempt(CheckContext& context, std::shared_ptr<const HttpTarget> target,
                        Completion done) {
  auto session = std::make_shared<HttpSession>(context.io, std::move(target), std::move(done),
                                               own_budget(context), context.redactor);
  session->run(*context.cancellation);
}

}  // namespace cutover::detail
