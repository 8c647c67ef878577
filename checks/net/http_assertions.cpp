#include "checks/net/http_assertions.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/net/http_excerpt.hpp"
#include "harness/redactor.hpp"
#include "harness/text.hpp"

namespace cutover::detail {
namespace {

using nlohmann::json;

constexpr std::string_view kHsts = "strict-transport-security";

const std::vector<std::string> kAssertionKeys = {"status", "headers",     "body",
                                                 "json",   "max_latency", "hsts_min_max_age"};
const std::vector<std::string> kHeaderKeys = {"present", "absent", "equals", "matches"};
const std::vector<std::string> kBodyKeys = {"contains", "not_contains", "matches"};
const std::vector<std::string> kJsonKeys = {"equals", "exists", "not_exists", "lt",
                                            "le",     "gt",     "ge",         "length"};
const std::vector<std::string> kCaptureKeys = {"json", "header", "regex", "secret"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string type_name(const json& value) {
  if (value.is_object()) return "a mapping";
  if (value.is_array()) return "a list";
  if (value.is_string()) return fmt::format("'{}'", value.get<std::string>());
  return fmt::format("'{}'", value.dump());
}

std::optional<TextPattern> read_pattern(const json& value, std::string_view what,
                                        std::string_view key, const SpecErrorSink& error) {
  if (!value.is_string()) {
    error(key, fmt::format("{}: expected a regular expression, got {}", what, type_name(value)));
    return std::nullopt;
  }
  const std::string source = value.get<std::string>();
  try {
    return TextPattern{source, std::regex(source, std::regex::ECMAScript)};
  } catch (const std::regex_error& e) {
    error(key, fmt::format("{}: invalid regular expression /{}/: {}", what, source, e.what()));
    return std::nullopt;
  }
}

std::optional<bool> read_bool(const json& value, std::string_view what, std::string_view key,
                              const SpecErrorSink& error) {
  if (!value.is_boolean()) {
    error(key, fmt::format("{}: expected true or false, got {}", what, type_name(value)));
    return std::nullopt;
  }
  return value.get<bool>();
}

// One string or a list of them.
std::vector<std::string> read_texts(const json& value, std::string_view what, std::string_view key,
                                    const SpecErrorSink& error) {
  std::vector<std::string> out;
  const auto add = [&](const json& item) {
    if (item.is_string()) {
      out.push_back(item.get<std::string>());
    } else if (item.is_number() || item.is_boolean()) {
      out.push_back(item.dump());
    } else {
      error(key, fmt::format("{}: expected a string or a list of strings, got {}", what,
                             type_name(item)));
    }
  };
  if (value.is_array()) {
    for (const json& item : value)
      add(item);
  } else {
    add(value);
  }
  return out;
}

bool valid_status_code(std::int64_t code) {
  return code >= 100 && code <= 599;
}

void read_status(const json& value, HttpAssertions& into, const SpecErrorSink& error) {
  const auto add = [&](const json& item) {
    if (item.is_number_integer() && valid_status_code(item.get<std::int64_t>())) {
      into.status.push_back({static_cast<int>(item.get<std::int64_t>()), false});
      return;
    }
    if (item.is_string()) {
      const std::string text = lower(item.get<std::string>());
      if (text.size() == 3 && text[0] >= '1' && text[0] <= '5' && text.substr(1) == "xx") {
        into.status.push_back({text[0] - '0', true});
        return;
      }
    }
    error("status", fmt::format("status: expected a status code from 100 to 599, a range like "
                                "2xx, or a list of them, got {}",
                                type_name(item)));
  };
  if (value.is_array()) {
    if (value.empty()) error("status", "status: expected at least one status code, got []");
    for (const json& item : value)
      add(item);
  } else {
    add(value);
  }
}

void read_headers(const json& value, HttpAssertions& into, const SpecErrorSink& error) {
  if (!value.is_object()) {
    error("headers",
          fmt::format("headers: expected a mapping of header names to assertions like "
                      "{{present: true}}, {{equals: text}} or {{matches: regex}}, got {}",
                      type_name(value)));
    return;
  }
  for (const auto& [name, spec] : value.items()) {
    const std::string what = fmt::format("headers: {}", name);
    HeaderRule rule{.name = lower(name)};
    if (spec.is_string() || spec.is_number() || spec.is_boolean()) {
      rule.equals = spec.is_string() ? spec.get<std::string>() : spec.dump();
    } else if (!spec.is_object() || spec.empty()) {
      error("headers", fmt::format("{}: expected a text to equal or a mapping with {}, got {}",
                                   what, fmt::join(kHeaderKeys, ", "), type_name(spec)));
      continue;
    }
    static const json kNone = json::object();
    for (const auto& [key, operand] : (spec.is_object() ? spec : kNone).items()) {
      if (key == "present") {
        rule.present = read_bool(operand, what + ": present", "headers", error);
      } else if (key == "absent") {
        if (auto absent = read_bool(operand, what + ": absent", "headers", error)) {
          rule.present = !*absent;
        }
      } else if (key == "equals") {
        if (operand.is_string()) {
          rule.equals = operand.get<std::string>();
        } else if (operand.is_number() || operand.is_boolean()) {
          rule.equals = operand.dump();
        } else {
          error("headers",
                fmt::format("{}: equals: expected a text, got {}", what, type_name(operand)));
        }
      } else if (key == "matches") {
        rule.matches = read_pattern(operand, what + ": matches", "headers", error);
      } else {
        error("headers", fmt::format("{}: {}", what, unknown_key(key, kHeaderKeys)));
      }
    }
    if (rule.present == false && (rule.equals || rule.matches)) {
      error("headers",
            fmt::format("{}: a header expected absent cannot also have equals or matches", what));
    }
    into.headers.push_back(std::move(rule));
  }
}

void read_body(const json& value, HttpAssertions& into, const SpecErrorSink& error) {
  if (!value.is_object() || value.empty()) {
    error("body", fmt::format("body: expected a mapping with {}, got {}",
                              fmt::join(kBodyKeys, ", "), type_name(value)));
    return;
  }
  for (const auto& [key, operand] : value.items()) {
    if (key == "contains") {
      into.body.contains = read_texts(operand, "body: contains", "body", error);
    } else if (key == "not_contains") {
      into.body.not_contains = read_texts(operand, "body: not_contains", "body", error);
    } else if (key == "matches") {
      into.body.matches = read_pattern(operand, "body: matches", "body", error);
    } else {
      error("body", "body: " + unknown_key(key, kBodyKeys));
    }
  }
}

void read_json(const json& value, HttpAssertions& into, const SpecErrorSink& error) {
  if (!value.is_object() || value.empty()) {
    error("json", fmt::format("json: expected a mapping of JSON pointers to assertions like "
                              "{{\"/status\": {{equals: UP}}}}, got {}",
                              type_name(value)));
    return;
  }
  for (const auto& [pointer, spec] : value.items()) {
    const std::string what = fmt::format("json: {}", pointer);
    try {
      json::json_pointer parsed(pointer);
    } catch (const json::exception&) {
      error("json", fmt::format("json: '{}' is not a JSON pointer (expected \"\" or a path like "
                                "\"/checks/0/status\")",
                                pointer));
      continue;
    }
    JsonRule rule{.pointer = pointer};
    if (!spec.is_object()) {
      rule.equals = spec;  // `"/status": UP` is short for {equals: UP}
      into.json.push_back(std::move(rule));
      continue;
    }
    if (spec.empty()) {
      error("json", fmt::format("{}: expected assertions ({}), got {{}}", what,
                                fmt::join(kJsonKeys, ", ")));
      continue;
    }
    for (const auto& [key, operand] : spec.items()) {
      if (key == "equals") {
        rule.equals = operand;
      } else if (key == "exists") {
        rule.exists = read_bool(operand, what + ": exists", "json", error);
      } else if (key == "not_exists") {
        if (auto not_exists = read_bool(operand, what + ": not_exists", "json", error)) {
          rule.exists = !*not_exists;
        }
      } else if (key == "lt" || key == "le" || key == "gt" || key == "ge") {
        if (!operand.is_number()) {
          error("json",
                fmt::format("{}: {}: expected a number, got {}", what, key, type_name(operand)));
          continue;
        }
        const double number = operand.get<double>();
        (key == "lt" ? rule.lt : key == "le" ? rule.le : key == "gt" ? rule.gt : rule.ge) = number;
      } else if (key == "length") {
        if (!operand.is_number_integer() || operand.get<std::int64_t>() < 0) {
          error("json", fmt::format("{}: length: expected a count (0 or more), got {}", what,
                                    type_name(operand)));
          continue;
        }
        rule.length = operand.get<std::int64_t>();
      } else {
        error("json", fmt::format("{}: {}", what, unknown_key(key, kJsonKeys)));
      }
    }
    if (rule.exists == false &&
        (rule.equals || rule.lt || rule.le || rule.gt || rule.ge || rule.length)) {
      error("json",
            fmt::format("{}: a value expected not to exist cannot have other assertions", what));
    }
    into.json.push_back(std::move(rule));
  }
}

std::optional<Duration> read_duration(const json& value, std::string_view key,
                                      const SpecErrorSink& error) {
  if (!value.is_string()) {
    error(key, fmt::format("{}: expected a positive duration like 500ms, 5s, 2m or 1h, got {}", key,
                           type_name(value)));
    return std::nullopt;
  }
  auto duration = parse_positive_duration(value.get<std::string>());
  if (!duration) {
    error(key, fmt::format("{}: {}", key, duration.error().message));
    return std::nullopt;
  }
  return duration.value();
}

std::string format_number(double number) {
  if (std::floor(number) == number && std::fabs(number) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(number));
  }
  return fmt::format("{}", number);
}

// The value at a pointer, or nothing when the document has none there.
std::optional<json> lookup(const json& document, const std::string& pointer) {
  try {
    return document.at(json::json_pointer(pointer));
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string cut_note(const HttpResponse& response) {
  return response.body_truncated
             ? fmt::format(", cut at max_body after {} bytes", response.body.size())
             : std::string();
}

void evaluate_status(const HttpAssertions& assertions, const HttpResponse& response,
                     const Redactor& redactor, std::vector<std::string>& failures) {
  static const std::vector<StatusRule> kDefault = {{2, true}};
  const std::vector<StatusRule>& rules = assertions.status.empty() ? kDefault : assertions.status;
  for (const StatusRule& rule : rules) {
    if (rule.range ? response.status / 100 == rule.code : response.status == rule.code) return;
  }
  std::vector<std::string> names;
  for (const StatusRule& rule : rules) {
    names.push_back(rule.range ? fmt::format("{}xx", rule.code) : std::to_string(rule.code));
  }
  std::string expected = names.back();
  if (names.size() > 1) {
    names.pop_back();
    expected = fmt::format("{} or {}", fmt::join(names, ", "), expected);
  }
  std::string message = fmt::format("expected status {}, got {}", expected, response.status);
  if (auto location = response.header("location"); location && response.status / 100 == 3) {
    message += fmt::format(" (location: {})", header_excerpt("location", *location, redactor));
  } else if (!response.body.empty()) {
    message += fmt::format(" (body: {}{})", body_excerpt(response, redactor), cut_note(response));
  }
  failures.push_back(std::move(message));
}

void evaluate_headers(const HttpAssertions& assertions, const HttpResponse& response,
                      const Redactor& redactor, std::vector<std::string>& failures) {
  for (const HeaderRule& rule : assertions.headers) {
    const std::optional<std::string> value = response.header(rule.name);
    // Quoted only when a rule fails: a passing check pays no redaction.
    const auto got = [&] {
      return value ? header_excerpt(rule.name, *value, redactor) : std::string("no such header");
    };
    if (rule.present == false) {
      if (value)
        failures.push_back(
            fmt::format("expected header {} to be absent, got {}", rule.name, got()));
      continue;
    }
    if (rule.present == true && !value) {
      failures.push_back(
          fmt::format("expected header {} to be present, got no such header", rule.name));
      continue;
    }
    if (rule.equals && (!value || *value != *rule.equals)) {
      failures.push_back(fmt::format("expected header {} to equal {}, got {}", rule.name,
                                     header_excerpt(rule.name, *rule.equals, redactor), got()));
    }
    if (rule.matches && (!value || !std::regex_search(*value, rule.matches->regex))) {
      failures.push_back(fmt::format("expected header {} to match /{}/, got {}", rule.name,
                                     rule.matches->source, got()));
    }
  }
  if (assertions.hsts_min_max_age) {
    const std::string expected = fmt::format("expected {} max-age of at least {}", kHsts,
                                             format_duration(*assertions.hsts_min_max_age));
    const std::optional<std::string> value = response.header(kHsts);
    static const std::regex kMaxAge(R"re((?:^|;)\s*max-age\s*=\s*"?(\d+)"?)re", std::regex::icase);
    std::smatch match;
    if (!value) {
      failures.push_back(expected + ", got no such header");
    } else if (!std::regex_search(*value, match, kMaxAge)) {
      failures.push_back(fmt::format("{}, got {} (no max-age)", expected,
                                     header_excerpt(kHsts, *value, redactor)));
    } else {
      const std::string digits = match[1].str();
      const double seconds = digits.size() > 15 ? 1e15 : std::stod(digits);
      const double wanted = std::chrono::duration<double>(*assertions.hsts_min_max_age).count();
      if (seconds < wanted) {
        failures.push_back(
            fmt::format("{}, got max-age={} ({})", expected, digits,
                        format_duration(std::chrono::seconds(static_cast<std::int64_t>(seconds)))));
      }
    }
  }
}

void evaluate_body(const HttpAssertions& assertions, const HttpResponse& response,
                   const Redactor& redactor, std::vector<std::string>& failures) {
  const BodyRules& rules = assertions.body;
  const std::string& body = response.body;
  for (const std::string& text : rules.contains) {
    if (body.find(text) == std::string::npos) {
      failures.push_back(fmt::format("expected body to contain {}, got {}{}",
                                     excerpt(text, redactor), body_excerpt(response, redactor),
                                     cut_note(response)));
    }
  }
  for (const std::string& text : rules.not_contains) {
    if (response.body_truncated && body.find(text) == std::string::npos) {
      // Absence in the part that was read proves nothing about the rest.
      failures.push_back(fmt::format(
          "cannot tell whether the body contains {}: it was cut at max_body after {} bytes "
          "(raise max_body)",
          excerpt(text, redactor), body.size()));
      continue;
    }
    if (const std::size_t at = body.find(text); at != std::string::npos) {
      const std::size_t from = at > 40 ? at - 40 : 0;
      const std::string_view around = std::string_view(body).substr(from, 80 + text.size());
      const bool cut_after = from + around.size() < body.size() || response.body_truncated;
      failures.push_back(fmt::format(
          "expected body not to contain {}, found at byte {}: {}", excerpt(text, redactor), at,
          excerpt(around, redactor, 120, {.before = from > 0, .after = cut_after})));
    }
  }
  if (rules.matches && response.body_truncated) {
    failures.push_back(fmt::format(
        "cannot tell whether the body matches /{}/: it was cut at max_body after {} bytes "
        "(raise max_body)",
        rules.matches->source, body.size()));
  } else if (rules.matches && !std::regex_search(body, rules.matches->regex)) {
    failures.push_back(fmt::format("expected body to match /{}/, got {}{}", rules.matches->source,
                                   body_excerpt(response, redactor), cut_note(response)));
  }
}

void evaluate_json(const HttpAssertions& assertions, const HttpResponse& response,
                   const Redactor& redactor, std::vector<std::string>& failures) {
  if (assertions.json.empty()) return;
  if (response.body_truncated) {
    // A prefix of a document can parse as another document ("1500" cut to "15").
    failures.push_back(fmt::format(
        "cannot check the JSON body: it was cut at max_body after {} bytes (raise max_body)",
        response.body.size()));
    return;
  }
  json document;
  try {
    document = json::parse(response.body);
  } catch (const json::parse_error& e) {
    failures.push_back(fmt::format("expected a JSON body, got {} (not JSON at byte {}{})",
                                   body_excerpt(response, redactor), e.byte, cut_note(response)));
    return;
  }
  for (const JsonRule& rule : assertions.json) {
    const std::optional<json> value = lookup(document, rule.pointer);
    // Quoted only when a rule fails: a passing check pays no redaction.
    const auto got = [&] {
      return value ? json_excerpt(*value, redactor) : std::string("no value");
    };
    const std::string& at = rule.pointer.empty() ? std::string("the document") : rule.pointer;
    if (rule.exists == false) {
      if (value) failures.push_back(fmt::format("expected {} not to exist, got {}", at, got()));
      continue;
    }
    if (rule.exists == true && !value) {
      failures.push_back(fmt::format("expected {} to exist, got no value", at));
    }
    if (rule.equals && (!value || *value != *rule.equals)) {
      failures.push_back(fmt::format("expected {} to equal {}, got {}", at,
                                     json_excerpt(*rule.equals, redactor), got()));
    }
    const auto compare = [&](const std::optional<double>& bound, std::string_view symbol,
                             auto holds) {
      if (!bound) return;
      if (!value || !value->is_number()) {
        failures.push_back(fmt::format("expected {} to be {} {}, got {}{}", at, symbol,
                                       format_number(*bound), got(),
                                       value ? " (not a number)" : ""));
      } else if (!holds(value->get<double>(), *bound)) {
        failures.push_back(fmt::format("expected {} to be {} {}, got {}", at, symbol,
                                       format_number(*bound), got()));
      }
    };
    compare(rule.lt, "<", [](double a, double b) { return a < b; });
    compare(rule.le, "<=", [](double a, double b) { return a <= b; });
    compare(rule.gt, ">", [](double a, double b) { return a > b; });
    compare(rule.ge, ">=", [](double a, double b) { return a >= b; });
    if (rule.length) {
      if (!value || !(value->is_array() || value->is_object() || value->is_string())) {
        failures.push_back(fmt::format("expected {} to have length {}, got {}{}", at, *rule.length,
                                       got(), value ? " (no length)" : ""));
      } else {
        const std::size_t length =
            value->is_string() ? value->get<std::string>().size() : value->size();
        if (static_cast<std::int64_t>(length) != *rule.length) {
          failures.push_back(fmt::format("expected {} to have length {}, got length {}", at,
                                         *rule.length, length));
        }
      }
    }
  }
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  const std::string wanted = lower(name);
  std::optional<std::string> out;
  for (const auto& [key, value] : headers) {
    if (lower(key) != wanted) continue;
    out = out ? *out + ", " + value : value;
  }
  return out;
}

const std::vector<std::string>& assertion_keys() {
  return kAssertionKeys;
}

bool read_assertion(std::string_view key, const nlohmann::json& value, HttpAssertions& into,
                    const SpecErrorSink& error) {
  if (key == "status") {
    read_status(value, into, error);
  } else if (key == "headers") {
    read_headers(value, into, error);
  } else if (key == "body") {
    read_body(value, into, error);
  } else if (key == "json") {
    read_json(value, into, error);
  } else if (key == "max_latency") {
    into.max_latency = read_duration(value, key, error);
  } else if (key == "hsts_min_max_age") {
    into.hsts_min_max_age = read_duration(value, key, error);
  } else {
    return false;
  }
  return true;
}

std::vector<std::string> evaluate(const HttpAssertions& assertions, const HttpResponse& response,
                                  const Redactor& redactor) {
  std::vector<std::string> failures;
  evaluate_status(assertions, response, redactor, failures);
  evaluate_headers(assertions, response, redactor, failures);
  evaluate_body(assertions, response, redactor, failures);
  evaluate_json(assertions, response, redactor, failures);
  if (assertions.max_latency && response.latency > *assertions.max_latency) {
    failures.push_back(fmt::format("expected a response within {}, took {}",
                                   format_duration(*assertions.max_latency),
                                   format_milliseconds(response.latency)));
  }
  return failures;
}

std::vector<CaptureRule> read_captures(const nlohmann::json& value, const SpecErrorSink& error) {
  std::vector<CaptureRule> out;
  if (!value.is_object()) {
    error("capture", fmt::format("capture: expected a mapping of names to {{json: /pointer}}, "
                                 "{{header: name}} or {{regex: pattern}}, got {}",
                                 type_name(value)));
    return out;
  }
  for (const auto& [name, spec] : value.items()) {
    const std::string what = fmt::format("capture: {}", name);
    const bool valid_name =
        !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
        std::all_of(name.begin(), name.end(),
                    [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
    if (!valid_name) {
      error("capture", fmt::format("{}: a capture name has letters, digits, '_' and '-'", what));
      continue;
    }
    if (!spec.is_object()) {
      error("capture", fmt::format("{}: expected a mapping like {{json: /token}}, got {}", what,
                                   type_name(spec)));
      continue;
    }
    CaptureRule rule{.name = name};
    int sources = 0;
    for (const auto& [key, operand] : spec.items()) {
      if (key == "secret") {
        rule.secret = read_bool(operand, what + ": secret", "capture", error).value_or(false);
        continue;
      }
      if (key != "json" && key != "header" && key != "regex") {
        error("capture", fmt::format("{}: {}", what, unknown_key(key, kCaptureKeys)));
        continue;
      }
      ++sources;
      if (!operand.is_string()) {
        error("capture",
              fmt::format("{}: {}: expected a string, got {}", what, key, type_name(operand)));
        continue;
      }
      rule.what = operand.get<std::string>();
      if (key == "json") {
        rule.source = CaptureRule::Source::json;
        try {
          json::json_pointer parsed(rule.what);
        } catch (const json::exception&) {
          error("capture", fmt::format("{}: '{}' is not a JSON pointer (expected a path like "
                                       "\"/token\")",
                                       what, rule.what));
        }
      } else if (key == "header") {
        rule.source = CaptureRule::Source::header;
      } else {
        rule.source = CaptureRule::Source::regex;
        if (auto pattern = read_pattern(operand, what + ": regex", "capture", error)) {
          rule.regex = std::move(pattern->regex);
        }
      }
    }
    if (sources != 1) {
      error("capture", fmt::format("{}: expected exactly one of json, header or regex, got {}",
                                   what, sources));
      continue;
    }
    out.push_back(std::move(rule));
  }
  return out;
}

Captured capture(const CaptureRule& rule, const HttpResponse& response, const Redactor& redactor) {
  switch (rule.source) {
    case CaptureRule::Source::json: {
      if (response.body_truncated) {
        return {std::nullopt,
                fmt::format("the body was cut at max_body after {} bytes", response.body.size())};
      }
      json document;
      try {
        document = json::parse(response.body);
      } catch (const json::parse_error&) {
        return {std::nullopt,
                fmt::format("the body is not JSON: {}", body_excerpt(response, redactor))};
      }
      const std::optional<json> value = lookup(document, rule.what);
      if (!value) return {std::nullopt, fmt::format("no value at {}", rule.what)};
      if (value->is_string()) return {value->get<std::string>(), {}};
      return {value->dump(), {}};
    }
    case CaptureRule::Source::header: {
      if (auto value = response.header(rule.what)) return {*value, {}};
      return {std::nullopt, fmt::format("no header {}", lower(rule.what))};
    }
    case CaptureRule::Source::regex: {
      std::smatch match;
      if (!rule.regex || !std::regex_search(response.body, match, *rule.regex)) {
        return {std::nullopt, fmt::format("the body does not match /{}/", rule.what)};
      }
      return {match.size() > 1 ? match[1].str() : match[0].str(), {}};
    }
  }
  return {std::nullopt, "unknown capture source"};
}

}  // namespace cutover::detail
