#pragma once

#include <string>
#include <vector>

#include "checks/net/http_assertions.hpp"
#include "checks/net/http_request.hpp"
#include "harness/redactor.hpp"

namespace cutover::detail {

// Judges the response to one request: its assertions, then its captures. Values are captured
// (into `captures`, under the request's name) only from a response whose assertions held; a
// secret one is learnt by `redactor` either way, so that a failure's details do not show it.
// Appends a line per captured value to `details`. Returns every failure, each as "expected …,
// got …" or "could not capture NAME: …".
std::vector<std::string> assess_response(const RequestSpec& request, const HttpResponse& response,
                                         Captures& captures, Redactor& redactor,
                                         std::string& details);

}  // namespace cutover::detail
