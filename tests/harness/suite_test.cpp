#include "harness/suite.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "loopback/temp_dir.hpp"
#include "tests/support/test_checks.hpp"

namespace cutover {
namespace {

using namespace std::chrono_literals;

class SuiteTest : public ::testing::Test {
 protected:
  SuiteTest() {
    test::register_test_checks(registry, stats);
    options.environment = [](std::string_view name) -> std::optional<std::string> {
      if (name == "API_HOST") return "10.0.0.5";
      if (name == "DB_PASSWORD") return "hunter2";
      return std::nullopt;
    };
  }

  Plan load(std::string_view text) {
    auto result = load_suite_text(text, "suite.yaml", registry, options);
    if (!result) {
      ADD_FAILURE() << "unexpected errors:\n" << errors_of(result);
      return {};
    }
    return std::move(result).value();
  }

  // Every diagnostic, one per line, as the CLI prints them.
  std::string errors(std::string_view text, const std::string& file = "suite.yaml") {
    auto result = load_suite_text(text, file, registry, options);
    if (result) return "(no errors)";
    return errors_of(result);
  }

  static std::string errors_of(const Expected<Plan, Diagnostics>& result) {
    std::string out;
    for (const Diagnostic& diagnostic : result.error())
      out += to_string(diagnostic) + "\n";
    return out;
  }

