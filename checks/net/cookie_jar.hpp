#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "checks/net/url.hpp"

namespace cutover::detail {

// The cookies of one attempt. Beast has no cookie jar; smoke flows need only what a login
// session uses (RFC 6265 name=value with Domain, Path, Secure and Max-Age), not a browser's
// full policy.
class CookieJar {
 public:
  // Called with each Set-Cookie header of a response from `url`.
  void store(const Url& url, std::string_view set_cookie);

  // The Cookie header for a request, or "" when no cookie applies.
  std::string header_for(const Url& url) const;

 private:
  struct Cookie {
    std::string name, value, domain;
    bool host_only = true;
    std::string path;
    bool secure = false;
  };

  std::vector<Cookie> cookies_;
};

}  // namespace cutover::detail
