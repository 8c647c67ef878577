#include "reports/junit.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <tinyxml2.h>

#include "loopback/temp_dir.hpp"
#include "reports/builtin.hpp"
#include "tests/reports/junit_schema.hpp"

namespace cutover {
namespace {

using namespace std::chrono;
using tinyxml2::XMLElement;

const system_clock::time_point kStart =
    sys_days{year{2026} / 11 / 25} + hours{22} + minutes{1} + seconds{2} + milliseconds{123};

PlannedCheck make_check(std::string suite, std::string phase, std::string name) {
  PlannedCheck check;
  check.suite = std::move(suite);
  check.phase = std::move(phase);
  check.name = std::move(name);
  check.kind = "postgres.rowcount";
  return check;
}

Attempt make_attempt(Outcome outcome, std::string message, std::string details,
                     milliseconds started, milliseconds duration) {
  return {outcome, std::move(message), std::move(details), kStart + started, duration};
}

// A result whose attempts are `attempts`, the last one being the final outcome.
Result make_result(std::vector<Attempt> attempts) {
  Result result;
  const Attempt& last = attempts.back();
  result.outcome = last.outcome;
  result.message = last.message;
  result.details = last.details;
  result.started = attempts.front().started;
  result.duration = duration_cast<Duration>(last.started + last.duration - result.started);
  result.attempts = std::move(attempts);
  return result;
}

Result make_skipped(std::string message) {
  Result result;
  result.outcome = Outcome::skipped;
  result.message = std::move(message);
  return result;
}

RunInfo make_info() {
  RunInfo info;
  info.tool_version = "0.1.0";
  info.hostname = "ci-runner-7";
  info.started = kStart;
  info.suites = {{"db", "Row counts <before & after>", "suites/db.yaml"},
                 {"web", "", "suites/web.yaml"}};
  info.phases = {"pre", "post"};
  info.selected_tags = {"smoke", "db"};
  info.filter = "db*";
  info.shard_index = 1;
  info.shard_count = 3;
  info.selected_checks = 8;
  return info;
}

RunSummary make_summary() {
  RunSummary summary;
  summary.counts = {
      {Outcome::passed, 4}, {Outcome::failed, 2}, {Outcome::error, 1}, {Outcome::skipped, 1}};
  summary.flaky = 1;
  summary.duration = microseconds(12'345'600);
  return summary;
}

// Every outcome, retries both ways, hostile text, two suites and two phases, finished out of
// plan order.
void feed(Reporter& reporter, const std::string& long_details = "") {
  const PlannedCheck rows = make_check("db", "pre", "rows");
  const PlannedCheck colours = make_check("db", "pre", "colours");
  const PlannedCheck flaky = make_check("db", "pre", "flaky");
  const PlannedCheck stubborn = make_check("db", "pre", "stubborn");
  const PlannedCheck port = make_check("db", "post", "port");
  const PlannedCheck reindex = make_check("db", "post", "reindex");
  PlannedCheck home = make_check("web", "pre", "home");
  home.kind = "";

  reporter.run_started(make_info());
  for (const PlannedCheck* check : {&rows, &colours, &flaky, &stubborn, &std::as_const(home)}) {
    reporter.check_started(*check);
  }
  reporter.check_finished(
      home, make_result({make_attempt(Outcome::passed, "200 OK", "", 500ms, milliseconds(123))}));

  Result stubborn_result = make_result(
      {make_attempt(Outcome::error, "connection refused", "", 1100ms, 100ms),
       make_attempt(Outcome::failed, "expected 5120 rows, got 5118", "first try", 1500ms, 1000ms),
       make_attempt(Outcome::failed, "expected 5120 rows, got 5119", "", 3000ms, 1100ms)});
  stubborn_result.measurements = {{"rows", 5119, "rows"}};
  reporter.check_finished(stubborn, stubborn_result);

  Result rows_result = make_result({make_attempt(Outcome::passed, "markup <script>&\"' kept",
                                                 "a ]]> b" + long_details, 1000ms, 500ms)});
  rows_result.measurements = {{"rows", 1204, "rows"}, {"ratio", 0.5, ""}};
  reporter.check_finished(rows, rows_result);
  // A second "rows" cannot come from a suite file, but a plan built in C++ could hold one.
  reporter.check_finished(rows,
                          make_result({make_attempt(Outcome::passed, "again", "", 1300ms, 10ms)}));

  reporter.check_finished(
      colours, make_result({make_attempt(
                   Outcome::failed, "got \x1b[31mred\x1b[0m\x01 value \xff\xfe \xEF\xBF\xBE",
                   "line\x01 one\nline two ]]> end\x0b\x0c\x1f\x7f", 1200ms, 250ms)}));
  reporter.check_finished(
      flaky,
      make_result({make_attempt(Outcome::failed, "expected 1, got 0", "cold cache", 1000ms, 400ms),
                   make_attempt(Outcome::error, "timed out", "", 1500ms, 200ms),
                   make_attempt(Outcome::passed, "1 row", "", 2000ms, 200ms)}));

  reporter.check_started(port);
  reporter.check_finished(reindex, make_skipped("needs 'stubborn', which failed"));
  Result port_result =
      make_result({make_attempt(Outcome::error, "timed out after 10s", "", 5000ms, 10000ms)});
  port_result.interrupted = true;
  reporter.check_finished(port, port_result);

  reporter.run_finished(make_info(), make_summary());
}

std::string attribute(const XMLElement* element, const char* name) {
  if (element == nullptr) {
    return "<no element>";
  }
  const char* value = element->Attribute(name);
  return value != nullptr ? value : "<no attribute>";
}

std::string text(const XMLElement* element) {
  if (element == nullptr) {
    return "<no element>";
  }
  return element->GetText() != nullptr ? element->GetText() : "";
}

std::vector<const XMLElement*> children(const XMLElement* parent, const char* name = nullptr) {
  std::vector<const XMLElement*> found;
  for (const XMLElement* child = parent->FirstChildElement(name); child != nullptr;
       child = child->NextSiblingElement(name)) {
    found.push_back(child);
  }
  return found;
}

std::vector<std::string> child_names(const XMLElement* parent) {
  std::vector<std::string> names;
  for (const XMLElement* child : children(parent)) {
    names.push_back(child->Name());
  }
  return names;
}

const XMLElement* testcase(const XMLElement* testsuite, std::string_view name) {
  for (const XMLElement* child : children(testsuite, "testcase")) {
    if (attribute(child, "name") == name) {
      return child;
    }
  }
  return nullptr;
}

class JunitReporterTest : public ::testing::Test {
 protected:
  void write(const std::string& long_details = "") {
    JunitReporter reporter(path_);
    feed(reporter, long_details);
    ASSERT_EQ(document_.LoadFile(path_.c_str()), tinyxml2::XML_SUCCESS) << document_.ErrorStr();
    root_ = document_.FirstChildElement("testsuites");
    ASSERT_NE(root_, nullptr);
    suites_ = children(root_, "testsuite");
    ASSERT_EQ(suites_.size(), 3u);
    EXPECT_EQ(test::junit_schema_errors(path_), "");
  }

