#include "loopback/http_servers.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace cutover::loopback {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// Requests may carry bodies (smoke flows post JSON); the limits only stop a runaway client.
constexpr std::uint64_t kBodyLimit = 64 * 1024 * 1024;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kLargeBodyPiece = 64 * 1024;
// A peer that ignores close_notify must not keep a finished connection alive.
constexpr std::chrono::seconds kShutdownBudget{2};

struct Route {
  enum class Kind { answer, never_answer, close, slowly, large_body };
  Kind kind = Kind::answer;
  HttpServer::Handler handler{};
  HttpResponse response{};  // for slowly
  std::chrono::milliseconds delay{};
  std::size_t bytes = 0;
  bool chunked = false;
};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string rfc2253(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  std::string text;
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    text.assign(data, static_cast<std::size_t>(size));
  }
  BIO_free(bio);
  return text;
}

std::unique_ptr<ssl::context> make_server_context(const TlsServerOptions& options) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX* handle = context->native_handle();
  // Before the certificate is loaded: at the default level OpenSSL refuses a 1024-bit key.
  if (options.legacy) {
    SSL_CTX_set_security_level(handle, 0);
    // Debian's openssl.cnf may raise the minimum; 0 means the lowest the library knows.
    if (options.min_version == 0) SSL_CTX_set_min_proto_version(handle, 0);
  }
  const std::string cipher_list = !options.cipher_list.empty()
                                      ? options.cipher_list
                                      : (options.legacy ? "DEFAULT:@SECLEVEL=0" : std::string());
  if (!cipher_list.empty() && SSL_CTX_set_cipher_list(handle, cipher_list.c_str()) != 1) {
    throw std::runtime_error("test server: bad cipher list " + cipher_list);
  }
  if (!options.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(handle, options.ciphersuites.c_str()) != 1) {
    throw std::runtime_error("test server: bad TLS 1.3 ciphersuites " + options.ciphersuites);
  }
  if ((options.min_version != 0 &&
       SSL_CTX_set_min_proto_version(handle, options.min_version) != 1) ||
      (options.max_version != 0 &&
       SSL_CTX_set_max_proto_version(handle, options.max_version) != 1)) {
    throw std::runtime_error("test server: bad protocol version bounds");
  }
  context->use_certificate_chain_file(options.certificate.chain_file.string());
  context->use_private_key_file(options.certificate.key_file.string(), ssl::context::pem);
  if (!options.client_ca_file.empty()) {
    context->load_verify_file(options.client_ca_file.string());
    // Tells the client which CAs it may choose a certificate from.
    SSL_CTX_set_client_CA_list(handle, SSL_load_client_CA_file(options.client_ca_file.c_str()));
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (equal_ignoring_case(field, name)) return value;
  }
  return {};
}

std::string invalid_text_body() {
  using namespace std::string_literals;
  return "status: ok\n"
         "lone continuation: \x80\n"
         "truncated sequence: \xE2\x82\n"
         "overlong slash: \xC0\xAF\n"
         "never valid: \xFF\xFE\n"
         "controls: NUL \0 ESC \x1B BEL \x07 DEL \x7F\r\n"
         "valid: caf\xC3\xA9 \xE2\x82\xAC\n"s;
}

namespace detail {

struct HttpServerState {
  HttpServerState(const boost::asio::ip::address& address,
                  std::unique_ptr<ssl::context> tls_context);

  void accept_next();
  std::shared_ptr<const Route> find_route(std::string_view target) const;
  void add_route(const std::string& path, Route route);
  void record_request(HttpRequest request);
  std::size_t add_connection(HttpConnection connection);
  void update_connection(std::size_t index, const HttpConnection& connection);

  mutable std::mutex mutex;  // guards routes, requests and connections
  std::map<std::string, std::shared_ptr<const Route>, std::less<>> routes;
  std::vector<HttpRequest> requests;
  std::vector<HttpConnection> connections;