  Registry registry;
  test::ScriptStats stats;
  LoadOptions options;
};

TEST_F(SuiteTest, LoadsChecksWithDefaultsAndTheirOwnSettings) {
  Plan plan = load(R"(
suite: payments
description: a test suite
vars: { api: "${API_HOST:-127.0.0.1}" }
defaults: { timeout: 5s, tags: [network], phase: pre, retry: { attempts: 2, interval: 10ms } }
checks:
  - { name: first, kind: probe, text: "${api}" }
  - name: second
    kind: probe
    phase: post
    tags: [slow]
    timeout: 250ms
    retry: { until: 2h, interval: 1m }
    needs: [first]
    text: plain
)");
  ASSERT_EQ(plan.checks.size(), 2u);
  ASSERT_EQ(plan.suites.size(), 1u);
  EXPECT_EQ(plan.suites[0].name, "payments");
  EXPECT_EQ(plan.suites[0].description, "a test suite");

  const PlannedCheck& first = plan.checks[0];
  EXPECT_EQ(first.suite, "payments");
  EXPECT_EQ(first.name, "first");
  EXPECT_EQ(first.kind, "probe");
  EXPECT_EQ(first.phase, "pre");
  EXPECT_EQ(first.tags, std::vector<std::string>{"network"});
  EXPECT_EQ(first.timeout, Duration(5s));
  EXPECT_EQ(first.retry.attempts, 2);
  EXPECT_EQ(first.retry.interval, Duration(10ms));
  EXPECT_EQ(first.location.line, 7);
  EXPECT_EQ(first.location.column, 5);
  EXPECT_EQ(first.check->describe(),
            "text=10.0.0.5 count=0 ratio=0 flag=false wait=0s names=[] mode=a extra=null "
            "timeout=5s");

  const PlannedCheck& second = plan.checks[1];
  EXPECT_EQ(second.phase, "post");
  EXPECT_EQ(second.tags, (std::vector<std::string>{"network", "slow"}));
  EXPECT_EQ(second.timeout, Duration(250ms));
  EXPECT_EQ(second.retry.until, Duration(2h));
  EXPECT_EQ(second.retry.interval, Duration(1min));
  EXPECT_EQ(second.needs, std::vector<std::string>{"first"});
  EXPECT_EQ(plan.phases(), (std::vector<std::string>{"pre", "post"}));
}

TEST_F(SuiteTest, ConvertsEveryFieldType) {
  Plan plan = load(R"(
suite: s
checks:
  - name: all
    kind: probe
    text: hello
    count: "3"
    ratio: 0.25
    flag: true
    wait: 1m30s
    names: [a, b]
    mode: beta
    extra: { quoted: "12", plain: 12, list: [true, null, 1.5, x] }
)");
  ASSERT_EQ(plan.checks.size(), 1u);
  EXPECT_EQ(plan.checks[0].check->describe(),
            "text=hello count=3 ratio=0.25 flag=true wait=1m30s names=[a|b] mode=beta "
            "extra={\"list\":[true,null,1.5,\"x\"],\"plain\":12,\"quoted\":\"12\"} timeout=10s");
}

TEST_F(SuiteTest, ASingleStringIsAListOfOne) {
  Plan plan = load("suite: s\nchecks:\n  - { name: a, kind: probe, text: x, names: solo }\n");
  EXPECT_EQ(plan.checks[0].check->describe().find("names=[solo]") != std::string::npos, true);
}

TEST_F(SuiteTest, JsonSuitesReadTheSameWithPositions) {
  Plan plan = load(R"({
	"suite": "json-suite",
	"checks": [
		{"name": "a", "kind": "probe", "text": "x", "count": 2, "extra": {"k": [1, "2"]}}
	]
})");
  ASSERT_EQ(plan.checks.size(), 1u);
  EXPECT_EQ(plan.suites[0].name, "json-suite");
  EXPECT_EQ(plan.checks[0].location.line, 4);
  EXPECT_NE(plan.checks[0].check->describe().find("extra={\"k\":[1,\"2\"]}"), std::string::npos);
}

TEST_F(SuiteTest, UnknownKeysAreErrorsWithSuggestions) {
  EXPECT_EQ(errors(R"(suite: s
chekcs: []
checks:
  - name: a
    kind: probe
    text: x
    tiemout: 5s
    mdoe: alpha
    completely_unrelated: 1
defaults: { timout: 1s }
)"),
            "suite.yaml:2:1: error: unknown key 'chekcs' in the suite (did you mean 'checks'?)\n"
            "suite.yaml:10:13: error: unknown key 'timout' in defaults (did you mean "
            "'timeout'?)\n"
            "suite.yaml:7:5: error: unknown key 'tiemout' in check 'a' of kind 'probe' (did you "
            "mean 'timeout'?)\n"
            "suite.yaml:8:5: error: unknown key 'mdoe' in check 'a' of kind 'probe' (did you mean "
            "'mode'?)\n"
            "suite.yaml:9:5: error: unknown key 'completely_unrelated' in check 'a' of kind "
            "'probe' (expected one of: name, kind, description, phase, tags, timeout, retry, "
            "needs, text, count, ratio, flag, wait, names, mode, extra, db)\n");
}

TEST_F(SuiteTest, WrongTypesAreErrors) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - name: a
    kind: probe
    text: [not, a, string]
    count: 11
    ratio: lots
    flag: yes
    wait: 5
    mode: gamma
    names: { a: b }
    timeout: soon
    retry: 3
)"),
            "suite.yaml:5:11: error: text: expected a string, got a list\n"
            "suite.yaml:6:12: error: count: expected an integer from 1 to 10, got '11'\n"
            "suite.yaml:7:12: error: ratio: expected a number, got 'lots'\n"
            "suite.yaml:8:11: error: flag: expected true or false, got 'yes'\n"
            "suite.yaml:9:11: error: wait: expected a positive duration like 500ms, 5s, 2m or "
            "1h, got '5'\n"
            "suite.yaml:10:11: error: mode: expected one of alpha, beta, got 'gamma'\n"
            "suite.yaml:11:12: error: names: expected a list of strings, got a mapping\n"
            "suite.yaml:12:14: error: timeout: expected a positive duration like 500ms, 5s, 2m "
            "or 1h, got 'soon'\n"
            "suite.yaml:13:12: error: retry: expected a mapping like {attempts: 3, interval: "
            "2s} or {until: 10m, interval: 30s}, got '3'\n");
}

TEST_F(SuiteTest, ChoiceTyposGetASuggestion) {
  EXPECT_EQ(errors("suite: s\nchecks:\n  - { name: a, kind: probe, text: x, mode: bta }\n"),
            "suite.yaml:3:44: error: mode: expected one of alpha, beta, got 'bta' (did you mean "
            "'beta'?)\n");
}

