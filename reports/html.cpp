#include "reports/html.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "harness/atomic_file.hpp"
#include "harness/diagnostics.hpp"
#include "harness/text.hpp"

namespace cutover {
namespace detail {

// What the page shows of one check; copied at check_finished, as the plan may be gone by
// run_finished.
struct HtmlEntry {
  std::string suite;
  std::string phase;
  std::size_t order = 0;
  std::string name;
  std::string kind;
  std::string description;
  std::string location;
  std::vector<std::string> tags;
  std::vector<std::string> needs;
  Result result;
};

}  // namespace detail

namespace {

using detail::HtmlEntry;

// Styles: light and dark from the system setting, and a clean print. The page stays readable
// without them (a strict CSP blocks inline styles).
constexpr std::string_view kStyle = R"css(
:root{--bg:#fff;--fg:#1f2328;--mute:#59636e;--line:#d1d9e0;--panel:#f6f8fa;--pass:#1a7f37;--fail:#cf222e;--error:#bc4c00;--skip:#6e7781;--flaky:#8250df;--bar:#0969da;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mute:#9198a1;--line:#3d444d;--panel:#151b23;--pass:#3fb950;--fail:#f85149;--error:#db6d28;--skip:#9198a1;--flaky:#a371f7;--bar:#4493f8}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1440px;padding:1rem 1.5rem 3rem;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--bar)}
h2{margin:2rem 0 .5rem;font-size:1.3rem}
h2 small,.mute,td small{color:var(--mute);font-weight:normal}
.verdict{margin:0;font-size:3.2rem;font-weight:800;letter-spacing:.02em;line-height:1.1}
.v-pass .verdict{color:var(--pass)}.v-fail .verdict{color:var(--fail)}
.lede{margin:.2rem 0 1rem;font-size:1.1rem}
.counts{display:flex;flex-wrap:wrap;gap:2rem;list-style:none;margin:0 0 1rem;padding:0}
.counts b{display:block;font-size:1.8rem;line-height:1.1}
.counts .passed b,tr.passed .st{color:var(--pass)}.counts .failed b,tr.failed .st{color:var(--fail)}
.counts .error b,tr.error .st{color:var(--error)}.counts .skipped b,tr.skipped .st{color:var(--skip)}
.counts .flaky b,.fl{color:var(--flaky)}
.top{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 2rem}
@media (max-width:900px){.top{grid-template-columns:1fr}}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dl.meta dt{color:var(--mute)}dl.meta dd{margin:0}
table{border-collapse:collapse;width:100%}
th,td{padding:.3rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--mute)}
.phases th,.phases td{border:0;padding:.15rem .5rem}
.pb{display:flex;width:100%;min-width:8rem;height:.8rem;margin-top:.25rem;background:var(--panel);border-radius:3px;overflow:hidden}
.pb span{display:block;height:100%}
.pb .passed{background:var(--pass)}.pb .failed{background:var(--fail)}.pb .error{background:var(--error)}.pb .skipped{background:var(--skip)}
details.env{margin:1rem 0;padding:.5rem .8rem;background:var(--panel);border-radius:6px}
details.env table{margin:.5rem 0}
#controls{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:1rem 0;padding:.6rem .8rem;background:var(--panel);border:1px solid var(--line);border-radius:6px}
#controls fieldset{border:0;margin:0;padding:0;display:flex;gap:.8rem}
#controls input[type=search]{flex:1;min-width:16rem;padding:.3rem .5rem;font:inherit}
#controls output{color:var(--mute)}
.checks{table-layout:fixed}
.checks th:nth-child(1){width:5.5rem}.checks th:nth-child(2){width:22%}.checks th:nth-child(3){width:11rem}.checks th:nth-child(4){width:9rem}
.checks td.s{font-weight:700;white-space:nowrap}
.checks td.n,.checks td.k{overflow-wrap:anywhere}
.checks td.d{white-space:nowrap;font-variant-numeric:tabular-nums}
.checks td.m{overflow-wrap:anywhere}
.checks th.d{cursor:pointer;white-space:nowrap}
.tg{display:inline-block;margin:0 .25rem 0 0;padding:0 .35rem;border:1px solid var(--line);border-radius:1rem;font-size:.8rem;color:var(--mute)}
.tl{display:block;position:relative;height:5px;margin:.2rem 0;background:var(--panel)}
.tl i{position:absolute;top:0;bottom:0;min-width:2px;background:var(--bar)}
summary{cursor:pointer}
td.m details>div{margin:.4rem 0 .6rem}
td.m table{width:auto;margin:.4rem 0}
td.m dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;margin:.3rem 0}
td.m dt{color:var(--mute)}td.m dd{margin:0}
.ms th{font-weight:normal}
pre{margin:.4rem 0;padding:.5rem .7rem;max-height:32rem;overflow:auto;background:var(--panel);border-radius:4px;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre}
[hidden]{display:none!important}
@media print{#controls,.tl{display:none}body{max-width:none;padding:0;color:#000;background:#fff}tr{break-inside:avoid}pre{max-height:none;white-space:pre-wrap}a{color:inherit;text-decoration:none}}
)css";

// The behaviour: filters, search, sorting by duration and the view's state in location.hash.
// Everything it changes is visible without it: it only hides rows and reorders them.
constexpr std::string_view kScript = R"js(
(()=>{
const $=(s,e)=>(e||document).querySelector(s),$$=(s,e)=>[...(e||document).querySelectorAll(s)];
const form=$('#controls'),q=form.elements.q,outs=$$('input[name=o]',form);
const rows=[];
for(const sec of $$('section.phase'))for(const el of $$('table.checks>tbody>tr',sec)){const c=el.cells;
 rows.push({el,i:rows.length,o:el.className,p:sec.dataset.p,k:c[2].textContent,
  t:[...c[1].getElementsByClassName('tg')].map(e=>e.textContent),f:el.hasAttribute('data-f'),d:+el.dataset.d,
  get s(){return this.text||(this.text=(c[1].textContent+' '+c[2].textContent+' '+(c[4].querySelector('summary')||c[4]).textContent).toLowerCase());}});}
let sort='',sorted='';
const terms=text=>{const out=[],re=/(-?)(?:(phase|tag|kind|is|outcome):)?(?:"([^"]*)"?|(\S+))/gi;let m;
 while((m=re.exec(text))){const v=(m[3]!==undefined?m[3]:m[4]||'').toLowerCase();
  if(v||m[2])out.push({neg:!!m[1],key:(m[2]||'').toLowerCase(),v});}return out;};
const test=(r,x)=>{const v=x.v;switch(x.key){
 case 'phase':return r.p.toLowerCase()===v;
 case 'tag':return r.t.some(t=>t.toLowerCase()===v);
 case 'kind':{const k=r.k.toLowerCase();return k===v||k.startsWith(v+'.');}
 case 'is':case 'outcome':return v==='flaky'?r.f:r.o===v;
 default:return r.s.includes(v);}};
const state=()=>({o:outs.filter(e=>e.checked).map(e=>e.value),p:form.elements.p.value,
 t:form.elements.t.value,k:form.elements.k.value,q:q.value.trim()});
function apply(){
 const st=state(),ts=terms(st.q),counts={passed:0,failed:0,error:0,skipped:0};let shown=0;
 for(const r of rows){
  const match=(!st.p||r.p===st.p)&&(!st.t||r.t.includes(st.t))&&(!st.k||r.k===st.k)&&ts.every(x=>test(r,x)!==x.neg);
  if(match)counts[r.o]++;
  const visible=match&&(!st.o.length||st.o.includes(r.o));
  if(r.el.hidden===visible)r.el.hidden=!visible;if(visible)shown++;}
 for(const o in counts){const c=$('#controls [data-c='+o+']');if(c)c.textContent=counts[o];}
 for(const sec of $$('section.phase')){const n=$$('table.checks>tbody>tr:not([hidden])',sec).length;
  sec.hidden=!n;$('.shown',sec).textContent=n;}
 $('#shown').textContent=shown+' of '+rows.length+' checks shown';
 document.body.dataset.shown=shown;}
function order(){
 if(sort===sorted)return;sorted=sort;
 for(const tb of $$('table.checks>tbody')){
  const rs=rows.filter(r=>r.el.parentNode===tb).sort((a,b)=>sort?b.d-a.d||a.i-b.i:a.i-b.i);
  tb.replaceChildren(...rs.map(r=>r.el));}
 for(const th of $$('table.checks th.d'))th.setAttribute('aria-sort',sort?'descending':'none');}
function save(){
 const st=state(),ps=new URLSearchParams();
 if(st.o.length)ps.set('o',st.o.join(','));
 for(const k of ['p','t','k','q'])if(st[k])ps.set(k,st[k]);
 if(sort)ps.set('s',sort);
 const h=ps.toString();history.replaceState(null,'',h?'#'+h:location.pathname+location.search);}
function load(){
 let h=location.hash.slice(1);try{h=decodeURIComponent(h);}catch(e){}
 const target=h&&document.getElementById(h);
 if(target){target.hidden=false;const sec=target.closest('section');if(sec)sec.hidden=false;
  if(/^c\d+$/.test(h)){const d=target.querySelector('details');if(d)d.open=true;}
  target.scrollIntoView();return;}
 const ps=new URLSearchParams(location.hash.slice(1)),o=(ps.get('o')||'').split(',');
 for(const e of outs)e.checked=o.includes(e.value);
 for(const k of ['p','t','k','q'])form.elements[k].value=ps.get(k)||'';
 sort=ps.get('s')==='d'?'d':'';
 order();apply();}
let timer=0;
form.addEventListener('input',e=>{clearTimeout(timer);
 timer=setTimeout(()=>{apply();save();},e.target===q?120:0);});
form.addEventListener('submit',e=>e.preventDefault());
const toggle=()=>{sort=sort?'':'d';order();save();};
for(const th of $$('table.checks th.d')){th.tabIndex=0;th.addEventListener('click',toggle);
 th.addEventListener('keydown',e=>{if(e.key==='Enter'||e.key===' '){e.preventDefault();toggle();}});}
window.addEventListener('hashchange',load);
const t=$('time[datetime]');
if(t)$('#local').textContent=' ('+new Date(t.dateTime).toLocaleString()+' local)';
form.hidden=false;
apply();load();
})();
)js";

