#include "checks/resolver.hpp"

#include <algorithm>
#include <array>
#include <string>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace cutover {
namespace {

// Longer than any IPv6 text form (45) plus a scope id (at most 15 + '%').
constexpr std::size_t kMaxLiteralLength = 63;

}  // namespace

std::optional<boost::asio::ip::address> parse_ip_literal(std::string_view host) {
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host.empty() || host.size() > kMaxLiteralLength) return std::nullopt;
  // A stack copy: make_address wants a terminated string and the check runs thousands of
  // times a second.
  std::array<char, kMaxLiteralLength + 1> text{};
  std::copy(host.begin(), host.end(), text.begin());
  boost::system::error_code error;
  const boost::asio::ip::address address = boost::asio::ip::make_address(text.data(), error);
  if (error) return std::nullopt;
  // Brackets belong to IPv6 only: "[10.0.0.1]" is a mistake, not an address.
  if (bracketed && !address.is_v6()) return std::nullopt;
  return address;
}

Resolver::Resolver(boost::asio::io_context& io) : io_(io) {}

Resolver::~Resolver() = default;

void Resolver::async_resolve(std::string_view host, std::uint16_t port, Handler handler) {
  if (const auto address = parse_ip_literal(host)) {
    boost::asio::post(io_, [handler = std::move(handler),
                            endpoint = boost::asio::ip::tcp::endpoint(*address, port)]() mutable {
      handler({}, Endpoints{endpoint});
    });
    return;
  }
  if (!system_) system_.emplace(io_);
  system_->async_resolve(
      host, std::to_string(port), boost::asio::ip::tcp::resolver::numeric_service,
      [handler = std::move(handler)](const boost::system::error_code& error,
                                     const boost::asio::ip::tcp::resolver::results_type& results) {
        Endpoints endpoints;
        if (!error) {
          for (const auto& entry : results)
            endpoints.push_back(entry.endpoint());
        }
        if (!error && endpoints.empty()) {
          handler(boost::asio::error::host_not_found, {});
          return;
        }
        handler(error, std::move(endpoints));
      });
}

void Resolver::cancel() {
  if (system_) system_->cancel();
}

}  // namespace cutover
