/**
 * `mmcheck compare`: two variants of one decision point side by side. One
 * exploration, in which the decision follows the ground truth; at every
 * reachable point where the kernel evaluates the decision, both variants are
 * scored against it: agree, false positive (unsafe), false negative (missed).
 * The model reports each class as a transition cover named
 * compare-<a|b>-<class>, with a coverage point counting it.
 */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError } from '../model.js';
import { makeReport, type Report } from '../report/report.js';
import { renderTrace } from '../report/text.js';
import { fmtInt, stderrProgress } from '../report/progress.js';
import { addModelOptions, addSearchBounds, buildModel, modelConfig, searchOrFail, type ModelOpts } from './check.js';
import { collectPairs, EXIT_OK, EXIT_VIOLATION, failUsage } from './common.js';
import { io } from './io.js';
import { tryUsage } from './check.js';
import { checkWritable, summaryLines, writeFileOrUsage } from '../view/page.js';
import { comparePlot } from '../view/plot.js';
import { comparePage } from '../view/report.js';
import { runModelCompare } from './compare-model.js';
import { createModel, modelEntry } from '../../models/registry.js';

/** Decision points compare knows, with the world it explores by default. */
const HOOKS: Record<string, { profile: string; era: string; truth: string }> = {
  kvm_huge: { profile: 'shmem', era: 'v5.4', truth: 'mm0 maps the whole THP through one huge PMD (the EPT follows it)' },
};

const CLASSES = [
  ['agree', 'agree'],
  ['false-positive', 'false positive (unsafe: 2M over something else)'],
  ['false-negative', 'false negative (missed 2M)'],
  ['false-negative-stale', 'false negative while no PTE maps the THP anywhere (the predicate reads history)'],
] as const;

export function compareCommand(): Command {
  const cmd = new Command('compare').description('score two variants of a decision point against the ground truth at every reachable evaluation');
  addSearchBounds(addModelOptions(cmd).option('--vs <hook=variant>', 'the other side: a built-in variant or a predicate file, e.g. kvm_huge=TCM_hugh', collectPairs))
    .option('--json', 'print one JSON object on stdout')
    .addOption(new Option('--format <f>', 'output format').choices(['text', 'json']).default('text'))
    .option('--plot <file.svg>', 'draw each side\'s agree / false positive / false negative counts as an SVG chart')
    .option('--html <file>', 'write the chart and the shortest example of each class a side got wrong as one HTML page')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (o) => {
      io.code = await runCompare(o);
    });
  return cmd;
}

interface Side {
  label: 'a' | 'b';
  variant: string;
  counts: Record<string, number>;
  examples: Record<string, Report['properties'][number]['trace'] | null>;
}

