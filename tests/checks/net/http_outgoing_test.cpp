#include "checks/net/http_outgoing.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace cutover::detail {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// RequestSpec has no defaults for every member, which designated initializers would want.
RequestSpec spec(std::string method, std::string url, Headers headers = {},
                 std::optional<nlohmann::json> body = std::nullopt) {
  RequestSpec made;
  made.method = std::move(method);
  made.url = std::move(url);
  made.headers = std::move(headers);
  made.body = std::move(body);
  return made;
}

OutgoingRequest prepared(const RequestSpec& request_spec, const Captures& captures = {}) {
  auto request = prepare_request(request_spec, captures);
  EXPECT_TRUE(request) << request.error().message;
  return std::move(request).value();
}

Url url(std::string_view text) {
  return parse_url(text).value();
}

TEST(HttpOutgoing, SubstitutesCapturesIntoUrlHeadersAndBody) {
  const Captures captures{{"login", {{"token", "t0k"}, {"id", "42"}}}};
  const OutgoingRequest request = prepared(spec("POST", "http://api.test/orders/${steps.login.id}",
                                                {{"Authorization", "Bearer ${steps.login.token}"}},
                                                nlohmann::json{{"token", "${steps.login.token}"}}),
                                           captures);
  EXPECT_EQ(request.line(), "POST http://api.test/orders/42");
  EXPECT_EQ(request.headers, (Headers{{"Authorization", "Bearer t0k"}}));
  EXPECT_EQ(request.body, R"({"token":"t0k"})");
  EXPECT_TRUE(request.json_body);
}

TEST(HttpOutgoing, SendsAStringBodyAsIs) {
  const OutgoingRequest request = prepared(spec("PUT", "http://api.test/", {}, "a=1"));
  EXPECT_EQ(request.body, "a=1");
  EXPECT_FALSE(request.json_body);
}

TEST(HttpOutgoing, NamesAUrlThatIsNotOne) {
  const auto request = prepare_request(spec("GET", "ftp://files.test/"), {});
  ASSERT_FALSE(request);
  EXPECT_NE(request.error().message.find("ftp://files.test/"), std::string::npos);
}

TEST(HttpOutgoing, A303OrA302AfterAPostContinuesAsGetWithoutABody) {
  for (const int status : {303, 302, 301}) {
    OutgoingRequest request = prepared(spec("POST", "http://api.test/form",
                                            {{"Content-Type", "text/plain"}, {"X-A", "1"}}, "a=1"));
    follow(request, url("http://api.test/done"), status);
    EXPECT_EQ(request.line(), "GET http://api.test/done") << status;
    EXPECT_EQ(request.body, "") << status;
    EXPECT_EQ(request.headers, (Headers{{"X-A", "1"}})) << status;
  }
}

TEST(HttpOutgoing, A307KeepsTheMethodAndBody) {
  OutgoingRequest request = prepared(spec("POST", "http://api.test/form", {}, "a=1"));
  follow(request, url("http://api.test/other"), 307);
  EXPECT_EQ(request.line(), "POST http://api.test/other");
  EXPECT_EQ(request.body, "a=1");
}

TEST(HttpOutgoing, CredentialsStayWithTheirHost) {
  const RequestSpec with_credentials = spec(
      "GET", "http://api.test/", {{"Authorization", "Bearer x"}, {"Cookie", "a=1"}, {"X", "y"}});
  OutgoingRequest same = prepared(with_credentials);
  follow(same, url("http://api.test/next"), 302);
  EXPECT_EQ(same.headers.size(), 3u);
  OutgoingRequest other = prepared(with_credentials);
  follow(other, url("http://api.test:8080/next"), 302);
  EXPECT_EQ(other.headers, (Headers{{"X", "y"}}));
}

TEST(HttpOutgoing, BuildsTheMessageWithCookiesAndAJsonContentType) {
  const OutgoingRequest request =
      prepared(spec("POST", "http://api.test:8080/items?a=1", {}, nlohmann::json{{"a", 1}}));
  const auto message = build_message(request, "session=abc");
  EXPECT_EQ(message.method_string(), "POST");
  EXPECT_EQ(message.target(), "/items?a=1");
  EXPECT_EQ(message[boost::beast::http::field::host], "api.test:8080");
  EXPECT_EQ(message[boost::beast::http::field::user_agent], "cutover");
  EXPECT_EQ(message[boost::beast::http::field::cookie], "session=abc");
  EXPECT_EQ(message[boost::beast::http::field::content_type], "application/json");
  EXPECT_EQ(message[boost::beast::http::field::content_length], "7");
  EXPECT_EQ(message.body(), R"({"a":1})");
}

TEST(HttpOutgoing, AContentTypeHeaderWinsOverJson) {
  const OutgoingRequest request =
      prepared(spec("POST", "http://api.test/", {{"content-type", "application/vnd.api+json"}},
                    nlohmann::json::array()));
  const auto message = build_message(request, "");
  EXPECT_EQ(message[boost::beast::http::field::content_type], "application/vnd.api+json");
  EXPECT_EQ(message.count(boost::beast::http::field::cookie), 0u);
}

}  // namespace
}  // namespace cutover::detail
