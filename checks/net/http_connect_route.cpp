#include "checks/net/http_connect_route.hpp"

#include <fmt/format.h>

namespace cutover::detail {

ConnectRoute::ConnectRoute(std::optional<ConnectTo> connect_to)
    : connect_to_(std::move(connect_to)) {}

void ConnectRoute::aim(const Url& url) {
  if (!origin_) origin_ = std::pair{url.host, url.port};
  via_connect_to_ = connect_to_ && url.host == origin_->first && url.port == origin_->second;
  host_ = via_connect_to_ ? connect_to_->host : url.host;
  port_ = via_connect_to_ ? connect_to_->port.value_or(url.port) : url.port;
}

std::string ConnectRoute::label() const {
  return host_.find(':') != std::string::npos ? fmt::format("[{}]:{}", host_, port_)
                                              : fmt::format("{}:{}", host_, port_);
}

}  // namespace cutover::detail