  loopback::TempDir folder_;
  std::filesystem::path path_ = folder_.path() / "out" / "reports" / "junit.xml";
  tinyxml2::XMLDocument document_;
  const XMLElement* root_ = nullptr;
  std::vector<const XMLElement*> suites_;
};

// write() checks every report against the schemas; this test names that check.
TEST_F(JunitReporterTest, ValidatesAgainstTheJenkinsSchema) {
  write();
  EXPECT_EQ(test::junit_schema_errors(path_), "");
}

TEST_F(JunitReporterTest, CountsAndTimesEverySuite) {
  write();
  EXPECT_EQ(attribute(root_, "name"), "cutover");
  EXPECT_EQ(attribute(root_, "tests"), "8");
  EXPECT_EQ(attribute(root_, "failures"), "2");
  EXPECT_EQ(attribute(root_, "errors"), "1");
  EXPECT_EQ(attribute(root_, "time"), "12.346");
  // The Jenkins xUnit plugin rejects a file whose <testsuites> has `skipped` (README, JUnit XML).
  EXPECT_EQ(root_->Attribute("skipped"), nullptr);

  // Suites in RunInfo order, phases in run order, whatever order checks finished in.
  const XMLElement* pre = suites_[0];
  EXPECT_EQ(attribute(pre, "name"), "db.pre");
  EXPECT_EQ(attribute(pre, "tests"), "5");
  EXPECT_EQ(attribute(pre, "failures"), "2");
  EXPECT_EQ(attribute(pre, "errors"), "0");
  EXPECT_EQ(attribute(pre, "skipped"), "0");
  EXPECT_EQ(attribute(pre, "time"), "3.100");  // from the first start to the last end
  EXPECT_EQ(attribute(pre, "timestamp"), "2026-11-25T22:01:03");
  EXPECT_EQ(attribute(pre, "hostname"), "ci-runner-7");
  EXPECT_EQ(attribute(pre, "file"), "suites/db.yaml");

  const XMLElement* post = suites_[1];
  EXPECT_EQ(attribute(post, "name"), "db.post");
  EXPECT_EQ(attribute(post, "tests"), "2");
  EXPECT_EQ(attribute(post, "failures"), "0");
  EXPECT_EQ(attribute(post, "errors"), "1");
  EXPECT_EQ(attribute(post, "skipped"), "1");
  EXPECT_EQ(attribute(post, "time"), "10.000");
  EXPECT_EQ(attribute(post, "timestamp"), "2026-11-25T22:01:07");

  const XMLElement* web = suites_[2];
  EXPECT_EQ(attribute(web, "name"), "web.pre");
  EXPECT_EQ(attribute(web, "tests"), "1");
  EXPECT_EQ(attribute(web, "time"), "0.123");
  EXPECT_EQ(attribute(web, "timestamp"), "2026-11-25T22:01:02");
  EXPECT_EQ(attribute(web, "file"), "suites/web.yaml");
}

TEST_F(JunitReporterTest, ListsTestcasesInStartOrderWithUniqueNames) {
  write();
  std::vector<std::string> names;
  for (const XMLElement* suite : suites_) {
    for (const XMLElement* test : children(suite, "testcase")) {
      EXPECT_EQ(attribute(test, "classname"), attribute(suite, "name"));
      names.push_back(attribute(test, "classname") + "/" + attribute(test, "name"));
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"db.pre/rows", "db.pre/rows (2)", "db.pre/colours",
                                             "db.pre/flaky", "db.pre/stubborn", "db.post/port",
                                             "db.post/reindex", "web.pre/home"}));
  EXPECT_EQ(attribute(testcase(suites_[0], "rows"), "time"), "0.500");
  EXPECT_EQ(attribute(testcase(suites_[0], "rows (2)"), "time"), "0.010");
  EXPECT_EQ(attribute(testcase(suites_[0], "stubborn"), "time"), "3.000");
  EXPECT_EQ(attribute(testcase(suites_[1], "reindex"), "time"), "0.000");
}

TEST_F(JunitReporterTest, PutsRunMetadataInSuiteProperties) {
  write();
  std::vector<std::string> properties;
  for (const XMLElement* property : children(suites_[0]->FirstChildElement("properties"))) {
    properties.push_back(attribute(property, "name") + "=" + attribute(property, "value"));
  }
  EXPECT_EQ(properties,
            (std::vector<std::string>{"cutover.version=0.1.0", "cutover.hostname=ci-runner-7",
                                      "cutover.phases=pre,post", "cutover.selected_tags=smoke,db",
                                      "cutover.filter=db*", "cutover.shard_index=1",
                                      "cutover.shard_count=3", "cutover.interrupted=false",
                                      "cutover.suite_description=Row counts <before & after>"}));
  EXPECT_EQ(children(suites_[2]->FirstChildElement("properties")).size(), 8u);
  for (const XMLElement* suite : suites_) {
    for (const XMLElement* test : children(suite, "testcase")) {
      EXPECT_EQ(test->FirstChildElement("properties"), nullptr);
    }
  }
}

TEST_F(JunitReporterTest, MapsOutcomesToElements) {
  write();
  const XMLElement* colours = testcase(suites_[0], "colours");
  EXPECT_EQ(child_names(colours), (std::vector<std::string>{"failure", "system-out"}));
  EXPECT_EQ(attribute(colours->FirstChildElement("failure"), "type"), "postgres.rowcount");

  const XMLElement* skipped = testcase(suites_[1], "reindex")->FirstChildElement("skipped");
  EXPECT_EQ(attribute(skipped, "message"), "needs 'stubborn', which failed");
  EXPECT_EQ(text(skipped), "needs 'stubborn', which failed");

  const XMLElement* port = testcase(suites_[1], "port");
  EXPECT_EQ(child_names(port), (std::vector<std::string>{"error"}));
  EXPECT_EQ(attribute(port->FirstChildElement("error"), "message"), "timed out after 10s");
  EXPECT_EQ(attribute(port->FirstChildElement("error"), "type"), "postgres.rowcount");
  EXPECT_EQ(text(port->FirstChildElement("error")), "timed out after 10s");

  // A passing check's message has no element of its own; it leads its system-out.
  const XMLElement* home = testcase(suites_[2], "home");
  EXPECT_EQ(child_names(home), (std::vector<std::string>{"system-out"}));
  EXPECT_EQ(text(home->FirstChildElement("system-out")), "200 OK\n");
}

TEST_F(JunitReporterTest, KeepsEarlierAttemptsAsFlakyOrRerunElements) {
  write();
  const XMLElement* flaky = testcase(suites_[0], "flaky");
  EXPECT_EQ(child_names(flaky),
            (std::vector<std::string>{"flakyFailure", "flakyError", "system-out"}));
  const XMLElement* first = flaky->FirstChildElement("flakyFailure");
  EXPECT_EQ(attribute(first, "message"), "expected 1, got 0");
  EXPECT_EQ(attribute(first, "type"), "postgres.rowcount");
  EXPECT_EQ(text(first->FirstChildElement("stackTrace")), "expected 1, got 0\ncold cache");
  EXPECT_EQ(attribute(flaky->FirstChildElement("flakyError"), "message"), "timed out");

  const XMLElement* stubborn = testcase(suites_[0], "stubborn");
  EXPECT_EQ(child_names(stubborn),
            (std::vector<std::string>{"failure", "rerunError", "rerunFailure", "system-out"}));
  EXPECT_EQ(attribute(stubborn->FirstChildElement("failure"), "message"),
            "expected 5120 rows, got 5119");
  EXPECT_EQ(attribute(stubborn->FirstChildElement("rerunError"), "message"), "connection refused");
  EXPECT_EQ(attribute(stubborn->FirstChildElement("rerunFailure"), "message"),
            "expected 5120 rows, got 5118");
  EXPECT_EQ(text(stubborn->FirstChildElement("system-out")), "rows=5119 rows\n");
}

TEST_F(JunitReporterTest, CleansTextXmlCannotCarry) {
  write();
  const XMLElement* failure = testcase(suites_[0], "colours")->FirstChildElement("failure");
  EXPECT_EQ(attribute(failure, "message"), "got red\\x01 value \xEF\xBF\xBD\xEF\xBF\xBD \\ufffe");
  EXPECT_EQ(text(failure),
            "got red\\x01 value \xEF\xBF\xBD\xEF\xBF\xBD \\ufffe\n"
            "line\\x01 one\nline two ]]> end\\x0b\\x0c\\x1f\x7f");

  const XMLElement* rows = testcase(suites_[0], "rows");
  EXPECT_EQ(text(rows->FirstChildElement("system-out")),
            "markup <script>&\"' kept\na ]]> b\nrows=1204 rows\nratio=0.5\n");
  EXPECT_EQ(
      attribute(suites_[0]->FirstChildElement("properties")->LastChildElement("property"), "value"),
      "Row counts <before & after>");
}

TEST_F(JunitReporterTest, CapsSystemOutKeepingHeadAndTail) {
  write(std::string(100 * 1024, 'x') + "THE END");
  const std::string out = text(testcase(suites_[0], "rows")->FirstChildElement("system-out"));
  EXPECT_LT(out.size(), 64u * 1024 + 100);
  EXPECT_TRUE(out.starts_with("markup <script>&\"' kept\na ]]> bxxx"));
  EXPECT_NE(out.find("bytes cut"), std::string::npos);
  EXPECT_TRUE(out.ends_with("THE END\nrows=1204 rows\nratio=0.5\n"));
}

TEST_F(JunitReporterTest, WritesAtomicallyIntoANewFolder) {
  write();
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(path_.parent_path())) {
    files.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(files, std::vector<std::string>{"junit.xml"});
}

TEST(JunitReporter, ThrowsWhenItCannotWrite) {
  loopback::TempDir folder;
  JunitReporter reporter(folder.path());  // a folder, not a file
  EXPECT_THROW(reporter.run_finished(make_info(), make_summary()), std::runtime_error);
}

TEST(JunitReporter, WritesAnEmptyRunThatStillValidates) {
  loopback::TempDir folder;
  const std::filesystem::path path = folder.path() / "empty.xml";
  for (const ReportFormat& format : builtin_report_formats()) {
    if (format.name != "junit") {
      continue;
    }
    const std::unique_ptr<Reporter> reporter = format.make(path);
    reporter->run_started(make_info());
    reporter->run_finished(make_info(), RunSummary{});
  }
  tinyxml2::XMLDocument document;
  ASSERT_EQ(document.LoadFile(path.c_str()), tinyxml2::XML_SUCCESS);
  EXPECT_EQ(attribute(document.FirstChildElement("testsuites"), "tests"), "0");
  EXPECT_EQ(test::junit_schema_errors(path), "");
}

// The schema the tests hold reports to must itself refuse what JUnit readers refuse.
class JunitSchemaTest : public ::testing::Test {
 protected:
  std::string errors_for(std::string_view testcase_content, std::string_view time = "0.001") {
    const std::filesystem::path path = folder_.path() / "case.xml";
    std::ofstream(path) << "<?xml version=\"1.0\"?>\n<testsuites name=\"cutover\" tests=\"1\" "
                           "failures=\"0\" errors=\"0\" time=\"1.000\"><testsuite name=\"s\" "
                           "tests=\"1\" failures=\"0\" errors=\"0\" time=\"1.000\" "
                           "timestamp=\"2026-11-25T22:01:02\"><properties><property name=\"a\" "
                           "value=\"b\"/></properties><testcase name=\"c\" time=\""
                        << time << "\">" << testcase_content
                        << "</testcase></testsuite></testsuites>\n";
    return test::junit_schema_errors(path);
  }

  loopback::TempDir folder_;
};

TEST_F(JunitSchemaTest, AcceptsAFlakyCaseWithOutput) {
  EXPECT_EQ(errors_for("<flakyFailure message=\"m\" type=\"tcp\"><stackTrace>t</stackTrace>"
                       "</flakyFailure><system-out>o</system-out>"),
            "");
}

TEST_F(JunitSchemaTest, RejectsATimeWithFourDecimals) {
  EXPECT_NE(errors_for("", "0.0001").find("pattern"), std::string::npos);
}

TEST_F(JunitSchemaTest, RejectsPropertiesInsideATestcase) {
  EXPECT_NE(errors_for("<properties><property name=\"a\" value=\"b\"/></properties>")
                .find("'properties': This element is not expected"),
            std::string::npos);
}

TEST_F(JunitSchemaTest, RejectsARerunWithoutItsType) {
  EXPECT_NE(errors_for("<rerunFailure message=\"m\"/>").find("'type' is required"),
            std::string::npos);
}

}  // namespace
}  // namespace cutover