constexpr std::string_view kPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

constexpr std::array<Outcome, 4> kOutcomes = {Outcome::failed, Outcome::error, Outcome::skipped,
                                              Outcome::passed};

std::string_view status_label(Outcome outcome) {
  switch (outcome) {
    case Outcome::passed:
      return "PASS";
    case Outcome::failed:
      return "FAIL";
    case Outcome::error:
      return "ERROR";
    case Outcome::skipped:
      return "SKIP";
  }
  return "?";
}

// Failed and error checks first, then skipped, then passed.
int outcome_rank(Outcome outcome) {
  switch (outcome) {
    case Outcome::failed:
    case Outcome::error:
      return 0;
    case Outcome::skipped:
      return 1;
    case Outcome::passed:
      return 2;
  }
  return 3;
}

// A run is a pre-cutover gate when every phase it ran is a "pre" phase ("pre", "pre-cutover",
// "pre_checks"): its verdict says whether the cutover may start.
bool is_gate(const RunInfo& info) {
  if (info.phases.empty()) return false;
  return std::all_of(info.phases.begin(), info.phases.end(), [](const std::string& phase) {
    return phase == "pre" || phase.starts_with("pre-") || phase.starts_with("pre_");
  });
}

std::string human_duration(Duration duration) {
  const double ms = static_cast<double>(duration.count()) / 1e6;
  if (ms < 1000) return fmt::format("{:.1f} ms", ms);
  if (ms < 60'000) return fmt::format("{:.2f} s", ms / 1000);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
  if (seconds < 3600) return fmt::format("{}m {:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}h {:02}m", seconds / 3600, seconds / 60 % 60);
}

std::string iso_utc(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto fraction = std::chrono::duration_cast<std::chrono::milliseconds>(time - seconds);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)), fraction.count());
}

