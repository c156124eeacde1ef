/**
 * Self-contained HTML pages (harness code): a counterexample to step through (`--html FILE`) and the
 * explorer's page. One file: the CSS, the data as JSON in a `<script type="application/json">` (the
 * same trace objects `--json` prints, with each step's decoded state) and the viewer's script inline;
 * a Content-Security-Policy keeps the page from loading anything (the explorer may talk to its server).
 */
import type { Model } from '../model.js';
import { replay, type Trace } from '../checker/trace.js';
import { viewerClient } from './client.js';

export type FieldValue = number | string;
export type DecodedState = Record<string, FieldValue>;

export interface TraceEntry {
  /** the tab's title, e.g. `rmap-integrity VIOLATED (5 steps)` */
  title: string;
  /** violation (a counterexample), witness (a cover reached), example (compare) */
  group: 'violation' | 'witness' | 'example';
  trace: Trace;
  /** the decoded state before the first step and after each step (steps + 1 states) */
  states: DecodedState[];
}

export interface PageData {
  mmcheck: 'html';
  version: 1;
  mode: 'trace' | 'explore';
  title: string;
  /** lines under the title: the configuration, the search */
  subtitle: string[];
  /** field name (indices as `[]`) -> what it means, from the model's layout */
  docs: Record<string, string>;
  traces: TraceEntry[];
  /** said above the traces, e.g. that nothing was violated */
  note?: string;
}

/** The decoded states a trace passes through, by replaying it on its model. */
export function traceStates(model: Model, t: Trace): DecodedState[] {
  const { states } = replay(model, { init: t.init, actions: t.actionIds });
  return states.map((s) => model.decode(s).toObject() as DecodedState);
}

export function traceEntry(model: Model, t: Trace, title: string, group: TraceEntry['group']): TraceEntry {
  return { title, group, trace: t, states: traceStates(model, t) };
}

/** What each layout field means, keyed by its name with indices as `[]`. */
export function layoutDocs(model: Model): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of model.layout.table) if (f.doc) out[f.name.replace(/\[\d+\]/g, '[]')] = f.doc;
  return out;
}

/** `key=value ...` of a model summary (nested objects flattened), as the text report's first lines say it. */
export function summaryLines(model: string, summary: Record<string, unknown>): string[] {
  const flat = (k: string, v: unknown): string[] => {
    if (v === undefined || v === null || v === '') return [];
    if (Array.isArray(v)) return [`${k}=${v.join(',')}`];
    if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).flatMap(([k2, v2]) => flat(k2, v2));
    return [`${k}=${String(v)}`];
  };
  const top = Object.entries(summary).filter(([, v]) => typeof v !== 'object' || v === null || Array.isArray(v));
  const nested = Object.entries(summary).filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v));
  return [`model ${model} ${top.flatMap(([k, v]) => flat(k, v)).join(' ')}`.trimEnd(), ...nested.map(([k, v]) => `${k}: ${flat(k, v).join(' ')}`)];
}

const CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--card:#f6f8fa;--line:#d1d9e0;--chg:#fff0a0;--read:#cfe3ff;
--bad:#b42318;--ok:#1a7f37;--accent:#0969da;--a0:#0969da;--a1:#bf3989;--a2:#1a7f37;--a3:#9a6700;--a4:#8250df;--a5:#cf222e}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--card:#161b22;--line:#3d444d;--chg:#5c4a00;--read:#173a66;
--bad:#ff7b72;--ok:#3fb950;--accent:#4493f8;--a0:#4493f8;--a1:#f778ba;--a2:#3fb950;--a3:#d29922;--a4:#ab7df8;--a5:#ff7b72}}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg);margin:0;padding:1rem 1.5rem 2rem}
code,table.kv td,.changes td,.strip button,.path button,button.act,.succ,.pic text,.verdict,dd{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
h1{font-size:1.3rem;margin:0 0 .3rem}h2{font-size:1.05rem;margin:1rem 0 .4rem}h3{font-size:.95rem;margin:0 0 .3rem}
.sub{margin:.1rem 0;color:var(--muted);font-family:ui-monospace,monospace;font-size:12px}
.muted{color:var(--muted)}.note{padding:.5rem .8rem;border-left:4px solid var(--ok);background:var(--card)}
button,.button{font:inherit;font-size:13px;background:var(--card);color:var(--fg);border:1px solid var(--line);border-radius:5px;padding:.2rem .55rem;cursor:pointer;text-decoration:none;display:inline-block}
button:hover,.button:hover{border-color:var(--accent)}button:disabled,.button.disabled{opacity:.45;cursor:default}
button.current{background:var(--accent);color:#fff;border-color:var(--accent)}
nav.traces{display:flex;flex-wrap:wrap;gap:.3rem;margin:.6rem 0}nav.traces .g-violation{border-color:var(--bad)}
.trace,.step{display:none}.trace.current,.step.current{display:block}
.strip{list-style:none;display:flex;flex-wrap:wrap;gap:.3rem;padding:0;margin:.4rem 0}.strip button.last{border-color:var(--bad)}
.head dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0}.head dt{color:var(--muted)}.head dd{margin:0}
dd.fired{color:var(--bad);font-weight:600}dd.reads{background:var(--read)}
table{border-collapse:collapse}.changes td,.changes th{border:1px solid var(--line);padding:.05rem .45rem;text-align:left;font-size:12px}
.verdict{margin:.6rem 0;padding:.5rem .8rem;border-radius:5px;font-weight:600;border:2px solid}
.verdict.bad{border-color:var(--bad);color:var(--bad)}.verdict.ok{border-color:var(--ok);color:var(--ok)}
.picwrap{overflow-x:auto;margin:.6rem 0}
.pic text{font-size:12px;fill:var(--fg);dominant-baseline:middle;white-space:pre}.pic .title{font-weight:700}
.pic .box{fill:var(--card);stroke:var(--line)}.pic .k-missing .box{stroke:var(--bad);stroke-dasharray:4 3}.pic .k-zero .box{stroke-dasharray:2 2}
.pic .hl{fill:var(--chg)}.pic .rd{fill:var(--read);opacity:.8}
.arr path{stroke:var(--c);stroke-width:1.4}.arr .head,.arr circle{fill:var(--c);stroke:none}.arr.chg path{stroke-width:3}.arr.chg .head{transform-box:fill-box}
.a0{--c:var(--a0)}.a1{--c:var(--a1)}.a2{--c:var(--a2)}.a3{--c:var(--a3)}.a4{--c:var(--a4)}.a5{--c:var(--a5)}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-start}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.4rem .6rem}.card .what{font-weight:400;color:var(--muted);font-size:12px}
table.kv th{text-align:left;font-weight:500;padding:.05rem .6rem .05rem 0;color:var(--muted);font-size:12px;vertical-align:middle}
table.kv td{padding:.05rem .3rem;font-size:12px}table.arr td{border:1px solid var(--line);min-width:2.2em;text-align:center}table.arr tr.idx td{border:none;color:var(--muted);font-size:10px}
td.chg{background:var(--chg);font-weight:700}td.read{outline:2px solid var(--accent)}
footer{margin-top:1.5rem;color:var(--muted);font-size:12px}kbd{border:1px solid var(--line);border-radius:3px;padding:0 .3rem}
.explore{display:grid;grid-template-columns:minmax(15rem,22rem) 1fr;gap:1.2rem}.explore aside{border-right:1px solid var(--line);padding-right:1rem}
.row{display:flex;gap:.4rem;align-items:center;flex-wrap:wrap}.path{padding-left:1.4rem}.path button{margin:.1rem 0}
.props{list-style:none;padding:0}.props li{margin:.15rem 0}.props .st-violated b,.props .st-fired b{color:var(--bad)}.props .st-holds b,.props .st-reached b{color:var(--ok)}
.props .why{font-size:12px;color:var(--bad)}.error{color:var(--bad);font-weight:600}
.op{margin:.3rem 0 .6rem}.act{display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap;margin:.12rem 0}button.act.bad{border-color:var(--bad)}
.succ{font-size:11px;color:var(--muted)}.badge{font-size:11px;border-radius:3px;padding:0 .3rem;border:1px solid var(--accent)}.badge.bad{border-color:var(--bad);color:var(--bad)}
.charts svg{max-width:100%;height:auto}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--card:#fff;--line:#999;--chg:#ffe97a;--read:#cfe3ff}
body{padding:0}nav.traces,.strip,footer,.explore aside{display:none}
.trace.current .step{display:block;break-inside:avoid-page}.trace.current .step+.step{break-before:page}.picwrap{overflow:visible}}
`;

/** Escape text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that cannot end its `<script>` element early. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A whole page: `extra` is trusted HTML (our own SVG charts) placed above the traces. */
export function htmlPage(data: PageData, extra = ''): string {
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src ${data.mode === 'explore' ? "'self'" : "'none'"}`;
  const keys =
    data.mode === 'explore'
      ? 'Click an action to take it; <kbd>Backspace</kbd> or Back undoes one; the address bar holds the path (<code>#path=3,0,12</code>).'
      : 'Keys: <kbd>&larr;</kbd> <kbd>&rarr;</kbd> step, <kbd>Home</kbd> <kbd>End</kbd>; each step has its own address (<code>#step=5</code>). Printing prints every step of the shown trace.';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<header><h1>${escapeHtml(data.title)}</h1>${data.subtitle.map((l) => `<p class="sub">${escapeHtml(l)}</p>`).join('')}</header>`,
    extra ? `<div class="charts">${extra}</div>` : '',
    '<div id="app"></div>',
    `<footer>${keys} Written by mmcheck.</footer>`,
    `<script type="application/json" id="mmcheck-data">${scriptJson(data)}</script>`,
    `<script>(${viewerClient.toString()})();</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/**
 * The result-file writers are src/report/write.ts's (checked before a run, written whole by rename, one
 * line on failure), under the names this module's callers use.
 */
export { checkWritable, writeResultFile as writeFileOrUsage } from '../report/write.js';
