#include "checks/net/cookie_jar.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace cutover::detail {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}
bool domain_matches(const std::string& host, const std::string& domain) {
  return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                            host[host.size() - domain.size() - 1] == '.');
}
bool path_matches(const std::string& path, const std::string& cookie_path) {
  if (!path.starts_with(cookie_path)) return false;
  return path.size() == cookie_path.size() || cookie_path.ends_with('/') ||
         path[cookie_path.size()] == '/';
}
std::string default_path(const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  const std::size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

void CookieJar::store(const Url& url, std::string_view set_cookie) {
  std::vector<std::string_view> parts;
  for (std::size_t from = 0; from <= set_cookie.size();) {
    const std::size_t end = std::min(set_cookie.find(';', from), set_cookie.size());
    parts.push_back(trim(set_cookie.substr(from, end - from)));
    from = end + 1;
  }
  const std::size_t equals = parts.front().find('=');
  if (equals == std::string_view::npos || equals == 0) return;
  Cookie cookie{std::string(trim(parts.front().substr(0, equals))),
                std::string(trim(parts.front().substr(equals + 1))),
                url.host,
                true,
                default_path(url.target),
                false};
  bool expired = false;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::size_t split = parts[i].find('=');
    const std::string key = lower(trim(parts[i].substr(0, split)));
    const std::string_view value =
        split == std::string_view::npos ? std::string_view() : trim(parts[i].substr(split + 1));
    if (key == "domain" && !value.empty()) {
      std::string domain = lower(value.starts_with('.') ? value.substr(1) : value);
      if (!domain_matches(url.host, domain)) return;  // a cookie for another site
      cookie.domain = std::move(domain);
      cookie.host_only = false;
    } else if (key == "path" && value.starts_with('/')) {
      cookie.path = std::string(value);
    } else if (key == "secure") {
      cookie.secure = true;
    } else if (key == "max-age") {
      expired = value.starts_with('-') || value == "0";
    }
  }
  std::erase_if(cookies_, [&](const Cookie& other) {
    return other.name == cookie.name && other.domain == cookie.domain && other.path == cookie.path;
  });
  if (!expired) cookies_.push_back(std::move(cookie));
}

std::string CookieJar::header_for(const Url& url) const {
  std::string out;
  const std::string path = url.target.substr(0, url.target.find('?'));
  for (const Cookie& cookie : cookies_) {
    const bool host =
        cookie.host_only ? url.host == cookie.domain : domain_matches(url.host, cookie.domain);
    if (!host || (cookie.secure && !url.tls) || !path_matches(path, cookie.path)) continue;
    if (!out.empty()) out += "; ";
    out += cookie.name + "=" + cookie.value;
  }
  return out;
}

}  // namespace cutover::detail