std::string readable_utc(std::chrono::system_clock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(seconds)));
}

// Builds the page. text() escapes everything that came from suites or targets; raw() is for
// the page's own markup only.
class Page {
 public:
  std::string out;

  void raw(std::string_view markup) { out += markup; }

  // Escapes the five characters that matter in text and attribute values, after clean_text
  // (invalid UTF-8, colour codes); other control characters become U+FFFD, as HTML parsers
  // would treat them as errors.
  void text(std::string_view raw) {
    const bool plain = std::none_of(raw.begin(), raw.end(), [](char c) {
      const auto byte = static_cast<unsigned char>(c);
      return byte >= 0x80 || byte == 0x1b;
    });
    std::string cleaned;
    if (!plain) {
      cleaned = clean_text(raw);
      raw = cleaned;
    }
    for (const char c : raw) {
      switch (c) {
        case '&':
          out += "&amp;";
          break;
        case '<':
          out += "&lt;";
          break;
        case '>':
          out += "&gt;";
          break;
        case '"':
          out += "&quot;";
          break;
        case '\'':
          out += "&#39;";
          break;
        case '\t':
        case '\n':
        case '\r':
          out += c;
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += "\xEF\xBF\xBD";
          } else {
            out += c;
          }
      }
    }
  }

  template <typename... Args>
  void format(fmt::format_string<Args...> markup, Args&&... args) {
    fmt::format_to(std::back_inserter(out), markup, std::forward<Args>(args)...);
  }
};

