#pragma once

#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace cutover::detail {

// Opens `socket` for the protocol of the first of `endpoints` (none: nothing to open). The
// error when it cannot, out of descriptors read as harness/descriptors.hpp says.
boost::beast::error_code open_for(boost::asio::ip::tcp::socket& socket,
                                  const std::vector<boost::asio::ip::tcp::endpoint>& endpoints);

// beast's range async_connect, except that a socket that cannot be opened is reported as such:
// asio's range connect reports it as operation_aborted, so a process out of descriptors would
// read "Operation canceled". `handler(ec, endpoint)` runs from the loop, never inside this call.
template <typename Handler>
void connect_to_first(boost::beast::tcp_stream& stream,
                      const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
                      Handler handler) {
  // The range connect closes the socket and opens it again for each endpoint: on the one loop
  // thread nothing takes the descriptor in between.
  if (const boost::beast::error_code ec = open_for(stream.socket(), endpoints)) {
    boost::asio::post(stream.get_executor(), [handler = std::move(handler), ec]() mutable {
      handler(ec, boost::asio::ip::tcp::endpoint());
    });
    return;
  }
  stream.async_connect(endpoints, std::move(handler));
}

}  // namespace cutover::detail
