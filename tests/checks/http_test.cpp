#include "checks/http.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "checks/builtin.hpp"
#include "harness/registry.hpp"
#include "harness/suite.hpp"
#include "loopback/certificates.hpp"
#include "loopback/dns_servers.hpp"
#include "loopback/http_servers.hpp"
#include "loopback/tcp_servers.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/check_runner.hpp"
#include "tests/support/garbage_server.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::FieldMap;

constexpr Duration kShortTimeout = 300ms;  // the check's own budget is 270ms of it
constexpr Duration kTimeout = 5s;
constexpr const char* kLatency = R"(\d+\.\d{1,2}ms)";

using test::Completed;
using test::expect_result;
using test::expect_result_matching;
using test::find_measurement;
using test::run_check;

std::unique_ptr<HttpCheck> make_check(FieldMap values) {
  return test::make_check<HttpCheck>(std::move(values));
}

// The messages alone, without the "suite.yaml:7:5: error: " every one starts with.
std::vector<std::string> construction_errors(FieldMap values) {
  std::vector<std::string> errors = test::construction_errors<HttpCheck>(std::move(values));
  for (std::string& error : errors)
    error.erase(0, error.find(": error: ") + 9);
  return errors;
}

Completed run_check(FieldMap values, Duration timeout = kTimeout) {
  return run_check(*make_check(std::move(values)), timeout);
}

std::string escape(const std::string& text) {
  return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

// A request to `path` of `server` with the assertions in `values`.
FieldMap request(const loopback::HttpServer& server, const std::string& path,
                 FieldMap values = {}) {
  values.emplace("url", server.url(path));
  return values;
}

FieldValue object(json value) {
  return FieldValue(std::move(value));
}

// A server with the routes most assertion tests read.
class HttpCheckTest : public ::testing::Test {
 protected:
  HttpCheckTest() {
    server_.respond("/health", 200,
                    {{"Content-Type", "application/json"},
                     {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
                     {"X-Frame-Options", "DENY"}},
                    R"({"status":"UP","checks":{"db":{"latency_ms":12}},"items":[1,2,3]})");
    server_.respond("/down", 503, {{"Content-Type", "text/plain"}}, "database unavailable");
    server_.respond("/text", 200, {}, "hello world, version 2.4.1");
  }

  Completed run(const std::string& path, FieldMap values) {
    return run_check(request(server_, path, std::move(values)));
  }

  loopback::HttpServer server_;
};

// ---------------------------------------------------------------------------------------------
// Loading

TEST(HttpCheckFields, BadUrlsAreErrors) {
  EXPECT_EQ(construction_errors({{"url", std::string("ftp://example.test/")}}),
            std::vector<std::string>{
                "url: expected an http:// or https:// URL, got \"ftp://example.test/\""});
  EXPECT_EQ(construction_errors({{"url", std::string("http://user:pw@example.test/")}}),
            std::vector<std::string>{
                "url: expected an http:// or https:// URL, got \"http://user:pw@example.test/\" "
                "(credentials in URLs are not supported; send an Authorization header in "
                "request_headers)"});
  EXPECT_EQ(construction_errors({{"url", std::string("http://example.test:99999/")}}),
            std::vector<std::string>{"url: expected an http:// or https:// URL, got "
                                     "\"http://example.test:99999/\" (no valid host[:port])"});
  EXPECT_EQ(construction_errors({}),
            std::vector<std::string>{"url: missing: an http check needs url, or steps"});
}

TEST(HttpCheckFields, UnknownKeysInsideObjectsAreErrorsWithSuggestions) {
  const std::vector<std::string> errors = construction_errors({
      {"url", std::string("http://127.0.0.1/")},
      {"json", object({{"/status", {{"equal", "UP"}}}})},
      {"headers", object({{"x-frame-options", {{"matchs", "DENY"}}}})},
      {"body", object({{"contain", "UP"}})},
      {"status", object("20x")},
  });
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "body: unknown key 'contain' (did you mean 'contains'?)",
                        "headers: x-frame-options: unknown key 'matchs' (did you mean 'matches'?)",
                        "json: /status: unknown key 'equal' (did you mean 'equals'?)",
                        "status: expected a status code from 100 to 599, a range like 2xx, or a "
                        "list of them, got '20x'",
                    }));
}

TEST(HttpCheckFields, MalformedValuesAreErrors) {
  const std::vector<std::string> errors = construction_errors({
      {"url", std::string("http://127.0.0.1/")},
      {"method", std::string("get")},
      {"json", object({{"status", {{"lt", "ten"}}}})},
      {"body", object({{"matches", "(unclosed"}})},
      {"connect_to", std::string("10.0.0.1:http")},
      {"client_key", std::string("/nonexistent/key.pem")},
  });
  EXPECT_EQ(errors,
            (std::vector<std::string>{
                "client_certificate and client_key go together: give both or neither",
                "connect_to: expected ADDRESS or ADDRESS:PORT (an IPv6 address in brackets: "
                "[::1]:8443), got \"10.0.0.1:http\"",
                "body: matches: invalid regular expression /(unclosed/: " +
                    std::string(std::regex_error(std::regex_constants::error_paren).what()),
                "json: 'status' is not a JSON pointer (expected \"\" or a path like "
                "\"/checks/0/status\")",
                "method: expected an HTTP method in capitals like GET, POST, PUT or DELETE, got "
                "\"get\" (did you mean 'GET'?)",
            }));
}

