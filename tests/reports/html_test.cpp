#include "reports/html.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "loopback/process.hpp"
#include "loopback/temp_dir.hpp"
#include "tests/reports/chromium.hpp"

namespace cutover {
namespace {

using namespace std::chrono;

const system_clock::time_point kStart =
    sys_days{year{2026} / 11 / 25} + hours{22} + minutes{1} + seconds{2} + milliseconds{123};

constexpr std::string_view kHostile = "</pre><script>alert(1)</script><img src=x onerror=alert(2)>";

PlannedCheck make_check(std::string suite, std::string phase, std::string name, std::string kind,
                        std::vector<std::string> tags = {}) {
  PlannedCheck check;
  check.suite = std::move(suite);
  check.phase = std::move(phase);
  check.name = std::move(name);
  check.kind = std::move(kind);
  check.tags = std::move(tags);
  return check;
}

Attempt make_attempt(Outcome outcome, std::string message, Duration started, Duration duration) {
  return {outcome, std::move(message), "", kStart + started, duration};
}

Result make_result(std::vector<Attempt> attempts) {
  Result result;
  const Attempt& last = attempts.back();
  result.outcome = last.outcome;
  result.message = last.message;
  result.started = attempts.front().started;
  result.duration = duration_cast<Duration>(last.started + last.duration - result.started);
  result.attempts = std::move(attempts);
  return result;
}

Result skipped(std::string message) {
  Result result;
  result.message = std::move(message);
  return result;
}

RunInfo make_info(std::vector<std::string> phases) {
  RunInfo info;
  info.tool_version = "0.1.0";
  info.hostname = "ci-runner-7";
  info.started = kStart;
  info.suites = {{"db", "Row counts", "suites/db.yaml"}, {"web", "", "suites/web.yaml"}};
  info.phases = std::move(phases);
  info.selected_tags = {"smoke"};
  info.shard_count = 1;
  return info;
}

RunSummary summarize(const std::vector<Result>& results) {
  RunSummary summary;
  for (const Result& result : results) {
    ++summary.counts[result.outcome];
    if (result.flaky()) ++summary.flaky;
  }
  summary.duration = seconds(3);
  return summary;
}

// A run with every outcome, a flaky check, a skip, data-check details, measurements and a
// hostile message, over phases pre and post.
std::string write_sample(const std::filesystem::path& path,
                         std::vector<std::string> phases = {"pre", "post"}) {
  HtmlReporter reporter(path);
  std::vector<std::pair<PlannedCheck, Result>> run;

  run.emplace_back(make_check("web", "pre", "api port open", "tcp", {"network"}),
                   make_result({make_attempt(Outcome::passed, "connected", 0ms, 2ms)}));
  run.emplace_back(make_check("db", "pre", "db reachable", "postgres.connect", {"db"}),
                   make_result({make_attempt(Outcome::failed, std::string(kHostile), 5ms, 40ms)}));
  run.back().second.details = std::string(kHostile) + " & \"quoted\" 'single'";
  run.emplace_back(
      make_check("web", "pre", "dns moved", "dns", {"network"}),
      make_result({make_attempt(Outcome::failed, "expected 10.0.0.2, got 10.0.0.1", 10ms, 30ms)}));
  PlannedCheck counts = make_check("db", "pre", "counts", "postgres.row_count", {"db"});
  counts.needs = {"db reachable"};
  run.emplace_back(std::move(counts), skipped("needs 'db reachable', which did not pass (failed)"));
  run.emplace_back(make_check("db", "pre", "schema", "postgres.schema", {"db", "slow"}),
                   make_result({make_attempt(Outcome::error, "timed out after 2s", 50ms, 2s)}));
  Result flaky = make_result({make_attempt(Outcome::failed, "expected 1, got 0", 100ms, 400ms),
                              make_attempt(Outcome::passed, "1 row", 600ms, 200ms)});
  flaky.attempts.front().details = "cold cache";
  run.emplace_back(make_check("db", "pre", "flaky one", "postgres.query", {"db"}), flaky);
  if (phases.size() > 1) {
    Result rows = make_result({make_attempt(Outcome::failed, "2 tables differ", 1s, 1500ms)});
    rows.details =
        "table           source  target\npublic.orders        3       2\npublic.users        10"
        "       9\n";
    rows.measurements = {{"differing_tables", 2, ""}, {"latency_ms", 12.5, "ms"}};
    run.emplace_back(make_check("db", "post", "rows", "postgres.row_count", {"db"}), rows);
    run.emplace_back(make_check("web", "post", "home", "http", {"smoke"}),
                     make_result({make_attempt(Outcome::passed, "200 OK", 2s, 100ms)}));
  }
  RunInfo info = make_info(std::move(phases));
  info.selected_checks = run.size();
  reporter.run_started(info);
  std::vector<Result> results;
  for (const auto& [check, result] : run) {
    if (result.outcome != Outcome::skipped) reporter.check_started(check);
  }
  for (const auto& [check, result] : run) {
    reporter.check_finished(check, result);
    results.push_back(result);
  }
  reporter.run_finished(info, summarize(results));
  return loopback::read_file(path);
}

std::size_t count_of(std::string_view text, std::string_view part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string_view::npos;
       at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

// A check's row: its opening tag and the markup up to the next row or the table's end.
struct Row {
  std::string tag;
  std::string body;
};

// The row whose name link reads `name`.
Row row_of(const std::string& html, const std::string& name) {
  const std::size_t name_at = html.find("\">" + name + "</a><br>");
  if (name_at == std::string::npos) return {};
  const std::size_t start = html.rfind("<tr id=\"c", name_at);
  const std::size_t tag_end = html.find('>', start);
  const std::size_t end =
      std::min(html.find("<tr id=\"c", name_at), html.find("</tbody>", name_at));
  return {html.substr(start, tag_end + 1 - start), html.substr(tag_end + 1, end - tag_end - 1)};
}

std::string id_of(const Row& row) {
  const std::size_t start = row.tag.find("id=\"") + 4;
  return row.tag.substr(start, row.tag.find('"', start) - start);
}

TEST(HtmlReporter, HeaderShowsVerdictCountsPhasesAndRun) {
  loopback::TempDir folder;
  const std::string html = write_sample(folder.path() / "report.html");

  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
  EXPECT_NE(html.find("<h1 class=\"verdict\" id=\"verdict\">FAILED</h1>"), std::string::npos);
  EXPECT_NE(html.find("<title>FAILED · cutover · db, web</title>"), std::string::npos);
  EXPECT_NE(html.find("<b id=\"count-passed\">3</b>"), std::string::npos);
  EXPECT_NE(html.find("<b id=\"count-failed\">3</b>"), std::string::npos);
  EXPECT_NE(html.find("<b id=\"count-error\">1</b>"), std::string::npos);
  EXPECT_NE(html.find("<b id=\"count-skipped\">1</b>"), std::string::npos);
  EXPECT_NE(html.find("<b id=\"count-flaky\">1</b>"), std::string::npos);
  EXPECT_NE(html.find("<b id=\"count-total\">8</b>"), std::string::npos);
  EXPECT_NE(html.find("5 of 8 checks did not pass"), std::string::npos);
  // A bar per phase, with the counts in words for readers without styles.
  EXPECT_NE(html.find("<tr><th><a href=\"#phase-pre\">pre</a></th><td><div class=\"pb\">"
                      "<span class=\"failed\" style=\"width:33.33%\" title=\"2 failed\"></span>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>2 failed, 1 error, 1 skipped, 2 passed (1 flaky)</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td>1 failed, 1 passed</td>"), std::string::npos);
  EXPECT_NE(html.find("<time datetime=\"2026-11-25T22:01:02.123Z\">2026-11-25 22:01:02 UTC</time>"),
            std::string::npos);
  EXPECT_NE(html.find("<dt>Duration</dt><dd>3 s</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>Suites</dt><dd>db, web</dd><dt>Host</dt><dd>ci-runner-7</dd>"),
            std::string::npos);
  EXPECT_NE(html.find("<dt>Phases run</dt><dd>pre, post</dd><dt>Selected phases</dt><dd>all</dd>"
                      "<dt>Selected tags</dt><dd>smoke</dd><dt>Filter</dt><dd>none</dd>"
                      "<dt>Shard</dt><dd>1 of 1</dd><dt>Tool</dt><dd>cutover 0.1.0</dd>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr><td>db</td><td>suites/db.yaml</td><td>Row counts</td></tr>"),
            std::string::npos);
}

TEST(HtmlReporter, VerdictIsReadyOrNotReadyForAPreCutoverGate) {
  loopback::TempDir folder;
  EXPECT_NE(write_sample(folder.path() / "a.html", {"pre"}).find(">NOT READY</h1>"),
            std::string::npos);

  HtmlReporter reporter(folder.path() / "b.html");
  const PlannedCheck check = make_check("web", "pre-cutover", "up", "tcp");
  const Result result = make_result({make_attempt(Outcome::passed, "ok", 0ms, 1ms)});
  RunInfo info = make_info({"pre-cutover"});
  reporter.run_started(info);
  reporter.check_started(check);
  reporter.check_finished(check, result);
  RunSummary summary = summarize({result});
  reporter.run_finished(info, summary);
  EXPECT_NE(loopback::read_file(folder.path() / "b.html").find(">READY</h1>"), std::string::npos);

  // Not a gate once any other phase runs; an interrupted run never passes.
  HtmlReporter post(folder.path() / "c.html");
  info.phases = {"pre", "post"};
  post.run_finished(info, summary);
  EXPECT_NE(loopback::read_file(folder.path() / "c.html").find(">PASSED</h1>"), std::string::npos);
  HtmlReporter interrupted(folder.path() / "d.html");
  summary.interrupted = true;
  interrupted.run_finished(info, summary);
  const std::string html = loopback::read_file(folder.path() / "d.html");
  EXPECT_NE(html.find(">FAILED</h1>"), std::string::npos);
  EXPECT_NE(html.find("; the run was interrupted"), std::string::npos);
}

TEST(HtmlReporter, RowsPutFailuresFirstAndOpenWithEvidence) {
  loopback::TempDir folder;
  const std::string html = write_sample(folder.path() / "report.html");

  // Phase sections in run order; failed and error first, then skipped, then passed.
  const std::size_t pre = html.find("<section class=\"phase\" id=\"phase-pre\" data-p=\"pre\">");
  const std::size_t post = html.find("<section class=\"phase\" id=\"phase-post\" data-p=\"post\">");
  ASSERT_NE(pre, std::string::npos);
  ASSERT_LT(pre, post);
  const std::vector<std::string> pre_order = {"db reachable", "schema",    "dns moved",
                                              "counts",       "flaky one", "api port open"};
  for (std::size_t i = 0; i < pre_order.size(); ++i) {
    EXPECT_EQ(id_of(row_of(html, pre_order[i])), fmt::format("c{}", i + 1)) << pre_order[i];
  }
  EXPECT_EQ(id_of(row_of(html, "rows")), "c7");
  EXPECT_GT(html.find("<tr id=\"c7\""), post);

  const Row failed = row_of(html, "rows");
  EXPECT_EQ(failed.tag, "<tr id=\"c7\" class=\"failed\" data-d=\"1500000\">");
  EXPECT_TRUE(failed.body.starts_with(
      "<td class=\"s\">FAIL<td class=\"n\"><a href=\"#c7\">rows</a><br><small>db</small> "
      "<span class=\"tg\">db</span><td class=\"k\">postgres.row_count<td class=\"d\">"
      "<span class=\"tl\"><i style=\"left:33.3%;width:50.0%\"></i></span>1.5 s"
      "<td class=\"m\"><details open><summary>2 tables differ</summary>"))
      << failed.body;
  EXPECT_NE(failed.body.find("<pre>table           source  target\npublic.orders        3       "
                             "2\npublic.users        10       9\n</pre>"),
            std::string::npos);
  EXPECT_NE(failed.body.find("<table class=\"ms\"><tr><th>differing_tables<td>2"
                             "<tr><th>latency<td>12.5 ms</table>"),
            std::string::npos);

  // Passed checks are collapsed; a flaky one says so and lists every attempt.
  const Row flaky = row_of(html, "flaky one");
  EXPECT_EQ(flaky.tag, "<tr id=\"c5\" class=\"passed\" data-d=\"700000\" data-f>");
  EXPECT_TRUE(flaky.body.starts_with("<td class=\"s\">PASS <small class=\"fl\">flaky</small>"));
  EXPECT_NE(flaky.body.find("700 ms <small>2 attempts</small>"), std::string::npos);
  EXPECT_NE(flaky.body.find("<details><summary>1 row</summary>"), std::string::npos);
  EXPECT_NE(flaky.body.find("<tr><td>1<td>failed<td>2026-11-25T22:01:02.223Z<td>400 ms"
                            "<td>expected 1, got 0<pre>cold cache</pre>"
                            "<tr><td>2<td>passed<td>2026-11-25T22:01:02.723Z<td>200 ms"
                            "<td>1 row</table>"),
            std::string::npos);

  // A skipped check links to the check that blocked it, in its message and its needs.
  const Row skip = row_of(html, "counts");
  EXPECT_NE(skip.body.find("<td class=\"d\"><td class=\"m\"><details open><summary>needs "
                           "&#39;<a href=\"#c1\">db reachable</a>&#39;, which did not pass "
                           "(failed)</summary>"),
            std::string::npos)
      << skip.body;
  EXPECT_NE(skip.body.find("<dt>Needs<dd><a href=\"#c1\">db reachable</a>"), std::string::npos);

  // Filters offer every phase, tag and kind; hidden until the script shows them.
  EXPECT_NE(html.find("<form id=\"controls\" hidden>"), std::string::npos);
  EXPECT_NE(html.find("<select name=\"t\"><option value=\"\">all</option><option>db</option>"
                      "<option>network</option><option>slow</option><option>smoke</option>"
                      "</select>"),
            std::string::npos);
}

// The section under the verdict that lists what did not pass, from `html`.
std::string attention_of(const std::string& html) {
  const std::size_t start = html.find("<section id=\"attention\">");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

// Under the verdict, before the environment and the phases: every check that did not pass,
// failed and error first, then skipped, each with its phase and message and a link to its row.
TEST(HtmlReporter, WhatNeedsAttentionListsEveryCheckThatDidNotPass) {
  loopback::TempDir folder;
  const std::string html = write_sample(folder.path() / "report.html");

  const std::string attention = attention_of(html);
  ASSERT_FALSE(attention.empty()) << html;
  EXPECT_GT(html.find("<section id=\"attention\">"), html.find("id=\"verdict\""));
  EXPECT_LT(html.find("<section id=\"attention\">"), html.find("<details class=\"env\">"));
  EXPECT_NE(attention.find("<h2>What needs attention <small>5 of 8 checks did not pass</small>"),
            std::string::npos)
      << attention;
  std::vector<std::string> links;
  const std::regex name_link(R"re(<td class="n"><a href="(#c\d+)">)re");
  for (auto it = std::sregex_iterator(attention.begin(), attention.end(), name_link);
       it != std::sregex_iterator(); ++it) {
    links.push_back((*it)[1].str());
  }
  EXPECT_EQ(links, (std::vector<std::string>{"#c1", "#c2", "#c3", "#c7", "#c4"}));
  EXPECT_NE(attention.find("<tr class=\"error\"><td class=\"s\">ERROR<td class=\"n\"><a "
                           "href=\"#c2\">schema</a><td class=\"p\">pre<td class=\"m\">timed out "
                           "after 2s"),
            std::string::npos)
      << attention;
  EXPECT_NE(attention.find("<tr class=\"failed\"><td class=\"s\">FAIL<td class=\"n\"><a "
                           "href=\"#c7\">rows</a><td class=\"p\">post<td class=\"m\">2 tables "
                           "differ"),
            std::string::npos);
  EXPECT_NE(attention.find("<tr class=\"skipped\"><td class=\"s\">SKIP<td class=\"n\"><a "
                           "href=\"#c4\">counts</a><td class=\"p\">pre<td class=\"m\">needs "
                           "&#39;<a href=\"#c1\">db reachable</a>&#39;, which did not pass"),
            std::string::npos);
  EXPECT_NE(attention.find("&lt;/pre&gt;&lt;script&gt;"), std::string::npos);  // escaped

  // A run where everything passed has nothing to list.
  HtmlReporter reporter(folder.path() / "passed.html");
  const PlannedCheck check = make_check("web", "post", "up", "tcp");
  const Result result = make_result({make_attempt(Outcome::passed, "ok", 0ms, 1ms)});
  RunInfo info = make_info({"post"});
  reporter.run_started(info);
  reporter.check_finished(check, result);
  reporter.run_finished(info, summarize({result}));
  EXPECT_EQ(attention_of(loopback::read_file(folder.path() / "passed.html")), "");
}

// Measured values and durations as people read them: 3 significant digits, each unit once.
TEST(HtmlReporter, NumbersAreRoundedAndUnitsAppearOnce) {
  loopback::TempDir folder;
  HtmlReporter reporter(folder.path() / "report.html");
  const PlannedCheck check = make_check("db", "post", "counted", "postgres.row_count");
  Result result =
      make_result({make_attempt(Outcome::failed, "off by one", 0ms, microseconds(21'325))});
  result.measurements = {{"latency_ms", 21.325743, "ms"},
                         {"rows", 5, "rows"},
                         {"rows_source", 5000, "rows"},
                         {"ratio", 0.0123456, ""}};
  RunInfo info = make_info({"post"});
  reporter.run_started(info);
  reporter.check_finished(check, result);
  reporter.run_finished(info, summarize({result}));
  const std::string html = loopback::read_file(folder.path() / "report.html");
  EXPECT_NE(html.find("<table class=\"ms\"><tr><th>latency<td>21.3 ms<tr><th>rows<td>5"
                      "<tr><th>rows_source<td>5000 rows<tr><th>ratio<td>0.0123</table>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("</i></span>21.3 ms<td class=\"m\">"), std::string::npos);
  EXPECT_EQ(html.find("21.325"), std::string::npos);
}

TEST(HtmlReporter, EscapesEveryTextAndLoadsNothing) {
  loopback::TempDir folder;
  const std::string html = write_sample(folder.path() / "report.html");

  EXPECT_EQ(count_of(html, "<script"), 1u);
  EXPECT_EQ(count_of(html, "<img"), 0u);
  EXPECT_EQ(count_of(html, "alert(1)</script>"), 0u);
  const std::string escaped =
      "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;";
  // The message in its row and in the list under the verdict, and the details.
  EXPECT_EQ(count_of(html, escaped), 3u);
  EXPECT_NE(html.find(escaped + " &amp; &quot;quoted&quot; &#39;single&#39;</pre>"),
            std::string::npos);

  EXPECT_NE(html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                      "'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src "
                      "data:\">"),
            std::string::npos);
  EXPECT_EQ(count_of(html, "src=\""), 0u);
  EXPECT_EQ(count_of(html, "url("), 0u);
  EXPECT_EQ(count_of(html, "<link"), 0u);
  const std::regex link(R"(href="([^"]*)\")");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), link); it != std::sregex_iterator();
       ++it) {
    EXPECT_TRUE((*it)[1].str().starts_with("#")) << (*it)[1].str();
  }
}

TEST(HtmlReporter, CleansControlBytesAndInvalidUtf8) {
  loopback::TempDir folder;
  HtmlReporter reporter(folder.path() / "report.html");
  const PlannedCheck check = make_check("web", "pre", "odd", "tcp");
  Result result =
      make_result({make_attempt(Outcome::failed, "got \x1b[31mred\x1b[0m \xff\x01!", 0ms, 1ms)});
  RunInfo info = make_info({"pre"});
  reporter.run_started(info);
  reporter.check_finished(check, result);
  reporter.run_finished(info, summarize({result}));
  EXPECT_NE(loopback::read_file(folder.path() / "report.html")
                .find("<summary>got red \xEF\xBF\xBD\xEF\xBF\xBD!</summary>"),
            std::string::npos);
}

TEST(HtmlReporter, TenThousandChecksStayUnderTenMegabytes) {
  loopback::TempDir folder;
  const std::filesystem::path path = folder.path() / "report.html";
  HtmlReporter reporter(path);
  RunInfo info = make_info({"pre", "sync", "post"});
  info.selected_checks = 10'000;
  reporter.run_started(info);
  std::vector<Result> results;
  for (int i = 0; i < 10'000; ++i) {
    PlannedCheck check =
        make_check(i % 2 ? "db" : "web", info.phases[i % 3], fmt::format("check number {:05}", i),
                   i % 2 ? "postgres.row_count" : "http", {"smoke", i % 7 ? "fast" : "slow"});
    check.location = {"suites/big.yaml", i + 10, 5};
    check.description = "every row of the table is on the target";
    const Outcome outcome = i % 50 == 0 ? Outcome::failed : Outcome::passed;
    Result result = make_result({make_attempt(
        outcome,
        fmt::format("expected status 200, got 200 from 10.0.{}.{}:443 in 12.3ms", i / 256, i % 256),
        milliseconds(i), milliseconds(3))});
    result.measurements = {{"latency_ms", 12.3, "ms"}, {"status", 200, ""}};
    if (outcome == Outcome::failed) {
      result.details = std::string(2'000, 'x');
    }
    reporter.check_started(check);
    reporter.check_finished(check, result);
    results.push_back(std::move(result));
  }
  reporter.run_finished(info, summarize(results));

  const std::string html = loopback::read_file(path);
  EXPECT_EQ(count_of(html, "<tr id=\"c"), 10'000u);
  // 200 failed: the list under the verdict shows the first 100 and says how many more.
  const std::string attention = attention_of(html);
  EXPECT_EQ(count_of(attention, "<td class=\"n\">"), 100u);
  EXPECT_NE(attention.find("and 100 more"), std::string::npos) << attention.substr(0, 400);
  EXPECT_LT(html.size(), std::size_t{10} << 20);
  std::cout << "10,000 checks: " << html.size() << " bytes\n";
}

using test::find_chromium;
using test::run_chromium;

// The rendered page, as headless Chromium leaves it after the script ran on a fragment state:
// failed checks only, searched for `tag:db -kind:dns`.
TEST(HtmlReporterInBrowser, RendersFiltersAndKeepsHostileTextAsText) {
  const std::string chromium = find_chromium();
  ASSERT_FALSE(chromium.empty()) << "chromium not found on PATH; run scripts/setup.sh";
  loopback::TempDir folder;
  const std::filesystem::path path = folder.path() / "report.html";
  write_sample(path);
  loopback::TempDir profile;

  const loopback::ProcessResult dump = run_chromium(
      chromium, profile, {"--dump-dom", "file://" + path.string() + "#o=failed&q=tag%3Adb"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  const std::string& dom = dump.out;

  // The script ran: the controls show, the fragment's state is in them and counts follow it.
  EXPECT_NE(dom.find("<form id=\"controls\"><fieldset>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("<input type=\"checkbox\" name=\"o\" value=\"failed\">"), std::string::npos);
  EXPECT_NE(dom.find("<output id=\"shown\">2 of 8 checks shown</output>"), std::string::npos);
  EXPECT_NE(dom.find("<span data-c=\"failed\">2</span>"), std::string::npos);
  EXPECT_NE(dom.find("<span data-c=\"passed\">1</span>"), std::string::npos);
  EXPECT_NE(dom.find("data-shown=\"2\""), std::string::npos);

  // Header counts are the run's, whatever the filter.
  EXPECT_NE(dom.find("<b id=\"count-passed\">3</b>"), std::string::npos);
  EXPECT_NE(dom.find("<b id=\"count-failed\">3</b>"), std::string::npos);
  EXPECT_NE(dom.find("<b id=\"count-error\">1</b>"), std::string::npos);
  EXPECT_NE(dom.find("<b id=\"count-skipped\">1</b>"), std::string::npos);
  EXPECT_NE(dom.find("<b id=\"count-flaky\">1</b>"), std::string::npos);
  EXPECT_NE(dom.find("<b id=\"count-total\">8</b>"), std::string::npos);

  // outcome=failed hides passed (and other) rows; tag:db narrows the failed ones.
  for (const std::string name : {"db reachable", "rows"}) {
    const Row row = row_of(dom, name);
    ASSERT_FALSE(row.tag.empty()) << name;
    EXPECT_EQ(row.tag.find("hidden"), std::string::npos) << row.tag;
  }
  for (const std::string name :
       {"dns moved", "api port open", "flaky one", "home", "schema", "counts"}) {
    const Row row = row_of(dom, name);
    ASSERT_FALSE(row.tag.empty()) << name;
    EXPECT_NE(row.tag.find(" hidden=\"\""), std::string::npos) << row.tag;
  }

  // The hostile body stayed text; nothing refers to anything outside the page.
  EXPECT_EQ(count_of(dom, "<script"), 1u);
  EXPECT_EQ(count_of(dom, "<img"), 0u);
  EXPECT_NE(dom.find("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  const std::regex reference(R"((src|href|action|srcset|poster|data)=\"([^"]*)\")");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), reference);
       it != std::sregex_iterator(); ++it) {
    EXPECT_TRUE((*it)[2].str().starts_with("#")) << (*it)[0].str();
  }
  EXPECT_EQ(count_of(dom, "url("), 0u);
  EXPECT_EQ(count_of(dom, "<link"), 0u);

  // A screenshot of the unfiltered page, kept as a CI artifact.
  const std::filesystem::path folder_for_artifacts = test::artifacts_folder();
  const std::filesystem::path screenshot = folder_for_artifacts / "html-report.png";
  std::filesystem::remove(screenshot);
  const loopback::ProcessResult shot =
      run_chromium(chromium, profile,
                   {"--screenshot=" + screenshot.string(), "--window-size=1280,2000",
                    "--hide-scrollbars", "file://" + path.string()});
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  EXPECT_TRUE(loopback::read_file(screenshot).starts_with("\x89PNG"));
  std::cout << "screenshot: " << screenshot.string() << "\n";
}

// The status cell's colour says the outcome: FAIL and ERROR in two different colours, PASS in
// another, both in the phase tables and in the list under the verdict.
TEST(HtmlReporterInBrowser, StatusCellsAreColouredByOutcome) {
  const std::string chromium = find_chromium();
  ASSERT_FALSE(chromium.empty()) << "chromium not found on PATH; run scripts/setup.sh";
  loopback::TempDir folder;
  const std::filesystem::path path = folder.path() / "report.html";
  write_sample(path);
  loopback::TempDir profile;

  const nlohmann::json colours = test::probe_page(chromium, profile, path, R"js((()=>{
    const colour=s=>{const e=document.querySelector(s);return e?getComputedStyle(e).color:'missing';};
    const out={text:getComputedStyle(document.body).color};
    for(const o of ['failed','error','skipped','passed']){
      out[o]=colour('table.checks tr.'+o+' td.s');out['attention-'+o]=colour('#attention tr.'+o+' td.s');}
    return out;})())js",
                                                  1400, 900);
  EXPECT_EQ(colours["failed"], "rgb(207, 34, 46)") << colours.dump();
  EXPECT_EQ(colours["error"], "rgb(188, 76, 0)") << colours.dump();
  EXPECT_EQ(colours["passed"], "rgb(26, 127, 55)") << colours.dump();
  EXPECT_EQ(colours["skipped"], "rgb(110, 119, 129)") << colours.dump();
  EXPECT_NE(colours["failed"], colours["text"]);
  for (const std::string outcome : {"failed", "error", "skipped"}) {
    EXPECT_EQ(colours["attention-" + outcome], colours[outcome]) << colours.dump();
  }
}

}  // namespace
}  // namespace cutover
