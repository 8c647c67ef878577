#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/duration.hpp"
#include "harness/redactor.hpp"

namespace cutover::detail {

// What one HTTP exchange returned, as assertions and captures see it.
struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in the order received
  std::string body;                                          // at most max_body bytes
  bool body_truncated = false;                               // more was sent than max_body
  bool tls = false;                                          // received over https
  Duration latency{};  // the whole request, redirects included

  // The values of a header (case-insensitive name) joined by ", " as RFC 9110 allows; nothing
  // when absent.
  std::optional<std::string> header(std::string_view name) const;
};

// Reports a mistake in a suite: `key` is the assertion's key ("status", "json"), `message`
// says what was expected.
using SpecErrorSink = std::function<void(std::string_view key, std::string message)>;

struct StatusRule {
  int code = 0;        // 200; for a range, the class: 2 for "2xx"
  bool range = false;  // "2xx"
};

struct TextPattern {
  std::string source;  // as written, for messages
  std::regex regex;
};

struct HeaderRule {
  std::string name;
  std::optional<bool> present{};  // present: true|false, absent: true
  std::optional<std::string> equals{};
  std::optional<TextPattern> matches{};  // searched anywhere in the value
};

struct BodyRules {
  std::vector<std::string> contains;
  std::vector<std::string> not_contains;
  std::optional<TextPattern> matches;
};

struct JsonRule {
  std::string pointer;  // as written, "/checks/db/latency_ms"
  std::optional<nlohmann::json> equals{};
  std::optional<bool> exists{};
  std::optional<double> lt{}, le{}, gt{}, ge{};
  std::optional<std::int64_t> length{};
};

// Every assertion of one request; an empty `status` means "2xx".
struct HttpAssertions {
  std::vector<StatusRule> status;
  std::vector<HeaderRule> headers;
  BodyRules body;
  std::vector<JsonRule> json;
  std::optional<Duration> max_latency;
  std::optional<Duration> hsts_min_max_age;
};

// The assertion keys a request accepts, for did-you-mean suggestions.
const std::vector<std::string>& assertion_keys();

// Reads one assertion given as JSON (`status`, `headers`, `body`, `json`; durations as text
// like "300ms" for `max_latency` and `hsts_min_max_age`) into `into`. Unknown keys inside the
// value are errors with a suggestion. Returns false for a key that is not an assertion.
bool read_assertion(std::string_view key, const nlohmann::json& value, HttpAssertions& into,
                    const SpecErrorSink& error);

// Every assertion that did not hold, each as "expected …, got …" with bodies shortened. What
// they quote is redacted by `redactor` before it is escaped or cut.
std::vector<std::string> evaluate(const HttpAssertions& assertions, const HttpResponse& response,
                                  const Redactor& redactor);

// `capture: { NAME: { json: /pointer | header: name | regex: "id=(\\d+)", secret: true } }`:
// a value read from a response into ${steps.STEP.NAME}.
struct CaptureRule {
  enum class Source { json, header, regex };
  std::string name;
  Source source = Source::json;
  std::string what{};  // the pointer, header name or pattern as written
  std::optional<std::regex> regex{};
  bool secret = false;
};

// Reads a `capture` mapping; mistakes go to `error` under the key "capture".
std::vector<CaptureRule> read_captures(const nlohmann::json& value, const SpecErrorSink& error);

// The captured value, or why there is none ("no value at /token"; what it quotes is redacted).
struct Captured {
  std::optional<std::string> value;
  std::string problem;
};
Captured capture(const CaptureRule& rule, const HttpResponse& response, const Redactor& redactor);

}  // namespace cutover::detail
