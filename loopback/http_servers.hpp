#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "loopback/certificates.hpp"

namespace cutover::loopback {

// Header fields in order, repeats allowed (several Set-Cookie lines are several entries).
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// What a client sent, as the server received it.
struct HttpRequest {
  std::string method{};  // "GET"
  std::string target{};  // "/health?verbose=1": the request line's target, as sent
  HttpHeaders headers{};
  std::string body{};
  std::string server_name{};  // TLS SNI the client sent; empty without TLS or without SNI

  // The first value of the named field (case-insensitive), "" when absent: header("Host").
  std::string header(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  HttpHeaders headers{};  // Content-Length is added unless set here, or Transfer-Encoding
  std::string body{};
};

// One accepted connection. For TLS, filled in once its handshake ends.
struct HttpConnection {
  bool handshake_completed = false;          // always true without TLS
  std::string handshake_error{};             // OpenSSL's reason, when the handshake failed
  std::string server_name{};                 // SNI; "" when the client sent none
  std::string protocol{};                    // "TLSv1.3"; "" without TLS
  std::string cipher{};                      // "TLS_AES_256_GCM_SHA384"
  std::string client_certificate_subject{};  // RFC 2253; "" when the client sent none
};

struct TlsServerOptions {
  Certificate certificate{};               // the server sends certificate.chain_file, with key_file
  std::filesystem::path client_ca_file{};  // not empty: require a client certificate it verifies
  int min_version = 0;                     // TLS1_VERSION ... TLS1_3_VERSION; 0: OpenSSL's default
  int max_version = 0;                     // 0: OpenSSL's default
  // Security level 0 and "DEFAULT:@SECLEVEL=0": what OpenSSL 3 needs to speak TLS 1.0/1.1 or
  // use a 1024-bit key at all. The client must lower its own level too for such a handshake.
  bool legacy = false;
  std::string cipher_list{};   // TLS <= 1.2; empty: the default (or the legacy one)
  std::string ciphersuites{};  // TLS 1.3; empty: OpenSSL's default
};

namespace detail {
struct HttpServerState;
}

// An HTTP/1.1 server (Beast) on port 0 of a loopback address, plain or TLS, on its own thread
// and io_context. Requests are answered by the route registered for their path (the target
// without its query), 404 otherwise; routes may be added while it runs. Connections are
// kept alive as the client asks. The destructor stops it at once, held connections included.
class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit HttpServer(
      const boost::asio::ip::address& address = boost::asio::ip::address_v4::loopback());
  explicit HttpServer(const TlsServerOptions& tls, const boost::asio::ip::address& address =
                                                       boost::asio::ip::address_v4::loopback());
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  // "https://127.0.0.1:PORT/health", "http://[::1]:PORT/"; `host` replaces the address, for
  // names a test maps to it (connect_to).
  std::string url(std::string_view path = "/") const;
  std::string url(std::string_view host, std::string_view path) const;

  // Handlers run on the server's thread; keep them quick. One that throws answers 500.
  void route(const std::string& path, Handler handler);
  void respond(const std::string& path, unsigned status, HttpHeaders headers = {},
               std::string body = {});

  // Faults, one path each:
  // reads the request, then holds the connection open without a byte until the server stops.
  void never_answer(const std::string& path);
  // reads the request, then closes the connection without answering.
  void close_without_answer(const std::string& path);
  // writes the whole response (status line included) one byte at a time.
  void answer_slowly(const std::string& path, HttpResponse response,
                     std::chrono::milliseconds delay_between_bytes);
  // 200 with `bytes` of 'x', announced by Content-Length or sent chunked (in 64 KiB chunks).
  void send_large_body(const std::string& path, std::size_t bytes, bool chunked = false);
  // `status` with "Location: to"; redirect(p, p) is a loop.
  void redirect(const std::string& path, const std::string& to, unsigned status = 302);
  // 200, text/plain; charset=utf-8, body invalid_text_body().
  void answer_invalid_text(const std::string& path);
  // From now on, connections get not a byte, not even a TLS handshake, until the client closes
  // or the server stops: a handshake or first-byte timeout.
  void hold_new_connections();

  // Every request received so far (complete ones, in order), and every connection accepted.
  std::vector<HttpRequest> requests() const;
  std::vector<HttpConnection> connections() const;

 private:
  std::unique_ptr<detail::HttpServerState> state_;
};

// Invalid UTF-8 (a lone continuation byte, a truncated sequence, an overlong encoding, 0xFF)
// mixed with control characters (NUL, ESC, BEL, DEL) and some valid text.
std::string invalid_text_body();

}  // namespace cutover::loopback