  // Declared before the io_context: sessions destroyed with it still use the SSL_CTX.
  std::unique_ptr<ssl::context> tls;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::string host;  // as in a URL: "127.0.0.1", "[::1]"
  std::uint16_t port = 0;
  std::atomic<bool> hold_connections{false};
  std::thread thread;
};

}  // namespace detail

namespace {

// One connection: optional TLS handshake, then requests answered in turn. A shared_ptr held by
// its pending operation keeps it alive; stopping the io_context destroys it.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <typename... StreamArguments>
  Session(detail::HttpServerState& server, std::size_t connection_index,
          StreamArguments&&... arguments)
      : server_(server),
        connection_index_(connection_index),
        stream_(std::forward<StreamArguments>(arguments)...),
        timer_(server.io) {}

  void start() {
    if constexpr (kTls) {
      stream_.async_handshake(
          ssl::stream_base::server,
          beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    } else {
      read_request();
    }
  }

  void start_holding() { hold(); }

 private:
  void on_handshake(beast::error_code error) {
    SSL* ssl = stream_.native_handle();
    HttpConnection connection;
    connection.handshake_completed = !error;
    if (error) connection.handshake_error = error.message();
    if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
      connection.server_name = name;
    }
    server_name_ = connection.server_name;
    if (!error) {
      connection.protocol = SSL_get_version(ssl);
      connection.cipher = SSL_get_cipher_name(ssl);
      if (X509* peer = SSL_get0_peer_certificate(ssl)) {
        connection.client_certificate_subject = rfc2253(X509_get_subject_name(peer));
      }
    }
    server_.update_connection(connection_index_, connection);
    if (error) return close();
    read_request();
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_request, this->shared_from_this()));
  }

  void on_request(beast::error_code error, std::size_t) {
    if (error) return close();
    request_ = parser_->release();
    HttpRequest recorded;
    recorded.method = std::string(request_.method_string());
    recorded.target = std::string(request_.target());
    for (const auto& field : request_) {
      recorded.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    recorded.body = request_.body();
    recorded.server_name = server_name_;
    server_.record_request(recorded);

    const std::shared_ptr<const Route> route = server_.find_route(recorded.target);
    if (!route) {
      return send(HttpResponse{404, {{"Content-Type", "text/plain"}}, "no route for this path\n"});
    }
    switch (route->kind) {
      case Route::Kind::answer:
        return answer(*route, recorded);
      case Route::Kind::never_answer:
        return hold();
      case Route::Kind::close:
        return close();
      case Route::Kind::slowly:
        return send_slowly(route->response, route->delay);
      case Route::Kind::large_body:
        return send_large_body(route->bytes, route->chunked);
    }
  }

  void answer(const Route& route, const HttpRequest& request) {
    HttpResponse response;
    try {
      response = route.handler(request);
    } catch (const std::exception& error) {
      // An exception escaping to io_context::run would end the test program.
      response = HttpResponse{500, {{"Content-Type", "text/plain"}}, error.what()};
    }
    send(response);
  }

  http::response<http::string_body> to_message(const HttpResponse& response) const {
    http::response<http::string_body> message;
    message.result(response.status);
    message.version(request_.version());
    message.keep_alive(request_.keep_alive());
    for (const auto& [name, value] : response.headers)
      message.insert(name, value);
    message.body() = response.body;
    if (message.find(http::field::transfer_encoding) == message.end() &&
        message.find(http::field::content_length) == message.end()) {
      message.prepare_payload();
    }
    return message;
  }

  void send(const HttpResponse& response) {
    response_ = to_message(response);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::on_sent, this->shared_from_this()));
  }

  void on_sent(beast::error_code error, std::size_t) {
    if (error) return close();
    if (!response_.keep_alive()) return finish();
    read_request();
  }

  // Reads and drops whatever comes until the client closes or the server stops.
  void hold() {
    stream_.async_read_some(asio::buffer(discard_), [self = this->shared_from_this()](
                                                        beast::error_code error, std::size_t) {
      if (error) return self->close();
      self->hold();
    });
  }

  void send_slowly(const HttpResponse& response, std::chrono::milliseconds delay) {
    response_ = to_message(response);
    std::ostringstream text;
    text << response_;
    pending_ = text.str();
    delay_ = delay;
    sent_ = 0;
    send_next_byte();
  }

  void send_next_byte() {
    asio::async_write(stream_, asio::buffer(pending_.data() + sent_, 1),
                      [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                        if (error) return self->close();
                        if (++self->sent_ == self->pending_.size()) return self->on_sent({}, 0);
                        self->timer_.expires_after(self->delay_);
                        self->timer_.async_wait([self](beast::error_code timer_error) {
                          if (timer_error) return self->close();
                          self->send_next_byte();
                        });
                      });
  }

  void send_large_body(std::size_t bytes, bool chunked) {
    large_header_.emplace(http::status::ok, request_.version());
    large_header_->set(http::field::content_type, "application/octet-stream");
    large_header_->keep_alive(request_.keep_alive());
    if (chunked) {
      large_header_->chunked(true);
    } else {
      large_header_->content_length(bytes);
    }
    large_serializer_.emplace(*large_header_);
    remaining_ = bytes;
    chunked_ = chunked;
    last_chunk_sent_ = false;
    piece_.assign(kLargeBodyPiece, 'x');
    http::async_write_header(
        stream_, *large_serializer_,
        [self = this->shared_from_this()](beast::error_code error, std::size_t) {
          if (error) return self->close();
          self->send_next_piece();
        });
  }

  void send_next_piece() {
    auto next = [self = this->shared_from_this()](beast::error_code error, std::size_t) {
      if (error) return self->close();
      self->send_next_piece();
    };
    if (remaining_ > 0) {
      const auto piece = asio::buffer(piece_.data(), std::min(remaining_, piece_.size()));
      remaining_ -= piece.size();
      if (chunked_) return asio::async_write(stream_, http::make_chunk(piece), std::move(next));
      return asio::async_write(stream_, piece, std::move(next));
    }
    if (chunked_ && !last_chunk_sent_) {
      last_chunk_sent_ = true;
      return asio::async_write(stream_, http::make_chunk_last(), std::move(next));
    }
    if (!large_header_->keep_alive()) return finish();
    read_request();
  }

  // Ends a connection after its last response, telling a TLS client with close_notify.
  void finish() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(kShutdownBudget);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      close();
    }
  }

  void close() {
    timer_.cancel();
    beast::get_lowest_layer(stream_).close();
  }

  detail::HttpServerState& server_;
  std::size_t connection_index_;
  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::string server_name_;
  std::array<char, 4096> discard_{};
  std::string pending_;
  std::size_t sent_ = 0;
  std::chrono::milliseconds delay_{};
  std::optional<http::response<http::empty_body>> large_header_;
  std::optional<http::response_serializer<http::empty_body>> large_serializer_;
  std::string piece_;
  std::size_t remaining_ = 0;
  bool chunked_ = false;
  bool last_chunk_sent_ = false;
};

}  // namespace

