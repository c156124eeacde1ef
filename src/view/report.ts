/** `--html FILE` of check, replay, compare and run: which traces a page holds, under which titles (harness code). */
import { join } from 'node:path';
import type { Model } from '../model.js';
import type { Trace } from '../checker/trace.js';
import type { Report } from '../report/report.js';
import { makeDirs } from '../report/write.js';
import { htmlPage, layoutDocs, summaryLines, traceEntry, writeFileOrUsage, type TraceEntry } from './page.js';

const steps = (t: Trace) => `${t.steps.length} step${t.steps.length === 1 ? '' : 's'}`;

function searchLine(r: Report): string {
  const s = r.stats;
  return `search: ${s.strategy}, ${r.exhaustive ? 'EXHAUSTIVE' : `BOUNDED (${r.cut ?? 'probabilistic'})`}, ${s.distinct} states, ${s.transitions} transitions, depth ${s.depth}, ${s.seconds.toFixed(2)} s`;
}

/** A trace page of this model's traces (`extra`: our own chart, above them). */
function tracesPage(model: Model, title: string, subtitle: string[], traces: TraceEntry[], note?: string, extra = ''): string {
  return htmlPage({ mmcheck: 'html', version: 1, mode: 'trace', title, subtitle, docs: layoutDocs(model), traces, ...(note ? { note } : {}) }, extra);
}

const group = (t: Trace): TraceEntry['group'] => (t.kind === 'sometimes' ? 'witness' : 'violation');

/** check: each violated property's counterexample, then each reached cover's witness. */
export function reportPage(model: Model, r: Report): string {
  const entries: TraceEntry[] = [];
  for (const p of r.properties)
    if (p.status === 'violated' && p.trace) entries.push(traceEntry(model, p.trace, `${p.name} VIOLATED (${steps(p.trace)})`, 'violation'));
  for (const p of r.properties)
    if (p.status === 'reached' && p.trace) entries.push(traceEntry(model, p.trace, `${p.name} reached (witness, ${steps(p.trace)})`, 'witness'));
  const title = r.violated.length > 0 ? `mmcheck: VIOLATED ${r.violated.join(', ')}` : `mmcheck: no violation${r.exhaustive ? '' : ' within the bound'}`;
  const note =
    r.violated.length > 0
      ? undefined
      : `No property was violated${r.exhaustive ? ' (the search was exhaustive)' : ' within the bound (not exhaustive)'}. ${entries.length ? "The tabs hold the covers' witnesses: the shortest way to reach each." : ''}`;
  return tracesPage(model, title, [...summaryLines(r.model, r.config), searchLine(r)], entries, note);
}

/** replay: the replayed trace, and whether it still reproduces. */
export function replayPage(model: Model, t: Trace, file: string, verdict: { ok: boolean; why: string }): string {
  const title = verdict.ok ? `mmcheck replay: ${file} reproduces ${t.property}` : `mmcheck replay: ${file} FAILED`;
  const note = verdict.ok ? undefined : `The saved trace no longer reproduces: ${verdict.why}. Shown: the saved actions replayed on today's model.`;
  return tracesPage(model, title, summaryLines(model.id, model.summary as Record<string, unknown>), [traceEntry(model, t, `${t.property} (${steps(t)})`, group(t))], note);
}

/** compare: the chart, then the shortest example of each class a side was wrong in. */
export function comparePage(model: Model, title: string, subtitle: string[], chartSvg: string, examples: { title: string; trace: Trace }[]): string {
  const entries = examples.map((e) => traceEntry(model, e.trace, e.title, 'example'));
  return tracesPage(model, title, subtitle, entries, examples.length ? undefined : 'Neither side was ever wrong: no example to show.', chartSvg);
}

/** run: one failed expectation of a scenario, with the trace that shows it. */
export function scenarioPage(model: Model, title: string, subtitle: string[], t: Trace): string {
  return tracesPage(model, title, subtitle, [traceEntry(model, t, `${t.property} ${t.kind === 'sometimes' ? 'witness' : 'counterexample'} (${steps(t)})`, group(t))]);
}

/** One failed expectation to draw: where it goes in the directory, and its trace. */
export interface FailurePage {
  /** the file's name without directory, e.g. `fork-munmap-halves+wpreuse.andrea-v1.rmap-integrity` */
  name: string;
  title: string;
  subtitle: string[];
  trace: Trace;
}

/** `run --html-dir DIR`: a page per failure with a trace; returns the files written. */
export function writeFailurePages(dir: string, pages: FailurePage[], create: (id: string, config: Record<string, unknown>) => Model): string[] {
  makeDirs(dir, 'HTML folder');
  const used = new Set<string>();
  return pages.map((p) => {
    let base = p.name.replace(/[^A-Za-z0-9._+=-]+/g, '_');
    for (let i = 2; used.has(base); i++) base = `${p.name.replace(/[^A-Za-z0-9._+=-]+/g, '_')}-${i}`;
    used.add(base);
    const file = join(dir, `${base}.html`);
    const model = create(p.trace.model, (p.trace.config ?? {}) as Record<string, unknown>);
    writeFileOrUsage(file, scenarioPage(model, p.title, p.subtitle, p.trace), 'HTML file');
    return file;
  });
}
