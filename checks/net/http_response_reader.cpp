#include "checks/net/http_response_reader.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>

namespace cutover::detail {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kReadChunk = 64 * 1024;

}  // namespace

ResponseReader::ResponseReader() = default;

ResponseReader::~ResponseReader() = default;

void ResponseReader::reset(bool head) {
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  // The body is cut at max_body by take_chunk, not refused. Not boost::none: Beast 1.74
  // compares the content length with the empty optional and reports body_limit.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  if (head) parser_->skip(true);
  buffer_.clear();
  reading_chunk_ = false;
}

void ResponseReader::read_header(HttpResponse& response) const {
  const auto& header = parser_->get();
  response.status = static_cast<int>(header.result_int());
  response.reason = std::string(header.reason());
  for (const auto& field : header) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
}

void ResponseReader::prepare_chunk() {
  chunk_.resize(kReadChunk);
  parser_->get().body().data = chunk_.data();
  parser_->get().body().size = chunk_.size();
  reading_chunk_ = true;
}

std::size_t ResponseReader::chunk_bytes() const {
  return reading_chunk_ ? chunk_.size() - parser_->get().body().size : 0;
}

beast::error_code ResponseReader::take_chunk(beast::error_code ec, HttpResponse& response,
                                             std::uint64_t max_body) {
  const std::size_t received = chunk_bytes();
  reading_chunk_ = false;
  const std::uint64_t room = max_body - response.body.size();
  response.body.append(chunk_.data(), std::min<std::uint64_t>(received, room));
  if (received > room) response.body_truncated = true;
  if (ec == http::error::need_buffer) ec = {};
  // Many TLS servers close without close_notify after a body delimited by the connection's
  // end; the body is complete, as curl and browsers accept.
  if (ec == boost::asio::ssl::error::stream_truncated && parser_->need_eof()) {
    beast::error_code ignored;
    parser_->put_eof(ignored);
    ec = {};
  }
  return ec;
}

}  // namespace cutover::detail
