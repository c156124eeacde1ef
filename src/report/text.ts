/** Human-readable summary and kernel-style traces for a terminal. */
import type { Trace } from '../checker/trace.js';
import { fmtBytes, fmtInt } from './progress.js';
import type { Report } from './report.js';

const STATUS: Record<string, string> = {
  violated: 'VIOLATED ',
  holds: 'holds    ',
  reached: 'reached  ',
  unreached: 'UNREACHED',
  'not-checked': 'skipped  ',
};

export function renderSummary(r: Report): string {
  const out: string[] = [];
  const flat = (k: string, v: unknown): string[] => {
    if (v === undefined || v === null || v === '') return [];
    if (Array.isArray(v)) return [`${k}=${v.join(',')}`];
    if (typeof v === 'object') return Object.entries(v as Record<string, unknown>).flatMap(([k2, v2]) => flat(k2, v2));
    return [`${k}=${String(v)}`];
  };
  const top = Object.entries(r.config).filter(([, v]) => typeof v !== 'object' || Array.isArray(v) || v === null);
  const nested = Object.entries(r.config).filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v));
  out.push(`mmcheck: model ${r.model}  ${top.flatMap(([k, v]) => flat(k, v)).join(' ')}`.trimEnd());
  for (const [k, v] of nested) out.push(`  ${k}: ${flat(k, v).join(' ')}`);
  const s = r.stats;
  out.push(
    `search: ${s.strategy}, ${s.workers} worker${s.workers === 1 ? '' : 's'}${s.workers > 1 && s.threads === 0 ? ' (no threads started: the run was too short, or its levels too small, to use them)' : ''}: ` +
      (r.exhaustive
        ? 'EXHAUSTIVE (every reachable state was checked)'
        : r.probabilistic && r.cut === null
          ? 'PROBABILISTIC, not exhaustive (see below)'
          : `BOUNDED, not exhaustive: ${r.cut}`),
  );
  if (r.probabilistic) {
    const p = r.probabilistic;
    out.push(
      `memory: the visited set reached the budget (--memory ${fmtBytes(p.memoryBytes)}) at ${fmtInt(p.switchedAtStates)} states and went on as bitstate ` +
        `(${fmtBytes(p.bitstateBytes)}, ${p.bitsPerState} bits a state, ${(p.fill * 100).toFixed(1)}% set): completeness is probabilistic, ` +
        `about ${p.omittedStatesEstimate < 0.01 ? p.omittedStatesEstimate.toExponential(1) : p.omittedStatesEstimate.toFixed(2)} reachable states expected omitted ` +
        `(probability that any was: ${p.omissionProbability < 0.01 ? p.omissionProbability.toExponential(1) : p.omissionProbability.toFixed(3)})`,
    );
  }
  out.push(
    `states: ${fmtInt(s.distinct)} distinct, ${fmtInt(s.transitions)} transitions, depth ${s.depth}, ` +
      `${s.seconds.toFixed(2)} s (${fmtInt(s.statesPerSec)} states/s), peak RSS ${fmtBytes(s.peakRssBytes)}, ` +
      `${s.bytesPerState.toFixed(1)} bytes/state` +
      (s.collisionProbability === null ? ', exact visited set' : `, fingerprint collision probability ${s.collisionProbability.toExponential(1)}`),
  );
  out.push('');
  out.push('properties:');
  const w = Math.max(...r.properties.map((p) => p.name.length), 8);
  for (const p of r.properties) {
    const extra = p.status === 'violated' && p.trace ? `  [counterexample: ${p.trace.steps.length} steps]` : '';
    out.push(`  ${STATUS[p.status]} ${p.name.padEnd(w)}  ${p.kind.padEnd(16)} ${p.description}${extra}`);
  }
  const cov = r.coverage.filter((c) => c.point);
  if (cov.length > 0) {
    out.push('');
    out.push('path coverage (times each modelled branch fired; 0 = never reached):');
    const cw = Math.max(...cov.map((c) => c.point.length));
    for (const c of cov) out.push(`  ${c.point.padEnd(cw)}  ${fmtInt(c.count)}`);
  }
  for (const p of r.properties) {
    if (p.status !== 'violated' || !p.trace) continue;
    out.push('');
    out.push(...renderTrace(p.trace));
  }
  out.push('');
  out.push(
    r.violated.length > 0
      ? `result: VIOLATED ${r.violated.join(', ')}`
      : `result: no violation${r.exhaustive ? '' : ' within the bound (not exhaustive)'}`,
  );
  return out.join('\n') + '\n';
}

export function renderTrace(t: Trace): string[] {
  const out: string[] = [];
  out.push(`counterexample for ${t.property} (${t.kind}), ${t.steps.length} step${t.steps.length === 1 ? '' : 's'}:`);
  out.push('  initial state:');
  for (const [k, v] of Object.entries(t.initial)) if (!isBlank(v)) out.push(`      ${k} = ${v}`);
  t.steps.forEach((st, i) => {
    const args = Object.entries(st.args)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    out.push(`  ${String(i + 1).padStart(2)}. ${st.action}(${args})`);
    out.push(`      kernel: ${st.kernel}`);
    if (st.branches?.length) out.push(`      took:   ${st.branches.join('; ')}`);
    for (const c of st.changes) out.push(`      ${c.field}: ${c.from} -> ${c.to}`);
    if (st.fired.length > 0) out.push(`      !! ${st.fired.join(', ')} fired here`);
  });
  out.push(`  => ${t.kind === 'sometimes' ? 'reaches' : 'violates'} ${t.property}${t.why ? `: ${t.why}` : ''}`);
  return out;
}

function isBlank(v: number | string): boolean {
  return v === 0 || v === '' || v === '-' || v === 'none';
}

/** Graphviz rendering of a trace: one node per state, one edge per step. */
export function renderDot(r: Report): string {
  const out = ['digraph mmcheck {', '  rankdir=TB; node [shape=box, fontname="monospace"];'];
  for (const p of r.properties) {
    if (p.status !== 'violated' || !p.trace) continue;
    const id = p.name.replace(/[^A-Za-z0-9]/g, '_');
    out.push(`  subgraph cluster_${id} { label=${JSON.stringify(`${p.name} (${p.kind})`)};`);
    out.push(`    ${id}_0 [label="initial"];`);
    p.trace.steps.forEach((st, i) => {
      const label = st.changes.map((c) => `${c.field}: ${c.from} -> ${c.to}`.replace(/"/g, '\\"')).join('\\l');
      out.push(`    ${id}_${i + 1} [label="${label || 'no change'}\\l"];`);
      const args = Object.entries(st.args).map(([k, v]) => `${k}=${v}`).join(', ');
      out.push(`    ${id}_${i} -> ${id}_${i + 1} [label=${JSON.stringify(`${st.action}(${args})`)}];`);
    });
    out.push('  }');
  }
  out.push('}');
  return out.join('\n') + '\n';
}
