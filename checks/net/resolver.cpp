#include "checks/net/resolver.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "harness/text.hpp"

namespace cutover {
namespace {

// Longer than any IPv6 text form (45) plus a scope id (at most 15 + '%').
constexpr std::size_t kMaxLiteralLength = 63;

constexpr std::string_view kResolverField = "resolver";
const std::vector<std::string> kResolverKeys = {"servers", "tcp"};

std::string shown(const nlohmann::json& value) {
  if (value.is_object()) return "a mapping";
  if (value.is_array()) return "a list";
  if (value.is_string()) return fmt::format("\"{}\"", value.get<std::string>());
  return value.dump();
}

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

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 address. Returns the host without
// brackets and the port if any, or nothing when malformed.
std::optional<std::pair<std::string, std::optional<std::uint16_t>>> split_host_port(
    std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string host(text.substr(1, close - 1));
    const auto address = parse_ip_literal(host);
    if (!address || !address->is_v6()) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return std::pair{host, std::optional<std::uint16_t>{}};
    if (rest.front() != ':') return std::nullopt;
    auto port = parse_port(rest.substr(1));
    if (!port) return std::nullopt;
    return std::pair{host, std::optional<std::uint16_t>{port}};
  }
  if (std::count(text.begin(), text.end(), ':') > 1) {
    if (!parse_ip_literal(text)) return std::nullopt;
    return std::pair{std::string(text), std::optional<std::uint16_t>{}};
  }
  const std::size_t colon = text.find(':');
  std::string host(text.substr(0, colon));
  if (host.empty()) return std::nullopt;
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '@') return std::nullopt;
  }
  if (colon == std::string_view::npos) return std::pair{host, std::optional<std::uint16_t>{}};
  auto port = parse_port(text.substr(colon + 1));
  if (!port) return std::nullopt;
  return std::pair{host, std::optional<std::uint16_t>{port}};
}

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
    std::string message = fmt::format("unknown key '{}'", key);
    if (std::string suggestion = closest_match(key, kResolverKeys); !suggestion.empty()) {
      message += fmt::format(" (did you mean '{}'?)", suggestion);
    } else {
      message += fmt::format(" (expected one of: {})", fmt::join(kResolverKeys, ", "));
    }
    error(std::move(message));
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
