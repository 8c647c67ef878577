#include "checks/net/resolver.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "checks/net/address.hpp"
#include "harness/text.hpp"

namespace cutover {
namespace {

constexpr std::string_view kResolverField = "resolver";
const std::vector<std::string> kResolverKeys = {"servers", "tcp"};

std::string shown(const nlohmann::json& value) {
  if (value.is_object()) return "a mapping";
  if (value.is_array()) return "a list";
  if (value.is_string()) return fmt::format("\"{}\"", value.get<std::string>());
  return value.dump();
}

}  // namespace

FieldSpec resolver_field_spec() {
  return {.name = std::string(kResolverField),
          .type = FieldType::object,
          .description =
              "DNS servers that resolve the check's host names instead of the system's: "
              "{servers: [ADDRESS[:PORT], …] asked in order, tcp: true to ask over TCP only}; "
              "/etc/hosts and search domains are then not used (localhost stays local)"};
}

dns::ResolverSettings read_resolver_field(Fields& fields) {
  dns::ResolverSettings settings;
  if (!fields.has(kResolverField)) return settings;
  const auto error = [&](std::string message) {
    fields.error(kResolverField, fmt::format("resolver: {}", message));
  };
  const nlohmann::json value = fields.object(kResolverField);
  if (!value.is_object()) {
    error(
        fmt::format("expected a mapping like {{servers: [\"10.0.0.53\"]}}, got {}", shown(value)));
    return settings;
  }
  for (const auto& [key, operand] : value.items()) {
    if (std::find(kResolverKeys.begin(), kResolverKeys.end(), key) != kResolverKeys.end()) {
      continue;
    }
    error(unknown_key(key, kResolverKeys));
  }

  if (value.contains("tcp")) {
    if (value["tcp"].is_boolean()) {
      settings.tcp = value["tcp"].get<bool>();
    } else {
      error(fmt::format("tcp: expected true or false, got {}", shown(value["tcp"])));
    }
  }

  if (!value.contains("servers")) {
    error("servers: missing: list the DNS servers to ask, like servers: [\"10.0.0.53\"]");
    return settings;
  }
  nlohmann::json servers = value["servers"];
  if (servers.is_string()) servers = nlohmann::json::array({servers});
  if (!servers.is_array()) {
    error(fmt::format("servers: expected a list of DNS server addresses, got {}", shown(servers)));
    return settings;
  }
  if (servers.empty()) {
    error("servers: expected one or more DNS server addresses, got an empty list");
    return settings;
  }
  for (const nlohmann::json& server : servers) {
    const std::optional<dns::ServerAddress> address =
        server.is_string() ? dns::parse_server(server.get<std::string>()) : std::nullopt;
    if (!address) {
      error(
          fmt::format("servers: expected an IP address with an optional port (10.0.0.53, "
                      "10.0.0.53:5353, [::1]:5353), got {}",
                      shown(server)));
      continue;
    }
    settings.servers.push_back(*address);
  }
  return settings;
}

struct Resolver::Lookup {
  Handler handler;
  std::shared_ptr<dns::PendingQuery> pending;
  std::optional<boost::asio::steady_timer> deadline;  // none for IP literals: nothing to wait for
};

namespace {

// c-ares asks each server in turn and doubles the timeout after each round: two rounds of T take
// 3T per server, counting the servers the channel really has (resolv.conf may list several). T
// is rounded up and given a few milliseconds more, so that a caller timing the lookup against
// `budget` always sees its own deadline first, and a lookup it gave up on lets go of its places
// under the channel's cap a few milliseconds later.
dns::ResolverSettings within(boost::asio::io_context& io, dns::ResolverSettings settings,
                             std::optional<Duration> budget) {
  if (!budget || settings.try_timeout.count() > 0) return settings;
  constexpr int kRounds = 2;
  constexpr std::chrono::milliseconds kMargin{5};
  const auto servers = static_cast<long>(std::max<std::size_t>(dns::server_count(io, settings), 1));
  settings.tries = kRounds;
  settings.try_timeout =
      std::chrono::ceil<std::chrono::milliseconds>(*budget / (3 * servers)) + kMargin;
  return settings;
}

}  // namespace

Resolver::Resolver(boost::asio::io_context& io, dns::ResolverSettings settings,
                   std::optional<Duration> budget)
    : io_(io), settings_(within(io, std::move(settings), budget)) {}

Resolver::~Resolver() {
  if (lookup_) lookup_->pending->cancel();
}

void Resolver::async_resolve(std::string_view host, std::uint16_t port, Handler handler,
                             std::optional<std::chrono::steady_clock::time_point> deadline) {
  cancel();  // one lookup at a time
  auto lookup = std::make_shared<Lookup>();
  lookup->handler = std::move(handler);
  const std::weak_ptr<Lookup> weak = lookup;
  lookup->pending =
      dns::async_resolve(io_, settings_, std::string(host), port,
                         [weak](boost::system::error_code error, Endpoints endpoints) {
                           const auto lookup = weak.lock();
                           if (!lookup) return;
                           if (lookup->deadline) lookup->deadline->cancel();
                           if (Handler handler = std::exchange(lookup->handler, nullptr)) {
                             handler(error, std::move(endpoints));
                           }
                         });
  if (deadline && !parse_ip_literal(host)) {
    lookup->deadline.emplace(io_, *deadline);
    lookup->deadline->async_wait([weak](boost::system::error_code error) {
      const auto lookup = weak.lock();
      if (error || !lookup) return;
      if (Handler handler = std::exchange(lookup->handler, nullptr)) {  // the lookup answered first
        lookup->pending->cancel();
        handler(boost::asio::error::timed_out, {});
      }
    });
  }
  lookup_ = std::move(lookup);
}

void Resolver::cancel() {
  if (!lookup_ || !lookup_->handler) return;
  if (lookup_->deadline) lookup_->deadline->cancel();
  lookup_->pending->cancel();
  boost::asio::post(io_, [handler = std::exchange(lookup_->handler, nullptr)] {
    handler(boost::asio::error::operation_aborted, {});
  });
}

}  // namespace cutover