TEST_F(SuiteTest, MissingFieldsAndUnknownKindsAreErrors) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { kind: probe, text: x }
  - { name: b, kind: prbe, text: x }
  - { name: c, kind: probe }
  - { name: d }
  - just a string
)"),
            "suite.yaml:3:5: error: a check: missing key 'name'\n"
            "suite.yaml:4:22: error: check 'b': unknown kind 'prbe' (did you mean 'probe'?)\n"
            "suite.yaml:5:5: error: check 'c': missing required field 'text' of kind 'probe'\n"
            "suite.yaml:6:5: error: check 'd': missing key 'kind'\n"
            "suite.yaml:7:5: error: a check: expected a mapping, got 'just a string'\n");
}

TEST_F(SuiteTest, DuplicateNamesAndKeysAreErrors) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { name: a, kind: probe, text: x }
  - { name: a, kind: probe, text: y, text: z }
)"),
            "suite.yaml:4:38: error: duplicate key 'text' in a check (first at line 4)\n"
            "suite.yaml:4:13: error: duplicate check name 'a' in suite 's' (first at "
            "suite.yaml:3:5)\n");
}

TEST_F(SuiteTest, NeedsMustExistRunNoLaterAndFormNoCycle) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { name: a, kind: probe, text: x, needs: [b] }
  - { name: b, kind: probe, text: x, needs: [c] }
  - { name: c, kind: probe, text: x, needs: [a] }
  - { name: d, kind: probe, text: x, needs: [nobody] }
  - { name: e, kind: probe, text: x, needs: [f] }
  - { name: f, kind: probe, text: x, phase: later }
)"),
            "suite.yaml:6:5: error: check 'd' needs 'nobody', but suite 's' has no check of that "
            "name\n"
            "suite.yaml:7:5: error: check 'e' (phase 'main') needs 'f', which runs in the later "
            "phase 'later'\n"
            "suite.yaml:5:5: error: needs form a cycle: 'a' -> 'b' -> 'c' -> 'a'\n");
}

TEST_F(SuiteTest, KindValidationErrorsArePlacedAtTheField) {
  EXPECT_EQ(errors("suite: s\nchecks:\n  - { name: a, kind: probe, text: x, count: 7 }\n"),
            "suite.yaml:3:45: error: check 'a': seven is not allowed here\n");
}

TEST_F(SuiteTest, RetryIsValidated) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { name: a, kind: probe, text: x, retry: { attempts: 0 } }
  - { name: b, kind: probe, text: x, retry: { attempts: 2, until: 1m } }
  - { name: c, kind: probe, text: x, retry: { interval: 1s } }
  - { name: d, kind: probe, text: x, retry: { attempts: 2, intervall: 1s } }
)"),
            "suite.yaml:3:57: error: retry.attempts: expected an integer from 1 to 1000, got "
            "'0'\n"
            "suite.yaml:4:45: error: retry: give either 'attempts' or 'until', not both ('until' "
            "retries until the check passes or the time is up)\n"
            "suite.yaml:5:45: error: retry: expected 'attempts' or 'until'\n"
            "suite.yaml:6:60: error: unknown key 'intervall' in retry (did you mean "
            "'interval'?)\n");
}

TEST_F(SuiteTest, UndefinedVariablesAreErrorsAtTheirPlace) {
  EXPECT_EQ(errors("suite: s\nchecks:\n  - { name: a, kind: probe, text: \"${NOPE}\" }\n"),
            "suite.yaml:3:35: error: text: undefined variable 'NOPE' (define it under vars, set "
            "it in the environment, or write ${NOPE:-default})\n");
}

TEST_F(SuiteTest, SecretsAreRegisteredAndMaskedInErrors) {
  auto result = load_suite_text(R"(suite: s
vars: { password: "${secret:DB_PASSWORD}" }
checks:
  - { name: a, kind: probe, text: "${password}", count: "${password}" }
)",
                                "suite.yaml", registry, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(errors_of(result),
            "suite.yaml:4:57: error: count: expected an integer from 1 to 10, got '***'\n");
}

