#include "harness/mysql_dsn.hpp"

#include <array>
#include <charconv>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "harness/text.hpp"

namespace cutover {
namespace {

constexpr std::array<std::pair<std::string_view, SslMode>, 5> kModes{{
    {"DISABLED", SslMode::disabled},
    {"PREFERRED", SslMode::preferred},
    {"REQUIRED", SslMode::required},
    {"VERIFY_CA", SslMode::verify_ca},
    {"VERIFY_IDENTITY", SslMode::verify_identity},
}};

Error error(std::string message) {
  return Error{std::move(message)};
}

std::optional<SslMode> mode_named(std::string_view name) {
  for (const auto& [mode_name, mode] : kModes) {
    if (mode_name == name) return mode;
  }
  return std::nullopt;
}

// host, host:port, [::1], [::1]:port.
std::optional<Error> read_host_port(std::string_view text, MysqlDsn& dsn) {
  std::string_view port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return error("an IPv6 host has no closing ']'");
    dsn.host = std::string(text.substr(1, close - 1));
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return error("expected ':' and a port after the IPv6 host");
    }
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const std::size_t colon = text.find(':');
    dsn.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (dsn.host.empty()) return error("expected a host after '@' (or after '://')");
  if (port.empty()) return std::nullopt;
  unsigned number = 0;
  const auto [end, failure] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (failure != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
    return error(fmt::format("the port '{}' is not a number from 1 to 65535", port));
  }
  dsn.port = number;
  return std::nullopt;
}

std::optional<Error> read_query(std::string_view query, MysqlDsn& dsn) {
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view parameter = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    if (parameter.empty()) continue;
    const std::size_t equals = parameter.find('=');
    const std::string_view key = parameter.substr(0, equals);
    const std::string value =
        equals == std::string_view::npos ? "" : percent_decoded(parameter.substr(equals + 1));
    if (key == "ssl-mode") {
      const std::optional<SslMode> mode = mode_named(value);
      if (!mode) {
        return error(fmt::format(
            "ssl-mode '{}' is not a mode: expected DISABLED, PREFERRED, REQUIRED, VERIFY_CA or "
            "VERIFY_IDENTITY",
            value));
      }
      dsn.ssl_mode = *mode;
    } else if (key == "ssl-ca" || key == "ssl-cert" || key == "ssl-key") {
      if (value.empty()) return error(fmt::format("{} needs a file path", key));
      (key == "ssl-ca" ? dsn.ssl_ca : key == "ssl-cert" ? dsn.ssl_cert : dsn.ssl_key) = value;
    } else {
      return error(fmt::format("unknown parameter '{}' in the query{}", key,
                               suggestion_or(key, {"ssl-mode", "ssl-ca", "ssl-cert", "ssl-key"},
                                             ": expected ssl-mode, ssl-ca, ssl-cert or ssl-key")));
    }
  }
  if (dsn.ssl_cert.empty() != dsn.ssl_key.empty()) {
    return error("ssl-cert and ssl-key go together: a client certificate needs its key");
  }
  if ((dsn.ssl_mode == SslMode::verify_ca || dsn.ssl_mode == SslMode::verify_identity) &&
      dsn.ssl_ca.empty()) {
    return error(fmt::format("ssl-mode={} needs ssl-ca, the CA to verify the server against",
                             ssl_mode_name(dsn.ssl_mode)));
  }
  return std::nullopt;
}

}  // namespace

std::string_view ssl_mode_name(SslMode mode) {
  for (const auto& [name, each] : kModes) {
    if (each == mode) return name;
  }
  return "PREFERRED";
}

Expected<MysqlDsn> parse_mysql_dsn(std::string_view text) {
  MysqlDsn dsn;
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return outcome::failure(error("expected mysql://user:password@host:port/database"));
  }
  std::string_view rest = text.substr(scheme_end + 3);
  // The user-info ends at the first '@' before any '/', as for a PostgreSQL URI (and as
  // dsn_passwords reads it): a '?' in a password is the password's.
  const std::size_t info_end = rest.find_first_of("@/");
  if (info_end != std::string_view::npos && rest[info_end] == '@') {
    const std::string_view info = rest.substr(0, info_end);
    const std::size_t colon = info.find(':');
    dsn.user = percent_decoded(info.substr(0, colon));
    if (colon != std::string_view::npos) dsn.password = percent_decoded(info.substr(colon + 1));
    rest.remove_prefix(info_end + 1);
  }
  const std::size_t query_start = rest.find('?');
  const std::string_view query =
      query_start == std::string_view::npos ? std::string_view() : rest.substr(query_start + 1);
  rest = rest.substr(0, query_start);
  const std::size_t slash = rest.find('/');
  if (auto failure = read_host_port(rest.substr(0, slash), dsn)) {
    return outcome::failure(std::move(*failure));
  }
  if (slash != std::string_view::npos) dsn.database = percent_decoded(rest.substr(slash + 1));
  if (dsn.database.find('/') != std::string::npos) {
    return outcome::failure(error("expected one database name after the host, got a path"));
  }
  if (auto failure = read_query(query, dsn)) return outcome::failure(std::move(*failure));
  return dsn;
}

}  // namespace cutover
