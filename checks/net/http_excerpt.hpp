#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "checks/net/http_assertions.hpp"
#include "harness/redactor.hpp"

// What messages and details quote of a response: always redacted whole first, then cut, then
// escaped, so that neither an escape nor a cut hides a secret from the Redactor.
namespace cutover::detail {

// A text for messages (a body, a header, an expected value): redacted by `redactor`, then cut
// to at most `limit` bytes, then quoted and escaped on one line, invalid UTF-8 replaced. `cuts`
// says whether `text` is itself a cut piece of a longer text (a body stopped at max_body), so
// that what a cut left of a secret is masked too.
std::string excerpt(std::string_view text, const Redactor& redactor, std::size_t limit = 120,
                    Redactor::Cuts cuts = {});

// The excerpt of a response's body, cut itself when it stopped at max_body.
std::string body_excerpt(const HttpResponse& response, const Redactor& redactor,
                         std::size_t limit = 120);

// A header's value, redacted as the header line it is (a short secret is masked only as a
// header's value).
std::string header_excerpt(std::string_view name, const std::string& value,
                           const Redactor& redactor);

// A JSON value for messages: every text in it redacted, then written as JSON, then cut to 120
// bytes.
std::string json_excerpt(const nlohmann::json& value, const Redactor& redactor);

// Whole-response evidence for the details text: status line, headers, body excerpt (2048 bytes),
// redacted.
std::string describe_response(const HttpResponse& response, const Redactor& redactor);

}  // namespace cutover::detail
