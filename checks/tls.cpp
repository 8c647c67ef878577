#include "checks/tls.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <regex>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>

#include "checks/net/address.hpp"
#include "checks/net/resolver.hpp"
#include "checks/net/session.hpp"
#include "checks/net/tls_ciphers.hpp"
#include "checks/net/tls_client.hpp"
#include "checks/net/tls_handshake.hpp"
#include "harness/duration.hpp"

namespace cutover {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace ssl = net::ssl;

namespace detail {

// A handshake besides the main one, offering only what the server must refuse: an older
// protocol version, or ciphers it must not accept. Accepting is the failure.
struct TlsProbe {
  enum class Purpose { version, forbidden_ciphers, unlisted_ciphers };
  Purpose purpose = Purpose::version;
  int version = 0;   // for Purpose::version
  std::string what;  // "TLSv1.0", "forbidden ciphers (TLS 1.2 and older)"
  std::shared_ptr<ssl::context> context;
};

struct TlsTarget {
  std::string host;  // as written, brackets included
  std::uint16_t port = 443;
  std::string connect_host;  // where the connection goes: connect_to's address, else host
  std::uint16_t connect_port = 443;
  std::string server_name;  // SNI and the name verified: `sni`, else host without brackets
  std::string label;        // "api.example.test:443", "api.example.test:443 via 10.0.0.5:8443"
  bool verify = true;
  std::optional<std::int64_t> min_days_valid;
  std::optional<int> min_version;
  std::vector<std::string> forbidden_ciphers;  // as written
  std::vector<std::string> forbidden_names;    // what they expand to in OpenSSL's names
  std::vector<std::string> allowed_ciphers;
  std::vector<std::string> allowed_names;
  std::optional<std::int64_t> min_key_bits;
  std::string issuer_pattern;
  std::optional<std::regex> issuer_regex;
  std::shared_ptr<ssl::context> context;  // the main handshake's
  std::vector<TlsProbe> probes;
  dns::ResolverSettings resolver;
};

}  // namespace detail

namespace {

using detail::TlsProbe;
using detail::TlsTarget;

constexpr std::int64_t kMinPort = 1;
constexpr std::int64_t kMaxPort = 65535;
constexpr std::int64_t kMaxKeyBits = 65536;
constexpr std::int64_t kMaxDays = 36500;

constexpr std::array<std::string_view, 4> kVersionChoices{"TLSv1.0", "TLSv1.1", "TLSv1.2",
                                                          "TLSv1.3"};

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Expands each entry of a cipher field into OpenSSL names; an entry that names nothing is a
// mistake in the suite: this runner could neither negotiate nor probe it.
std::vector<std::string> expand_ciphers(Fields& fields, std::string_view field,
                                        const std::vector<std::string>& entries) {
  std::vector<std::string> names;
  for (const std::string& entry : entries) {
    std::vector<std::string> expanded;
    std::size_t unofferable = 0;
    if (is_tls13_suite(entry)) {
      expanded.push_back(entry);
    } else {
      expanded = expand_cipher_string(entry, &unofferable);
    }
    if (expanded.empty() && unofferable > 0) {
      fields.error(field, fmt::format("\"{}\" names only PSK or SRP ciphers, which this runner "
                                      "cannot offer (they need a pre-shared key or a password), "
                                      "so it can neither negotiate nor probe them",
                                      entry));
    } else if (expanded.empty()) {
      fields.error(field, fmt::format("\"{}\" names no cipher that {} can offer, so this runner "
                                      "can neither negotiate nor probe it (use OpenSSL cipher "
                                      "names like ECDHE-RSA-AES128-SHA, cipher strings like "
                                      "aNULL, or TLS 1.3 names like TLS_AES_128_GCM_SHA256)",
                                      entry, OpenSSL_version(OPENSSL_VERSION)));
    }
    for (std::string& name : expanded) {
      if (!contains(names, name)) names.push_back(std::move(name));
    }
  }
  return names;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  return fmt::format("{}", fmt::join(items, separator));
}

std::string format_date(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", parts.tm_year + 1900,
                     parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
}

// Whole days from now until `not_after`, rounded down; negative once expired.
std::int64_t days_left(std::chrono::system_clock::time_point not_after) {
  return std::chrono::floor<std::chrono::days>(not_after - std::chrono::system_clock::now())
      .count();
}

// One attempt: resolve once, then the main handshake and every probe at the same time, all
// within the attempt's budget; the verdict waits for all of them.
class TlsSession : public detail::CheckSession<TlsSession> {
 public:
  TlsSession(net::io_context& io, std::shared_ptr<const TlsTarget> target, Completion done,
             OwnBudget budget)
      : CheckSession(io, std::move(done), target->label, budget),
        target_(std::move(target)),
        resolver_(io, target_->resolver, budget.length) {}

