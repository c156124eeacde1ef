/**
 * `mmcheck compare --model <id>` for a model that scores decision variants
 * itself (its registry entry has a CompareSpec): one exploration, driven by
 * side A's variant, in which the model keeps side B's decision alongside and
 * scores each consumer under both against the ground truth at every
 * evaluation. The model reports each score as the coverage point
 * `compare <A|B> <consumer>: <class>` (counts) and the transition cover
 * `compare-<a|b>-<consumer>-<class>` (shortest example).
 */
import { UsageError } from '../model.js';
import type { CompareSpec } from '../../models/registry.js';
import { makeReport, type Report } from '../report/report.js';
import { renderTrace } from '../report/text.js';
import { fmtInt, stderrProgress } from '../report/progress.js';
import { buildModel, searchOrFail, type ModelOpts } from './check.js';
import { EXIT_OK, EXIT_VIOLATION, failUsage } from './common.js';
import { io } from './io.js';

interface SideScores {
  side: 'a' | 'b';
  variant: string;
  /** consumer -> class -> count */
  counts: Record<string, Record<string, number>>;
  /** consumer -> class -> shortest example (null: none) */
  examples: Record<string, Record<string, Report['properties'][number]['trace'] | null>>;
}

export async function runModelCompare(o: ModelOpts & Record<string, any>, spec: CompareSpec): Promise<number> {
  const vs = (o.vs ?? {}) as Record<string, string>;
  const hooks = Object.keys(vs);
  const known = Object.keys(spec.hooks);
  if (hooks.length !== 1) failUsage(new UsageError(`compare needs one --vs <point>=<variant>, e.g. --vs ${known[0]}=<variant> (model ${o.model})`));
  const hook = hooks[0]!;
  if (!Object.hasOwn(spec.hooks, hook)) failUsage(new UsageError(`model ${o.model} compares the decision points ${known.join(', ')}, not '${hook}'`));
  const set = { ...(o.set ?? {}) } as Record<string, string>;
  const b = vs[hook]!;
  // side A: --set <hook>=..., else the configuration's own variant
  const a = set[hook] ?? String(buildModel({ ...o, set } as ModelOpts).model.summary[hook] ?? '');
  if (a === b) failUsage(new UsageError(`both sides are ${hook}=${b}: name side A with --set ${hook}=<variant>`));
  delete set[hook];
  const { model, config } = buildModel({ ...o, set, compare: { a, b } } as ModelOpts);
  const progress = stderrProgress(Boolean(o.quiet));
  const result = await searchOrFail(model, {
    strategy: 'bfs',
    workers: o.workers,
    spec: { modelId: o.model, config },
    maxDepth: o.depth,
    maxStates: o.maxStates,
    timeoutSec: o.timeout,
    onProgress: progress.onProgress,
    progressEveryMs: progress.everyMs,
  });
  progress.done();
  const report = makeReport(model, config, result);
  const count = (point: string) => report.coverage.find((c) => c.point === point)?.count ?? 0;
  const example = (name: string) => report.properties.find((p) => p.name === name)?.trace ?? null;
  const sides: SideScores[] = (['a', 'b'] as const).map((side) => {
    const counts: SideScores['counts'] = {};
    const examples: SideScores['examples'] = {};
    for (const c of spec.consumers) {
      counts[c.id] = Object.fromEntries(spec.classes.map((cls) => [cls, count(`compare ${side.toUpperCase()} ${c.id}: ${cls}`)]));
      examples[c.id] = Object.fromEntries(spec.classes.filter((cls) => cls !== spec.classes[0]).map((cls) => [cls, example(`compare-${side}-${c.id}-${cls}`)]));
    }
    return { side, variant: side === 'a' ? a : b, counts, examples };
  });
  const unsafe = spec.unsafe.filter(([con, cls]) => sides.some((s) => (s.counts[con]?.[cls] ?? 0) > 0)).map(([con, cls]) => `${con} ${cls}`);
  const others = report.properties.filter((p) => !p.name.startsWith('compare-'));
  if (o.json || o.format === 'json') {
    const out = {
      hook,
      truth: spec.hooks[hook]!.truth,
      model: report.model,
      config: report.config,
      exhaustive: report.exhaustive,
      cut: report.cut,
      stats: report.stats,
      sides: sides.map((s) => ({ side: s.side, variant: s.variant, counts: s.counts, examples: s.examples })),
      properties: others.map((p) => ({ name: p.name, kind: p.kind, status: p.status })),
      unsafe,
    };
    io.out(JSON.stringify(out, null, 2) + '\n');
  } else io.out(render(report, spec, hook, sides, unsafe));
  return unsafe.length > 0 || report.violated.length > 0 ? EXIT_VIOLATION : EXIT_OK;
}

