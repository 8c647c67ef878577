// The JSON Schema of suite files (harness/schema.cpp) against the loader: every suite the
// repository ships validates, mistakes the loader rejects fail it, and each built-in kind's every
// field is accepted by both.
#include "harness/schema.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checks/builtin.hpp"
#include "harness/suite.hpp"
#include "loopback/certificates.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/run_cutover.hpp"
#include "tests/support/suite_schema.hpp"

namespace cutover::test {
namespace {

using nlohmann::json;

const std::filesystem::path kSource = CUTOVER_SOURCE_DIR;

// Every suite file under suites/ and examples/. Left out: examples/ci, CI configurations rather
// than suites; examples/custom_check, whose kind only cutover-custom knows
// (tests/examples/custom_check_schema_test.cpp validates it with that binary's schema).
std::vector<std::filesystem::path> shipped_suites() {
  std::vector<std::filesystem::path> files;
  for (const char* folder : {"suites", "examples"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(kSource / folder)) {
      const std::filesystem::path& path = entry.path();
      const std::string relative = path.lexically_relative(kSource).string();
      if (relative.starts_with("examples/ci/") || relative.starts_with("examples/custom_check/")) {
        continue;
      }
      if (path.extension() == ".yaml" || path.extension() == ".yml") files.push_back(path);
    }
  }
  return files;
}

Registry builtin_registry() {
  Registry registry;
  register_builtin_checks(registry);
  return registry;
}

// What the loader says about a suite: "" when it loads.
std::string load_errors(const std::string& text,
                        const std::map<std::string, std::string>& variables = {}) {
  const Registry registry = builtin_registry();
  LoadOptions options;
  options.environment = [](std::string_view) -> std::optional<std::string> { return {}; };
  options.variables = variables;
  auto plan = load_suite_text(text, "suite.yaml", registry, options);
  if (plan) return "";
  std::string errors;
  for (const Diagnostic& diagnostic : plan.error())
    errors += to_string(diagnostic) + "\n";
  return errors;
}

class SchemaTest : public ::testing::Test {
 protected:
  // The schema of the built-in kinds, as `cutover schema` prints it.
  std::filesystem::path schema_file() {
    return folder.write("cutover-suite.schema.json", suite_schema(builtin_registry()).dump(2));
  }

  loopback::ProcessResult validate(const std::vector<std::string>& suites) {
    std::vector<std::filesystem::path> files;
    for (const std::string& suite : suites)
      files.push_back(folder.write("suite" + std::to_string(files.size()) + ".yaml", suite));
    return validate_suites(schema_file(), files);
  }