detail::HttpServerState::HttpServerState(const boost::asio::ip::address& address,
                                         std::unique_ptr<ssl::context> tls_context)
    : tls(std::move(tls_context)), acceptor(io) {
  const tcp::endpoint endpoint(address, 0);
  acceptor.open(endpoint.protocol());
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  port = acceptor.local_endpoint().port();
  host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  accept_next();
  thread = std::thread([this] { io.run(); });
}

void detail::HttpServerState::accept_next() {
  acceptor.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      HttpConnection connection;
      connection.handshake_completed = !tls;
      const std::size_t index = add_connection(connection);
      if (hold_connections) {
        std::make_shared<Session<beast::tcp_stream>>(*this, index, std::move(socket))
            ->start_holding();
      } else if (tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, index,
                                                                        std::move(socket), *tls)
            ->start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(*this, index, std::move(socket))->start();
      }
    }
    accept_next();
  });
}

std::shared_ptr<const Route> detail::HttpServerState::find_route(std::string_view target) const {
  const std::string_view path = target.substr(0, target.find('?'));
  const std::lock_guard lock(mutex);
  const auto found = routes.find(path);
  return found == routes.end() ? nullptr : found->second;
}

void detail::HttpServerState::add_route(const std::string& path, Route route) {
  const std::lock_guard lock(mutex);
  routes[path] = std::make_shared<const Route>(std::move(route));
}