// TLS files are read when the check is built: a missing one is a suite mistake.
TEST(HttpCheckFields, UnreadableCaFileIsAnError) {
  const std::vector<std::string> errors =
      construction_errors({{"url", std::string("https://127.0.0.1/")},
                           {"ca_file", std::string("/nonexistent/ca.pem")}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("TLS setup failed: ", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("/nonexistent/ca.pem"), std::string::npos) << errors[0];
}

TEST(HttpCheckFields, StepsAreValidated) {
  const json steps = json::array({
      {{"name", "login"},
       {"url", "http://127.0.0.1/login"},
       {"capture", {{"token", {{"json", "/token"}}}}}},
      {{"name", "read"}, {"url", "http://127.0.0.1/orders/${steps.login.tokn}"}, {"captur", {}}},
      {{"name", "again"}, {"url", "http://127.0.0.1/${steps.lgin.token}"}},
      {{"url", "http://127.0.0.1/"}},
  });
  const std::vector<std::string> errors = construction_errors({
      {"steps", object(steps)},
      {"status", object(200)},
  });
  EXPECT_EQ(errors, (std::vector<std::string>{
                        "status: with steps, each step has its own status; move it into the steps",
                        "steps: step 'read': unknown key 'captur' (did you mean 'capture'?)",
                        "steps: step 'read': ${steps.login.tokn}: step 'login' captures no "
                        "'tokn' (did you mean 'token'?)",
                        "steps: step 'again': ${steps.lgin.token} names no earlier step (did you "
                        "mean 'login'?)",
                        "steps: step 4: name: every step needs a name (letters, digits, '_', '-')",
                    }));
}

// Empty steps, or steps that are not a list, are a mistake in the suite, never a crash.
TEST(HttpCheckFields, EmptyStepsAreAMistake) {
  const std::vector<std::string> expected{
      "steps: expected a list of requests like [{name: login, url: …}]"};
  EXPECT_EQ(construction_errors({{"steps", object(json::array())}}), expected);
  EXPECT_EQ(construction_errors({{"steps", object(json::object())}}), expected);
}

// The loader substitutes ${…} in every string of an object field, but leaves the kind's own
// ${steps.…} references for the check; other variables in steps are substituted as anywhere.
TEST(HttpCheckFields, SuiteFilesWriteStepReferencesPlainly) {
  Registry registry;
  register_builtin_checks(registry);
  const std::string suite = R"(suite: s
checks:
  - name: flow
    kind: http
    steps:
      - { name: login, url: "http://${HOST:-127.0.0.1}/login", capture: { token: { json: /token } } }
      - { name: read, url: "http://127.0.0.1/me", request_headers: { authorization: "Bearer ${steps.login.token}" } }
)";
  auto loaded = load_suite_text(suite, "suite.yaml", registry);
  ASSERT_TRUE(loaded.has_value()) << to_string(loaded.error().front());

  std::string escaped = suite;
  escaped.replace(escaped.find("${steps"), 2, "$${");
  EXPECT_TRUE(load_suite_text(escaped, "suite.yaml", registry).has_value());

  std::string undefined = suite;
  undefined.replace(undefined.find("${HOST:-127.0.0.1}"), 18, "${NO_SUCH_HOST}");
  auto failed = load_suite_text(undefined, "suite.yaml", registry);
  ASSERT_FALSE(failed.has_value());
  EXPECT_NE(to_string(failed.error().front()).find("undefined variable 'NO_SUCH_HOST'"),
            std::string::npos)
      << to_string(failed.error().front());
}

// ---------------------------------------------------------------------------------------------
// Assertions

TEST_F(HttpCheckTest, PassingRequestMeasuresEverything) {
  const Completed result = run("/health", {});
  expect_result_matching(result, Outcome::passed,
                         "GET " + escape(server_.url("/health")) + " answered 200 in " + kLatency);
  for (const char* name : {"status", "connect_ms", "first_byte_ms", "total_ms", "body_bytes"}) {
    EXPECT_NE(find_measurement(result.result, name), nullptr) << name;
  }
  EXPECT_EQ(find_measurement(result.result, "status")->value, 200);
  EXPECT_EQ(find_measurement(result.result, "body_bytes")->value, 65);
  EXPECT_EQ(find_measurement(result.result, "tls_ms"), nullptr);
}

TEST_F(HttpCheckTest, StatusAssertions) {
  expect_result(run("/down", {}), Outcome::failed,
                "expected status 2xx, got 503 (body: \"database unavailable\")");
  expect_result(run("/down", {{"status", object(200)}}), Outcome::failed,
                "expected status 200, got 503 (body: \"database unavailable\")");
  expect_result(run("/down", {{"status", object(json::array({200, 204, "3xx"}))}}), Outcome::failed,
                "expected status 200, 204 or 3xx, got 503 (body: \"database unavailable\")");
  EXPECT_EQ(run("/down", {{"status", object(503)}}).result.outcome, Outcome::passed);
  EXPECT_EQ(run("/down", {{"status", object("5xx")}}).result.outcome, Outcome::passed);
  EXPECT_EQ(run("/health", {{"status", object(json::array({201, 200}))}}).result.outcome,
            Outcome::passed);
}

TEST_F(HttpCheckTest, HeaderAssertions) {
  const json passing = {
      {"content-type", {{"equals", "application/json"}}},
      {"X-Frame-Options", "DENY"},
      {"strict-transport-security", {{"matches", R"(max-age=\d+)"}}},
      {"x-request-id", {{"absent", true}}},
      {"content-length", {{"present", true}}},
  };
  EXPECT_EQ(run("/health", {{"headers", object(passing)}}).result.outcome, Outcome::passed);

  const json failing = {
      {"content-type", {{"equals", "text/html"}}},
      {"x-frame-options", {{"present", false}}},
      {"strict-transport-security", {{"matches", R"(preload)"}}},
      {"x-request-id", {{"present", true}}},
  };
  expect_result(run("/health", {{"headers", object(failing)}}), Outcome::failed,
                "expected header content-type to equal \"text/html\", got \"application/json\"; "
                "expected header strict-transport-security to match /preload/, got "
                "\"max-age=31536000; includeSubDomains\"; "
                "expected header x-frame-options to be absent, got \"DENY\"; "
                "expected header x-request-id to be present, got no such header");
}

TEST_F(HttpCheckTest, HstsMinimumMaxAge) {
  EXPECT_EQ(
      run("/health", {{"hsts_min_max_age", Duration(std::chrono::hours(24 * 180))}}).result.outcome,
      Outcome::passed);
  expect_result(run("/health", {{"hsts_min_max_age", Duration(std::chrono::hours(24 * 400))}}),
                Outcome::failed,
                "expected strict-transport-security max-age of at least 400d, got "
                "max-age=31536000 (365d)");
  expect_result(run("/text", {{"hsts_min_max_age", Duration(std::chrono::hours(24))}}),
                Outcome::failed,
                "expected strict-transport-security max-age of at least 1d, got no such header");
}

TEST_F(HttpCheckTest, BodyAssertions) {
  const json passing = {{"contains", json::array({"hello", "2.4"})},
                        {"not_contains", "error"},
                        {"matches", R"(version \d+\.\d+)"}};
  EXPECT_EQ(run("/text", {{"body", object(passing)}}).result.outcome, Outcome::passed);

  expect_result(run("/text", {{"body", object({{"contains", "goodbye"}})}}), Outcome::failed,
                "expected body to contain \"goodbye\", got \"hello world, version 2.4.1\"");
  expect_result(run("/text", {{"body", object({{"not_contains", "world"}})}}), Outcome::failed,
                "expected body not to contain \"world\", found at byte 6: \"hello world, "
                "version 2.4.1\"");
  expect_result(run("/text", {{"body", object({{"matches", R"(^version)"}})}}), Outcome::failed,
                "expected body to match /^version/, got \"hello world, version 2.4.1\"");
}

TEST_F(HttpCheckTest, LongBodiesAreShortenedInMessages) {
  server_.respond("/long", 500, {}, std::string(1000, 'a'));
  expect_result(
      run("/long", {}), Outcome::failed,
      "expected status 2xx, got 500 (body: \"" + std::string(120, 'a') + "\"... (1000 bytes))");
}

TEST_F(HttpCheckTest, JsonAssertions) {
  const json passing = {
      {"/status", {{"equals", "UP"}}},
      {"/checks/db/latency_ms", {{"lt", 50}, {"ge", 12}, {"le", 12}, {"gt", 0}}},
      {"/items", {{"length", 3}, {"exists", true}}},
      {"/error", {{"not_exists", true}}},
      {"/items/0", 1},
  };
  EXPECT_EQ(run("/health", {{"json", object(passing)}}).result.outcome, Outcome::passed);

  const json failing = {
      {"/status", {{"equals", "DOWN"}}},   {"/checks/db/latency_ms", {{"lt", 10}, {"gt", 12}}},
      {"/items", {{"length", 2}}},         {"/error", {{"exists", true}}},
      {"/checks", {{"not_exists", true}}}, {"/items/1", {{"le", 1}, {"ge", 5}}},
  };
  expect_result(run("/health", {{"json", object(failing)}}), Outcome::failed,
                "expected /checks not to exist, got {\"db\":{\"latency_ms\":12}}; "
                "expected /checks/db/latency_ms to be < 10, got 12; "
                "expected /checks/db/latency_ms to be > 12, got 12; "
                "expected /error to exist, got no value; "
                "expected /items to have length 2, got length 3; "
                "expected /items/1 to be <= 1, got 2; "
                "expected /items/1 to be >= 5, got 2; "
                "expected /status to equal \"DOWN\", got \"UP\"");
  expect_result(run("/text", {{"json", object({{"/status", "UP"}})}}), Outcome::failed,
                "expected a JSON body, got \"hello world, version 2.4.1\" (not JSON at byte 1)");
  expect_result(run("/health", {{"json", object({{"/status", {{"lt", 3}}}})}}), Outcome::failed,
                "expected /status to be < 3, got \"UP\" (not a number)");
}

TEST_F(HttpCheckTest, MaxLatency) {
  EXPECT_EQ(run("/health", {{"max_latency", Duration(2s)}}).result.outcome, Outcome::passed);
  server_.answer_slowly("/slow", {200, {}, "ok"}, 2ms);
  expect_result_matching(run("/slow", {{"max_latency", Duration(10ms)}}), Outcome::failed,
                         std::string("expected a response within 10ms, took ") + kLatency);
}

TEST_F(HttpCheckTest, SeveralAssertionKindsCombine) {
  expect_result(run("/down", {{"status", object(200)},
                              {"body", object({{"contains", "ok"}})},
                              {"headers", object({{"content-type", "application/json"}})}}),
                Outcome::failed,
                "expected status 200, got 503 (body: \"database unavailable\"); expected header "
                "content-type to equal \"application/json\", got \"text/plain\"; expected body to "
                "contain \"ok\", got \"database unavailable\"");
}

TEST_F(HttpCheckTest, InvalidUtf8AndControlCharactersStayOnOneLine) {
  server_.answer_invalid_text("/garbage");
  const Completed result = run("/garbage", {{"body", object({{"contains", "zzz-absent"}})}});
  EXPECT_EQ(result.result.outcome, Outcome::failed);
  EXPECT_EQ(result.result.message.find('\n'), std::string::npos);
  EXPECT_EQ(result.result.message.find('\x1b'), std::string::npos);
  EXPECT_NE(result.result.message.find("\\u001b"), std::string::npos) << result.result.message;
  EXPECT_NE(result.result.message.find("\xEF\xBF\xBD"), std::string::npos) << result.result.message;
}

// ---------------------------------------------------------------------------------------------
// The request

TEST_F(HttpCheckTest, SendsMethodHeadersAndJsonBody) {
  server_.respond("/orders", 201, {}, "{}");
  const Completed result = run(
      "/orders", {{"method", std::string("POST")},
                  {"request_headers", object({{"X-Trace", "abc"}, {"Accept", "application/json"}})},
                  {"request_body", object({{"item", "book"}, {"count", 2}})},
                  {"status", object(201)}});
  EXPECT_EQ(result.result.outcome, Outcome::passed) << result.result.message;
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/orders");
  EXPECT_EQ(requests[0].header("x-trace"), "abc");
  EXPECT_EQ(requests[0].header("accept"), "application/json");
  EXPECT_EQ(requests[0].header("content-type"), "application/json");
  EXPECT_EQ(requests[0].header("host"), "127.0.0.1:" + std::to_string(server_.port()));
  EXPECT_EQ(json::parse(requests[0].body), json({{"count", 2}, {"item", "book"}}));
}

TEST_F(HttpCheckTest, TextBodyIsSentAsIs) {
  server_.respond("/echo", 200);
  run("/echo", {{"method", std::string("PUT")}, {"request_body", object("plain text")}});
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, "plain text");
  EXPECT_EQ(requests[0].header("content-type"), "");
}

