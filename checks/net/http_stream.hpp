#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "checks/net/dns_client.hpp"
#include "checks/net/stream_connect.hpp"
#include "harness/duration.hpp"

namespace cutover::detail {

// The connection of one HTTP request: a plain TCP stream, or a TLS stream over one. Each request
// gets a new one (no keep-alive). A closed stream is kept until the holder ends: a handler of
// the closed one may still be queued.
class HttpStream {
 public:
  using Plain = boost::beast::tcp_stream;
  using Secure = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  explicit HttpStream(boost::asio::io_context& io);
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  // Called before each connection, after close(): a plain stream.
  void open_plain();

  // Called before each connection, after close(): a TLS stream prepared for its handshake with
  // `server_name` (SNI, and verification unless `insecure`); OpenSSL's reason when that failed.
  std::optional<std::string> open_tls(boost::asio::ssl::context& context,
                                      const std::string& server_name, bool insecure);

  // Connects to the first of `endpoints` that accepts; `handler(ec, took)` with the time the
  // connection took.
  template <typename Handler>
  void async_connect(const dns::Endpoints& endpoints, Handler handler) {
    const auto started = std::chrono::steady_clock::now();
    connect_to_first(
        lowest(), endpoints,
        [handler = std::move(handler), started](boost::beast::error_code ec,
                                                const boost::asio::ip::tcp::endpoint&) mutable {
          handler(ec, Duration(std::chrono::steady_clock::now() - started));
        });
  }

  // After async_connect, for a TLS stream: the client's handshake.
  template <typename Handler>
  void async_handshake(Handler handler) {
    secure_->async_handshake(boost::asio::ssl::stream_base::client, std::move(handler));
  }

  // Why the handshake failed with `error`, in words a person can act on.
  std::string handshake_failure(const boost::beast::error_code& error);

  // After a failed handshake: whether the server sent anything (an alert, a certificate, bytes
  // that are not TLS), rather than closing or resetting the connection without a word.
  bool handshake_answered() const;

  bool tls() const { return secure_ != nullptr; }

  // Runs `operation` with the stream to read and write: the TLS one, or the plain one.
  template <typename Operation>
  void with_stream(Operation&& operation) {
    if (secure_) {
      operation(*secure_);
    } else {
      operation(*plain_);
    }
  }

  // Closes the socket of the current stream, if any; the stream itself is kept (see above).
  void close();

 private:
  Plain& lowest() { return secure_ ? boost::beast::get_lowest_layer(*secure_) : *plain_; }

  boost::asio::io_context& io_;
  std::unique_ptr<Plain> plain_;
  std::unique_ptr<Secure> secure_;
  std::vector<std::unique_ptr<Plain>> retired_plain_;
  std::vector<std::unique_ptr<Secure>> retired_secure_;
};

}  // namespace cutover::detail