void detail::HttpServerState::record_request(HttpRequest request) {
  const std::lock_guard lock(mutex);
  requests.push_back(std::move(request));
}

std::size_t detail::HttpServerState::add_connection(HttpConnection connection) {
  const std::lock_guard lock(mutex);
  connections.push_back(std::move(connection));
  return connections.size() - 1;
}

void detail::HttpServerState::update_connection(std::size_t index,
                                                const HttpConnection& connection) {
  const std::lock_guard lock(mutex);
  connections.at(index) = connection;
}

HttpServer::HttpServer(const boost::asio::ip::address& address)
    : state_(std::make_unique<detail::HttpServerState>(address, nullptr)) {}

HttpServer::HttpServer(const TlsServerOptions& tls, const boost::asio::ip::address& address)
    : state_(std::make_unique<detail::HttpServerState>(address, make_server_context(tls))) {}

HttpServer::~HttpServer() {
  // Held connections never finish by themselves: stop the loop rather than wait for it to run
  // out of work; destroying the io_context then frees every session.
  state_->io.stop();
  state_->thread.join();
}

std::uint16_t HttpServer::port() const {
  return state_->port;
}

std::string HttpServer::url(std::string_view path) const {
  return url(state_->host, path);
}

std::string HttpServer::url(std::string_view host, std::string_view path) const {
  return std::string(state_->tls ? "https://" : "http://") + std::string(host) + ":" +
         std::to_string(state_->port) + std::string(path);
}

void HttpServer::route(const std::string& path, Handler handler) {
  Route route;
  route.handler = std::move(handler);
  state_->add_route(path, std::move(route));
}

void HttpServer::respond(const std::string& path, unsigned status, HttpHeaders headers,
                         std::string body) {
  route(path, [response = HttpResponse{status, std::move(headers), std::move(body)}](
                  const HttpRequest&) { return response; });
}

void HttpServer::never_answer(const std::string& path) {
  Route route;
  route.kind = Route::Kind::never_answer;
  state_->add_route(path, std::move(route));
}

void HttpServer::close_without_answer(const std::string& path) {
  Route route;
  route.kind = Route::Kind::close;
  state_->add_route(path, std::move(route));
}

void HttpServer::answer_slowly(const std::string& path, HttpResponse response,
                               std::chrono::milliseconds delay_between_bytes) {
  Route route;
  route.kind = Route::Kind::slowly;
  route.response = std::move(response);
  route.delay = delay_between_bytes;
  state_->add_route(path, std::move(route));
}

void HttpServer::send_large_body(const std::string& path, std::size_t bytes, bool chunked) {
  Route route;
  route.kind = Route::Kind::large_body;
  route.bytes = bytes;
  route.chunked = chunked;
  state_->add_route(path, std::move(route));
}

void HttpServer::redirect(const std::string& path, const std::string& to, unsigned status) {
  respond(path, status, {{"Location", to}});
}

void HttpServer::answer_invalid_text(const std::string& path) {
  respond(path, 200, {{"Content-Type", "text/plain; charset=utf-8"}}, invalid_text_body());
}

void HttpServer::hold_new_connections() {
  state_->hold_connections = true;
}

std::vector<HttpRequest> HttpServer::requests() const {
  const std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::vector<HttpConnection> HttpServer::connections() const {
  const std::lock_guard lock(state_->mutex);
  return state_->connections;
}

}  // namespace cutover::loopback