// Where checks are on the page: "c1", "c2"… in page order, found by suite and name.
class Anchors {
 public:
  void add(const HtmlEntry& entry, std::size_t number) {
    ids_.emplace(key(entry.suite, entry.name), number);
  }
  std::size_t find(std::string_view suite, std::string_view name) const {
    const auto it = ids_.find(key(suite, name));
    return it == ids_.end() ? 0 : it->second;
  }

 private:
  static std::string key(std::string_view suite, std::string_view name) {
    std::string joined(suite);
    joined += '\0';
    joined += name;
    return joined;
  }
  std::unordered_map<std::string, std::size_t> ids_;
};

struct Counts {
  std::map<Outcome, std::size_t> by_outcome;
  std::size_t flaky = 0;
  std::size_t total = 0;

  void add(const Result& result) {
    ++by_outcome[result.outcome];
    if (result.flaky()) ++flaky;
    ++total;
  }
  std::size_t count(Outcome outcome) const {
    const auto it = by_outcome.find(outcome);
    return it == by_outcome.end() ? 0 : it->second;
  }
};

struct PhaseGroup {
  std::string phase;
  std::vector<const HtmlEntry*> entries;
  Counts counts;
};

void write_list(Page& page, const std::vector<std::string>& items, std::string_view when_empty) {
  if (items.empty()) {
    page.text(when_empty);
    return;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) page.raw(", ");
    page.text(items[i]);
  }
}

// The coloured share of each outcome, then the counts in words (what remains without styles).
void write_outcome_bar(Page& page, const Counts& counts) {
  page.raw("<div class=\"pb\">");
  for (const Outcome outcome : kOutcomes) {
    const std::size_t n = counts.count(outcome);
    if (n == 0 || counts.total == 0) continue;
    page.format("<span class=\"{}\" style=\"width:{:.2f}%\" title=\"{} {}\"></span>",
                to_string(outcome), 100.0 * static_cast<double>(n) / counts.total, n,
                to_string(outcome));
  }
  page.raw("</div>");
}

void write_counts_text(Page& page, const Counts& counts) {
  const char* separator = "";
  for (const Outcome outcome : kOutcomes) {
    if (counts.count(outcome) == 0) continue;
    page.format("{}{} {}", separator, counts.count(outcome), to_string(outcome));
    separator = ", ";
  }
  if (counts.flaky > 0) page.format(" ({} flaky)", counts.flaky);
}

