#include "harness/redactor.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace cutover {
namespace {

// Holds every character the issue names: quote, slash, plus, ampersand, angle brackets, percent,
// a non-ASCII letter; and one with a backslash and a space.
const std::string kSecretB = "S3cr3tB/+\"q\"&<x>\xc3\xa9%";
const std::string kSecretC = "back\\slash and space";

Redactor knowing(std::vector<std::string> secrets) {
  Redactor redactor;
  for (std::string& secret : secrets)
    redactor.add_secret(std::move(secret));
  return redactor;
}

std::string json_escaped(const std::string& text) {
  const std::string quoted = nlohmann::json(text).dump();
  return quoted.substr(1, quoted.size() - 2);
}

// Every part of `secret` of 4 bytes or more that starts or ends it: what must never be seen.
std::vector<std::string> visible_ends(const std::string& secret) {
  std::vector<std::string> out;
  for (std::size_t length = Redactor::kShortest; length <= secret.size(); ++length) {
    out.push_back(secret.substr(0, length));
    out.push_back(secret.substr(secret.size() - length));
  }
  return out;
}

void expect_no_end_of(const std::string& secret, const std::string& text) {
  for (const std::string& part : visible_ends(secret)) {
    EXPECT_EQ(text.find(part), std::string::npos) << "'" << part << "' visible in: " << text;
  }
}

TEST(RedactorTest, MasksASecretEscapedOnceOrTwice) {
  const Redactor redactor = knowing({kSecretB, kSecretC});
  for (const std::string& secret : {kSecretB, kSecretC}) {
    const std::string body = "{\"password\": \"" + json_escaped(secret) + "\"}";
    // The server quotes the request body inside its own JSON answer.
    const std::string answer = "{\"error\": \"bad request: " + json_escaped(body) + "\"}";
    for (const std::string& text : {secret, body, answer, json_escaped(answer)}) {
      const std::string redacted = redactor.redact(text);
      expect_no_end_of(secret, redacted);
      expect_no_end_of(json_escaped(secret), redacted);
      expect_no_end_of(json_escaped(json_escaped(secret)), redacted);
    }
  }
  EXPECT_EQ(redactor.redact("{\"password\": \"" + json_escaped(kSecretB) + "\"}"),
            "{\"password\": \"***\"}");
}

TEST(RedactorTest, MasksPercentEncodedAndHtmlEscapedForms) {
  const Redactor redactor = knowing({kSecretB, kSecretC});
  EXPECT_EQ(redactor.redact("Location: /login?next=S3cr3tB%2F%2B%22q%22%26%3Cx%3E%C3%A9%25&a=1"),
            "Location: /login?next=***&a=1");
  EXPECT_EQ(redactor.redact("/x?t=S3cr3tB/%2b%22q%22%26%3cx%3e%c3%a9%25"), "/x?t=***");
  EXPECT_EQ(redactor.redact("q=back%5Cslash+and+space&"), "q=***&");
  EXPECT_EQ(redactor.redact("<input value=\"S3cr3tB/+&quot;q&quot;&amp;&lt;x&gt;\xc3\xa9%\">"),
            "<input value=\"***\">");
}

std::string base64(const std::string& bytes, bool url_safe = false) {
  const std::string alphabet =
      url_safe ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
               : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0})
      out += alphabet[(n >> shift) & 0x3f];
  }
  if (i + 1 == bytes.size()) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    out += std::string{alphabet[(n >> 18) & 0x3f], alphabet[(n >> 12) & 0x3f]} + "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned n =
        static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += std::string{alphabet[(n >> 18) & 0x3f], alphabet[(n >> 12) & 0x3f],
                       alphabet[(n >> 6) & 0x3f]} +
           "=";
  }
  return out;
}