  void run(Cancellation& cancellation) {
    if (!watch(cancellation)) return;  // cancelled before it began
    resolver_.async_resolve(target_->connect_host, target_->connect_port,
                            beast::bind_front_handler(&TlsSession::on_resolve, shared_from_this()),
                            budget_end_);
  }

 private:
  void on_resolve(beast::error_code ec, Resolver::Endpoints endpoints) {
    if (stopped()) return;
    if (ec == net::error::timed_out) {
      return finish(CheckResult::error(fmt::format(
          "timed out after {} resolving {}", format_duration(budget_), target_->connect_host)));
    }
    if (ec) return fail(ec, fmt::format("resolve {}", target_->connect_host));
    probe_results_.resize(target_->probes.size());
    pending_ = 1 + target_->probes.size();
    launch(target_->context, endpoints, [self = shared_from_this()](TlsHandshakeResult result) {
      self->main_result_ = std::move(result);
      self->on_handshake_done();
    });
    for (std::size_t index = 0; index < target_->probes.size(); ++index) {
      launch(target_->probes[index].context, endpoints,
             [self = shared_from_this(), index](TlsHandshakeResult result) {
               self->probe_results_[index] = std::move(result);
               self->on_handshake_done();
             });
    }
  }

  void launch(const std::shared_ptr<ssl::context>& context, const Resolver::Endpoints& endpoints,
              TlsHandshake::Handler handler) {
    auto handshake = std::make_shared<TlsHandshake>(io_, context, std::move(handler));
    handshakes_.push_back(handshake);
    handshake->start(endpoints, target_->server_name, budget_end_);
  }

  void on_handshake_done() {
    if (stopped() || --pending_ > 0) return;
    finish(conclude());
  }

  // Why a handshake learnt nothing, as the error of the whole check.
  std::string unreachable(const TlsHandshakeResult& result, std::string_view purpose) const {
    if (result.timed_out && result.connect_time) {
      return fmt::format("timed out after {} waiting for the TLS handshake{} with {}",
                         format_duration(budget_), purpose, target_->label);
    }
    if (result.timed_out) {
      return fmt::format("timed out after {} connecting{} to {}", format_duration(budget_), purpose,
                         target_->label);
    }
    return fmt::format("could not connect{} to {}: {}", purpose, target_->label, result.reason);
  }

  // Why a probe learnt nothing about the server, as the error of the whole check.
  std::string inconclusive(const TlsHandshakeResult& result, const TlsProbe& probe) const {
    if (!result.hello_sent) {
      return fmt::format("could not probe {} with {}: {}", probe.what, target_->label,
                         result.reason);
    }
    return fmt::format(
        "could not probe {} with {}: {} without a TLS alert, which does not show "
        "that the server refuses them",
        probe.what, target_->label, result.reason);
  }