TEST_F(SuiteTest, SecretValuesReachTheCheckButAreKnownToTheRedactor) {
  Plan plan = load(R"(suite: s
checks:
  - { name: a, kind: probe, text: "user:${secret:DB_PASSWORD}@db" }
)");
  ASSERT_EQ(plan.checks.size(), 1u);
  EXPECT_NE(plan.checks[0].check->describe().find("user:hunter2@db"), std::string::npos);
  EXPECT_EQ(plan.redactor.redact(plan.checks[0].check->describe()).find("hunter2"),
            std::string::npos);
}

TEST_F(SuiteTest, ValuesThatAreSecretAnywhereAreMaskedEverywhere) {
  // DB_PASSWORD is read plainly first and as a secret later; the earlier texts are masked too.
  Plan plan = load(R"(suite: "s ${DB_PASSWORD}"
description: "deploys with ${DB_PASSWORD}"
checks:
  - { name: "a ${DB_PASSWORD}", kind: probe, text: x, description: "pw ${DB_PASSWORD}" }
  - { name: b, kind: probe, text: "${secret:DB_PASSWORD}", needs: ["a ${DB_PASSWORD}"] }
)");
  ASSERT_EQ(plan.checks.size(), 2u);
  EXPECT_EQ(plan.suites[0].name, "s ***");
  EXPECT_EQ(plan.suites[0].description, "deploys with ***");
  EXPECT_EQ(plan.checks[0].suite, "s ***");
  EXPECT_EQ(plan.checks[0].name, "a ***");
  EXPECT_EQ(plan.checks[0].description, "pw ***");
  EXPECT_EQ(plan.checks[1].needs, std::vector<std::string>{"a ***"});
}

TEST_F(SuiteTest, DeclaredPhasesRunInTheirOrder) {
  Plan plan = load(R"(suite: s
phases: [pre, sync, post]
checks:
  - { name: a, kind: probe, text: x, phase: post }
  - { name: b, kind: probe, text: x, phase: pre }
)");
  EXPECT_EQ(plan.phases(), (std::vector<std::string>{"pre", "post"}));
}

TEST_F(SuiteTest, WithDeclaredPhasesOthersAreErrors) {
  EXPECT_EQ(errors(R"(suite: s
phases: [pre, post]
defaults: { phase: mian }
checks:
  - { name: a, kind: probe, text: x, phase: psot }
)"),
            "suite.yaml:3:20: error: defaults.phase: 'mian' is not one of the suite's phases "
            "(pre, post)\n"
            "suite.yaml:5:45: error: phase: 'psot' is not one of the suite's phases (pre, post) "
            "(did you mean 'post'?)\n");
  EXPECT_EQ(errors("suite: s\nphases: [pre]\nchecks:\n  - { name: a, kind: probe, text: x }\n"),
            "suite.yaml:4:5: error: phase (the default): 'main' is not one of the suite's phases "
            "(pre)\n");
  EXPECT_EQ(errors("suite: s\nphases: [pre, pre]\nchecks: []\n"),
            "suite.yaml:2:9: error: phases: 'pre' is listed twice\n");
}

