#include "checks/net/http_stream.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include "checks/net/tls_client.hpp"

namespace cutover::detail {

namespace beast = boost::beast;

HttpStream::HttpStream(boost::asio::io_context& io) : io_(io) {}

HttpStream::~HttpStream() = default;

void HttpStream::open_plain() {
  plain_ = std::make_unique<Plain>(io_);
}

std::optional<std::string> HttpStream::open_tls(boost::asio::ssl::context& context,
                                                const std::string& server_name, bool insecure) {
  secure_ = std::make_unique<Secure>(io_, context);
  std::string problem;
  if (!prepare_tls_connection(secure_->native_handle(), server_name, insecure, problem)) {
    return problem;
  }
  return std::nullopt;
}

std::string HttpStream::handshake_failure(const beast::error_code& error) {
  return describe_handshake_failure(secure_->native_handle(), error);
}

bool HttpStream::handshake_answered() const {
  return secure_ != nullptr && tls_answered(secure_->native_handle());
}

void HttpStream::close() {
  beast::error_code ignored;
  if (plain_) plain_->socket().close(ignored);
  if (secure_) beast::get_lowest_layer(*secure_).socket().close(ignored);
  if (plain_) retired_plain_.push_back(std::move(plain_));
  if (secure_) retired_secure_.push_back(std::move(secure_));
}

}  // namespace cutover::detail