// Base64 of the secret alone, and inside a longer stream at each of the 3 alignments (Basic
// credentials "user:secret" with user names of any length), standard and URL-safe.
TEST(RedactorTest, MasksBase64AtEveryAlignment) {
  const Redactor redactor = knowing({kSecretB, "tok3n-0123456789"});
  for (const std::string& secret : {kSecretB, std::string("tok3n-0123456789")}) {
    for (bool url_safe : {false, true}) {
      EXPECT_EQ(redactor.redact("token " + base64(secret, url_safe) + " end"), "token *** end");
      for (const std::string user : {"a", "ab", "abc", "abcd"}) {
        const std::string stream = base64(user + ":" + secret + "|tail", url_safe);
        const std::string redacted = redactor.redact("Basic " + stream);
        EXPECT_NE(redacted.find("***"), std::string::npos) << redacted;
        // What is left around the mask depends on the bytes around the secret only: at most
        // the characters that mix the secret's first or last bits with its neighbours'.
        const std::size_t secret_chars = secret.size() * 4 / 3;
        EXPECT_LE(redacted.size(), std::string("Basic ").size() + stream.size() - secret_chars + 5)
            << redacted;
      }
    }
  }
}

// The reproducers of issue 15 for libpq's DSN parse errors.
TEST(RedactorTest, MasksThePartsOfASecretALibraryQuotes) {
  const Redactor redactor = knowing({"Wr0ng SECRETpwD", "SECRETpw/x"});
  EXPECT_EQ(redactor.redact("missing \"=\" after \"SECRETpwD\" in connection info string"),
            "missing \"=\" after \"***\" in connection info string");
  EXPECT_EQ(redactor.redact("invalid integer value \"SECRETpw\" for connection option \"port\""),
            "invalid integer value \"***\" for connection option \"port\"");
  // A part shorter than 4 bytes is left: masking "x" everywhere would show it.
  EXPECT_EQ(redactor.redact("x marks"), "x marks");
}

TEST(RedactorTest, MasksAShortSecretOnlyWhereAPasswordStands) {
  const Redactor redactor = knowing({"e", "ab"});
  EXPECT_EQ(redactor.redact("could not connect to the server"), "could not connect to the server");
  EXPECT_EQ(redactor.redact("host=db password=e user=app"), "host=db password=*** user=app");
  EXPECT_EQ(redactor.redact("host=db password = 'e'"), "host=db password = '***'");
  EXPECT_EQ(redactor.redact("postgresql://app:e@db/shop"), "postgresql://app:***@db/shop");
  EXPECT_EQ(redactor.redact("postgresql://db/shop?password=ab&sslmode=disable"),
            "postgresql://db/shop?password=***&sslmode=disable");
  EXPECT_EQ(redactor.redact("Authorization: Bearer ab\nX-Key: e\r\nX-Other: abe\n"),
            "Authorization: Bearer ***\nX-Key: ***\r\nX-Other: abe\n");
  EXPECT_EQ(redactor.redact("tab = e, b"), "tab = ***, b");
}

// Issue 15: "x"*105 + TOKEN cut at 120 bytes left 15 of 18 characters of the token. A text cut
// anywhere across a secret shows no start or end of it of 4 bytes or more.
TEST(RedactorTest, ACutAtAnyOffsetAcrossASecretShowsNoPartOfIt) {
  for (const std::string& secret : {std::string("tok-0123456789abcd"), kSecretB}) {
    const Redactor redactor = knowing({secret});
    const std::string text = std::string(105, 'x') + secret + std::string(20, 'y');
    for (std::size_t cut = 105; cut <= 105 + secret.size(); ++cut) {
      const std::string head =
          redactor.redact(std::string_view(text).substr(0, cut), {.after = true});
      expect_no_end_of(secret, head);
      const std::string tail =
          redactor.redact(std::string_view(text).substr(cut), {.before = true});
      expect_no_end_of(secret, tail);
    }
    // Also in its escaped form, as a quoted excerpt would hold it.
    const std::string escaped = std::string(105, 'x') + json_escaped(secret);
    for (std::size_t cut = 105; cut <= escaped.size(); ++cut) {
      expect_no_end_of(json_escaped(secret),
                       redactor.redact(std::string_view(escaped).substr(0, cut), {.after = true}));
    }
  }
}

TEST(RedactorTest, LeavesTextWithoutSecretsAsItIs) {
  const Redactor redactor = knowing({kSecretB});
  EXPECT_EQ(redactor.redact("expected status 200, got 500"), "expected status 200, got 500");
  EXPECT_EQ(redactor.redact("xxxxS3cr", {.after = true}), "xxxx***");
  EXPECT_EQ(redactor.redact("xxxxS3c", {.after = true}), "xxxxS3c");
  EXPECT_TRUE(no_secrets().empty());
}

}  // namespace
}  // namespace cutover