TEST_F(SuiteTest, SuitesMustAgreeOnThePhaseOrder) {
  loopback::TempDir dir;
  const auto a = dir.write("a.yaml", "suite: a\nphases: [pre, post]\nchecks: []\n");
  const auto b = dir.write("b.yaml", "suite: b\nphases: [post, pre]\nchecks: []\n");
  auto result = load_suites({a, b}, registry, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(errors_of(result), b.string() +
                                   ":2:9: error: phases: the order conflicts with another "
                                   "suite's (pre, post)\n");
}

TEST_F(SuiteTest, CommandLineVariablesWinOverSuiteVars) {
  options.variables = {{"api", "from-command-line"}};
  Plan plan = load(R"(suite: s
vars: { api: from-suite, derived: "${api}/x" }
checks:
  - { name: a, kind: probe, text: "${api} ${derived}" }
)");
  EXPECT_NE(plan.checks[0].check->describe().find("text=from-command-line from-command-line/x"),
            std::string::npos);
}

TEST_F(SuiteTest, ChecksNameDatabasesTheSuiteDeclares) {
  Plan plan = load(R"(suite: s
databases:
  source: { dsn: "host=127.0.0.1 password=${secret:DB_PASSWORD}" }
  target: { dsn: "postgresql://app:p%40ss@127.0.0.1/db", max_connections: 8 }
checks:
  - { name: a, kind: probe, text: x, db: source }
  - { name: b, kind: probe, text: x, db: target }
)");
  ASSERT_EQ(plan.databases.size(), 2u);
  EXPECT_EQ(plan.databases[1]->name, "target");
  EXPECT_EQ(plan.databases[1]->location.line, 4);
  ASSERT_EQ(plan.checks.size(), 2u);
  EXPECT_NE(plan.checks[0].check->describe().find(" db=source:host=127.0.0.1 password=hunter2:4"),
            std::string::npos);
  EXPECT_NE(
      plan.checks[1].check->describe().find(" db=target:postgresql://app:p%40ss@127.0.0.1/db:8"),
      std::string::npos);
  // The password in a URI is masked as written and decoded, like a secret.
  EXPECT_EQ(plan.redactor.redact("postgresql://app:p%40ss@h, p@ss, hunter2"),
            "postgresql://app:***@h, ***, ***");
}

TEST_F(SuiteTest, ADatabaseOfAnEngineCutoverDoesNotSpeakIsALoadError) {
  EXPECT_EQ(errors(R"(suite: s
databases:
  target: { dsn: "oracle://app@127.0.0.1/shop" }
checks:
  - { name: a, kind: probe, text: x, db: target }
)"),
            "suite.yaml:3:18: error: databases.target.dsn: unsupported database scheme "
            "'oracle://': expected a PostgreSQL DSN (postgresql://..., postgres://..., or libpq's "
            "key=value form like 'host=db dbname=shop') or a MySQL/MariaDB one (mysql://... or "
            "mariadb://...)\n");
}

TEST_F(SuiteTest, DatabaseMistakesArePlaced) {
  EXPECT_EQ(
      errors(R"(suite: s
databases:
  source: { dsn: "host=a", max_conections: 2 }
  target: { max_connections: 0 }
  "bad name": { dsn: x }
  empty: { dsn: "" }
  plain: just-a-string
checks:
  - { name: a, kind: probe, text: x, db: sourc }
  - { name: b, kind: probe, text: x, db: replica }
)"),
      "suite.yaml:3:28: error: unknown key 'max_conections' in databases.source (did you mean "
      "'max_connections'?)\n"
      "suite.yaml:4:30: error: databases.target.max_connections: expected an integer from 1 "
      "to 64, got '0'\n"
      "suite.yaml:5:3: error: databases: 'bad name' is not a valid name (letters, digits, "
      "'_', '-', '.')\n"
      "suite.yaml:6:17: error: databases.empty.dsn: expected a connection string or URI, got "
      "an empty string\n"
      "suite.yaml:7:10: error: databases.plain: expected a mapping, got 'just-a-string'\n"
      "suite.yaml:9:42: error: db: unknown database 'sourc' (did you mean 'source'?)\n"
      "suite.yaml:10:42: error: db: unknown database 'replica' (declared: empty, plain, source, "
      "target)\n");
  EXPECT_EQ(errors(R"(suite: s
databases:
  target: {}
checks:
  - { name: a, kind: probe, text: x, db: target }
)"),
            "suite.yaml:3:11: error: databases.target: missing key 'dsn' (a connection string or "
            "URI)\n");
}

TEST_F(SuiteTest, SyntaxErrorsHaveAPosition) {
  EXPECT_EQ(
      errors("suite: s\nchecks:\n  - { name: a, kind: probe\n"),
      "suite.yaml:4:1: error: syntax error: did not find expected ',' or '}' (while parsing a "
      "flow mapping that starts at 3:5)\n");
}

TEST_F(SuiteTest, TheTopLevelMustBeASuite) {
  EXPECT_EQ(errors("- a\n- b\n"),
            "suite.yaml:1:1: error: expected a suite (a mapping with 'suite' and 'checks'), got "
            "a list\n");
  EXPECT_EQ(errors("description: x\n"),
            "suite.yaml:1:1: error: missing key 'suite' (the suite's name)\n"
            "suite.yaml:1:1: error: missing key 'checks' (the list of checks)\n");
}

TEST_F(SuiteTest, IncludedFilesJoinTheSuiteWithTheIncludersVars) {
  loopback::TempDir dir;
  dir.write("common/network.yaml", R"(defaults: { phase: shared }
checks:
  - { name: included, kind: probe, text: "${host}" }
)");
  const auto main = dir.write("main.yaml", R"(suite: main
vars: { host: db.internal }
include: [common/network.yaml]
checks:
  - { name: own, kind: probe, text: x, needs: [included] }
)");
  auto result = load_suites({main}, registry, options);
  ASSERT_TRUE(result) << errors_of(result);
  const Plan& plan = result.value();
  ASSERT_EQ(plan.checks.size(), 2u);
  EXPECT_EQ(plan.checks[0].name, "included");
  EXPECT_EQ(plan.checks[0].suite, "main");
  EXPECT_EQ(plan.checks[0].phase, "shared");
  EXPECT_EQ(plan.checks[0].location.file, (dir.path() / "common/network.yaml").string());
  EXPECT_NE(plan.checks[0].check->describe().find("text=db.internal"), std::string::npos);
  EXPECT_EQ(plan.checks[1].phase, "main");
}

TEST_F(SuiteTest, IncludeCyclesAndMissingFilesAreErrors) {
  loopback::TempDir dir;
  dir.write("a.yaml", "suite: a\ninclude: [b.yaml]\nchecks: []\n");
  dir.write("b.yaml", "include: [a.yaml, missing.yaml]\n");
  auto result = load_suites({dir.path() / "a.yaml"}, registry, options);
  ASSERT_FALSE(result);
  const std::string b = (dir.path() / "b.yaml").string();
  // Each mistake points at its own entry in the list.
  EXPECT_EQ(errors_of(result), b + ":1:11: error: include: '" + (dir.path() / "a.yaml").string() +
                                   "' includes itself (an include cycle)\n" + b +
                                   ":1:19: error: include: cannot open 'missing.yaml' (" +
                                   (dir.path() / "missing.yaml").string() +
                                   "): No such file or directory\n");
}

TEST_F(SuiteTest, SeveralFilesAreSeveralSuites) {
  loopback::TempDir dir;
  const auto a = dir.write("a.yaml", "suite: a\nchecks: [{ name: x, kind: probe, text: t }]\n");
  const auto b = dir.write("b.yaml", "suite: b\nchecks: [{ name: x, kind: probe, text: t }]\n");
  const auto c = dir.write("c.yaml", "suite: a\nchecks: []\n");
  auto result = load_suites({a, b}, registry, options);
  ASSERT_TRUE(result) << errors_of(result);
  EXPECT_EQ(result.value().checks.size(), 2u);
  EXPECT_EQ(result.value().suites.size(), 2u);

  auto clash = load_suites({a, c}, registry, options);
  ASSERT_FALSE(clash);
  EXPECT_EQ(errors_of(clash),
            c.string() + ":1:8: error: suite 'a' is also defined in " + a.string() + "\n");
}

TEST_F(SuiteTest, MissingFileIsAnError) {
  auto result = load_suites({"/nonexistent/suite.yaml"}, registry, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(errors_of(result),
            "/nonexistent/suite.yaml: error: cannot open suite file: No such file or directory\n");
}

// A kind with the field rules the probe kind does not use: integer ranges open at one end, and
// strings and list items that must not be empty.
class RulesCheck : public Check {
 public:
  explicit RulesCheck(Fields& fields)
      : description_(fmt::format("at_least={} at_most={} label={} items=[{}]",
                                 fields.integer("at_least"), fields.integer("at_most"),
                                 fields.string("label"), fmt::join(fields.strings("items"), "|"))) {
  }

  static KindSpec spec() {
    return {"Declares one-sided ranges and non-empty strings, for suite loading tests.",
            {{.name = "at_least", .type = FieldType::integer, .min = 0},
             {.name = "at_most", .type = FieldType::integer, .max = 10},
             {.name = "label", .type = FieldType::string, .non_empty = true},
             {.name = "items", .type = FieldType::string_list, .non_empty = true}}};
  }

  void start(CheckContext&, Completion done) override { done(CheckResult::passed("ruled")); }
  std::string describe() const override { return description_; }

 private:
  std::string description_;
};

TEST_F(SuiteTest, IntegerRangesMayBeOpenAtOneEnd) {
  registry.add<RulesCheck>("rules");
  EXPECT_EQ(errors("suite: s\nchecks:\n  - { name: a, kind: rules, at_least: -1 }\n"
                   "  - { name: b, kind: rules, at_most: 11 }\n"),
            "suite.yaml:3:39: error: at_least: expected an integer from 0, got '-1'\n"
            "suite.yaml:4:38: error: at_most: expected an integer up to 10, got '11'\n");

  Plan plan = load(
      "suite: s\nchecks:\n  - { name: a, kind: rules, at_least: 0, at_most: 10 }\n"
      "  - { name: b, kind: rules, at_least: 9000000000, at_most: -9000000000 }\n");
  ASSERT_EQ(plan.checks.size(), 2u);
  EXPECT_EQ(plan.checks[0].check->describe(), "at_least=0 at_most=10 label= items=[]");
  EXPECT_EQ(plan.checks[1].check->describe(),
            "at_least=9000000000 at_most=-9000000000 label= items=[]");
}

TEST_F(SuiteTest, NonEmptyStringsAndListItemsMustHaveText) {
  registry.add<RulesCheck>("rules");
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { name: a, kind: rules, label: "" }
  - { name: b, kind: rules, items: [x, ""] }
  - { name: c, kind: rules, items: "" }
  - { name: d, kind: rules, label: "${EMPTY:-}" }
)"),
            "suite.yaml:3:36: error: label: expected a non-empty string, got ''\n"
            "suite.yaml:4:36: error: items: expected non-empty strings, got ''\n"
            "suite.yaml:5:36: error: items: expected non-empty strings, got ''\n"
            "suite.yaml:6:36: error: label: expected a non-empty string, got ''\n");

  // Without non_empty an empty string is a value like any other.
  Plan plan = load(R"(suite: s
checks:
  - { name: a, kind: rules, label: " ", items: [x, y] }
  - { name: b, kind: probe, text: "", names: [""] }
)");
  ASSERT_EQ(plan.checks.size(), 2u);
  EXPECT_EQ(plan.checks[0].check->describe(), "at_least=0 at_most=0 label=  items=[x|y]");
  EXPECT_EQ(plan.checks[1].check->describe().substr(0, 22), "text= count=0 ratio=0 ");
}