TEST_F(HttpCheckTest, LargeBodyIsCutAtMaxBody) {
  server_.send_large_body("/large", 10 * 1024 * 1024);
  const Completed result = run_check(request(server_, "/large"), 10s);
  expect_result_matching(result, Outcome::passed,
                         "GET " + escape(server_.url("/large")) + " answered 200 in " + kLatency +
                             ", body cut at max_body \\(1048576 bytes\\)");
  EXPECT_EQ(find_measurement(result.result, "body_bytes")->value, 1048576);

  server_.send_large_body("/chunked", 10 * 1024 * 1024, true);
  const Completed small =
      run("/chunked", {{"max_body", std::int64_t{1000}}, {"body", object({{"contains", "y"}})}});
  expect_result(small, Outcome::failed,
                "expected body to contain \"y\", got \"" + std::string(120, 'x') +
                    "\"... (1000 bytes), cut at max_body after 1000 bytes");

  // What was read of a cut body proves nothing about the whole: these cannot pass either.
  expect_result(
      run("/chunked", {{"max_body", std::int64_t{1000}}, {"body", object({{"matches", "^x+$"}})}}),
      Outcome::failed,
      "cannot tell whether the body matches /^x+$/: it was cut at max_body after 1000 "
      "bytes (raise max_body)");
  expect_result(
      run("/chunked", {{"max_body", std::int64_t{1000}},
                       {"json", object(json::object({{"", json::object({{"exists", true}})}}))}}),
      Outcome::failed,
      "cannot check the JSON body: it was cut at max_body after 1000 bytes (raise "
      "max_body)");

  // Not finding a forbidden text in the part that was read must not pass.
  const Completed unproven = run(
      "/chunked", {{"max_body", std::int64_t{1000}}, {"body", object({{"not_contains", "y"}})}});
  expect_result(unproven, Outcome::failed,
                "cannot tell whether the body contains \"y\": it was cut at max_body after 1000 "
                "bytes (raise max_body)");
}