void write_header(Page& page, const RunInfo& info, const RunSummary& summary,
                  const std::vector<PhaseGroup>& groups) {
  const bool passed = summary.all_passed() && !summary.interrupted;
  const bool gate = is_gate(info);
  const std::string_view verdict =
      gate ? (passed ? "READY" : "NOT READY") : (passed ? "PASSED" : "FAILED");
  const std::size_t not_passed = summary.total() - summary.count(Outcome::passed);

  page.format("<header class=\"top {}\"><div>", passed ? "v-pass" : "v-fail");
  page.format("<h1 class=\"verdict\" id=\"verdict\">{}</h1><p class=\"lede\">", verdict);
  if (gate) page.raw("Pre-cutover gate: ");
  if (not_passed == 0) {
    page.format("all {} checks passed", summary.total());
  } else {
    page.format("{} of {} checks did not pass", not_passed, summary.total());
  }
  if (summary.interrupted) page.raw("; the run was interrupted");
  page.raw("</p><ul class=\"counts\">");
  for (const Outcome outcome :
       {Outcome::passed, Outcome::failed, Outcome::error, Outcome::skipped}) {
    page.format("<li class=\"{0}\"><b id=\"count-{0}\">{1}</b>{0}</li>", to_string(outcome),
                summary.count(outcome));
  }
  page.format(
      "<li class=\"flaky\"><b id=\"count-flaky\">{}</b>flaky</li><li><b "
      "id=\"count-total\">{}</b>total</li></ul>",
      summary.flaky, summary.total());
  page.raw("<table class=\"phases\"><tbody>");
  for (const PhaseGroup& group : groups) {
    page.raw("<tr><th><a href=\"#phase-");
    page.text(group.phase);
    page.raw("\">");
    page.text(group.phase);
    page.raw("</a></th><td>");
    write_outcome_bar(page, group.counts);
    page.raw("</td><td>");
    write_counts_text(page, group.counts);
    page.raw("</td></tr>");
  }
  page.raw("</tbody></table></div><dl class=\"meta\"><dt>Started</dt><dd>");
  page.format("<time datetime=\"{}\">{}</time><span id=\"local\"></span></dd>",
              iso_utc(info.started), readable_utc(info.started));
  page.format("<dt>Duration</dt><dd>{}</dd><dt>Suites</dt><dd>", human_duration(summary.duration));
  for (std::size_t i = 0; i < info.suites.size(); ++i) {
    if (i > 0) page.raw(", ");
    page.text(info.suites[i].name);
  }
  page.raw("</dd><dt>Host</dt><dd>");
  page.text(info.hostname);
  page.raw("</dd><dt>Phases run</dt><dd>");
  write_list(page, info.phases, "none");
  page.raw("</dd><dt>Selected phases</dt><dd>");
  write_list(page, info.selected_phases, "all");
  page.raw("</dd><dt>Selected tags</dt><dd>");
  write_list(page, info.selected_tags, "all");
  page.raw("</dd><dt>Filter</dt><dd>");
  page.text(info.filter.empty() ? std::string_view("none") : std::string_view(info.filter));
  page.format("</dd><dt>Shard</dt><dd>{} of {}</dd><dt>Tool</dt><dd>cutover ", info.shard_index + 1,
              info.shard_count);
  page.text(info.tool_version);
  page.raw("</dd></dl></header>");
}

void write_environment(Page& page, const RunInfo& info, const RunSummary& summary) {
  page.raw(
      "<details class=\"env\"><summary>Environment</summary><table><thead><tr><th>Suite</th>"
      "<th>File</th><th>Description</th></tr></thead><tbody>");
  for (const SuiteInfo& suite : info.suites) {
    page.raw("<tr><td>");
    page.text(suite.name);
    page.raw("</td><td>");
    page.text(suite.file);
    page.raw("</td><td>");
    page.text(suite.description);
    page.raw("</td></tr>");
  }
  if (!info.targets.empty()) {
    page.raw(
        "</tbody></table><table><thead><tr><th>Target</th><th>Address</th></tr></thead><tbody>");
    for (const Target& target : info.targets) {
      page.raw("<tr><td>");
      page.text(target.name);
      page.raw("</td><td>");
      page.text(target.address);
      page.raw("</td></tr>");
    }
  }
  page.raw("</tbody></table><table><tbody><tr><th>Host</th><td>");
  page.text(info.hostname);
  page.raw("</td></tr><tr><th>Tool version</th><td>");
  page.text(info.tool_version);
  page.format("</td></tr><tr><th>Started (UTC)</th><td>{}</td></tr>", iso_utc(info.started));
  page.format("<tr><th>Duration</th><td>{}</td></tr><tr><th>Phases run</th><td>",
              human_duration(summary.duration));
  write_list(page, info.phases, "none");
  page.raw("</td></tr><tr><th>Selected phases</th><td>");
  write_list(page, info.selected_phases, "all");
  page.raw("</td></tr><tr><th>Selected tags</th><td>");
  write_list(page, info.selected_tags, "all");
  page.raw("</td></tr><tr><th>Filter</th><td>");
  page.text(info.filter);
  page.format(
      "</td></tr><tr><th>Shard</th><td>{} of {}</td></tr><tr><th>Selected checks</th>"
      "<td>{}</td></tr><tr><th>Interrupted</th><td>{}</td></tr></tbody></table></details>",
      info.shard_index + 1, info.shard_count, info.selected_checks,
      summary.interrupted ? "yes" : "no");
}