// Issue 14: one mistake is reported once, where it is, and nothing else is invented from it.
TEST_F(SuiteTest, ADatabaseWithAMistakeIsStillDeclared) {
  EXPECT_EQ(errors(R"(suite: s
databases:
  source: { dsn: "host=a password=${secret:SOURCE_PASSWORD}" }
  target: { dsn: "host=b" }
checks:
  - { name: a, kind: probe, text: x, db: source }
  - { name: b, kind: probe, text: x, db: source }
  - { name: c, kind: probe, text: x, db: target, needs: [a, b] }
)"),
            "suite.yaml:3:18: error: databases.source.dsn: secret 'SOURCE_PASSWORD' is not set "
            "in the environment\n");
}

TEST_F(SuiteTest, ACheckWithAMistakeIsStillKnownByName) {
  EXPECT_EQ(errors(R"(suite: s
checks:
  - { name: a, kind: probe, text: x, timeout: soon }
  - { name: b, kind: prbe, text: x }
  - { name: c, kind: probe, text: x, needs: [a, b] }
)"),
            "suite.yaml:3:47: error: timeout: expected a positive duration like 500ms, 5s, 2m or "
            "1h, got 'soon'\n"
            "suite.yaml:4:22: error: check 'b': unknown kind 'prbe' (did you mean 'probe'?)\n");
}

