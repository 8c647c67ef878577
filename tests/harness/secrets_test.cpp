// Secrets in every output of a run (issue 15, items 1, 2 and 4): a target that echoes them back
// quoted, escaped, percent-encoded, base64-encoded, or cut across them, and every report, read
// as the files and streams people and CI read.
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/http_servers.hpp"
#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover::test {
namespace {

// Each holds characters an encoder writes differently: quote, backslash, slash, plus, ampersand,
// angle brackets, percent, space, non-ASCII.
const std::string kSecretB = "S3cr3tB/+\"q\"&<x>\xc3\xa9%";
const std::string kSecretC = "Qz\\b Jk%7+Wv/Yp\xc3\xa9";
const std::string kToken = "tok-0123456789abcd";

std::string json_escaped(const std::string& text) {
  const std::string quoted = nlohmann::json(text).dump();
  return quoted.substr(1, quoted.size() - 2);
}

std::string xml_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string percent_encoded(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", byte);
    }
  }
  return out;
}

std::string base64(const std::string& bytes, bool url_safe) {
  const std::string alphabet =
      std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") +
      (url_safe ? "-_" : "+/");
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : bytes) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += alphabet[(bits >> count) & 0x3f];
    }
  }
  if (count > 0) out += alphabet[(bits << (6 - count)) & 0x3f];
  while (out.size() % 4 != 0)
    out += '=';
  return out;
}

// How each secret may be written in an output: as it is, and as each output format or the
// echoing server escapes it.
std::vector<std::string> written(const std::string& secret) {
  return {secret,
          json_escaped(secret),
          json_escaped(json_escaped(secret)),
          json_escaped(json_escaped(json_escaped(secret))),
          xml_escaped(secret),
          xml_escaped(json_escaped(secret)),
          xml_escaped(json_escaped(json_escaped(secret))),
          percent_encoded(secret)};
}

// No start or end of 4 bytes or more of any written form of a secret, nor 8 characters of its
// base64 inside the streams the server sent.
void expect_hidden(const std::string& output, const std::string& name) {
  for (const std::string& secret : {kSecretB, kSecretC, kToken}) {
    for (const std::string& form : written(secret)) {
      for (std::size_t length = 4; length <= form.size(); ++length) {
        for (const std::string& part :
             {form.substr(0, length), form.substr(form.size() - length)}) {
          EXPECT_EQ(output.find(part), std::string::npos)
              << name << " shows '" << part << "' of a secret:\n"
              << output;
        }
      }
    }
    for (bool url_safe : {false, true}) {
      for (const std::string user : {"u", "us", "use"}) {
        const std::string stream = base64(user + ":" + secret, url_safe);
        for (std::size_t at = 8; at + 8 <= stream.size() - 4; ++at) {
          EXPECT_EQ(output.find(stream.substr(at, 8)), std::string::npos)
              << name << " shows base64 of a secret:\n"
              << output;
        }
      }
    }
  }
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.route("/echo", [](const loopback::HttpRequest& request) {
      return loopback::HttpResponse{500, {}, request.body};
    });
    // Issue 15: "x"*105 + TOKEN left 15 of 18 characters of the token in the 120-byte message.
    server_.route("/token", [](const loopback::HttpRequest& request) {
      const std::string authorization = request.header("Authorization");
      const std::string token = authorization.substr(authorization.find(' ') + 1);
      return loopback::HttpResponse{500, {}, std::string(105, 'x') + token};
    });
    // The same across the 2,048-byte details excerpt.
    server_.route("/long", [](const loopback::HttpRequest& request) {
      const std::string authorization = request.header("Authorization");
      const std::string token = authorization.substr(authorization.find(' ') + 1);
      return loopback::HttpResponse{500, {}, std::string(2040, 'x') + token + "yyyy"};
    });
    server_.route("/moved", [](const loopback::HttpRequest&) {
      return loopback::HttpResponse{302,
                                    {{"Location", "/login?next=" + percent_encoded(kSecretB) +
                                                      "&c=" + percent_encoded(kSecretC)}}};
    });
    server_.route("/encoded", [](const loopback::HttpRequest&) {
      std::string body = "{\"basic\": \"" + base64("u:" + kSecretB, false) + "\", \"jwt\": \"" +
                         base64("us:" + kSecretC, true) + "\", \"t\": \"" +
                         base64("use:" + kToken, false) + "\"}";
      return loopback::HttpResponse{500, {}, body};
    });
  }

  std::string suite() const {
    return dir_
        .write("secrets.yaml",
               fmt::format(R"(suite: secrets
checks:
  - name: echoes the body
    kind: http
    method: POST
    url: {0}
    request_body: {{ password: "${{secret:SB}}", again: "${{secret:SC}}" }}
  - name: cuts the message across the token
    kind: http
    url: {1}
    request_headers: {{ Authorization: "Bearer ${{secret:TOKEN}}" }}
  - name: cuts the body across the token at max_body
    kind: http
    url: {1}
    max_body: 115
    request_headers: {{ Authorization: "Bearer ${{secret:TOKEN}}" }}
  - name: cuts the details across the token
    kind: http
    url: {2}
    request_headers: {{ Authorization: "Bearer ${{secret:TOKEN}}" }}
  - name: redirects with the secrets encoded
    kind: http
    url: {3}
    request_headers: {{ X-Keys: "${{secret:SB}} ${{secret:SC}}" }}
  - name: answers with the secrets in base64
    kind: http
    url: {4}
    body: {{ contains: "${{secret:SB}}" }}
)",
                           server_.url("/echo"), server_.url("/token"), server_.url("/long"),
                           server_.url("/moved"), server_.url("/encoded")))
        .string();
  }

  loopback::HttpServer server_;
  loopback::TempDir dir_;
};

