#include "checks/net/http_assessment.hpp"

#include <fmt/format.h>

#include "checks/net/http_excerpt.hpp"

namespace cutover::detail {

std::vector<std::string> assess_response(const RequestSpec& request, const HttpResponse& response,
                                         Captures& captures, Redactor& redactor,
                                         std::string& details) {
  std::vector<std::string> failures = evaluate(request.assertions, response, redactor);
  // A response that failed its assertions is no source for later steps; but a secret it
  // carries is still learnt, so that the failure's details do not show it.
  const bool usable = failures.empty();
  for (const CaptureRule& rule : request.captures) {
    if (!usable && !rule.secret) continue;
    const Captured captured = capture(rule, response, redactor);
    if (!usable) {
      if (captured.value) redactor.add_secret(*captured.value);
      continue;
    }
    if (!captured.value) {
      failures.push_back(fmt::format("could not capture {}: {}", rule.name, captured.problem));
      continue;
    }
    if (rule.secret) redactor.add_secret(*captured.value);
    captures[request.name][rule.name] = *captured.value;
    details += fmt::format(
        "captured {} = {}\n", rule.name,
        rule.secret ? std::string(Redactor::kMask) : excerpt(*captured.value, redactor));
  }
  return failures;
}

}  // namespace cutover::detail