  loopback::TempDir folder;
};

TEST(Schema, CutoverSchemaPrintsADraft2020SchemaWithEveryKind) {
  const auto result = run_cutover({"schema"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json schema = json::parse(result.out);
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  const json& kinds = schema["$defs"]["check"]["properties"]["kind"]["enum"];
  const Registry registry = builtin_registry();
  for (const Kind* kind : registry.kinds())
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), kind->name), kinds.end()) << kind->name;
}

TEST(Schema, EveryShippedSuiteValidatesAgainstCutoverSchema) {
  const std::vector<std::filesystem::path> files = shipped_suites();
  ASSERT_GE(files.size(), 3u);
  const auto result = validate_suites_with(CUTOVER_BINARY, files);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

// A suite the loader and the schema must judge alike.
struct Verdict {
  std::string suite;
  bool valid;
};

constexpr std::string_view kTcpCheck = "{name: a, kind: tcp, host: localhost, port: 80";

std::string suite_with(std::string_view check_extra, std::string_view top_extra = "") {
  return fmt::format("suite: s\n{}checks:\n  - {}{}}}\n", top_extra, kTcpCheck, check_extra);
}

// Mistakes in keys, bounds the loader applies, and variables in typed values.
std::vector<Verdict> verdicts() {
  return {
      {suite_with(""), true},
      {suite_with(", timout: 5s"), false},
      {suite_with(", prot: 80"), false},
      {suite_with("", "chekcs: []\n"), false},
      {suite_with("", "defaults: {timeot: 5s}\n"), false},
      {suite_with("", "databases: {db: {dsn: 'postgresql://h/d', max_conections: 2}}\n"), false},
      {suite_with(", retry: {attempt: 3}"), false},
      {suite_with(", retry: {attempts: 1000}"), true},
      {suite_with(", retry: {attempts: 1001}"), false},
      {suite_with(", retry: {attempts: 2, until: 5s}"), false},
      {suite_with("", "databases: {db: {dsn: 'postgresql://h/d', max_connections: 64}}\n"), true},
      {suite_with("", "databases: {db: {dsn: 'postgresql://h/d', max_connections: 65}}\n"), false},
      {suite_with("", "databases: {db: {max_connections: 2}}\n"), false},
      {suite_with(", timeout: 0s"), false},
      {suite_with(", timeout: 1h30m"), true},
      {suite_with(", expect: opne"), false},
      {"suite: s\nchecks:\n  - {name: a, kind: tpc, host: localhost, port: 80}\n", false},
      {"suite: s\nchecks:\n  - {name: a, kind: tcp, host: localhost, port: 65536}\n", false},
      {"suite: s\nchecks:\n  - {name: a, kind: tcp, host: localhost}\n", false},
      {"suite: s\nchecks:\n  - {name: a, kind: tcp, host: '', port: 1}\n", false},
      {"suite: s\nchecks:\n  - {name: a, kind: tcp, host: h, port: '${PORT}'}\n", true},
      {suite_with(", timeout: '${TIMEOUT}', retry: {attempts: '${ATTEMPTS}', interval: '${T}'}"),
       true},
      {suite_with(", tags: [a, '${TAG}'], phase: '${TAG}'", "defaults: {timeout: '${TIMEOUT}'}\n"),
       true},
      {suite_with("",
                  "vars: {PORT2: '80'}\ndatabases: {db: {dsn: 'postgresql://h/d', "
                  "max_connections: '${ATTEMPTS}'}}\n"),
       true},
      {suite_with("", "phases: [pre, main]\ninclude: []\ndescription: d\n"), true},
  };
}

TEST_F(SchemaTest, TheSchemaRejectsWhatTheLoaderRejects) {
  const std::map<std::string, std::string> variables{
      {"PORT", "80"}, {"TIMEOUT", "5s"}, {"ATTEMPTS", "3"}, {"T", "1s"}, {"TAG", "main"}};
  const std::vector<Verdict> all = verdicts();
  std::vector<std::string> suites;
  for (const Verdict& verdict : all) {
    EXPECT_EQ(load_errors(verdict.suite, variables).empty(), verdict.valid)
        << verdict.suite << load_errors(verdict.suite, variables);
    suites.push_back(verdict.suite);
  }
  const auto result = validate(suites);
  ASSERT_NE(result.exit_code, 2) << result.out << result.err;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool rejected = result.out.find(fmt::format("/suite{}.yaml: ", i)) != std::string::npos;
    EXPECT_EQ(!rejected, all[i].valid) << all[i].suite << result.out;
  }
}

// The one deliberate difference: the loader reads quoted numbers and booleans too, the schema asks
// for one spelling.
TEST_F(SchemaTest, QuotedNumbersLoadButTheSchemaFlagsThem) {
  const std::string suite =
      "suite: s\nchecks:\n  - {name: a, kind: tcp, host: localhost, port: '443', tags: x}\n";
  EXPECT_EQ(load_errors(suite), "");
  const auto result = validate({suite});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("checks.0.port"), std::string::npos) << result.out;
}

// A value of the field's type, as a suite would write it. Database fields name the suite's
// databases in turn, so that a source and a target differ.
json sample_value(const FieldSpec& field, int& databases_named) {
  switch (field.type) {
    case FieldType::string:
      return "text";
    case FieldType::integer:
      return field.min ? *field.min : field.max ? *field.max : 1;
    case FieldType::number:
      return 1.5;
    case FieldType::boolean:
      return true;
    case FieldType::duration:
      return "2s";
    case FieldType::seconds:
      return 300;
    case FieldType::string_list:
      return json::array({"item"});
    case FieldType::choice:
      return field.choices.front();
    case FieldType::object:
      return json::object();
    case FieldType::database:
      return databases_named++ % 2 == 0 ? "one" : "two";
  }
  return nullptr;
}

// Values the type alone does not give: what a kind reads from a field's text or structure, and
// files it opens while it loads (a CA bundle, a client certificate and its key).
std::map<std::string, json> samples(const loopback::Certificate& client,
                                    const std::filesystem::path& ca_file) {
  const json resolver = {{"servers", json::array({"127.0.0.1"})}};
  return {
      {"dns.servers", json::array({"127.0.0.1", "[::1]:5353"})},
      {"dns.expect", json::array({"192.0.2.1"})},
      {"dns.expect_contains", json::array({"192.0.2.1"})},
      {"dns.expect_not_contains", json::array({"192.0.2.2"})},
      {"http.url", "https://example.com/"},
      {"http.method", "POST"},
      {"http.ca_file", ca_file.string()},
      {"http.client_certificate", client.certificate_file.string()},
      {"http.client_key", client.key_file.string()},
      {"http.status", json::array({200, "3xx"})},
      {"http.headers", {{"content-type", {{"present", true}}}}},
      {"http.body", {{"contains", "Welcome"}}},
      {"http.json", {{"/ready", true}}},
      {"http.request_headers", {{"Accept", "text/html"}}},
      {"http.resolver", resolver},
      {"http.steps", json::array({{{"name", "home"}, {"url", "https://example.com/"}}})},
      {"postgres.connect.min_version", "15.4"},
      {"postgres.connect.settings", {{"ssl", "on"}}},
      {"postgres.query.rows", 1},
      {"postgres.query.empty", false},
      {"db.query.rows", 1},
      {"db.query.empty", false},
      {"db.smoke.steps", json::array({{{"sql", "SELECT 1"}, {"expect", "1"}}})},
      {"postgres.row_count.expect", {{"public.orders", 1200}}},
      {"db.row_count.expect", {{"public.orders", 1200}}},
      {"db.connect.min_version", "15.4"},
      {"db.connect.settings", {{"ssl", "on"}}},
      {"postgres.smoke.steps", json::array({{{"sql", "SELECT 1"}, {"expect", "1"}}})},
      {"tcp.resolver", resolver},
      {"tls.ca_file", ca_file.string()},
      {"tls.allowed_ciphers", json::array({"ECDHE-RSA-AES256-GCM-SHA384"})},
      {"tls.forbidden_ciphers", json::array({"aNULL", "ECDHE-RSA-AES128-SHA"})},
      {"tls.resolver", resolver},
  };
}

