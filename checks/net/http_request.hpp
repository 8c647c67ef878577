#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ssl/context.hpp>
#include <nlohmann/json.hpp>

#include "checks/net/dns_client.hpp"
#include "checks/net/http_assertions.hpp"
#include "checks/net/tls_client.hpp"

namespace cutover::detail {

// Where connections go instead of the URL's host (curl's --connect-to).
struct ConnectTo {
  std::string host;                   // without brackets
  std::optional<std::uint16_t> port;  // the URL's port when absent
};

// One request as configured: a whole check, or one of its steps. Text may hold
// ${steps.NAME.VAR}, substituted when the step runs.
struct RequestSpec {
  std::string name;  // the step's name; empty for a check without steps
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<nlohmann::json> body;  // a string is sent as is; anything else as JSON
  HttpAssertions assertions;
  std::vector<CaptureRule> captures;
};

// Everything an `http` check's attempts share, read once when the suite loads.
struct HttpTarget {
  std::vector<RequestSpec> requests;  // one, or the steps in order
  bool steps = false;
  int follow_redirects = 0;
  std::uint64_t max_body = 0;
  std::optional<ConnectTo> connect_to;
  dns::ResolverSettings resolver;
  TlsClientOptions tls;
  std::shared_ptr<boost::asio::ssl::context>
      tls_context;    // built with the check when any URL is https
  std::string label;  // for describe() and messages
};

// The keys of one request besides its assertions, as a check without steps has them at its top.
const std::vector<std::string>& request_keys();

// Reads the request of a check without steps from its keys, as JSON.
RequestSpec read_single_request(const nlohmann::json& object, const SpecErrorSink& error);

// Reads the `steps` list. `shared_headers` (the check's request_headers, or null) go to every
// step, under the step's own. Mistakes go to `error`, prefixed with the step.
std::vector<RequestSpec> read_steps(const nlohmann::json& steps,
                                    const nlohmann::json& shared_headers,
                                    const std::function<void(std::string)>& error);

// What earlier steps captured: step name -> variable -> value.
using Captures = std::map<std::string, std::map<std::string, std::string>>;

// `text` with every ${steps.NAME.VAR} that names a captured value replaced by it.
std::string substitute(std::string_view text, const Captures& captures);
nlohmann::json substitute_json(const nlohmann::json& value, const Captures& captures);

}  // namespace cutover::detail
