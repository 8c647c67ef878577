#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "checks/net/http_assertions.hpp"

namespace cutover::detail {

// Reads one HTTP response after another from their streams: the header whole, then the body in
// chunks, kept up to max_body (a longer body is cut, not refused).
class ResponseReader {
 public:
  ResponseReader();
  ~ResponseReader();
  ResponseReader(const ResponseReader&) = delete;
  ResponseReader& operator=(const ResponseReader&) = delete;

  // Called before each response is read; the response to a HEAD request has no body.
  void reset(bool head);

  // Reads the header; `handler(ec, bytes)`, then read_header().
  template <typename Stream, typename Handler>
  void async_read_header(Stream& stream, Handler&& handler) {
    boost::beast::http::async_read_header(stream, buffer_, *parser_,
                                          std::forward<Handler>(handler));
  }

  // After the header: its status, reason and fields, in the order received, into `response`.
  void read_header(HttpResponse& response) const;

  // Whether the whole response has been read.
  bool done() const { return parser_->is_done(); }

  // Reads the next chunk of the body; `handler(ec, bytes)`, then take_chunk().
  template <typename Stream, typename Handler>
  void async_read_chunk(Stream& stream, Handler&& handler) {
    prepare_chunk();
    boost::beast::http::async_read(stream, buffer_, *parser_, std::forward<Handler>(handler));
  }

  // After a chunk was read with `ec`: appends what came to `response.body`, up to `max_body`.
  // Returns the error that remains: a full chunk (need_buffer) is none, and neither is a TLS
  // stream that ends without close_notify after a body delimited by the connection's end.
  boost::beast::error_code take_chunk(boost::beast::error_code ec, HttpResponse& response,
                                      std::uint64_t max_body);

  // Body bytes the chunk being read has received so far: a read completes only once its chunk
  // is full, so a slow body's bytes wait here until then.
  std::size_t chunk_bytes() const;

 private:
  void prepare_chunk();

  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> parser_;
  std::vector<char> chunk_;
  bool reading_chunk_ = false;  // between prepare_chunk and take_chunk
};

}  // namespace cutover::detail
