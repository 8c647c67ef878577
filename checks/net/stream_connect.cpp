#include "checks/net/stream_connect.hpp"

#include "harness/descriptors.hpp"

namespace cutover::detail {

boost::beast::error_code open_for(boost::asio::ip::tcp::socket& socket,
                                  const std::vector<boost::asio::ip::tcp::endpoint>& endpoints) {
  boost::beast::error_code ec;
  if (endpoints.empty() || socket.is_open()) return ec;
  socket.open(endpoints.front().protocol(), ec);
  return descriptor_error(ec);
}

}  // namespace cutover::detail
