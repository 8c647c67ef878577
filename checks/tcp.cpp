#include "checks/tcp.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "checks/net/address.hpp"
#include "checks/net/resolver.hpp"
#include "checks/net/session.hpp"
#include "checks/net/stream_connect.hpp"
#include "harness/duration.hpp"

namespace cutover {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace detail {

enum class TcpState { open, closed, refused, filtered };

struct TcpTarget {
  std::string host;  // as written, brackets included
  std::uint16_t port = 0;
  bool literal = false;  // an IP address: nothing to look up
  std::string label;     // "10.0.0.1:5432", "[::1]:5432", "db.internal:5432"
  TcpState expect = TcpState::open;
  std::optional<Duration> max_latency;
  dns::ResolverSettings resolver;
};

}  // namespace detail

namespace {

using detail::TcpState;

constexpr std::int64_t kMinPort = 1;
constexpr std::int64_t kMaxPort = 65535;

constexpr std::array<std::pair<TcpState, std::string_view>, 4> kStateNames{{
    {TcpState::open, "open"},
    {TcpState::closed, "closed"},
    {TcpState::refused, "refused"},
    {TcpState::filtered, "filtered"},
}};

std::string_view to_string(TcpState state) {
  for (const auto& [candidate, name] : kStateNames) {
    if (candidate == state) return name;
  }
  return "unknown";
}

std::optional<TcpState> parse_state(std::string_view name) {
  for (const auto& [state, candidate] : kStateNames) {
    if (candidate == name) return state;
  }
  return std::nullopt;
}

// What the port showed (`found`, described by `what`) judged against what was expected.
CheckResult verdict(TcpState expect, TcpState found, std::string what) {
  const bool held = found == expect || (expect == TcpState::closed && found != TcpState::open);
  if (held) {
    if (found == TcpState::filtered) what += " (filtered)";
    return CheckResult::passed(std::move(what));
  }
  if (expect == TcpState::open && found == TcpState::filtered) {
    // The port could not be seen at all: the check could not be carried out.
    return CheckResult::error(fmt::format("expected open, got filtered: {}", what));
  }
  return CheckResult::failed(
      fmt::format("expected {}, got {}: {}", to_string(expect), to_string(found), what));
}

// One attempt: resolve, connect, compare what the port did with what was expected.
class TcpSession : public detail::CheckSession<TcpSession> {
 public:
  TcpSession(net::io_context& io, std::shared_ptr<const detail::TcpTarget> target, Completion done,
             OwnBudget budget)
      : CheckSession(io, std::move(done), target->label, budget),
        target_(std::move(target)),
        resolver_(io, target_->resolver, budget.length),
        stream_(io) {}

  void run(Cancellation& cancellation) {
    if (!watch(cancellation)) return;  // cancelled before it began
    resolver_.async_resolve(target_->host, target_->port,
                            beast::bind_front_handler(&TcpSession::on_resolve, shared_from_this()),
                            budget_end_);
  }

