#include "reports/html_assets.hpp"

namespace cutover::detail {

// Styles: light and dark from the system setting, and a clean print. The page stays readable
// without them (a strict CSP blocks inline styles).
const std::string_view kHtmlStyle = R"css(
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
.counts .passed b,tr.passed>td.s{color:var(--pass)}.counts .failed b,tr.failed>td.s{color:var(--fail)}
.counts .error b,tr.error>td.s{color:var(--error)}.counts .skipped b,tr.skipped>td.s{color:var(--skip)}
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
#attention{margin:1rem 0}
#attention h2{margin:0 0 .3rem;font-size:1.15rem}
#attention td{padding:.2rem .5rem}
#attention td.s{width:4.5rem;font-weight:700;white-space:nowrap}
#attention td.n{width:24rem}#attention td.p{white-space:nowrap}
#attention td.m{overflow-wrap:break-word}
#attention .more{margin:.3rem .5rem;color:var(--mute)}
details.env{margin:1rem 0;padding:.5rem .8rem;background:var(--panel);border-radius:6px}
details.env table{margin:.5rem 0}
#controls{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:1rem 0;padding:.6rem .8rem;background:var(--panel);border:1px solid var(--line);border-radius:6px}
#controls fieldset{border:0;margin:0;padding:0;display:flex;gap:.8rem}
#controls input[type=search]{flex:1;min-width:16rem;padding:.3rem .5rem;font:inherit}
#controls output{color:var(--mute)}
.checks{table-layout:fixed}
.checks th:nth-child(1){width:5.5rem}.checks th:nth-child(2){width:22%}.checks th:nth-child(3){width:11rem}.checks th:nth-child(4){width:9rem}
.checks td.s{font-weight:700;white-space:nowrap}
.checks td.n,.checks td.k{overflow-wrap:break-word}
.checks td.d{white-space:nowrap;font-variant-numeric:tabular-nums}
.checks td.m{overflow-wrap:break-word}
.checks th.d{cursor:pointer;white-space:nowrap}
.tg{display:inline-block;margin:0 .25rem 0 0;padding:0 .35rem;border:1px solid var(--line);border-radius:1rem;font-size:.8rem;color:var(--mute)}
.tl{display:block;position:relative;height:5px;margin:.2rem 0;background:var(--panel)}
.tl i{position:absolute;top:0;bottom:0;min-width:2px;background:var(--bar)}
summary{cursor:pointer}
td.m details>div{margin:.4rem 0 .6rem}
td.m .sc{max-width:100%;overflow-x:auto}
td.m table{width:auto;margin:.4rem 0}
td.m table th,td.m table td{white-space:nowrap;overflow-wrap:normal;font-variant-numeric:tabular-nums}
td.m table.at td:last-child{white-space:normal;min-width:12rem}td.m table.at pre{white-space:pre-wrap}
td.m dl{display:grid;grid-template-columns:max-content 1fr;gap:0 1rem;margin:.3rem 0}
td.m dt{color:var(--mute)}td.m dd{margin:0}
.ms th{font-weight:normal}
pre{margin:.4rem 0;padding:.5rem .7rem;max-height:32rem;overflow:auto;background:var(--panel);border-radius:4px;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre}
@media (max-width:900px){.checks,.checks>tbody{display:block}.checks>thead{display:none}
.checks>tbody>tr{display:flex;flex-wrap:wrap;gap:0 1rem;padding:.3rem 0;border-bottom:1px solid var(--line)}
.checks>tbody>tr>td{border:0;padding:.15rem 0}.checks td.s{width:4.5rem}.checks td.n{flex:1 1 12rem;min-width:0}
.checks td.d{min-width:7rem}.checks td.m{flex:1 1 100%;min-width:0}
#attention td.n{width:auto}}
[hidden]{display:none!important}
@media print{#controls,.tl{display:none}body{max-width:none;padding:0;color:#000;background:#fff}tr{break-inside:avoid}pre{max-height:none;white-space:pre-wrap}a{color:inherit;text-decoration:none}}
)css";

// The behaviour: filters, search, sorting by duration and the view's state in location.hash.
// Everything it changes is visible without it: it only hides rows and reorders them.
const std::string_view kHtmlScript = R"js(
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

const std::string_view kHtmlPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

}  // namespace cutover::detail
