// The HTML report of `cutover demo --break`, as a release manager opens it: laid out and run by
// headless Chromium. Needs the PostgreSQL server binaries and Chromium (scripts/setup.sh).

#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/reports/chromium.hpp"
#include "tests/support/run_cutover.hpp"

namespace cutover {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// One `cutover demo --break` for the tests of this file: its report.html and results.json.
class BrokenDemoReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    folder_ = new loopback::TempDir();
    const loopback::ProcessResult demo = test::run_cutover(
        {"demo", "--break", "--suites", (fs::path(CUTOVER_SOURCE_DIR) / "suites").string(), "--out",
         (folder_->path() / "reports").string()});
    demo_output_ = new std::string(demo.out + demo.err);
    demo_exit_code_ = demo.exit_code;
  }
  static void TearDownTestSuite() {
    delete folder_;
    delete demo_output_;
  }
  void SetUp() override {
    ASSERT_EQ(demo_exit_code_, 1) << *demo_output_;
    chromium_ = test::find_chromium();
    ASSERT_FALSE(chromium_.empty()) << "chromium not found on PATH; run scripts/setup.sh";
  }
  static fs::path report() { return folder_->path() / "reports" / "report.html"; }
  static Json results() {
    return Json::parse(loopback::read_file(folder_->path() / "reports" / "results.json"));
  }

  std::string chromium_;
  loopback::TempDir profile_;

 private:
  static inline loopback::TempDir* folder_ = nullptr;
  static inline std::string* demo_output_ = nullptr;
  static inline int demo_exit_code_ = -1;
};

// Each line of the list under the verdict, with where its cells end on the screen.
constexpr std::string_view kAttentionProbe = R"js((()=>{
  const rows=[...document.querySelectorAll('#attention tbody tr')].map(tr=>{
    const c=tr.cells,a=c[1].querySelector('a'),target=document.querySelector(a.getAttribute('href'));
    return {status:c[0].textContent,name:a.textContent,phase:c[2].textContent,message:c[3].textContent,
      bottom:Math.max(...[...c].map(e=>e.getBoundingClientRect().bottom)),
      row:target?target.querySelector('td.n a').textContent:''};});
  return rows;})())js";

// At 1400×900, without scrolling, the page names every check that did not pass, its phase and
// its message, and links to its row.
TEST_F(BrokenDemoReport, EveryFailureIsAboveTheFoldAt1400By900) {
  const Json page = test::probe_page(chromium_, profile_, report(), kAttentionProbe, 1400, 900);

  std::map<std::string, Json> listed;
  for (const Json& row : page) {
    listed[row["name"].get<std::string>()] = row;
  }
  std::size_t not_passed = 0;
  const Json run = results();
  for (const Json& check : run.at("checks")) {
    if (check.at("outcome") == "passed") continue;
    ++not_passed;
    const std::string name = check.at("name").get<std::string>();
    ASSERT_TRUE(listed.contains(name)) << name << " is not listed: " << page.dump(1);
    const Json& row = listed[name];
    EXPECT_EQ(row["message"], check.at("message")) << name;
    EXPECT_EQ(row["phase"], check.at("phase")) << name;
    EXPECT_EQ(row["status"], check.at("outcome") == "failed" ? "FAIL" : "ERROR") << name;
    EXPECT_EQ(row["row"], name) << "the link leads to the check's row";
    EXPECT_LE(row["bottom"].get<double>(), 900.0) << name << " is below the fold";
  }
  EXPECT_EQ(not_passed, 7u);
  EXPECT_EQ(listed.size(), not_passed);
}

// Words the page broke across two lines in the expanded rows' tables and lists, the list under
// the verdict and the checks' names and kinds: a break at a space or after a hyphen is a line's
// end, any other is a word cut in two. Text in <pre> keeps its own lines.
constexpr std::string_view kBrokenWordsProbe = R"js((()=>{
  const broken=[];
  const cells=document.querySelectorAll(
    'td.m table th, td.m table td, td.m dd, #attention td, table.checks td.n a, table.checks td.k');
  for(const cell of cells){
    const walker=document.createTreeWalker(cell,NodeFilter.SHOW_TEXT);
    for(let node;(node=walker.nextNode());){
      if(node.parentElement.closest('pre'))continue;
      const re=/[^\s-]+/g;let m;
      while((m=re.exec(node.data))){
        const range=document.createRange();range.setStart(node,m.index);range.setEnd(node,m.index+m[0].length);
        const lines=new Set([...range.getClientRects()].map(r=>Math.round(r.top)));
        if(lines.size>1)broken.push(m[0]);}}}
  return broken;})())js";

// Expanded rows keep names and numbers whole ("rows_source", "public.products", timestamps) at
// a wide and a narrow window; a screenshot of each is kept for people to look at.
TEST_F(BrokenDemoReport, ExpandedRowsBreakNoWordAt1400And800) {
  for (const int width : {1400, 800}) {
    const Json page =
        test::probe_page(chromium_, profile_, report(), kBrokenWordsProbe, width, 900);
    EXPECT_EQ(page, Json::array()) << "at " << width << " px: " << page.dump();

    const fs::path screenshot =
        test::artifacts_folder() / ("html-report-demo-break-" + std::to_string(width) + ".png");
    fs::remove(screenshot);
    const loopback::ProcessResult shot = test::run_chromium(
        chromium_, profile_,
        {"--screenshot=" + screenshot.string(), "--window-size=" + std::to_string(width) + ",4000",
         "--hide-scrollbars", "file://" + report().string()});
    ASSERT_EQ(shot.exit_code, 0) << shot.err;
    EXPECT_TRUE(loopback::read_file(screenshot).starts_with("\x89PNG"));
    std::cout << "screenshot: " << screenshot.string() << "\n";
  }
}

}  // namespace
}  // namespace cutover
