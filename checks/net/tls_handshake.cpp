#include "checks/net/tls_handshake.hpp"

#include <utility>

#include <fmt/format.h>
#include <openssl/err.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include "checks/net/stream_connect.hpp"

namespace cutover {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// How a failed handshake ended: refused only when the server said so (an alert, or a ServerHello
// choosing what this client did not offer). Failing before the ClientHello went out, or on the
// client's own settings, or the server closing or resetting the connection without a word,
// shows nothing about what the server accepts.
TlsHandshakeResult::Ending classify_failure(SSL* ssl, const beast::error_code& ec) {
  if (!tls_hello_sent(ssl)) {
    return TlsHandshakeResult::Ending::inconclusive;
  }
  if (ec.category() != net::error::get_ssl_category()) {
    return TlsHandshakeResult::Ending::inconclusive;
  }
  const auto code = static_cast<unsigned long>(ec.value());
  if (ERR_GET_LIB(code) != ERR_LIB_SSL) return TlsHandshakeResult::Ending::inconclusive;
  const int reason = ERR_GET_REASON(code);
  if (reason >= SSL_AD_REASON_OFFSET) return TlsHandshakeResult::Ending::rejected;  // an alert
  const bool answered = tls_answered(ssl);
  switch (reason) {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_WRONG_CIPHER_RETURNED:
    case SSL_R_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED:
      return answered ? TlsHandshakeResult::Ending::rejected
                      : TlsHandshakeResult::Ending::inconclusive;
    default:
      return TlsHandshakeResult::Ending::inconclusive;
  }
}

// Why a handshake failed on this client's side, or ended without the server refusing.
std::string describe_inconclusive(SSL* ssl, const beast::error_code& ec) {
  if (ec.category() == net::error::get_ssl_category()) {
    switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
      case SSL_R_NO_CIPHERS_AVAILABLE:
        return "this client has no cipher it can offer for these protocol versions (no ciphers "
               "available)";
      case SSL_R_NO_PROTOCOLS_AVAILABLE:
        return "this client has no protocol version it can offer (no protocols available)";
      default:
        break;
    }
  }
  if (!tls_hello_sent(ssl)) {
    return fmt::format("the handshake failed before the ClientHello was sent: {}", ec.message());
  }
  return describe_handshake_failure(ssl, ec);
}

}  // namespace

TlsHandshake::TlsHandshake(net::io_context& io, std::shared_ptr<ssl::context> context,
                           Handler handler)
    : context_(std::move(context)), stream_(io, *context_), handler_(std::move(handler)) {}

TlsHandshake::~TlsHandshake() = default;

void TlsHandshake::start(const std::vector<tcp::endpoint>& endpoints,
                         const std::string& server_name, Clock::time_point budget_end) {
  std::string error;
  // Names are always set, also when nothing is verified, so the verification result (which
  // OpenSSL computes either way) names the real problem.
  if (!prepare_tls_connection(stream_.native_handle(), server_name, false, error)) {
    result_.reason = error;
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->report(); });
    return;
  }
  beast::get_lowest_layer(stream_).expires_at(budget_end);
  started_ = Clock::now();
  detail::connect_to_first(
      beast::get_lowest_layer(stream_), endpoints,
      beast::bind_front_handler(&TlsHandshake::on_connect, shared_from_this()));
}

void TlsHandshake::stop() {
  stopped_ = true;
  beast::get_lowest_layer(stream_).close();
  // Never called now: it holds its owner, which holds this handshake (a cycle that leaked both
  // and the connection's TLS state).
  handler_ = nullptr;
}

void TlsHandshake::on_connect(beast::error_code ec, const tcp::endpoint& endpoint) {
  if (stopped_) return;
  if (ec) {
    result_.timed_out = ec == beast::error::timeout;
    result_.reason = ec.message();
    return report();
  }
  result_.address = endpoint.address().is_v6()
                        ? fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port())
                        : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
  const Clock::time_point connected = Clock::now();
  result_.connect_time = connected - started_;
  started_ = connected;
  stream_.async_handshake(
      ssl::stream_base::client,
      beast::bind_front_handler(&TlsHandshake::on_handshake, shared_from_this()));
}

void TlsHandshake::on_handshake(beast::error_code ec) {
  if (stopped_) return;
  SSL* native = stream_.native_handle();
  if (ec == beast::error::timeout) {
    result_.timed_out = true;
    result_.reason = "in the TLS handshake";
  } else if (ec) {
    result_.ending = classify_failure(native, ec);
    result_.hello_sent = tls_hello_sent(native);
    result_.answered = tls_answered(native);
    result_.reason = result_.ending == TlsHandshakeResult::Ending::rejected
                         ? describe_handshake_failure(native, ec)
                         : describe_inconclusive(native, ec);
  } else {
    // Completed is accepted, certificate or not: anonymous ciphers send none.
    result_.ending = TlsHandshakeResult::Ending::accepted;
    result_.handshake_time = Clock::now() - started_;
    result_.protocol = tls_version_name(SSL_version(native));
    if (const char* cipher = SSL_get_cipher_name(native)) result_.cipher = cipher;
    result_.peer = describe_peer(native);
    if (SSL_get_verify_result(native) != X509_V_OK) {
      result_.verify_failure = describe_handshake_failure(native, {});
    }
  }
  report();
}

void TlsHandshake::report() {
  stopped_ = true;
  beast::get_lowest_layer(stream_).close();
  auto handler = std::move(handler_);
  handler(std::move(result_));
}

}  // namespace cutover