function render(r: Report, spec: CompareSpec, hook: string, sides: SideScores[], unsafe: string[]): string {
  const out: string[] = [];
  const s = r.stats;
  const h = spec.hooks[hook]!;
  out.push(`mmcheck compare: ${hook}  A = ${sides[0]!.variant}  B = ${sides[1]!.variant}`);
  out.push(`model ${r.model} ${Object.entries(r.config).filter(([k]) => k !== 'ops' && k !== 'compare').map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
  out.push(`ground truth: ${h.truth}`);
  if (h.note) out.push(`driven by: ${h.note}`);
  out.push(
    `search: ${r.exhaustive ? 'EXHAUSTIVE' : `BOUNDED, not exhaustive: ${r.cut}`}; ${fmtInt(s.distinct)} distinct states, ${fmtInt(s.transitions)} transitions, depth ${s.depth}, ${s.seconds.toFixed(2)} s`,
  );
  out.push(`evaluations: ${spec.evaluations}`);
  out.push('');
  const [agree, ...wrong] = spec.classes;
  const cw = Math.max(8, ...spec.consumers.map((c) => c.id.length));
  const vw = Math.max(7, ...sides.map((x) => x.variant.length));
  const head = [agree!, ...wrong.map((c) => c.replace('false-', 'false '))];
  out.push(`  ${'consumer'.padEnd(cw)}  side  ${'variant'.padEnd(vw)}  ${head.map((x) => x.padStart(11)).join('  ')}`);
  for (const c of spec.consumers)
    for (const x of sides)
      out.push(
        `  ${(x.side === 'a' ? c.id : '').padEnd(cw)}  ${x.side.toUpperCase().padEnd(4)}  ${x.variant.padEnd(vw)}  ${spec.classes.map((cls) => fmtInt(x.counts[c.id]![cls]!).padStart(11)).join('  ')}`,
      );
  const bad = r.properties.filter((p) => !p.name.startsWith('compare-') && p.status === 'violated');
  if (bad.length) out.push('', `model properties VIOLATED in this run: ${bad.map((p) => p.name).join(', ')}`);
  for (const c of spec.consumers) {
    out.push('', `${c.id}: ${c.title}; truth: ${c.truth}`);
    for (const x of sides)
      for (const cls of wrong) {
        const t = x.examples[c.id]![cls];
        const who = `${x.side.toUpperCase()} (${x.variant})`;
        if (!t) {
          out.push(`  ${who}: never a ${cls}${r.exhaustive ? '' : ' within the bound'}`);
          continue;
        }
        out.push(`  ${who}: shortest example of a ${cls}, ${t.steps.length} steps:`);
        out.push(...renderTrace(t).slice(1).map((l) => `    ${l}`));
      }
  }
  out.push('');
  const disagree = sides.map((x) => `${x.side.toUpperCase()} (${x.variant}) ${spec.consumers.filter((c) => wrong.some((cls) => x.counts[c.id]![cls]! > 0)).map((c) => c.id).join(', ') || 'none'}`);
  out.push(`disagreements with the truth: ${disagree.join('; ')}`);
  out.push(unsafe.length ? `result: UNSAFE: ${unsafe.join(', ')}` : `result: no unsafe disagreement on either side${r.exhaustive ? '' : ' within the bound (not exhaustive)'}`);
  return out.join('\n') + '\n';
}