TEST_F(HttpCheckTest, RedirectsAreReportedOrFollowed) {
  server_.redirect("/old", "/health");
  expect_result(run("/old", {}), Outcome::failed,
                "expected status 2xx, got 302 (location: \"/health\")");
  const Completed followed = run("/old", {{"follow_redirects", std::int64_t{2}}});
  expect_result_matching(followed, Outcome::passed,
                         "GET " + escape(server_.url("/health")) + " answered 200 in " + kLatency +
                             " after 1 redirects");

  server_.redirect("/loop", "/loop");
  expect_result(run("/loop", {{"follow_redirects", std::int64_t{3}}}), Outcome::failed,
                "stopped after 3 redirects (follow_redirects: 3); GET " + server_.url("/loop") +
                    " answered 302 to \"/loop\"");
  EXPECT_EQ(server_.requests().size(), 1u + 2u + 4u);
}

// ---------------------------------------------------------------------------------------------
// Faults: each is an error, within its deadline

TEST(HttpCheckFaults, RefusedConnectionIsAnError) {
  const std::uint16_t port = loopback::unused_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  expect_result(run_check({{"url", url}}), Outcome::error,
                "could not connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

TEST(HttpCheckFaults, UnresolvableNameIsAnError) {
  loopback::DnsTestServer dns({{"app.example.test.", "A", 60, "127.0.0.1"}});
  expect_result(run_check({{"url", std::string("http://nosuch.example.test/")},
                           {"resolver", object({{"servers", {dns.address()}}})}}),
                Outcome::error, "could not resolve nosuch.example.test: no such host");
  // Through the system's configuration: a 64-character label is longer than DNS allows, so
  // c-ares fails it without sending a query.
  const std::string host = std::string(64, 'a') + ".invalid";
  expect_result(run_check({{"url", "http://" + host + "/"}}), Outcome::error,
                "could not resolve " + host + ": not a valid host name");
}

// The DNS-budget rule: a lookup that never ends is the check's error, within its budget.
TEST(HttpCheckFaults, SilentResolverTimesOutInTheDnsStageWithinTheDeadline) {
  loopback::DnsTestServer dns;
  dns.set_fault("", loopback::DnsFault::silent);
  const Completed result = run_check({{"url", std::string("http://app.example.test/")},
                                      {"resolver", object({{"servers", {dns.address()}}})}},
                                     kShortTimeout);
  expect_result(result, Outcome::error, "timed out after 270ms resolving app.example.test");
  EXPECT_LT(result.elapsed, kShortTimeout);
}

TEST(HttpCheckFaults, ResolverWhereNoServerAnswersIsAnError) {
  loopback::DnsTestServer dns({{"app.example.test.", "A", 60, "127.0.0.1"}});
  dns.set_fault("", loopback::DnsFault::servfail);
  expect_result(run_check({{"url", std::string("http://app.example.test/")},
                           {"resolver", object({{"servers", {dns.address()}}})}}),
                Outcome::error,
                "could not resolve app.example.test: no DNS server gave an answer (SERVFAIL, "
                "REFUSED or connection refused)");
}

TEST(HttpCheckFaults, ServerThatNeverAnswersTimesOutWithinTheDeadline) {
  loopback::HttpServer server;
  server.never_answer("/hang");
  const Completed result = run_check({{"url", server.url("/hang")}}, kShortTimeout);
  expect_result(result, Outcome::error,
                "timed out after 270ms waiting for the response to GET " + server.url("/hang"));
  EXPECT_LT(result.elapsed, kShortTimeout);
}

TEST(HttpCheckFaults, SlowBodyTimesOutWithinTheDeadline) {
  loopback::HttpServer server;
  server.answer_slowly("/slow", {200, {}, std::string(1000, 'x')}, 5ms);
  const Completed result = run_check({{"url", server.url("/slow")}}, kShortTimeout);
  EXPECT_EQ(result.result.outcome, Outcome::error);
  EXPECT_TRUE(std::regex_match(result.result.message,
                               std::regex("timed out after 270ms (waiting for the response to|"
                                          "reading the body of) GET .*")))
      << result.result.message;
  EXPECT_LT(result.elapsed, kShortTimeout);
}

// Issue 15: a body that trickled in was reported as "(0 bytes so far)": the bytes of the chunk
// being read were not counted until it filled.
TEST(HttpCheckFaults, ASlowBodyCountsTheBytesThatArrived) {
  loopback::HttpServer server;
  server.answer_slowly("/slow", {200, {}, std::string(5000, 'x')}, 1ms);
  const Completed result = run_check({{"url", server.url("/slow")}}, 1s);
  std::smatch match;
  ASSERT_TRUE(std::regex_match(
      result.result.message, match,
      std::regex("timed out after 900ms reading the body of GET .* \\(([0-9]+) bytes so far\\)")))
      << result.result.message;
  EXPECT_GT(std::stoul(match[1]), 0u) << result.result.message;
}

// Issue 15: `http` and `tls` share one rule. A target that answers, but not with TLS or not
// with HTTP, failed; one that closes without a word gave nothing to judge: an error.
TEST(HttpCheckFaults, AnAnswerThatIsNotTlsOrHttpFails) {
  test::GarbageServer garbage;
  const std::string https = fmt::format("https://127.0.0.1:{}/", garbage.port());
  const Completed tls = run_check({{"url", https}});
  EXPECT_EQ(tls.result.outcome, Outcome::failed) << tls.result.message;
  EXPECT_EQ(tls.result.message.rfind("TLS handshake with 127.0.0.1 failed: ", 0), 0u)
      << tls.result.message;

  const std::string plain = fmt::format("http://127.0.0.1:{}/", garbage.port());
  const Completed http = run_check({{"url", plain}});
  EXPECT_EQ(http.result.outcome, Outcome::failed) << http.result.message;
  EXPECT_EQ(http.result.message.rfind("no HTTP response to GET " + plain, 0), 0u)
      << http.result.message;

  loopback::AcceptingServer closing;
  const Completed closed =
      run_check({{"url", fmt::format("https://127.0.0.1:{}/", closing.port())}});
  EXPECT_EQ(closed.result.outcome, Outcome::error) << closed.result.message;
}

TEST(HttpCheckFaults, ClosedWithoutAnswerIsAnError) {
  loopback::HttpServer server;
  server.close_without_answer("/close");
  expect_result(run_check({{"url", server.url("/close")}}), Outcome::error,
                "no HTTP response to GET " + server.url("/close") +
                    " from 127.0.0.1:" + std::to_string(server.port()) + ": end of stream");
}

TEST(HttpCheckFaults, CancellationStopsTheAttempt) {
  loopback::HttpServer server;
  server.never_answer("/hang");
  auto check = make_check({{"url", server.url("/hang")}});
  const Completed result = run_check(*check, kTimeout, 50ms);
  expect_result(result, Outcome::error, "cancelled while checking GET " + server.url("/hang"));
  EXPECT_LT(result.elapsed, 1s);
}

// ---------------------------------------------------------------------------------------------
// TLS

class HttpsCheckTest : public ::testing::Test {
 protected:
  loopback::TempDir dir_;
  loopback::TestCa ca_{dir_};

  loopback::Certificate certificate(loopback::CertificateSpec spec = {}) {
    if (spec.dns_names.empty() && spec.ip_addresses.empty()) {
      spec.dns_names = {"api.example.test"};
      spec.ip_addresses = {"127.0.0.1"};
    }
    return ca_.issue(spec);
  }

  std::unique_ptr<loopback::HttpServer> server(loopback::Certificate certificate) {
    auto server = std::make_unique<loopback::HttpServer>(
        loopback::TlsServerOptions{.certificate = certificate});
    server->respond("/health", 200, {}, "ok");
    return server;
  }

  FieldMap trusted(const std::string& url) {
    return {{"url", url}, {"ca_file", ca_.ca_file().string()}};
  }
};

TEST_F(HttpsCheckTest, VerifiedChainPassesAndMeasuresTheHandshake) {
  auto https = server(certificate());
  const Completed result = run_check(trusted(https->url("/health")));
  expect_result_matching(result, Outcome::passed,
                         "GET " + escape(https->url("/health")) + " answered 200 in " + kLatency);
  EXPECT_NE(find_measurement(result.result, "tls_ms"), nullptr);
}

// A certificate that does not verify is the target's answer, wrong: failed, as for `tls`.
TEST_F(HttpsCheckTest, VerificationFailuresFail) {
  auto untrusted = server(certificate());
  const Completed unknown_ca = run_check({{"url", untrusted->url("/health")}});
  EXPECT_EQ(unknown_ca.result.outcome, Outcome::failed);
  EXPECT_EQ(unknown_ca.result.message.rfind("TLS handshake with 127.0.0.1 failed: ", 0), 0u)
      << unknown_ca.result.message;

  auto expired = server(certificate({.dns_names = {"api.example.test"},
                                     .ip_addresses = {"127.0.0.1"},
                                     .days_valid = -1,
                                     .days_before_now = 30}));
  const Completed old = run_check(trusted(expired->url("/health")));
  EXPECT_EQ(old.result.outcome, Outcome::failed);
  EXPECT_NE(old.result.message.find("expired"), std::string::npos) << old.result.message;

  auto wrong_name = server(certificate({.dns_names = {"other.example.test"}}));
  const Completed name = run_check(trusted(wrong_name->url("/health")));
  EXPECT_EQ(name.result.outcome, Outcome::failed);
  EXPECT_EQ(name.result.message.rfind("TLS handshake with 127.0.0.1 failed: ", 0), 0u)
      << name.result.message;

  auto self_signed = server(certificate(
      {.dns_names = {"api.example.test"}, .ip_addresses = {"127.0.0.1"}, .self_signed = true}));
  const Completed self = run_check(trusted(self_signed->url("/health")));
  EXPECT_EQ(self.result.outcome, Outcome::failed);
  EXPECT_NE(self.result.message.find("self-signed"), std::string::npos) << self.result.message;
}

TEST_F(HttpsCheckTest, InsecureSkipsVerificationAndSaysSo) {
  auto self_signed =
      server(certificate({.dns_names = {"other.example.test"}, .self_signed = true}));
  const Completed result = run_check({{"url", self_signed->url("/health")}, {"insecure", true}});
  expect_result_matching(result, Outcome::passed,
                         "GET " + escape(self_signed->url("/health")) + " answered 200 in " +
                             kLatency + " \\(insecure: certificate not verified\\)");
  EXPECT_NE(result.result.details.find("insecure: TLS certificates were not verified"),
            std::string::npos);
}

TEST_F(HttpsCheckTest, HandshakeTimeoutIsAnErrorWithinTheDeadline) {
  auto https = server(certificate());
  https->hold_new_connections();
  const Completed result = run_check(trusted(https->url("/health")), kShortTimeout);
  expect_result(
      result, Outcome::error,
      "timed out after 270ms in the TLS handshake with 127.0.0.1:" + std::to_string(https->port()));
  EXPECT_LT(result.elapsed, kShortTimeout);
}

TEST_F(HttpsCheckTest, MutualTls) {
  loopback::TlsServerOptions options{.certificate = certificate(), .client_ca_file = ca_.ca_file()};
  loopback::HttpServer https(options);
  https.respond("/health", 200, {}, "ok");
  const loopback::Certificate client =
      ca_.issue({.dns_names = {"client.example.test"}, .client = true});

  FieldMap with_certificate = trusted(https.url("/health"));
  with_certificate.emplace("client_certificate", client.chain_file.string());
  with_certificate.emplace("client_key", client.key_file.string());
  EXPECT_EQ(run_check(with_certificate).result.outcome, Outcome::passed);
  ASSERT_FALSE(https.connections().empty());
  EXPECT_EQ(https.connections().front().client_certificate_subject, client.subject);

  const Completed without = run_check(trusted(https.url("/health")));
  EXPECT_EQ(without.result.outcome, Outcome::error) << without.result.message;
}

// connect_to: the request goes to the given address, the URL's name stays in Host and SNI.
TEST_F(HttpsCheckTest, ConnectToKeepsHostHeaderAndSni) {
  auto https = server(certificate());
  const std::string url = https->url("api.example.test", "/health");
  FieldMap values = trusted(url);
  values.emplace("connect_to", std::string("127.0.0.1"));
  const Completed result = run_check(values);
  expect_result_matching(result, Outcome::passed,
                         "GET " + escape(url) + " answered 200 in " + kLatency +
                             " via 127\\.0\\.0\\.1:" + std::to_string(https->port()));
  const auto requests = https->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("host"), "api.example.test:" + std::to_string(https->port()));
  EXPECT_EQ(requests[0].server_name, "api.example.test");
}

// connect_to replaces the first request's host and port only: a step to another host goes there.
TEST(HttpCheckConnectTo, StepsToOtherHostsDoNotUseIt) {
  loopback::HttpServer new_api;
  loopback::HttpServer other;
  new_api.respond("/health", 200);
  other.respond("/health", 200);
  const std::string api_url =
      "http://api.example.test:" + std::to_string(new_api.port()) + "/health";
  const json flow = json::array({{{"name", "api"}, {"url", api_url}},
                                 {{"name", "other"}, {"url", other.url("/health")}},
                                 {{"name", "api-again"}, {"url", api_url}}});
  const Completed result =
      run_check({{"steps", flow}, {"connect_to", "127.0.0.1:" + std::to_string(new_api.port())}});
  EXPECT_EQ(result.result.outcome, Outcome::passed) << result.result.message;
  EXPECT_EQ(new_api.requests().size(), 2u);
  EXPECT_EQ(other.requests().size(), 1u);
}

TEST(HttpCheckConnectTo, PlainHttpWithPortKeepsHostHeader) {
  loopback::HttpServer server;
  server.respond("/health", 200);
  const Completed result =
      run_check({{"url", std::string("http://api.example.test/health")},
                 {"connect_to", "127.0.0.1:" + std::to_string(server.port())}});
  EXPECT_EQ(result.result.outcome, Outcome::passed) << result.result.message;
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("host"), "api.example.test");
}