// Sorted, distinct values for a filter's choices.
void write_options(Page& page, std::string_view name, std::string_view label,
                   std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  page.format("<label>{} <select name=\"{}\"><option value=\"\">all</option>", label, name);
  for (const std::string& value : values) {
    page.raw("<option>");
    page.text(value);
    page.raw("</option>");
  }
  page.raw("</select></label>");
}

// Hidden until the script shows it: without scripts the controls would do nothing.
void write_controls(Page& page, const std::vector<const HtmlEntry*>& entries,
                    const std::vector<PhaseGroup>& groups) {
  page.raw("<form id=\"controls\" hidden><fieldset><legend hidden>Outcome</legend>");
  for (const Outcome outcome : kOutcomes) {
    page.format(
        "<label><input type=\"checkbox\" name=\"o\" value=\"{0}\"> {0} (<span "
        "data-c=\"{0}\"></span>)</label>",
        to_string(outcome));
  }
  page.raw("</fieldset>");
  std::vector<std::string> phases;
  for (const PhaseGroup& group : groups) {
    phases.push_back(group.phase);
  }
  std::vector<std::string> tags;
  std::vector<std::string> kinds;
  for (const HtmlEntry* entry : entries) {
    tags.insert(tags.end(), entry->tags.begin(), entry->tags.end());
    kinds.push_back(entry->kind);
  }
  write_options(page, "p", "Phase", std::move(phases));
  write_options(page, "t", "Tag", std::move(tags));
  write_options(page, "k", "Kind", std::move(kinds));
  page.raw(
      "<input type=\"search\" name=\"q\" aria-label=\"Search\" placeholder=\"Search: text, "
      "phase:pre, tag:db, kind:http, is:flaky, -tag:slow\"><output id=\"shown\"></output>"
      "</form>");
}

// The check's message; a skipped check's mention of the check that blocked it ("needs 'x',
// which did not pass") links to that check.
void write_message(Page& page, const HtmlEntry& entry, const Anchors& anchors) {
  const std::string& message = entry.result.message;
  if (entry.result.outcome == Outcome::skipped) {
    for (const std::string& need : entry.needs) {
      const std::string quoted = "'" + need + "'";
      const std::size_t at = message.find(quoted);
      const std::size_t number = anchors.find(entry.suite, need);
      if (at == std::string::npos || number == 0) continue;
      page.text(std::string_view(message).substr(0, at + 1));
      page.format("<a href=\"#c{}\">", number);
      page.text(need);
      page.raw("</a>");
      page.text(std::string_view(message).substr(at + quoted.size() - 1));
      return;
    }
  }
  page.text(message);
}

void write_attempts(Page& page, const Result& result) {
  page.raw("<table><tr><th>Attempt<th>Outcome<th>Started (UTC)<th>Duration<th>Message");
  for (std::size_t i = 0; i < result.attempts.size(); ++i) {
    const Attempt& attempt = result.attempts[i];
    page.format("<tr><td>{}<td>{}<td>{}<td>{}<td>", i + 1, to_string(attempt.outcome),
                iso_utc(attempt.started), human_duration(attempt.duration));
    page.text(attempt.message);
    if (!attempt.details.empty() && attempt.details != result.details) {
      page.raw("<pre>");
      page.text(attempt.details);
      page.raw("</pre>");
    }
  }
  page.raw("</table>");
}

