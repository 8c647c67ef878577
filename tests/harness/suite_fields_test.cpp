#include "harness/suite_fields.hpp"

#include <string>

#include <gtest/gtest.h>

#include "checks/builtin.hpp"
#include "harness/suite.hpp"

namespace cutover {
namespace {

// Control characters in suite text, read through the real kinds: which fields refuse them
// (names, hosts, URLs, paths, headers, DSNs) and which hold them (descriptions, SQL, bodies).
class SuiteFieldsTest : public ::testing::Test {
 protected:
  SuiteFieldsTest() {
    register_builtin_checks(registry);
    options.environment = [](std::string_view name) -> std::optional<std::string> {
      if (name == "EVIL_HOST") return std::string("127.0.0.1\nevil");
      return std::nullopt;
    };
  }

  // Every diagnostic, one per line, or "(no errors)".
  std::string errors(std::string_view text) {
    auto result = load_suite_text(text, "suite.yaml", registry, options);
    if (result) return "(no errors)";
    std::string out;
    for (const Diagnostic& diagnostic : result.error())
      out += to_string(diagnostic) + "\n";
    return out;
  }

  Registry registry;
  LoadOptions options;
};

TEST_F(SuiteFieldsTest, AHostWithAnEscapedNulIsRefused) {
  // The reproducer of issue 15: it connected to 127.0.0.1 and passed.
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { name: db, kind: tcp, host: "127.0.0.1\0evil", port: 5432 }
)"),
            "suite.yaml:3:34: error: host: expected text without control characters, got NUL "
            "(\\0) at character 10\n");
}

TEST_F(SuiteFieldsTest, ControlCharactersFromVariablesAreRefusedWhereTheyAreUsed) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { name: db, kind: tcp, host: "${EVIL_HOST}", port: 5432 }
)"),
            "suite.yaml:3:34: error: host: expected text without control characters, got LF "
            "(\\n) at character 10\n");
}

TEST_F(SuiteFieldsTest, NamesTagsPhasesAndNeedsHoldNoControlCharacter) {
  EXPECT_EQ(errors(R"(suite: "s\x1b[2J"
checks:
  - { name: "a\tb", kind: tcp, host: h, port: 1, tags: ["t\0"], phase: "p\r", needs: ["x\n"] }
)"),
            "suite.yaml:1:8: error: suite: expected text without control characters, got ESC "
            "(\\e) at character 2\n"
            "suite.yaml:3:13: error: name: expected text without control characters, got TAB "
            "(\\t) at character 2\n"
            "suite.yaml:3:57: error: tags: expected text without control characters, got NUL "
            "(\\0) at character 2\n"
            "suite.yaml:3:72: error: phase: expected text without control characters, got CR "
            "(\\r) at character 2\n"
            "suite.yaml:3:87: error: needs: expected text without control characters, got LF "
            "(\\n) at character 2\n");
}

TEST_F(SuiteFieldsTest, UrlsHeadersPathsAndDsnsHoldNoControlCharacter) {
  const std::string found = errors(R"(suite: s
databases:
  shop: { dsn: "postgresql://localhost/shop\0x" }
include: ["more\0.yaml"]
checks:
  - name: web
    kind: http
    url: "http://127.0.0.1/\r\nX-Injected: 1"
    request_headers: { X-Token: "a\r\nX-Evil: 1", "X-\u0000": b }
    ca_file: "/etc/ssl\0/ca.pem"
)");
  EXPECT_NE(found.find("suite.yaml:3:16: error: databases.shop.dsn: expected text without control "
                       "characters, got NUL (\\0) at character 28\n"),
            std::string::npos)
      << found;
  EXPECT_NE(found.find("suite.yaml:4:11: error: include: expected text without control "
                       "characters, got NUL (\\0) at character 5\n"),
            std::string::npos)
      << found;
  EXPECT_NE(found.find("suite.yaml:8:10: error: url: expected text without control characters, "
                       "got CR (\\r) at character 18\n"),
            std::string::npos)
      << found;
  EXPECT_NE(found.find("suite.yaml:9:33: error: request_headers: expected text without control "
                       "characters, got CR (\\r) at character 2\n"),
            std::string::npos)
      << found;
  EXPECT_NE(found.find("suite.yaml:10:14: error: ca_file: expected text without control "
                       "characters, got NUL (\\0) at character 9\n"),
            std::string::npos)
      << found;
}

TEST_F(SuiteFieldsTest, AHeaderNameIsJudgedAsAKey) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { name: web, kind: http, url: "http://127.0.0.1/", request_headers: { "X-\0": b } }
)"),
            "suite.yaml:3:75: error: request_headers: a key: expected text without control "
            "characters, got NUL (\\0) at character 3\n");
}

TEST_F(SuiteFieldsTest, AStepsUrlNameAndHeadersHoldNoControlCharacter) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - name: flow
    kind: http
    steps:
      - { name: "login\0", url: "http://127.0.0.1/\0x", request_headers: { A: "b\nC: d" } }
)"),
            "suite.yaml:6:7: error: check 'flow': steps: step 1: name: expected text without "
            "control characters, got NUL (\\0) at character 6\n"
            "suite.yaml:6:7: error: check 'flow': steps: step 1: request_headers: A: expected "
            "text without control characters, got LF (\\n) at character 2\n"
            "suite.yaml:6:7: error: check 'flow': steps: step 1: url: expected text without "
            "control characters, got NUL (\\0) at character 18\n"
            "suite.yaml:6:7: error: check 'flow': steps: step 1: name: every step needs a name "
            "(letters, digits, '_', '-')\n"
            "suite.yaml:6:7: error: check 'flow': steps: step 1: url: every step needs a url\n");
}

TEST_F(SuiteFieldsTest, DescriptionsSqlAndExpectedTextHoldLineBreaksAndTabs) {
  EXPECT_EQ(errors(R"(suite: s
description: |
  Before the cutover:
  	every service answers.
databases:
  shop: { dsn: "postgresql://localhost/shop" }
vars:
  lines: "a\nb"
checks:
  - name: orders
    kind: postgres.query
    description: "two\nlines"
    database: shop
    sql: |
      select count(*)
      	from orders
    expect: "1\n2"
  - name: web
    kind: http
    url: "http://127.0.0.1/"
    method: POST
    request_body: { text: "${lines}", raw: "\0\x01" }
    body: { contains: "ok\n" }
)"),
            "(no errors)");
}

TEST_F(SuiteFieldsTest, MultilineTextStillHoldsNoOtherControlCharacter) {
  EXPECT_EQ(errors(R"(suite: s
description: "bell\a"
databases:
  shop: { dsn: "postgresql://localhost/shop" }
checks:
  - { name: orders, kind: postgres.query, database: shop, sql: "select 1\0; drop table x" }
)"),
            "suite.yaml:2:14: error: description: expected text without control characters "
            "other than tab and line breaks, got BEL (\\x07) at character 5\n"
            "suite.yaml:6:64: error: sql: expected text without control characters other than "
            "tab and line breaks, got NUL (\\0) at character 9\n");
}

}  // namespace
}  // namespace cutover