// Fields a kind does not take together: each kind's suites, by the fields each leaves out.
const std::map<std::string, std::vector<std::set<std::string>>> kLeftOut{
    {"dns",
     {{"nxdomain"},
      {"expect", "expect_contains", "expect_not_contains", "expect_cname", "max_ttl",
       "min_answers"}}},
    {"http",
     {{"steps", "insecure"},
      {"url", "insecure", "body", "headers", "hsts_min_max_age", "json", "max_latency", "method",
       "request_body", "status"},
      {"steps", "ca_file"}}},
    {"postgres.checksum", {{"columns"}, {"exclude_columns"}}},
    {"postgres.query", {{"expect_null"}, {"expect", "expect_min", "expect_max"}}},
    {"db.query", {{"expect_null"}, {"expect", "expect_min", "expect_max"}}},
    {"db.frozen", {{"users", "require_read_only"}}},
    {"db.replication", {{"max_lag_transactions"}}},
    {"postgres.row_count", {{"database", "expect"}, {"source", "target", "tables", "exclude"}}},
    {"db.connect", {{"min_tls_version", "auth_plugins"}}},
    {"db.row_count",
     {{"database", "expect", "estimate"}, {"source", "target", "tables", "exclude", "estimate"}}},
};

// The same on MySQL/MariaDB databases, for the engine-neutral kinds with fields of their own.
const std::map<std::string, std::vector<std::set<std::string>>> kLeftOutOnMysql{
    {"db.connect", {{}}},
    {"db.row_count", {{"source", "target", "tables", "exclude"}}},
    {"db.frozen", {{"tables", "exclude", "roles", "max_wal_bytes"}}},
    {"db.replication", {{"mode", "subscription", "max_lag_bytes"}}},
    {"db.smoke", {{"commit"}}},
};

// One suite with a check of `kind` that has every field but `left_out`.
json every_field_suite(const Kind& kind, const std::set<std::string>& left_out,
                       const std::map<std::string, json>& values, bool mysql = false) {
  json check = {{"name", "every field"}, {"kind", kind.name}};
  int databases_named = 0;
  for (const FieldSpec& field : kind.spec.fields) {
    if (left_out.contains(field.name)) continue;
    auto sample = values.find(kind.name + "." + field.name);
    check[field.name] =
        sample != values.end() ? sample->second : sample_value(field, databases_named);
  }
  return {{"suite", "every field"},
          {"databases",
           {{"one", {{"dsn", mysql ? "mysql://localhost/one" : "postgresql://localhost/one"}}},
            {"two", {{"dsn", mysql ? "mysql://localhost/two" : "postgresql://localhost/two"}}}}},
          {"checks", json::array({check})}};
}

TEST_F(SchemaTest, EveryFieldOfEveryKindLoadsAndValidates) {
  loopback::TestCa ca(folder);
  const auto values = samples(ca.issue({.common_name = "client", .client = true}), ca.ca_file());
  const Registry registry = builtin_registry();
  std::vector<std::string> suites;
  for (const Kind* kind : registry.kinds()) {
    auto variants = kLeftOut.find(kind->name);
    const std::vector<std::set<std::string>> left_outs =
        variants != kLeftOut.end() ? variants->second : std::vector<std::set<std::string>>{{}};
    std::set<std::string> covered;
    const auto on_mysql = kLeftOutOnMysql.find(kind->name);
    for (const bool mysql : {false, true}) {
      if (mysql && on_mysql == kLeftOutOnMysql.end()) continue;
      for (const std::set<std::string>& left_out : mysql ? on_mysql->second : left_outs) {
        const std::string suite = every_field_suite(*kind, left_out, values, mysql).dump(2);
        EXPECT_EQ(load_errors(suite), "") << kind->name << ": " << suite;
        suites.push_back(suite);
        for (const FieldSpec& field : kind->spec.fields)
          if (!left_out.contains(field.name)) covered.insert(field.name);
      }
    }
    for (const FieldSpec& field : kind->spec.fields)
      EXPECT_TRUE(covered.contains(field.name)) << kind->name << " leaves out " << field.name;
  }
  const auto result = validate(suites);
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
}

}  // namespace
}  // namespace cutover::test
