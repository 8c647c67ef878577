#include "checks/net/http_request.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/net/url.hpp"
#include "harness/characters.hpp"
#include "harness/text.hpp"

namespace cutover::detail {

namespace {

using nlohmann::json;

constexpr std::string_view kStepReference = "${steps.";

const std::vector<std::string> kStepOnlyKeys = {"name", "capture"};

bool is_step_name(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// Every ${steps.NAME.VAR} in a text, as (NAME, VAR).
std::vector<std::pair<std::string, std::string>> step_references(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t at = text.find(kStepReference); at != std::string_view::npos;
       at = text.find(kStepReference, at + 1)) {
    const std::size_t close = text.find('}', at);
    if (close == std::string_view::npos) break;
    const std::string_view inner =
        text.substr(at + kStepReference.size(), close - at - kStepReference.size());
    const std::size_t dot = inner.find('.');
    out.emplace_back(std::string(inner.substr(0, dot)), dot == std::string_view::npos
                                                            ? std::string()
                                                            : std::string(inner.substr(dot + 1)));
  }
  return out;
}

void collect_strings(const json& value, std::vector<std::string>& into) {
  if (value.is_string()) {
    into.push_back(value.get<std::string>());
  } else if (value.is_array() || value.is_object()) {
    for (const auto& item : value)
      collect_strings(item, into);
  }
}

bool is_token(std::string_view method) {
  return !method.empty() && std::all_of(method.begin(), method.end(), [](unsigned char c) {
    return std::isupper(c) || c == '-' || c == '_';
  });
}

// Reads one request from its keys. For a step, `error` prefixes messages with the step.
RequestSpec read_request(const json& object, bool step, const SpecErrorSink& error) {
  std::vector<std::string> allowed = request_keys();
  allowed.insert(allowed.end(), detail::assertion_keys().begin(), detail::assertion_keys().end());
  if (step) allowed.insert(allowed.end(), kStepOnlyKeys.begin(), kStepOnlyKeys.end());

  RequestSpec request;
  for (const auto& [key, value] : object.items()) {
    if (key == "url" || key == "method" || key == "name") {
      if (!value.is_string()) {
        error(key, fmt::format("{}: expected a string, got {}", key, value.dump()));
        continue;
      }
      const std::string text = value.get<std::string>();
      // The loader judged these for a check without steps; a step's are judged here.
      if (auto problem = characters_problem(text, Characters::printable)) {
        error(key, fmt::format("{}: {}", key, *problem));
        continue;
      }
      if (key == "url") {
        request.url = text;
      } else if (key == "name") {
        request.name = text;
      } else if (!is_token(text)) {
        std::string message = fmt::format(
            "method: expected an HTTP method in capitals like GET, POST, PUT or DELETE, got \"{}\"",
            text);
        std::string upper = text;
        std::transform(upper.begin(), upper.end(), upper.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (is_token(upper)) message += fmt::format(" (did you mean '{}'?)", upper);
        error(key, std::move(message));
      } else {
        request.method = text;
      }
    } else if (key == "request_headers") {
      if (!value.is_object()) {
        error(key, fmt::format("request_headers: expected a mapping of header names to values, "
                               "got {}",
                               value.dump()));
        continue;
      }
      for (const auto& [name, header] : value.items()) {
        if (!header.is_string() && !header.is_number() && !header.is_boolean()) {
          error(key, fmt::format("request_headers: {}: expected a text value, got {}", name,
                                 header.dump()));
          continue;
        }
        const std::string text = header.is_string() ? header.get<std::string>() : header.dump();
        // CR LF would start another header; NUL ends the text for whatever reads it as C.
        if (auto problem = characters_problem(name, Characters::printable)) {
          error(key, fmt::format("request_headers: a header name: {}", *problem));
          continue;
        }
        if (auto problem = characters_problem(text, Characters::printable)) {
          error(key, fmt::format("request_headers: {}: {}", name, *problem));
          continue;
        }
        request.headers.emplace_back(name, text);
      }
    } else if (key == "request_body") {
      request.body = value;
    } else if (key == "capture" && step) {
      request.captures = detail::read_captures(value, error);
    } else if (!detail::read_assertion(key, value, request.assertions, error)) {
      error(key, unknown_key(key, allowed));
    }
  }
  return request;
}

// The URL must parse now, unless it is built from an earlier step's capture.
void check_url(const RequestSpec& request, const SpecErrorSink& error) {
  if (request.url.find(kStepReference) != std::string::npos) {
    if (!request.url.starts_with("http://") && !request.url.starts_with("https://")) {
      error("url",
            fmt::format("url: expected an http:// or https:// URL, got \"{}\"", request.url));
    }
    return;
  }
  if (auto url = parse_url(request.url); !url) error("url", "url: " + url.error().message);
}

// A reference must name an earlier step and one of its captures.
void check_reference(const std::string& step_name, const std::string& variable,
                     const std::vector<RequestSpec>& earlier_steps, const SpecErrorSink& error) {
  const auto earlier = std::find_if(earlier_steps.begin(), earlier_steps.end(),
                                    [&](const RequestSpec& r) { return r.name == step_name; });
  if (earlier == earlier_steps.end()) {
    std::vector<std::string> names;
    for (const RequestSpec& r : earlier_steps)
      names.push_back(r.name);
    return error("url", fmt::format("${{steps.{}.{}}} names no earlier step", step_name, variable) +
                            suggestion_or(step_name, names));
  }
  std::vector<std::string> captured;
  for (const CaptureRule& rule : earlier->captures)
    captured.push_back(rule.name);
  if (std::find(captured.begin(), captured.end(), variable) == captured.end()) {
    error("url", fmt::format("${{steps.{}.{}}}: step '{}' captures no '{}'", step_name, variable,
                             step_name, variable) +
                     suggestion_or(variable, captured));
  }
}

// Reads one step, which may refer to the captures of `earlier_steps`.
RequestSpec read_step(const json& step, const json& shared_headers,
                      const std::vector<RequestSpec>& earlier_steps, const SpecErrorSink& error) {
  json merged = step;
  if (shared_headers.is_object()) {
    json headers = shared_headers;
    if (step.contains("request_headers") && step["request_headers"].is_object()) {
      headers.update(step["request_headers"]);
    }
    merged["request_headers"] = headers;
  }
  RequestSpec request = read_request(merged, true, error);
  if (!is_step_name(request.name)) {
    error("name", request.name.empty()
                      ? std::string("name: every step needs a name (letters, digits, '_', '-')")
                      : fmt::format("name: '{}' is not a valid step name (letters, digits, "
                                    "'_', '-')",
                                    request.name));
  }
  for (const RequestSpec& earlier : earlier_steps) {
    if (earlier.name == request.name && !request.name.empty()) {
      error("name", fmt::format("name: '{}' is used by an earlier step", request.name));
    }
  }
  if (request.url.empty()) {
    error("url", "url: every step needs a url");
  } else {
    check_url(request, error);
  }
  std::vector<std::string> texts{request.url};
  for (const auto& header : request.headers)
    texts.push_back(header.second);
  if (request.body) collect_strings(*request.body, texts);
  for (const std::string& text : texts) {
    for (const auto& [step_name, variable] : step_references(text)) {
      check_reference(step_name, variable, earlier_steps, error);
    }
  }
  return request;
}

}  // namespace

const std::vector<std::string>& request_keys() {
  static const std::vector<std::string> keys = {"url", "method", "request_headers", "request_body"};
  return keys;
}

RequestSpec read_single_request(const json& object, const SpecErrorSink& error) {
  RequestSpec request = read_request(object, false, error);
  if (!object.contains("url")) {
    error("url", "url: missing: an http check needs url, or steps");
  } else {
    check_url(request, error);
    if (request.url.find(kStepReference) != std::string::npos) {
      error("url", "url: ${steps.…} references need steps");
    }
  }
  return request;
}

std::vector<RequestSpec> read_steps(const json& steps, const json& shared_headers,
                                    const std::function<void(std::string)>& error) {
  if (!steps.is_array() || steps.empty()) {
    error("steps: expected a list of requests like [{name: login, url: …}]");
  }
  std::vector<RequestSpec> requests;
  std::size_t index = 0;
  for (const json& step : steps.is_array() ? steps : json::array()) {
    ++index;
    std::string where = fmt::format("steps: step {}", index);
    if (!step.is_object()) {
      error(fmt::format("{}: expected a mapping with name and url", where));
      continue;
    }
    // A name with a control character is refused below, and never quoted.
    if (step.contains("name") && step["name"].is_string() &&
        !characters_problem(step["name"].get<std::string>(), Characters::printable)) {
      where = fmt::format("steps: step '{}'", step["name"].get<std::string>());
    }
    const SpecErrorSink step_error = [&](std::string_view, std::string message) {
      error(fmt::format("{}: {}", where, message));
    };
    requests.push_back(read_step(step, shared_headers, requests, step_error));
  }
  return requests;
}

std::string substitute(std::string_view text, const Captures& captures) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t at = text.find(kStepReference); at != std::string_view::npos;
       at = text.find(kStepReference, from)) {
    const std::size_t close = text.find('}', at);
    if (close == std::string_view::npos) break;
    out.append(text.substr(from, at - from));
    const std::string_view inner =
        text.substr(at + kStepReference.size(), close - at - kStepReference.size());
    const std::size_t dot = inner.find('.');
    const auto step = captures.find(std::string(inner.substr(0, dot)));
    bool replaced = false;
    if (step != captures.end() && dot != std::string_view::npos) {
      if (auto value = step->second.find(std::string(inner.substr(dot + 1)));
          value != step->second.end()) {
        out += value->second;
        replaced = true;
      }
    }
    if (!replaced) out.append(text.substr(at, close + 1 - at));
    from = close + 1;
  }
  out.append(text.substr(from));
  return out;
}

namespace {

// Substitutes in place, so that each node is visited once (a copy per level was quadratic in
// the depth). The loader bounds the depth (yaml::kMaxDepth), and with it this recursion.
void substitute_within(json& value, const Captures& captures) {
  if (value.is_string()) {
    auto& text = value.get_ref<std::string&>();
    if (text.find(kStepReference) != std::string::npos) text = substitute(text, captures);
  } else if (value.is_array() || value.is_object()) {
    for (json& item : value)
      substitute_within(item, captures);
  }
}

}  // namespace

json substitute_json(const json& value, const Captures& captures) {
  json out = value;
  substitute_within(out, captures);
  return out;
}

}  // namespace cutover::detail
