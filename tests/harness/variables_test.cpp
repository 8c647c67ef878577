#include "harness/variables.hpp"

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace cutover {
namespace {

Environment fake_environment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

class VariablesTest : public ::testing::Test {
 protected:
  Redactor redactor;
  Variables variables{
      fake_environment(
          {{"HOME_DIR", "/home/x"}, {"EMPTY", ""}, {"PW", "s3cret"}, {"api", "from-environment"}}),
      redactor};

  std::string substitute(std::string_view text) {
    auto result = variables.substitute(text);
    return result ? result.value() : "ERROR: " + result.error().message;
  }
};

TEST_F(VariablesTest, ReadsVarsBeforeTheEnvironment) {
  variables.define("api", "from-vars");
  EXPECT_EQ(substitute("${api} ${HOME_DIR}"), "from-vars /home/x");
}

TEST_F(VariablesTest, DefaultsApplyWhenUnsetOrEmpty) {
  EXPECT_EQ(substitute("${MISSING:-127.0.0.1}:${EMPTY:-80}"), "127.0.0.1:80");
  EXPECT_EQ(substitute("${HOME_DIR:-unused}"), "/home/x");
  EXPECT_EQ(substitute("${MISSING:-}"), "");
}

TEST_F(VariablesTest, UndefinedVariableIsAnError) {
  EXPECT_EQ(substitute("host ${NOPE}"),
            "ERROR: undefined variable 'NOPE' (define it under vars, set it in the environment, "
            "or write ${NOPE:-default})");
}

TEST_F(VariablesTest, SecretsComeFromTheEnvironmentAndAreRegistered) {
  variables.define("PW", "not-the-secret");
  EXPECT_EQ(substitute("password=${secret:PW}"), "password=s3cret");
  EXPECT_EQ(redactor.redact("password=s3cret"), "password=***");
  EXPECT_EQ(substitute("${secret:NOT_SET}"),
            "ERROR: secret 'NOT_SET' is not set in the environment");
  EXPECT_EQ(substitute("${secret:EMPTY}"), "ERROR: secret 'EMPTY' is empty");
}

TEST_F(VariablesTest, KeptPrefixesStayForTheCheckToResolve) {
  auto result = variables.substitute("Bearer ${steps.login.token} at ${HOME_DIR}", {"steps."});
  ASSERT_TRUE(result);
  EXPECT_EQ(result.value(), "Bearer ${steps.login.token} at /home/x");
  EXPECT_EQ(substitute("${steps.login.token}"),
            "ERROR: undefined variable 'steps.login.token' (define it under vars, set it in the "
            "environment, or write ${steps.login.token:-default})");
}

TEST_F(VariablesTest, DollarDollarIsALiteral) {
  EXPECT_EQ(substitute("$${HOME_DIR} costs $5"), "${HOME_DIR} costs $5");
}

TEST_F(VariablesTest, ValuesAreNotSubstitutedTwice) {
  variables.define("tricky", "${HOME_DIR}");
  EXPECT_EQ(substitute("${tricky}"), "${HOME_DIR}");
}

TEST_F(VariablesTest, MalformedReferencesAreErrors) {
  EXPECT_EQ(substitute("${unterminated"),
            "ERROR: unterminated '${' (write '$${' for a literal '${')");
  EXPECT_EQ(substitute("${1abc}"),
            "ERROR: invalid variable reference '${1abc}': expected ${NAME}, ${NAME:-default} or "
            "${secret:NAME}");
  EXPECT_EQ(substitute("${}"),
            "ERROR: invalid variable reference '${}': expected ${NAME}, ${NAME:-default} or "
            "${secret:NAME}");
}

TEST_F(VariablesTest, AnUndefinedVariableSuggestsADefinedOneNearby) {
  variables.define("new_host", "10.0.0.2");
  EXPECT_EQ(substitute("${new_hots}"),
            "ERROR: undefined variable 'new_hots' (did you mean 'new_host'?)");
}

TEST_F(VariablesTest, UnsetSecretsMayStandAsAPlaceholderAndAreNamed) {
  std::set<std::string> unset;
  Variables lint(fake_environment({{"EMPTY", ""}, {"PW", "s3cret"}}), redactor, &unset);
  auto result = lint.substitute("a=${secret:NOT_SET} b=${secret:EMPTY} c=${secret:PW}");
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result.value(), fmt::format("a={0} b={0} c=s3cret", kUnsetSecretPlaceholder));
  EXPECT_EQ(unset, (std::set<std::string>{"EMPTY", "NOT_SET"}));
  // A placeholder is not a secret's value: it is not masked.
  EXPECT_EQ(redactor.redact(std::string(kUnsetSecretPlaceholder)), kUnsetSecretPlaceholder);
}

}  // namespace
}  // namespace cutover