  CheckResult conclude() const {
    const TlsHandshakeResult& main = main_result_;
    if (main.ending == TlsHandshakeResult::Ending::unreachable) {
      return CheckResult::error(unreachable(main, ""));
    }
    if (main.ending == TlsHandshakeResult::Ending::inconclusive && !main.hello_sent) {
      return CheckResult::error(fmt::format("could not start the TLS handshake with {}: {}",
                                            target_->label, main.reason));
    }
    // The rule of every kind: a server that answered wrongly (not TLS, an alert) failed; one that
    // closed without a word gave nothing to judge.
    if (main.ending == TlsHandshakeResult::Ending::inconclusive && !main.answered) {
      return CheckResult::error(
          fmt::format("{} closed the connection without answering the TLS "
                      "handshake: {}",
                      target_->label, main.reason));
    }
    for (std::size_t index = 0; index < probe_results_.size(); ++index) {
      const TlsHandshakeResult& probe = probe_results_[index];
      if (probe.ending == TlsHandshakeResult::Ending::unreachable) {
        return CheckResult::error(unreachable(probe, " probing " + target_->probes[index].what));
      }
    }

    std::vector<std::string> failures;
    std::string details;
    std::vector<Measurement> measurements;
    if (main.connect_time) {
      measurements.push_back({"connect_ms", to_milliseconds(*main.connect_time), "ms"});
    }
    if (main.ending != TlsHandshakeResult::Ending::accepted) {
      failures.push_back("handshake failed: " + main.reason);
      details += fmt::format("handshake: failed: {}\n", main.reason);
    } else if (main.peer) {
      assess_peer(*main.peer, main.verify_failure, failures, details);
      measurements.push_back({"handshake_ms", to_milliseconds(*main.handshake_time), "ms"});
      measurements.push_back(
          {"days_left", static_cast<double>(days_left(main.peer->not_after)), "days"});
      measurements.push_back({"key_bits", static_cast<double>(main.peer->key_bits), "bits"});
    } else {
      // An anonymous cipher: nothing to verify, so nothing proves who answered.
      failures.push_back(
          fmt::format("the server presented no certificate (anonymous cipher {})", main.cipher));
      details +=
          fmt::format("certificate: none\nprotocol: {}\ncipher: {}\n", main.protocol, main.cipher);
      measurements.push_back({"handshake_ms", to_milliseconds(*main.handshake_time), "ms"});
      assess_negotiated(main.protocol, main.cipher, failures);
    }
    assess_probes(failures, details);

    // A pass needs every probe refused by the server; a failure found elsewhere stands.
    for (std::size_t index = 0; failures.empty() && index < probe_results_.size(); ++index) {
      if (probe_results_[index].ending == TlsHandshakeResult::Ending::inconclusive) {
        CheckResult result =
            CheckResult::error(inconclusive(probe_results_[index], target_->probes[index]));
        result.details = std::move(details);
        result.measurements = std::move(measurements);
        return result;
      }
    }

    CheckResult result;
    if (failures.empty()) {
      const PeerCertificate& peer = *main.peer;
      result = CheckResult::passed(fmt::format(
          "{}: {} {}, certificate {} {}, {} days left", target_->label, peer.protocol, peer.cipher,
          peer.subject, target_->verify ? "verified" : "not verified (verify: false)",
          days_left(peer.not_after)));
    } else {
      result = CheckResult::failed(join(failures, "; "));
    }
    result.details = std::move(details);
    result.measurements = std::move(measurements);
    return result;
  }

  void assess_peer(const PeerCertificate& peer, const std::string& verify_failure,
                   std::vector<std::string>& failures, std::string& details) const {
    const std::int64_t left = days_left(peer.not_after);
    details += fmt::format(
        "subject: {}\nnames: {}\nissuer: {}\nnot_before: {}\nnot_after: {}\ndays_left: {}\n"
        "key: {} {} bits\nprotocol: {}\ncipher: {}\nverification: {}\n",
        peer.subject, peer.names.empty() ? "(none)" : join(peer.names, ", "), peer.issuer,
        format_date(peer.not_before), format_date(peer.not_after), left, peer.key_type,
        peer.key_bits, peer.protocol, peer.cipher, verify_failure.empty() ? "ok" : verify_failure);

    if (target_->verify && !verify_failure.empty()) {
      failures.push_back("certificate does not verify: " + verify_failure);
    }
    if (target_->min_days_valid && left < *target_->min_days_valid) {
      if (peer.not_after < std::chrono::system_clock::now()) {
        failures.push_back(
            fmt::format("expected at least {} days of validity left, the certificate expired on {}",
                        *target_->min_days_valid, format_date(peer.not_after)));
      } else {
        failures.push_back(
            fmt::format("expected at least {} days of validity left, got {} (notAfter {})",
                        *target_->min_days_valid, left, format_date(peer.not_after)));
      }
    }
    assess_negotiated(peer.protocol, peer.cipher, failures);
    if (target_->min_key_bits && peer.key_bits < *target_->min_key_bits) {
      failures.push_back(fmt::format("expected a key of at least {} bits, got {} {} bits",
                                     *target_->min_key_bits, peer.key_type, peer.key_bits));
    }
    if (target_->issuer_regex && !std::regex_search(peer.issuer, *target_->issuer_regex)) {
      failures.push_back(fmt::format("expected an issuer matching \"{}\", got \"{}\"",
                                     target_->issuer_pattern, peer.issuer));
    }
  }