// ---------------------------------------------------------------------------------------------
// Smoke flows

class HttpStepsTest : public ::testing::Test {
 protected:
  HttpStepsTest() {
    server_.route("/login", [](const loopback::HttpRequest& request) {
      const json body = json::parse(request.body);
      if (body.value("user", "") != "ada") return loopback::HttpResponse{401, {}, "denied"};
      return loopback::HttpResponse{200,
                                    {{"Content-Type", "application/json"},
                                     {"Set-Cookie", "session=s3cr3t-session; Path=/; HttpOnly"},
                                     {"X-Request-Id", "req-77"}},
                                    R"({"token":"tok-9f8e7d"})"};
    });
    server_.route("/orders", [](const loopback::HttpRequest& request) {
      if (request.header("authorization") != "Bearer tok-9f8e7d") {
        return loopback::HttpResponse{403, {}, "bad token " + request.header("authorization")};
      }
      if (request.header("cookie") != "session=s3cr3t-session") {
        return loopback::HttpResponse{403, {}, "no session"};
      }
      return loopback::HttpResponse{201, {}, "created order id=4711"};
    });
    server_.route("/orders/4711", [](const loopback::HttpRequest& request) {
      return loopback::HttpResponse{
          200,
          {{"Content-Type", "application/json"}},
          json({{"id", 4711}, {"trace", request.header("x-trace")}}).dump()};
    });
  }

