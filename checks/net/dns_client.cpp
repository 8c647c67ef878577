#include "checks/net/dns_client.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <ares.h>
#include <fmt/format.h>
#include <boost/asio/execution_context.hpp>

#include "checks/net/address.hpp"
#include "checks/net/dns_channel.hpp"
#include "checks/net/dns_request.hpp"

namespace cutover::dns {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

std::string ServerAddress::label() const {
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), port);
  return fmt::format("{}:{}", address.to_string(), port);
}

std::optional<ServerAddress> parse_server(std::string_view text) {
  const auto split = split_host_port(text);
  if (!split) return std::nullopt;
  const auto& [host, port] = *split;
  const std::optional<net::ip::address> address = parse_ip_literal(host);
  if (!address) return std::nullopt;
  // c-ares 1.18 has no place for a scope id: "fe80::1%eth0" would silently lose its interface.
  if (address->is_v6() && address->to_v6().scope_id() != 0) return std::nullopt;
  return ServerAddress{.address = *address, .port = port.value_or(53)};
}

namespace {

class AresCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "c-ares"; }

  std::string message(int status) const override {
    switch (status) {
      case ARES_ENODATA:
        return "no A or AAAA record";
      case ARES_EFORMERR:
        return "the DNS server could not parse the query (FORMERR)";
      case ARES_ESERVFAIL:
        return "the DNS server failed to answer (SERVFAIL)";
      case ARES_ENOTFOUND:
        return "no such host";
      case ARES_ENOTIMP:
        return "the DNS server does not implement the query (NOTIMP)";
      case ARES_EREFUSED:
        return "the DNS server refused the query (REFUSED)";
      case ARES_EBADNAME:
        return "not a valid host name";
      case ARES_EBADRESP:
        return "malformed answer from the DNS server";
      case ARES_ECONNREFUSED:
        return "no DNS server could be reached (connection refused)";
      case kNoServerAnswered:
        return "no DNS server gave an answer (SERVFAIL, REFUSED or connection refused)";
      case ARES_ETIMEOUT:
        return "no answer (timed out)";
      case ARES_EFILE:
        return "could not read the resolver configuration";
      case ARES_ENOMEM:
        return "out of memory";
      case ARES_EDESTRUCTION:
        return "the resolver was shut down";
      case ARES_ECANCELLED:
        return "cancelled";
      default:
        return ares_strerror(status);
    }
  }
};

}  // namespace

const boost::system::error_category& ares_category() {
  static const AresCategory category;
  return category;
}

boost::system::error_code make_ares_error(int status) {
  return {status, ares_category()};
}

PendingQuery::~PendingQuery() = default;

namespace {

using detail::Channel;
using detail::Purpose;
using detail::Request;

int library_status() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  return status;
}

// RFC 6761: "localhost" and names under it are never sent to DNS servers.
bool is_localhost(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  const auto equal = [](std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) == y;
    });
  };
  return equal(name, "localhost") ||
         (name.size() > 10 && equal(name.substr(name.size() - 10), ".localhost"));
}

// The channels of one io_context, created on first use and destroyed as it shuts down.
class DnsService : public net::execution_context::service {
 public:
  static net::execution_context::id id;

  explicit DnsService(net::io_context& io) : service(io), io_(io) {}

  // Called on the loop. The channel for `settings`, or null with the c-ares `status` that
  // prevented it.
  std::shared_ptr<Channel> channel(const ResolverSettings& settings, Purpose purpose, int& status) {
    // Looked up for every query: by a hash of the settings, without building a key.
    const std::size_t hash = channel_hash(settings, purpose);
    status = ARES_SUCCESS;
    for (auto [it, end] = channels_.equal_range(hash); it != end; ++it) {
      if (it->second->serves(settings, purpose)) return it->second;
    }
    status = shut_down_ ? ARES_EDESTRUCTION : library_status();
    if (status != ARES_SUCCESS) return nullptr;
    auto channel = std::make_shared<Channel>(io_, settings, purpose);
    status = channel->init();
    if (status != ARES_SUCCESS) return nullptr;
    channels_.emplace(hash, channel);
    return channel;
  }