  // The main handshake's protocol version and cipher against min_version and the cipher lists.
  void assess_negotiated(const std::string& protocol, const std::string& cipher,
                         std::vector<std::string>& failures) const {
    if (target_->min_version) {
      const std::optional<int> negotiated = parse_tls_version(protocol);
      if (negotiated && *negotiated < *target_->min_version) {
        failures.push_back(fmt::format("expected {} or newer, negotiated {}",
                                       tls_version_name(*target_->min_version), protocol));
      }
    }
    if (contains(target_->forbidden_names, cipher)) {
      failures.push_back(fmt::format("negotiated forbidden cipher {}", cipher));
    }
    if (!target_->allowed_names.empty() && !contains(target_->allowed_names, cipher)) {
      failures.push_back(fmt::format("expected a cipher from allowed_ciphers ({}), negotiated {}",
                                     join(target_->allowed_ciphers, ", "), cipher));
    }
  }

  void assess_probes(std::vector<std::string>& failures, std::string& details) const {
    std::vector<std::string> old_versions;
    for (std::size_t index = 0; index < probe_results_.size(); ++index) {
      const TlsProbe& probe = target_->probes[index];
      const TlsHandshakeResult& result = probe_results_[index];
      if (result.ending == TlsHandshakeResult::Ending::inconclusive) {
        details += fmt::format("probe {}: inconclusive: {}\n", probe.what, result.reason);
        continue;
      }
      if (result.ending != TlsHandshakeResult::Ending::accepted) {
        details += fmt::format("probe {}: refused: {}\n", probe.what, result.reason);
        continue;
      }
      // Accepted is the handshake completing; an anonymous cipher sends no certificate.
      details += fmt::format("probe {}: accepted: {} {}{}\n", probe.what, result.protocol,
                             result.cipher, result.peer ? "" : " (no certificate)");
      switch (probe.purpose) {
        case TlsProbe::Purpose::version:
          old_versions.push_back(tls_version_name(probe.version));
          break;
        case TlsProbe::Purpose::forbidden_ciphers:
          failures.push_back(fmt::format(
              "the server accepts forbidden cipher {} with {} when offered only forbidden ciphers",
              result.cipher, result.protocol));
          break;
        case TlsProbe::Purpose::unlisted_ciphers:
          failures.push_back(fmt::format(
              "the server accepts cipher {} with {}, which allowed_ciphers does not list",
              result.cipher, result.protocol));
          break;
      }
    }
    if (!old_versions.empty()) {
      failures.push_back(fmt::format("expected {} or newer, the server also accepts {}",
                                     tls_version_name(*target_->min_version),
                                     join(old_versions, ", ")));
    }
  }

  friend class detail::CheckSession<TlsSession>;

  void stop_work() {
    resolver_.cancel();
    for (const auto& handshake : handshakes_)
      handshake->stop();
  }

