#include "checks/net/url.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "checks/net/address.hpp"

namespace cutover::detail {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Boost 1.74 has no URL parser (Boost.URL came in 1.81); checks need only absolute http(s)
// URLs and the Location forms servers send, which this covers.
Expected<Url> parse_url(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return outcome::failure(
        Error{fmt::format("expected an http:// or https:// URL, got \"{}\"{}", text, why)});
  };
  const std::size_t separator = text.find("://");
  if (separator == std::string_view::npos) return bad("");
  const std::string scheme = lower(text.substr(0, separator));
  if (scheme != "http" && scheme != "https") return bad("");
  Url url;
  url.tls = scheme == "https";
  std::string_view rest = text.substr(separator + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return bad(
        " (credentials in URLs are not supported; send an Authorization header in "
        "request_headers)");
  }
  auto host_port = split_host_port(authority);
  if (!host_port) return bad(" (no valid host[:port])");
  url.host = lower(host_port->first);
  url.port = host_port->second.value_or(url.tls ? 443 : 80);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  target = target.substr(0, target.find('#'));
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return bad(" (spaces and control characters must be percent-encoded, e.g. %20)");
    }
  }
  // fmt, not "/" + std::string: GCC 12 at -O3 reports a -Wrestrict false positive on operator+.
  url.target =
      target.empty() || target.front() == '?' ? fmt::format("/{}", target) : std::string(target);
  return outcome::success(std::move(url));
}

Expected<Url> resolve_location(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return parse_url(location);
  if (location.starts_with("//")) {
    return parse_url(fmt::format("{}:{}", base.tls ? "https" : "http", location));
  }
  Url url = base;
  if (location.starts_with('/')) {
    url.target = std::string(location);
  } else {
    std::string path = base.target.substr(0, base.target.find('?'));
    path = path.substr(0, path.rfind('/') + 1);
    url.target = path + std::string(location);
  }
  url.target = url.target.substr(0, url.target.find('#'));
  return outcome::success(std::move(url));
}

}  // namespace cutover::detail
