#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "checks/net/tls_client.hpp"
#include "harness/duration.hpp"

namespace cutover {

// How one handshake ended.
struct TlsHandshakeResult {
  enum class Ending {
    accepted,      // the handshake completed
    rejected,      // the server refused: it sent an alert, or answered with what we did not offer
    inconclusive,  // it ended without the server refusing: this client could not offer what it
                   // was asked to, or the server closed or reset the connection without an alert
    unreachable,   // no TCP connection or no answer in time: nothing was learnt
  };
  Ending ending = Ending::unreachable;
  bool timed_out = false;
  std::string reason;       // rejected, inconclusive: why; unreachable: the stage and cause
  bool hello_sent = false;  // the ClientHello went out: a failure may be the server's doing
  bool answered = false;    // the server sent something back, TLS or not
  std::string protocol;     // accepted: "TLSv1.2"
  std::string cipher;       // accepted: "ECDHE-RSA-AES128-SHA"
  std::optional<PeerCertificate> peer;  // accepted, when the server sent a certificate
  std::string verify_failure;           // accepted with a certificate that does not verify
  std::string address;                  // the endpoint connected to
  std::optional<Duration> connect_time;
  std::optional<Duration> handshake_time;
};

// One TCP connection and TLS handshake, closed as soon as the handshake ends: nothing is sent
// over it, so there is no close_notify to wait for. Failures are classified by whether the server
// refused (an alert, or an answer choosing what was not offered) or nothing was learnt.
class TlsHandshake : public std::enable_shared_from_this<TlsHandshake> {
 public:
  using Handler = std::function<void(TlsHandshakeResult)>;

  TlsHandshake(boost::asio::io_context& io, std::shared_ptr<boost::asio::ssl::context> context,
               Handler handler);
  ~TlsHandshake();

  // Called on the event loop to connect to the first endpoint that answers and shake hands as
  // `server_name` (SNI and the name verified), all before `budget_end`. The handler runs once,
  // on the event loop and never inside this call, unless stop() came first.
  void start(const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
             const std::string& server_name, std::chrono::steady_clock::time_point budget_end);

  // Called on the event loop to abandon the handshake; its handler is not called.
  void stop();

 private:
  void on_connect(boost::beast::error_code ec, const boost::asio::ip::tcp::endpoint& endpoint);
  void on_handshake(boost::beast::error_code ec);
  void report();

  std::shared_ptr<boost::asio::ssl::context> context_;  // outlives the stream built from it
  boost::asio::ssl::stream<boost::beast::tcp_stream> stream_;
  Handler handler_;
  TlsHandshakeResult result_;
  std::chrono::steady_clock::time_point started_;
  bool stopped_ = false;
};

}  // namespace cutover