// What opens under the message: description, where the check is defined, what it needs,
// evidence, measured values and, for retried checks, every attempt.
void write_expansion(Page& page, const HtmlEntry& entry, const Anchors& anchors) {
  const Result& result = entry.result;
  page.raw("<div>");
  if (!entry.description.empty()) {
    page.raw("<p>");
    page.text(entry.description);
    page.raw("</p>");
  }
  page.raw("<dl>");
  if (!entry.location.empty()) {
    page.raw("<dt>Defined at<dd>");
    page.text(entry.location);
  }
  if (result.outcome != Outcome::skipped) {
    page.format("<dt>Started<dd>{}", iso_utc(result.started));
  }
  if (!entry.needs.empty()) {
    page.raw("<dt>Needs<dd>");
    for (std::size_t i = 0; i < entry.needs.size(); ++i) {
      if (i > 0) page.raw(", ");
      const std::size_t number = anchors.find(entry.suite, entry.needs[i]);
      if (number != 0) page.format("<a href=\"#c{}\">", number);
      page.text(entry.needs[i]);
      if (number != 0) page.raw("</a>");
    }
  }
  if (result.interrupted) page.raw("<dt>Interrupted<dd>yes");
  page.raw("</dl>");
  if (!result.details.empty()) {
    page.raw("<pre>");
    page.text(result.details);
    page.raw("</pre>");
  }
  if (!result.measurements.empty()) {
    page.raw("<table class=\"ms\">");
    for (const Measurement& measurement : result.measurements) {
      page.raw("<tr><th>");
      page.text(measurement.name);
      page.format("<td>{}", measurement.value);
      if (!measurement.unit.empty()) {
        page.raw(" ");
        page.text(measurement.unit);
      }
    }
    page.raw("</table>");
  }
  if (result.attempts.size() > 1) write_attempts(page, result);
  page.raw("</div>");
}

// The run's span, for the timeline: the summary's duration, or longer if a check ended later.
Duration run_span(const RunInfo& info, const RunSummary& summary,
                  const std::vector<const HtmlEntry*>& entries) {
  Duration span = summary.duration;
  for (const HtmlEntry* entry : entries) {
    if (entry->result.outcome == Outcome::skipped) continue;
    span = std::max(span, std::chrono::duration_cast<Duration>(
                              entry->result.started + entry->result.duration - info.started));
  }
  return span;
}

// A check's row. The optional end tags of cells, rows and list items are left out, as HTML
// allows: a tenth of the file for 10,000 checks. The timeline bar shows when the check ran within
// the run and for how long, so slow checks stand out.
void write_row(Page& page, const HtmlEntry& entry, std::size_t number, const Anchors& anchors,
               const RunInfo& info, Duration span) {
  const Result& result = entry.result;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(result.duration);
  page.format("<tr id=\"c{}\" class=\"{}\" data-d=\"{}\"{}><td class=\"s\">{}", number,
              to_string(result.outcome), micros.count(), result.flaky() ? " data-f" : "",
              status_label(result.outcome));
  if (result.flaky()) page.raw(" <small class=\"fl\">flaky</small>");
  page.format("<td class=\"n\"><a href=\"#c{}\">", number);
  page.text(entry.name);
  page.raw("</a><br><small>");
  page.text(entry.suite);
  page.raw("</small>");
  for (const std::string& tag : entry.tags) {
    page.raw(" <span class=\"tg\">");
    page.text(tag);
    page.raw("</span>");
  }
  page.raw("<td class=\"k\">");
  page.text(entry.kind);
  page.raw("<td class=\"d\">");
  if (result.outcome != Outcome::skipped) {
    if (span.count() > 0) {
      const auto share = [span](Duration part) {
        return std::clamp(100.0 * static_cast<double>(part.count()) / span.count(), 0.0, 100.0);
      };
      const double left =
          share(std::chrono::duration_cast<Duration>(result.started - info.started));
      page.format("<span class=\"tl\"><i style=\"left:{:.1f}%;width:{:.1f}%\"></i></span>", left,
                  std::min(share(result.duration), 100.0 - left));
    }
    page.raw(human_duration(result.duration));
    if (result.attempts.size() > 1)
      page.format(" <small>{} attempts</small>", result.attempts.size());
  }
  page.format("<td class=\"m\"><details{}><summary>",
              result.outcome == Outcome::passed ? "" : " open");
  write_message(page, entry, anchors);
  page.raw("</summary>");
  write_expansion(page, entry, anchors);
  page.raw("</details>\n");
}

}  // namespace