  json steps(const std::string& token_pointer = "/token") const {
    return json::array({
        {{"name", "login"},
         {"method", "POST"},
         {"url", server_.url("/login")},
         {"request_body", {{"user", "ada"}}},
         {"capture",
          {{"token", {{"json", token_pointer}, {"secret", true}}},
           {"request", {{"header", "x-request-id"}}}}}},
        {{"name", "create"},
         {"method", "POST"},
         {"url", server_.url("/orders")},
         {"request_headers", {{"authorization", "Bearer ${steps.login.token}"}}},
         {"status", 201},
         {"capture", {{"id", {{"regex", R"(id=(\d+))"}}}}}},
        {{"name", "read"},
         {"url", server_.url("/orders/${steps.create.id}")},
         {"request_headers", {{"x-trace", "${steps.login.request}"}}},
         {"json", {{"/id", 4711}, {"/trace", "req-77"}}}},
    });
  }

  loopback::HttpServer server_;
};

TEST_F(HttpStepsTest, CapturesFlowIntoLaterStepsWithOneCookieJar) {
  const Completed result = run_check({{"steps", object(steps())}});
  expect_result_matching(
      result, Outcome::passed,
      std::string("3 steps passed in ") + kLatency + " \\(login, create, read\\)");
  EXPECT_EQ(find_measurement(result.result, "create.status")->value, 201);
  EXPECT_NE(find_measurement(result.result, "read.total_ms"), nullptr);
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].target, "/orders/4711");
  EXPECT_EQ(requests[2].header("cookie"), "session=s3cr3t-session");
  // The token was captured as secret: it never appears in the result.
  EXPECT_EQ(result.result.details.find("tok-9f8e7d"), std::string::npos);
  EXPECT_NE(result.result.details.find("captured token = ***\n"), std::string::npos)
      << result.result.details;
  EXPECT_NE(result.result.details.find("captured id = \"4711\""), std::string::npos);
}