TEST_F(SuiteTest, EveryMistakeInACheckIsReportedInOnePass) {
  EXPECT_EQ(errors(R"(suite: s
phases: [pre, post]
checks:
  - { name: a, kind: probe, txt: x, text: y, count: 7, phase: pre }
  - { name: b, kind: probe, text: x, retry: 3, phase: pre, needs: [c] }
  - { name: c, kind: probe, text: x, phase: post }
  - { name: d, kind: probe, text: x, phase: postt }
  - { name: e, kind: probe, text: x, phase: pre, needs: [d] }
  - { name: f, kind: probe, text: "${nope}", count: 7, phase: pre }
)"),
            "suite.yaml:4:29: error: unknown key 'txt' in check 'a' of kind 'probe' (did you "
            "mean 'text'?)\n"
            "suite.yaml:4:53: error: check 'a': seven is not allowed here\n"
            "suite.yaml:5:45: error: retry: expected a mapping like {attempts: 3, interval: 2s} "
            "or {until: 10m, interval: 30s}, got '3'\n"
            "suite.yaml:7:45: error: phase: 'postt' is not one of the suite's phases (pre, post) "
            "(did you mean 'post'?)\n"
            "suite.yaml:9:35: error: text: undefined variable 'nope' (define it under vars, set it "
            "in the environment, or write ${nope:-default})\n"
            "suite.yaml:9:53: error: check 'f': seven is not allowed here\n"
            "suite.yaml:5:5: error: check 'b' (phase 'pre') needs 'c', which runs in the later "
            "phase 'post'\n");
}