  std::shared_ptr<const TlsTarget> target_;
  Resolver resolver_;
  std::vector<std::shared_ptr<TlsHandshake>> handshakes_;
  TlsHandshakeResult main_result_;
  std::vector<TlsHandshakeResult> probe_results_;
  std::size_t pending_ = 0;  // handshakes still running
};

// Splits "ADDRESS[:PORT]" ("10.0.0.5", "10.0.0.5:8443", "[::1]:8443", "::1", "new-api:8443").
std::optional<std::pair<std::string, std::optional<std::uint16_t>>> parse_connect_to(
    const std::string& text) {
  std::string address = text;
  std::optional<std::string> port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string::npos) return std::nullopt;
    address = text.substr(0, close + 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
    if (!parse_ip_literal(address)) return std::nullopt;
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const std::size_t colon = text.find(':');
    address = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else if (text.find(':') != std::string::npos && !parse_ip_literal(text)) {
    return std::nullopt;
  }
  if (address.empty()) return std::nullopt;
  if (!port) return std::pair{address, std::optional<std::uint16_t>()};
  const bool digits =
      !port->empty() && port->size() <= 5 &&
      std::all_of(port->begin(), port->end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return std::nullopt;
  const int number = std::stoi(*port);
  if (number < kMinPort || number > kMaxPort) return std::nullopt;
  return std::pair{address, std::optional<std::uint16_t>(static_cast<std::uint16_t>(number))};
}

std::string endpoint_label(const std::string& host, std::uint16_t port) {
  const std::optional<net::ip::address> address = parse_ip_literal(host);
  if (address && address->is_v6()) return fmt::format("[{}]:{}", address->to_string(), port);
  return fmt::format("{}:{}", host, port);
}

// A context for a probe: nothing verified, security level 0 (OpenSSL 3 does not even offer
// TLS 1.0/1.1 or weak ciphers above it, and would report them "refused" when it never asked).
std::shared_ptr<ssl::context> probe_context(Fields& fields, TlsClientOptions options) {
  options.insecure = true;
  auto context = make_tls_context(options);
  if (!context) {
    fields.error("host", context.error().message);
    return nullptr;
  }
  SSL_CTX_set_security_level(context.value()->native_handle(), 0);
  return context.value();
}

void add_cipher_probes(Fields& fields, TlsTarget& target, TlsProbe::Purpose purpose,
                       const std::vector<std::string>& names, std::string_view label) {
  std::vector<std::string> older;
  std::vector<std::string> tls13;
  for (const std::string& name : names)
    (is_tls13_suite(name) ? tls13 : older).push_back(name);
  if (!older.empty()) {
    TlsClientOptions options{.min_version = TLS1_VERSION,
                             .max_version = TLS1_2_VERSION,
                             .cipher_list = join(older, ":") + ":@SECLEVEL=0"};
    if (auto context = probe_context(fields, options)) {
      target.probes.push_back({.purpose = purpose,
                               .what = fmt::format("{} (TLS 1.2 and older)", label),
                               .context = std::move(context)});
    }
  }
  if (!tls13.empty()) {
    TlsClientOptions options{.min_version = TLS1_3_VERSION,
                             .max_version = TLS1_3_VERSION,
                             .ciphersuites = join(tls13, ":")};
    if (auto context = probe_context(fields, options)) {
      target.probes.push_back({.purpose = purpose,
                               .what = fmt::format("{} (TLS 1.3)", label),
                               .context = std::move(context)});
    }
  }
}

// host, port and connect_to: where the connection goes.
void read_endpoint(Fields& fields, TlsTarget& target) {
  target.host = fields.string("host");
  const std::optional<net::ip::address> address = parse_ip_literal(target.host);
  if (!address && target.host.starts_with('[')) {
    fields.error("host",
                 fmt::format("expected an IPv6 address inside brackets, got \"{}\"", target.host));
  } else if (!address && target.host.find(':') != std::string::npos) {
    fields.error("host", fmt::format("expected a host name or IP address, got \"{}\" (the port "
                                     "goes in `port`)",
                                     target.host));
  }
  target.port = static_cast<std::uint16_t>(fields.integer("port", 443));
  target.label = endpoint_label(target.host, target.port);

  target.connect_host = target.host;
  target.connect_port = target.port;
  if (fields.has("connect_to")) {
    const std::string connect_to = fields.string("connect_to");
    if (const auto parsed = parse_connect_to(connect_to)) {
      target.connect_host = parsed->first;
      target.connect_port = parsed->second.value_or(target.port);
      target.label += " via " + endpoint_label(target.connect_host, target.connect_port);
    } else {
      fields.error("connect_to", fmt::format("expected ADDRESS[:PORT] (10.0.0.5:8443, "
                                             "[2001:db8::5]:8443, new-api.internal), got \"{}\"",
                                             connect_to));
    }
  }
}

// sni: the name sent and verified, by default the host's (an address as OpenSSL writes it).
void read_server_name(Fields& fields, TlsTarget& target) {
  const std::optional<net::ip::address> address = parse_ip_literal(target.host);
  target.server_name = address ? address->to_string() : target.host;
  if (!fields.has("sni")) return;
  const std::string sni = fields.string("sni");
  if (sni.find_first_of(" /[]") != std::string::npos) {
    fields.error("sni", fmt::format("expected a host name or IP address, got \"{}\"", sni));
  } else {
    target.server_name = sni;
  }
}

void read_issuer(Fields& fields, TlsTarget& target) {
  if (!fields.has("issuer_matches")) return;
  target.issuer_pattern = fields.string("issuer_matches");
  try {
    target.issuer_regex.emplace(target.issuer_pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& error) {
    fields.error("issuer_matches", fmt::format("expected a regular expression, got \"{}\": {}",
                                               target.issuer_pattern, error.what()));
  }
}

// A probe for each protocol version older than min_version (one of kVersionChoices).
void add_version_probes(Fields& fields, TlsTarget& target) {
  const int version = *parse_tls_version(fields.string("min_version"));
  target.min_version = version;
  for (const std::string_view name : kVersionChoices) {
    const int older = *parse_tls_version(name);
    if (older >= version) break;
    TlsClientOptions probe{
        .min_version = older, .max_version = older, .cipher_list = "ALL:@SECLEVEL=0"};
    if (auto context = probe_context(fields, probe)) {
      target.probes.push_back({.purpose = TlsProbe::Purpose::version,
                               .version = older,
                               .what = std::string(name),
                               .context = std::move(context)});
    }
  }
}

// forbidden_ciphers and allowed_ciphers, and the probes that offer only what they rule out.
void read_cipher_lists(Fields& fields, TlsTarget& target) {
  if (fields.has("forbidden_ciphers")) {
    target.forbidden_ciphers = fields.strings("forbidden_ciphers");
    target.forbidden_names = expand_ciphers(fields, "forbidden_ciphers", target.forbidden_ciphers);
    add_cipher_probes(fields, target, TlsProbe::Purpose::forbidden_ciphers, target.forbidden_names,
                      "forbidden ciphers");
  }
  if (!fields.has("allowed_ciphers")) return;
  target.allowed_ciphers = fields.strings("allowed_ciphers");
  target.allowed_names = expand_ciphers(fields, "allowed_ciphers", target.allowed_ciphers);
  if (target.allowed_ciphers.empty()) {
    fields.error("allowed_ciphers", "expected at least one cipher, got an empty list");
  }
  std::vector<std::string> unlisted;
  for (std::string& name : expand_cipher_string("ALL:COMPLEMENTOFALL")) {
    if (!contains(target.allowed_names, name)) unlisted.push_back(std::move(name));
  }
  for (const std::string_view suite : kTls13Suites) {
    if (!contains(target.allowed_names, suite)) unlisted.emplace_back(suite);
  }
  add_cipher_probes(fields, target, TlsProbe::Purpose::unlisted_ciphers, unlisted,
                    "ciphers outside allowed_ciphers");
}

}  // namespace

KindSpec TlsCheck::spec() {
  std::vector<std::string> versions(kVersionChoices.begin(), kVersionChoices.end());
  return {
      .description =
          "Makes a TLS handshake and checks the certificate (chain, name, validity, key, "
          "issuer) and the negotiated protocol and cipher; probes that older protocol versions "
          "and forbidden ciphers are refused. Measures connect_ms, handshake_ms, days_left and "
          "key_bits.",
      .fields =
          {
              {.name = "host",
               .required = true,
               .description = "Host name or IP address; an IPv6 address may be written in "
                              "brackets ([::1])",
               .non_empty = true},
              {.name = "port",
               .type = FieldType::integer,
               .description = "TCP port",
               .default_value = "443",
               .min = kMinPort,
               .max = kMaxPort},
              {.name = "connect_to",
               .description = "ADDRESS[:PORT]: connect there instead, still sending host's name "
                              "in SNI and verifying the certificate against it"},
              {.name = "sni",
               .description = "The name sent in SNI and verified against the certificate "
                              "(default: host); an IP address sends no SNI and is verified as an "
                              "address",
               .non_empty = true},
              {.name = "ca_file",
               .description = "PEM file of the CA certificates to trust (default: the system's)"},
              {.name = "verify",
               .type = FieldType::boolean,
               .description = "The certificate chain verifies and the certificate is for the "
                              "name; false reports the verification without asserting it",
               .default_value = "true"},
              {.name = "min_days_valid",
               .type = FieldType::integer,
               .description = "Whole days the certificate must still be valid",
               .min = 0,
               .max = kMaxDays},
              {.name = "min_version",
               .type = FieldType::choice,
               .description = "Lowest protocol version; a separate handshake for each older one "
                              "fails the check if the server accepts it",
               .choices = std::move(versions)},
              {.name = "forbidden_ciphers",
               .type = FieldType::string_list,
               .description = "OpenSSL cipher names or strings (ECDHE-RSA-AES128-SHA, aNULL, "
                              "TLS_AES_128_GCM_SHA256) the server must not negotiate, also when "
                              "a handshake offers only these",
               .non_empty = true},
              {.name = "allowed_ciphers",
               .type = FieldType::string_list,
               .description = "The only ciphers the server may negotiate, also when a "
                              "handshake offers only others",
               .non_empty = true},
              {.name = "min_key_bits",
               .type = FieldType::integer,
               .description = "Smallest public key size of the certificate, in bits",
               .min = 1,
               .max = kMaxKeyBits},
              {.name = "issuer_matches",
               .description = "Regular expression (ECMAScript) searched in the issuer's RFC 2253 "
                              "name, e.g. \"O=Let's Encrypt\""},
              resolver_field_spec(),
          },
  };
}

TlsCheck::TlsCheck(Fields& fields) {
  auto target = std::make_shared<TlsTarget>();
  read_endpoint(fields, *target);
  target->resolver = read_resolver_field(fields);
  read_server_name(fields, *target);
  target->verify = fields.boolean("verify", true);
  if (fields.has("min_days_valid")) target->min_days_valid = fields.integer("min_days_valid");
  if (fields.has("min_key_bits")) target->min_key_bits = fields.integer("min_key_bits");
  read_issuer(fields, *target);

  // Verification never stops the main handshake: its result is read afterwards, so that a
  // certificate that does not verify is still described in full.
  TlsClientOptions options{.ca_file = fields.string("ca_file"), .insecure = true};
  if (auto context = make_tls_context(options)) {
    target->context = context.value();
  } else {
    fields.error("ca_file", context.error().message);
  }

  if (fields.has("min_version")) add_version_probes(fields, *target);
  read_cipher_lists(fields, *target);
  target_ = std::move(target);
}

TlsCheck::~TlsCheck() = default;

void TlsCheck::start(CheckContext& context, Completion done) {
  auto session =
      std::make_shared<TlsSession>(context.io, target_, std::move(done), own_budget(context));
  session->run(*context.cancellation);
}

std::string TlsCheck::describe() const {
  std::string text = target_->label;
  if (target_->server_name != target_->host) text += " sni " + target_->server_name;
  if (target_->verify) text += " verify";
  if (target_->min_days_valid) text += fmt::format(" min_days_valid {}", *target_->min_days_valid);
  if (target_->min_version) text += " min_version " + tls_version_name(*target_->min_version);
  if (!target_->forbidden_ciphers.empty()) {
    text += " forbidden_ciphers " + join(target_->forbidden_ciphers, ",");
  }
  if (!target_->allowed_ciphers.empty()) {
    text += " allowed_ciphers " + join(target_->allowed_ciphers, ",");
  }
  if (target_->min_key_bits) text += fmt::format(" min_key_bits {}", *target_->min_key_bits);
  if (target_->issuer_regex) text += fmt::format(" issuer_matches \"{}\"", target_->issuer_pattern);
  return text;
}

}  // namespace cutover
