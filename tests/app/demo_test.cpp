// `cutover demo` end to end, through the built binary, as CI runs it: the environments, the
// shipped suites and the reports. Needs the PostgreSQL server binaries (scripts/setup.sh).

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using loopback::ProcessResult;
using loopback::TempDir;
using Json = nlohmann::json;

// "suite/name" of every check in a results.json whose outcome is not `passed`.
std::set<std::string> not_passed(const Json& results) {
  std::set<std::string> names;
  for (const Json& check : results.at("checks")) {
    if (check.at("outcome") != "passed") {
      names.insert(check.at("suite").get<std::string>() + "/" +
                   check.at("name").get<std::string>());
    }
  }
  return names;
}

const Json* find_check(const Json& results, const std::string& name) {
  for (const Json& check : results.at("checks")) {
    if (check.at("name") == name) return &check;
  }
  return nullptr;
}

TEST(Demo, CleanRunPassesEveryCheckOfEveryKind) {
  loopback::TempDir dir;
  const fs::path out = dir.path() / "reports";
  const loopback::ProcessResult result = test::run_cutover({"demo", "--out", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;

  const Json results = Json::parse(loopback::read_file(out / "results.json"));
  EXPECT_EQ(not_passed(results), std::set<std::string>{});
  EXPECT_EQ(results.at("summary").at("total"), results.at("summary").at("passed"));
  std::set<std::string> kinds;
  std::set<std::string> suites;
  for (const Json& check : results.at("checks")) {
    kinds.insert(check.at("kind").get<std::string>());
    suites.insert(check.at("suite").get<std::string>());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"dns", "http", "postgres.checksum", "postgres.connect",
                                          "postgres.frozen", "postgres.query",
                                          "postgres.replication", "postgres.row_count",
                                          "postgres.schema", "postgres.smoke", "tcp", "tls"}));
  EXPECT_EQ(suites, (std::set<std::string>{"pre-cutover", "sync", "post-cutover"}));

  // Every report is written and named at the end.
  for (const char* file : {"junit.xml", "results.json", "report.html", "summary.md"}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
    EXPECT_NE(result.out.find((out / file).string()), std::string::npos) << file << result.out;
  }
}

TEST(Demo, BreakFailsExactlyTheChecksOfTheInjectedFaults) {
  loopback::TempDir dir;
  const fs::path out = dir.path() / "reports";
  const loopback::ProcessResult result =
      test::run_cutover({"demo", "--break", "--out", out.string()});
  ASSERT_EQ(result.exit_code, 1) << result.out << result.err;

  const Json results = Json::parse(loopback::read_file(out / "results.json"));
  EXPECT_EQ(not_passed(results), (std::set<std::string>{
                                     // the certificate expires in 3 days
                                     "pre-cutover/new certificate valid for two more weeks",
                                     // www.shop.test still points at the old environment
                                     "post-cutover/www.shop.test moved to the new environment",
                                     // order 4321 is missing on the target
                                     "post-cutover/row counts match",
                                     // order 1234 changed, order 4321 missing
                                     "post-cutover/rows identical",
                                     // orders_id_seq left at 100 on the target
                                     "post-cutover/schema and sequences migrated",
                                     // so the next order's id is taken
                                     "post-cutover/checkout works on the target",
                                 }))
      << result.out;
  for (const Json& check : results.at("checks")) {
    if (check.at("outcome") != "passed") {
      EXPECT_EQ(check.at("outcome"), "failed") << check.dump();
    }
  }
  const Json* checksum = find_check(results, "rows identical");
  ASSERT_NE(checksum, nullptr);
  const std::string details = checksum->at("details").get<std::string>();
  EXPECT_NE(details.find("id=1234"), std::string::npos) << details;
  EXPECT_NE(details.find("id=4321"), std::string::npos) << details;
}

// A copy of the binary, as a package or a user would move it, into `folder`/bin.
fs::path copy_binary(const fs::path& folder) {
  fs::create_directories(folder / "bin");
  const fs::path binary = folder / "bin" / "cutover";
  fs::copy_file(CUTOVER_BINARY, binary);
  return binary;
}

TEST(Demo, ACopiedBinaryWithNoSuitesBesideItSaysWhereItLookedAndExits2) {
  const TempDir dir;
  const fs::path binary = copy_binary(dir.path());
  const ProcessResult result = loopback::run_command({binary.string(), "demo"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.err.find("<prefix>/share/cutover/suites"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--suites DIR"), std::string::npos) << result.err;
  EXPECT_EQ(result.out.find("starting"), std::string::npos) << "nothing starts: " << result.out;
}

TEST(Demo, AnInstalledBinaryFindsTheSuitesInItsPrefix) {
  const TempDir dir;
  const fs::path binary = copy_binary(dir.path());
  const fs::path installed = dir.path() / "share" / "cutover" / "suites";
  fs::create_directories(installed.parent_path());
  fs::copy(fs::path(CUTOVER_SOURCE_DIR) / "suites", installed, fs::copy_options::recursive);
  const fs::path out = dir.path() / "reports";
  const ProcessResult result =
      loopback::run_command({binary.string(), "demo", "--out", out.string()});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("suites      " + installed.string() + "/{pre-cutover"),
            std::string::npos)
      << result.out;
}

TEST(Demo, SuitesNamesTheirFolder) {
  const TempDir dir;
  const fs::path binary = copy_binary(dir.path());
  const ProcessResult missing =
      loopback::run_command({binary.string(), "demo", "--suites", (dir.path() / "none").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("pre-cutover.yaml"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace cutover