  std::size_t peak_in_flight(const ResolverSettings& settings, Purpose purpose) {
    int status = ARES_SUCCESS;
    const auto found = channel(settings, purpose, status);
    return found ? found->peak_in_flight() : 0;
  }

  std::size_t server_count(const ResolverSettings& settings) {
    int status = ARES_SUCCESS;
    const auto found = channel(settings, Purpose::lookup, status);
    return found ? found->server_count() : 0;
  }

 private:
  void shutdown() override {
    shut_down_ = true;
    auto channels = std::move(channels_);
    for (auto& [key, channel] : channels)
      channel->destroy();
  }

  static std::size_t channel_hash(const ResolverSettings& settings, Purpose purpose) {
    std::size_t hash = static_cast<std::size_t>(purpose);
    const auto mix = [&hash](std::size_t value) {
      hash ^= value + 0x9e3779b97f4a7c15 + (hash << 6) + (hash >> 2);
    };
    mix(settings.tcp ? 1 : 0);
    mix(static_cast<std::size_t>(settings.try_timeout.count()));
    mix(static_cast<std::size_t>(settings.tries));
    for (const ServerAddress& server : settings.servers) {
      if (server.address.is_v4()) {
        mix(server.address.to_v4().to_uint());
      } else {
        for (const unsigned char byte : server.address.to_v6().to_bytes())
          mix(byte);
      }
      mix(server.port);
    }
    return hash;
  }

  net::io_context& io_;
  std::unordered_multimap<std::size_t, std::shared_ptr<Channel>> channels_;  // by channel_hash
  bool shut_down_ = false;
};

net::execution_context::id DnsService::id;

std::shared_ptr<PendingQuery> submit(net::io_context& io, const ResolverSettings& settings,
                                     Purpose purpose, std::shared_ptr<Request> request) {
  int status = ARES_SUCCESS;
  if (auto channel = net::use_service<DnsService>(io).channel(settings, purpose, status)) {
    channel->submit(request);
  } else {
    request->fail(status);
  }
  return request;
}

}  // namespace

std::shared_ptr<PendingQuery> async_query(net::io_context& io, const ResolverSettings& settings,
                                          std::string name, int type, QueryHandler handler,
                                          Clock::time_point deadline) {
  auto request = std::make_shared<Request>(io, std::move(name), false);
  request->type_ = type;
  request->on_query_ = std::move(handler);
  request->deadline_ = deadline;
  return submit(io, settings, Purpose::query, std::move(request));
}

std::shared_ptr<PendingQuery> async_resolve(net::io_context& io, const ResolverSettings& settings,
                                            std::string host, std::uint16_t port,
                                            ResolveHandler handler) {
  auto request = std::make_shared<Request>(io, std::move(host), true);
  request->port_ = port;
  request->on_resolve_ = std::move(handler);
  if (const auto address = parse_ip_literal(request->name_)) {
    request->deliver({}, Endpoints{net::ip::tcp::endpoint(*address, port)});
    return request;
  }
  // Localhost names go to a channel that reads /etc/hosts only, whatever the settings; what it
  // does not find is loopback.
  if (is_localhost(request->name_)) {
    return submit(io, ResolverSettings{}, Purpose::local, std::move(request));
  }
  return submit(io, settings, Purpose::lookup, std::move(request));
}

std::size_t server_count(net::io_context& io, const ResolverSettings& settings) {
  if (!settings.servers.empty()) return settings.servers.size();
  return net::use_service<DnsService>(io).server_count(settings);
}

namespace detail {

std::size_t peak_in_flight(net::io_context& io, const ResolverSettings& settings) {
  return net::use_service<DnsService>(io).peak_in_flight(settings, Purpose::query);
}

}  // namespace detail

}  // namespace cutover::dns