TEST_F(HttpStepsTest, FailingStepFailsTheCheckAndIsNamed) {
  json flow = steps();
  flow[1]["status"] = 200;
  const Completed result = run_check({{"steps", object(flow)}});
  expect_result(result, Outcome::failed,
                "step 'create': expected status 200, got 201 (body: \"created order id=4711\")");
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(HttpStepsTest, ASecretInAFailedStepsResponseIsMaskedToo) {
  json flow = steps();
  flow[0]["status"] = 201;  // login answers 200: the step fails, its response is in the details
  const Completed result = run_check({{"steps", object(flow)}});
  EXPECT_EQ(result.result.outcome, Outcome::failed);
  EXPECT_NE(result.result.details.find("***"), std::string::npos) << result.result.details;
  EXPECT_EQ(result.result.details.find("tok-9f8e7d"), std::string::npos) << result.result.details;
}

TEST_F(HttpStepsTest, SecretsAreMaskedInFailures) {
  // The server echoes the token it rejects: the failure message must not show it.
  server_.route("/orders", [](const loopback::HttpRequest& request) {
    return loopback::HttpResponse{403, {}, "bad token " + request.header("authorization")};
  });
  const Completed result = run_check({{"steps", object(steps())}});
  expect_result(result, Outcome::failed,
                "step 'create': expected status 201, got 403 (body: \"bad token Bearer ***\")");
  EXPECT_EQ(result.result.details.find("tok-9f8e7d"), std::string::npos);
}

TEST_F(HttpStepsTest, MissingCaptureFailsTheStep) {
  const Completed result = run_check({{"steps", object(steps("/access_token"))}});
  expect_result(result, Outcome::failed,
                "step 'login': could not capture token: no value at "
                "/access_token");
}

TEST_F(HttpStepsTest, ErrorsNameTheStep) {
  json flow = steps();
  flow[2]["url"] = "http://127.0.0.1:" + std::to_string(loopback::unused_port()) + "/";
  const Completed result = run_check({{"steps", object(flow)}});
  EXPECT_EQ(result.result.outcome, Outcome::error);
  EXPECT_EQ(result.result.message.rfind("step 'read': could not connect to 127.0.0.1:", 0), 0u)
      << result.result.message;
}

// ---------------------------------------------------------------------------------------------
// resolver: every lookup of the check (URL, redirects, connect_to) goes to the listed servers

TEST(HttpCheckResolver, HostNameResolvesThroughTheCheckResolver) {
  loopback::HttpServer server;
  server.respond("/health", 200);
  loopback::DnsTestServer dns({{"app.example.test.", "A", 60, "127.0.0.1"}});
  const std::string url = server.url("app.example.test", "/health");
  expect_result_matching(
      run_check({{"url", url}, {"resolver", object({{"servers", {dns.address()}}})}}),
      Outcome::passed, "GET " + escape(url) + " answered 200 in " + kLatency);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].header("host"),
            "app.example.test:" + std::to_string(server.port()));
  EXPECT_EQ(dns.udp_queries(), 2);  // A and AAAA
}