async function runCompare(o: ModelOpts & Record<string, any>): Promise<number> {
  // a model that scores its own decision points (registry entry `compare`) takes the generic path
  let spec;
  try {
    spec = modelEntry(o.model).compare;
  } catch (e) {
    return failUsage(e);
  }
  if (spec) return runModelCompare(o, spec);
  const vs = (o.vs ?? {}) as Record<string, string>;
  const hooks = Object.keys(vs);
  if (hooks.length !== 1) failUsage(new UsageError('compare needs one --vs <hook>=<variant or file>, e.g. --vs kvm_huge=TCM_hugh'));
  const hook = hooks[0]!;
  const known = Object.hasOwn(HOOKS, hook) ? HOOKS[hook] : undefined;
  if (!known) failUsage(new UsageError(`compare knows the decision points ${Object.keys(HOOKS).join(', ')}, not '${hook}'`));
  const set = { ...(o.set ?? {}) } as Record<string, string>;
  const pred = { ...(o.predicate ?? {}) } as Record<string, string>;
  if (set[hook] !== undefined && pred[hook] !== undefined) failUsage(new UsageError(`--set ${hook} and --predicate ${hook} both given: one names side A`));
  const fileish = (v: string) => (/[/\\.]/.test(v) ? resolve(v) : v);
  const a = pred[hook] !== undefined ? resolve(pred[hook]!) : set[hook];
  delete set[hook];
  delete pred[hook];
  const profile = o.profile ?? known!.profile;
  const era = o.era ?? (o.profile === undefined ? known!.era : undefined);
  const opts: ModelOpts = { ...o, profile, era, set, predicate: Object.keys(pred).length ? pred : undefined } as ModelOpts;
  // side A defaults to the era's own variant: build once without compare to learn it
  let probe;
  try {
    probe = createModel(opts.model, modelConfig(opts));
  } catch (e) {
    // the default world may not exist in the era the user named (shmem THP is 4.8+): say how to pick another
    if (e instanceof UsageError && o.profile === undefined && o.era !== undefined)
      failUsage(new UsageError(`${e.message.split('\n')[0]}; compare explores --profile ${profile} unless told otherwise: add --profile full to compare in anonymous memory`));
    return failUsage(e);
  }
  // the era's variant (named at the top when KVM steps are on, in the flags otherwise: compare adds them)
  const summary = probe.summary as { kvm_huge?: string; flags?: Record<string, string> };
  const aName = a ?? String(summary.kvm_huge ?? summary.flags?.[hook] ?? '');
  if (!aName) failUsage(new UsageError(`this configuration has no ${hook} decision (does --ops include kvm?)`));
  const b = fileish(vs[hook]!);
  if (fileish(aName) === b)
    failUsage(
      new UsageError(
        `both sides are ${b}` +
          (a === undefined ? ` (side A defaults to ${era ? `era ${era}'s` : "the era's"} ${hook})` : '') +
          `: name side A with --set ${hook}=<variant> or --predicate ${hook}=FILE`,
      ),
    );
  for (const [f, what] of [[o.plot, 'plot'], [o.html, 'HTML file']] as const) if (f !== undefined) tryUsage(() => checkWritable(f, what));
  const { model, config } = buildModel({ ...opts, compare: { a: aName, b } } as ModelOpts);
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
  const sides: Side[] = (['a', 'b'] as const).map((label, i) => ({
    label,
    variant: i === 0 ? aName : b,
    counts: Object.fromEntries(
      CLASSES.map(([cls], j) => [cls, count(`compare ${label.toUpperCase()}: ${['agree', 'false positive', 'false negative', 'false negative with no PTE mapping the THP anywhere'][j]}`)]),
    ),
    examples: Object.fromEntries(CLASSES.map(([cls]) => [cls, report.properties.find((p) => p.name === `compare-${label}-${cls}`)?.trace ?? null])),
  }));
  const unsafe = sides.some((s) => s.counts['false-positive']! > 0);
  if (o.plot !== undefined || o.html !== undefined) {
    const chart = comparePlot(hook, sides.map((s) => ({ label: s.label.toUpperCase(), variant: s.variant, counts: s.counts })));
    if (o.plot !== undefined) tryUsage(() => writeFileOrUsage(o.plot, chart, 'plot'));
    if (o.html !== undefined) {
      const examples = sides.flatMap((s) =>
        CLASSES.filter(([cls]) => cls !== 'agree' && s.examples[cls]).map(([cls, title]) => ({ title: `${s.label.toUpperCase()} (${s.variant}): ${title}`, trace: s.examples[cls]! })),
      );
      const title = `mmcheck compare ${hook}: A = ${sides[0]!.variant}, B = ${sides[1]!.variant}${unsafe ? ' (UNSAFE)' : ''}`;
      const page = comparePage(model, title, [...summaryLines(report.model, report.config), `ground truth: ${known!.truth}`], chart, examples);
      tryUsage(() => writeFileOrUsage(o.html, page, 'HTML file'));
    }
  }
  const others = report.properties.filter((p) => !p.name.startsWith('compare-'));
  if (o.json || o.format === 'json') {
    const out = {
      hook,
      truth: known!.truth,
      model: report.model,
      era: report.era,
      config: report.config,
      exhaustive: report.exhaustive,
      cut: report.cut,
      stats: report.stats,
      evaluations: sides[0]!.counts.agree! + sides[0]!.counts['false-positive']! + sides[0]!.counts['false-negative']!,
      sides: sides.map((s) => ({ side: s.label, variant: s.variant, counts: s.counts, examples: s.examples })),
      properties: others.map((p) => ({ name: p.name, kind: p.kind, status: p.status })),
      unsafe,
    };
    io.out(JSON.stringify(out, null, 2) + '\n');
  } else io.out(renderCompare(report, hook, known!.truth, sides));
  return unsafe || report.violated.length > 0 ? EXIT_VIOLATION : EXIT_OK;
}

function renderCompare(r: Report, hook: string, truth: string, sides: Side[]): string {
  const out: string[] = [];
  const s = r.stats;
  out.push(`mmcheck compare: ${hook}  A = ${sides[0]!.variant}  B = ${sides[1]!.variant}`);
  out.push(`model ${r.model} era=${r.era ?? '-'} profile=${String(r.config.profile)} procs=${String(r.config.procs)} subpages=${String(r.config.subpages)} ops=${(r.config.ops as string[]).join(',')}`);
  out.push(`ground truth: ${truth}`);
  out.push(
    `search: ${r.exhaustive ? 'EXHAUSTIVE' : `BOUNDED, not exhaustive: ${r.cut}`}; ${fmtInt(s.distinct)} distinct states, ${fmtInt(s.transitions)} transitions, depth ${s.depth}, ${s.seconds.toFixed(2)} s`,
  );
  const n = sides[0]!.counts.agree! + sides[0]!.counts['false-positive']! + sides[0]!.counts['false-negative']!;
  out.push(`evaluations: ${fmtInt(n)} (each reachable kvm_map that passed mmu_notifier_retry, from a distinct state)`);
  out.push('');
  const w = Math.max(...sides.map((x) => x.variant.length), 7);
  out.push(`  ${'side'.padEnd(4)}  ${'variant'.padEnd(w)}  ${'agree'.padStart(9)}  ${'false pos'.padStart(9)}  ${'false neg'.padStart(9)}  ${'of which no PTE maps the THP'.padStart(28)}`);
  for (const x of sides)
    out.push(
      `  ${x.label.toUpperCase().padEnd(4)}  ${x.variant.padEnd(w)}  ${fmtInt(x.counts.agree!).padStart(9)}  ${fmtInt(x.counts['false-positive']!).padStart(9)}  ` +
        `${fmtInt(x.counts['false-negative']!).padStart(9)}  ${fmtInt(x.counts['false-negative-stale']!).padStart(28)}`,
    );
  const bad = r.properties.filter((p) => !p.name.startsWith('compare-') && p.status === 'violated');
  if (bad.length) out.push('', `model properties VIOLATED under the ground truth: ${bad.map((p) => p.name).join(', ')}`);
  for (const x of sides)
    for (const [cls, title] of CLASSES) {
      if (cls === 'agree') continue;
      const t = x.examples[cls];
      out.push('');
      if (!t) {
        out.push(`${x.label.toUpperCase()} (${x.variant}): never a ${title}${r.exhaustive ? '' : ' within the bound'}`);
        continue;
      }
      out.push(`${x.label.toUpperCase()} (${x.variant}): shortest example of a ${title}, ${t.steps.length} steps:`);
      out.push(...renderTrace(t).slice(1));
    }
  out.push('');
  const fp = sides.filter((x) => x.counts['false-positive']! > 0).map((x) => x.label.toUpperCase());
  out.push(fp.length ? `result: UNSAFE: side ${fp.join(' and ')} would map 2M over something else` : `result: no false positive on either side${r.exhaustive ? '' : ' within the bound (not exhaustive)'}`);
  return out.join('\n') + '\n';
}