 private:
  void on_resolve(beast::error_code ec, Resolver::Endpoints endpoints) {
    if (stopped()) return;
    if (ec == net::error::timed_out) {
      return finish(CheckResult::error(
          fmt::format("timed out after {} resolving {}", format_duration(budget_), target_->host)));
    }
    if (ec) return fail(ec, fmt::format("resolve {}", target_->host));

    endpoints_ = std::move(endpoints);
    stream_.expires_at(budget_end_);
    connect_started_ = Clock::now();
    // Tries the addresses in order and stops at the first that accepts.
    detail::connect_to_first(
        stream_, endpoints_,
        beast::bind_front_handler(&TcpSession::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec, const tcp::endpoint& endpoint) {
    if (stopped()) return;
    const Duration latency = Clock::now() - connect_started_;
    if (ec == net::error::connection_refused) {
      return conclude(TcpState::refused, fmt::format("{} refused the connection", target_->label),
                      latency);
    }
    if (ec == beast::error::timeout) return on_silence();
    // No route from this runner (a VPN down, no IPv6): the check could not be carried out. It
    // must not pass as "closed" because the runner itself is cut off.
    if (ec == net::error::network_unreachable) {
      return finish(CheckResult::error(
          fmt::format("cannot reach {} from this runner: {}", target_->label, ec.message())));
    }
    // Like nmap: an ICMP host unreachable from a router or a failed neighbour lookup is a
    // filter, not a closed port that answered.
    if (ec == net::error::host_unreachable) {
      return conclude(TcpState::filtered,
                      fmt::format("{} is unreachable: {}", target_->label, ec.message()),
                      std::nullopt);
    }
    if (ec) return fail(ec, fmt::format("connect to {}", target_->label));

    const std::string via =
        target_->literal ? std::string() : fmt::format(" ({})", endpoint.address().to_string());
    std::string found =
        fmt::format("connected to {}{} in {}", target_->label, via, format_milliseconds(latency));
    if (target_->expect == TcpState::open && target_->max_latency &&
        latency > *target_->max_latency) {
      found += fmt::format(", expected at most {}", format_duration(*target_->max_latency));
      return finish(with_latency(CheckResult::failed(std::move(found)), latency));
    }
    conclude(TcpState::open, std::move(found), latency);
  }

  // No answer by the end of the budget.
  void on_silence() {
    if (target_->expect == TcpState::open) {
      return finish(
          CheckResult::error(fmt::format("timed out after {} connecting to {}, expected open",
                                         format_duration(budget_), target_->label)));
    }
    // Silence only means "filtered" when the connect had a fair share of the time; after a
    // slow lookup, even an open port could not have answered in what was left.
    const Duration window = budget_end_ - connect_started_;
    if (window < budget_ / 2) {
      return finish(CheckResult::error(fmt::format(
          "no answer from {} in the {} left after resolving {}; too short to tell a filtered "
          "port from a slow one (raise the timeout)",
          target_->label, format_milliseconds(window), target_->host)));
    }
    conclude(TcpState::filtered,
             fmt::format("no answer from {} within {}", target_->label, format_duration(budget_)),
             std::nullopt);
  }

  // Compares the state the port showed with the expected one. `latency` is set when the target
  // answered (accepted or refused).
  void conclude(TcpState found, std::string what, std::optional<Duration> latency) {
    CheckResult result = verdict(target_->expect, found, std::move(what));
    finish(latency ? with_latency(std::move(result), *latency) : std::move(result));
  }

  static CheckResult with_latency(CheckResult result, Duration latency) {
    result.measurements.push_back({"connect_ms", to_milliseconds(latency), "ms"});
    return result;
  }

  friend class detail::CheckSession<TcpSession>;

  void stop_work() {
    resolver_.cancel();
    stream_.close();
  }

  std::shared_ptr<const detail::TcpTarget> target_;
  Resolver resolver_;
  beast::tcp_stream stream_;
  Resolver::Endpoints endpoints_;
  Clock::time_point connect_started_;
};

}  // namespace

KindSpec TcpCheck::spec() {
  std::vector<std::string> states;
  for (const auto& [state, name] : kStateNames)
    states.emplace_back(name);
  return {
      .description =
          "Connects to a TCP port and checks that it is open, or that it is closed: "
          "refused or filtered.",
      .fields =
          {
              {.name = "host",
               .required = true,
               .description = "Host name or IP address; an IPv6 address may be written in "
                              "brackets ([::1])",
               .non_empty = true},
              {.name = "port",
               .type = FieldType::integer,
               .required = true,
               .description = "TCP port",
               .min = kMinPort,
               .max = kMaxPort},
              {.name = "expect",
               .type = FieldType::choice,
               .description = "open: a connection is accepted. refused: the host answers with a "
                              "reset. filtered: no answer within the timeout, or the network "
                              "reports the host unreachable. closed: refused or filtered",
               .choices = std::move(states),
               .default_value = "open"},
              {.name = "max_latency",
               .type = FieldType::duration,
               .description =
                   "With expect open: the longest the connection may take to be accepted"},
              resolver_field_spec(),
          },
  };
}

TcpCheck::TcpCheck(Fields& fields) {
  auto target = std::make_shared<detail::TcpTarget>();

  target->host = fields.string("host");
  const std::optional<net::ip::address> address = parse_ip_literal(target->host);
  target->literal = address.has_value();
  if (!address && target->host.starts_with('[')) {
    fields.error("host",
                 fmt::format("expected an IPv6 address inside brackets, got \"{}\"", target->host));
  } else if (!address && target->host.find(':') != std::string::npos) {
    fields.error("host", fmt::format("expected a host name or IP address, got \"{}\" (the port "
                                     "goes in `port`)",
                                     target->host));
  }

  target->port = static_cast<std::uint16_t>(fields.integer("port"));
  target->expect = parse_state(fields.string("expect", "open")).value_or(TcpState::open);

  if (fields.has("max_latency")) {
    if (target->expect != TcpState::open) {
      fields.error("max_latency",
                   fmt::format("max_latency applies to expect open only, this check expects {}",
                               to_string(target->expect)));
    } else {
      target->max_latency = fields.duration("max_latency");
    }
  }

  target->resolver = read_resolver_field(fields);

  if (address && address->is_v6()) {
    target->label = fmt::format("[{}]:{}", address->to_string(), target->port);
  } else {
    target->label = fmt::format("{}:{}", target->host, target->port);
  }
  target_ = std::move(target);
}

TcpCheck::~TcpCheck() = default;

void TcpCheck::start(CheckContext& context, Completion done) {
  auto session =
      std::make_shared<TcpSession>(context.io, target_, std::move(done), own_budget(context));
  session->run(*context.cancellation);
}

std::string TcpCheck::describe() const {
  std::string text = fmt::format("{} expect {}", target_->label, to_string(target_->expect));
  if (target_->max_latency) text += " within " + format_duration(*target_->max_latency);
  return text;
}

}  // namespace cutover