HtmlReporter::HtmlReporter(std::filesystem::path path) : path_(std::move(path)) {}

HtmlReporter::~HtmlReporter() = default;

void HtmlReporter::run_started(const RunInfo& info) {
  order_.reserve(info.selected_checks);
  entries_.reserve(info.selected_checks);
}

void HtmlReporter::check_started(const PlannedCheck& check) {
  order_.see(check);
}

void HtmlReporter::check_finished(const PlannedCheck& check, const Result& result) {
  entries_.push_back({check.suite, check.phase, order_.see(check), check.name, check.kind,
                      check.description,
                      check.location.file.empty() ? std::string() : to_string(check.location),
                      check.tags, check.needs, result});
}

void HtmlReporter::run_finished(const RunInfo& info, const RunSummary& summary) {
  std::vector<const HtmlEntry*> ordered;
  ordered.reserve(entries_.size());
  for (const HtmlEntry& entry : entries_) {
    ordered.push_back(&entry);
  }
  ReportOrder::sort(ordered, info);

  // A section per phase, in run order (phases RunInfo does not list after, as first seen);
  // within one, failed and error checks first, passed last, each group in report order.
  std::vector<PhaseGroup> groups;
  for (const std::string& phase : info.phases) {
    groups.push_back({phase, {}, {}});
  }
  for (const HtmlEntry* entry : ordered) {
    auto group = std::find_if(groups.begin(), groups.end(),
                              [entry](const PhaseGroup& g) { return g.phase == entry->phase; });
    if (group == groups.end()) group = groups.insert(groups.end(), {entry->phase, {}, {}});
    group->entries.push_back(entry);
    group->counts.add(entry->result);
  }
  std::erase_if(groups, [](const PhaseGroup& group) { return group.entries.empty(); });
  Anchors anchors;
  std::size_t number = 0;
  for (PhaseGroup& group : groups) {
    std::stable_sort(group.entries.begin(), group.entries.end(),
                     [](const HtmlEntry* a, const HtmlEntry* b) {
                       return outcome_rank(a->result.outcome) < outcome_rank(b->result.outcome);
                     });
    for (const HtmlEntry* entry : group.entries) {
      anchors.add(*entry, ++number);
    }
  }

  Page page;
  page.out.reserve(entries_.size() * 700 + 32'768);
  const bool passed = summary.all_passed() && !summary.interrupted;
  page.format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>",
      kPolicy);
  page.raw(is_gate(info) ? (passed ? "READY" : "NOT READY") : (passed ? "PASSED" : "FAILED"));
  page.raw(" · cutover · ");
  for (std::size_t i = 0; i < info.suites.size(); ++i) {
    if (i > 0) page.raw(", ");
    page.text(info.suites[i].name);
  }
  page.raw("</title><style>");
  page.raw(kStyle);
  page.raw("</style></head><body>\n");
  write_header(page, info, summary, groups);
  write_environment(page, info, summary);
  write_controls(page, ordered, groups);
  page.raw("<main>\n");
  const Duration span = run_span(info, summary, ordered);
  number = 0;
  for (const PhaseGroup& group : groups) {
    page.raw("<section class=\"phase\" id=\"phase-");
    page.text(group.phase);
    page.raw("\" data-p=\"");
    page.text(group.phase);
    page.raw("\"><h2>Phase ");
    page.text(group.phase);
    page.format(" <small><span class=\"shown\">{0}</span> of {0} shown · ", group.entries.size());
    write_counts_text(page, group.counts);
    page.raw(
        "</small></h2><table class=\"checks\"><thead><tr><th>Status</th><th>Check</th>"
        "<th>Kind</th><th class=\"d\" title=\"Sort by duration\">Duration</th><th>Message</th>"
        "</tr></thead><tbody>\n");
    for (const HtmlEntry* entry : group.entries) {
      write_row(page, *entry, ++number, anchors, info, span);
    }
    page.raw("</tbody></table></section>\n");
  }
  if (groups.empty()) page.raw("<p>No checks ran.</p>");
  page.raw("</main><script>");
  page.raw(kScript);
  page.raw("</script></body></html>\n");

  write_file_atomically(path_, page.out);
}

}  // namespace cutover