TEST_F(SuiteTest, MisspeltVariablesAndNeedsSuggestTheNameMeant) {
  EXPECT_EQ(errors(R"(suite: s
vars: { new_host: 10.0.0.2 }
checks:
  - { name: dns answers, kind: probe, text: "${new_hots}" }
  - { name: b, kind: probe, text: x, needs: [dns answer] }
)"),
            "suite.yaml:4:45: error: text: undefined variable 'new_hots' (did you mean "
            "'new_host'?)\n"
            "suite.yaml:5:5: error: check 'b' needs 'dns answer', but suite 's' has no check of "
            "that name (did you mean 'dns answers'?)\n");
}

TEST_F(SuiteTest, UnsetSecretsStandAsAPlaceholderWhenAsked) {
  std::set<std::string> unset;
  options.unset_secrets = &unset;
  Plan plan = load(R"(suite: s
databases:
  source: { dsn: "${secret:SOURCE_DSN}" }
  target: { dsn: "postgresql://app:${secret:TARGET_PASSWORD}@127.0.0.1/shop" }
checks:
  - { name: a, kind: probe, text: "${secret:API_TOKEN}", db: source }
  - { name: b, kind: probe, text: "${secret:DB_PASSWORD}", db: target }
)");
  EXPECT_EQ(unset, (std::set<std::string>{"API_TOKEN", "SOURCE_DSN", "TARGET_PASSWORD"}));
  ASSERT_EQ(plan.databases.size(), 2u);
  EXPECT_EQ(plan.databases[0]->dsn, kUnsetSecretPlaceholder);
  ASSERT_EQ(plan.checks.size(), 2u);

  // Without the option, an unset secret is an error as before.
  options.unset_secrets = nullptr;
  EXPECT_EQ(
      errors("suite: s\nchecks:\n  - { name: a, kind: probe, text: \"${secret:API_TOKEN}\" }\n"),
      "suite.yaml:3:35: error: text: secret 'API_TOKEN' is not set in the environment\n");
}

TEST_F(SuiteTest, AMissingIncludeNamesItsPathTheReasonAndANearbyName) {
  loopback::TempDir dir;
  dir.write("network.yaml", "checks: []\n");
  const auto main = dir.write("main.yaml", "suite: s\ninclude: [netwrk.yaml]\nchecks: []\n");
  auto result = load_suites({main}, registry, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(errors_of(result), main.string() +
                                   ":2:11: error: include: cannot open 'netwrk.yaml' (" +
                                   (dir.path() / "netwrk.yaml").string() +
                                   "): No such file or directory (did you mean 'network.yaml'?)\n");
}

}  // namespace
}  // namespace cutover
