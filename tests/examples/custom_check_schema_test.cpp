// A kind added in C++ is in the schema of the binary that registers it, and only there.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/process.hpp"
#include "tests/support/suite_schema.hpp"

namespace cutover::test {
namespace {

const std::filesystem::path kExampleSuite =
    std::filesystem::path(CUTOVER_SOURCE_DIR) / "examples/custom_check/config-cutover.yaml";

TEST(CustomCheckSchema, TheCustomBinarysSchemaHasTheKindAndItsFields) {
  const auto printed = loopback::run_command({CUTOVER_CUSTOM_BINARY, "schema"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  const nlohmann::json schema = nlohmann::json::parse(printed.out);
  const nlohmann::json& check = schema["$defs"]["check"];
  const nlohmann::json& kinds = check["properties"]["kind"]["enum"];
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "file_contains"), kinds.end()) << kinds;
  bool found = false;
  for (const nlohmann::json& branch : check["allOf"]) {
    if (branch["if"]["properties"]["kind"]["const"] != "file_contains") continue;
    found = true;
    EXPECT_TRUE(branch["then"]["properties"].contains("path")) << branch.dump(2);
  }
  EXPECT_TRUE(found);
}

TEST(CustomCheckSchema, TheExampleSuiteValidatesAgainstTheCustomBinarysSchemaOnly) {
  const auto custom = validate_suites_with(CUTOVER_CUSTOM_BINARY, {kExampleSuite});
  EXPECT_EQ(custom.exit_code, 0) << custom.out << custom.err;
  const auto stock = validate_suites_with(CUTOVER_BINARY, {kExampleSuite});
  EXPECT_EQ(stock.exit_code, 1) << stock.out << stock.err;
  EXPECT_NE(stock.out.find("'file_contains' is not one of"), std::string::npos) << stock.out;
}

}  // namespace
}  // namespace cutover::test