TEST(HttpCheckResolver, RedirectTargetsResolveThroughItToo) {
  loopback::HttpServer server;
  server.respond("/health", 200);
  loopback::DnsTestServer dns(
      {{"old.example.test.", "A", 60, "127.0.0.1"}, {"new.example.test.", "A", 60, "127.0.0.1"}});
  server.redirect("/old", server.url("new.example.test", "/health"));
  const Completed result = run_check({{"url", server.url("old.example.test", "/old")},
                                      {"follow_redirects", std::int64_t{1}},
                                      {"resolver", object({{"servers", {dns.address()}}})}});
  EXPECT_EQ(result.result.outcome, Outcome::passed) << result.result.message;
  EXPECT_EQ(dns.udp_queries(), 4);
}

TEST(HttpCheckResolver, ConnectToNameResolvesThroughIt) {
  loopback::HttpServer server;
  server.respond("/health", 200);
  loopback::DnsTestServer dns({{"new-api.example.test.", "A", 60, "127.0.0.1"}});
  const Completed result =
      run_check({{"url", std::string("http://api.example.test/health")},
                 {"connect_to", "new-api.example.test:" + std::to_string(server.port())},
                 {"resolver", object({{"servers", {dns.address()}}})}});
  EXPECT_EQ(result.result.outcome, Outcome::passed) << result.result.message;
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].header("host"), "api.example.test");
  EXPECT_EQ(dns.udp_queries(), 2);
}

TEST(HttpCheckResolver, FieldMistakesAreErrors) {
  EXPECT_EQ(construction_errors({{"url", std::string("http://app.example.test/")},
                                 {"resolver", object({{"server", {"10.0.0.53"}}})}}),
            (std::vector<std::string>{
                "resolver: unknown key 'server' (did you mean 'servers'?)",
                "resolver: servers: missing: list the DNS servers to ask, like servers: "
                "[\"10.0.0.53\"]"}));
  const KindSpec spec = HttpCheck::spec();
  EXPECT_TRUE(std::any_of(spec.fields.begin(), spec.fields.end(),
                          [](const FieldSpec& field) { return field.name == "resolver"; }));
}

}  // namespace
}  // namespace cutover