TEST_F(SecretsTest, NoOutputShowsAnyFormOrPartOfASecret) {
  const std::map<std::string, std::string> environment{
      {"SB", kSecretB}, {"SC", kSecretC}, {"TOKEN", kToken}};
  const std::map<std::string, std::string> reports{{"json", "results.json"},
                                                   {"junit", "junit.xml"},
                                                   {"html", "report.html"},
                                                   {"markdown", "summary.md"},
                                                   {"prometheus", "metrics.prom"}};
  std::vector<std::string> arguments{"run", suite(), "-v"};
  for (const auto& [format, file] : reports) {
    arguments.push_back("--" + format);
    arguments.push_back((dir_.path() / file).string());
  }
  const loopback::ProcessResult result = run_cutover(arguments, environment);
  ASSERT_EQ(result.exit_code, 1) << result.out << result.err;
  // The checks quoted what the server sent: the masks are there.
  for (const char* field : {"password", "again"}) {
    EXPECT_NE(result.out.find(fmt::format("\\\"{}\\\":\\\"***\\\"", field)), std::string::npos)
        << result.out;
  }
  EXPECT_NE(result.out.find("(location: \"/login?next=***&c=***\")"), std::string::npos)
      << result.out;
  expect_hidden(result.out, "console -v");
  expect_hidden(result.err, "stderr");
  for (const auto& [format, file] : reports) {
    expect_hidden(loopback::read_file(dir_.path() / file), format);
  }
}

// Issue 15: libpq quoted parts of passwords it misread: `missing "=" after "SECRETpwD"` for an
// unquoted password with a space, `invalid integer value "SECRETpw" for connection option
// "port"` for a URI password with a '/'. The loader refuses such DSNs, and says why without
// quoting them.
TEST(SecretsInDsnsTest, DsnsLibpqWouldMisreadAreRefusedWithoutQuotingThem) {
  loopback::TempDir dir;
  const std::string file =
      dir.write("dsn.yaml",
                "suite: dsn\n"
                "databases:\n"
                "  kv: { dsn: \"host=127.0.0.1 port=9 password=${secret:SD} dbname=db\" }\n"
                "  uri: { dsn: \"postgresql://cutover:${secret:SE}@127.0.0.1:9/db\" }\n"
                "  at: { dsn: \"postgresql://cutover:${secret:SF}@127.0.0.1:9/db\" }\n"
                "checks:\n"
                "  - { name: kv, kind: postgres.connect, database: kv }\n"
                "  - { name: uri, kind: postgres.connect, database: uri }\n"
                "  - { name: at, kind: postgres.connect, database: at }\n")
          .string();
  const loopback::ProcessResult result = run_cutover(
      {"run", file}, {{"SD", "Wr0ng SECRETpwD"}, {"SE", "SECRETpw/x"}, {"SF", "p@SECRETat"}});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("databases.kv.dsn: a word without '=' after it: libpq expects "
                            "key=value pairs, and a value with a space in quotes"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("databases.uri.dsn: an '@' after a '/': libpq reads a user name and "
                            "password only before the first '/', so write a '/' in them as %2F"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("databases.at.dsn: more than one '@': libpq ends the user name and "
                            "password at the first '@', so write an '@' in them"),
            std::string::npos)
      << result.err;
  for (const std::string& output : {result.out, result.err}) {
    for (const char* part : {"Wr0ng", "SECRET", "pwD", "pw/x", "p@S", "at@"}) {
      EXPECT_EQ(output.find(part), std::string::npos) << part << " in: " << output;
    }
  }
}

}  // namespace
}  // namespace cutover::test
