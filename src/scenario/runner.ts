/**
 * Run a compiled scenario: one exhaustive bfs per era over the `scenario`
 * model, then each check's observation against its expectation.
 *
 * Observations: a property (always / action / kernel-assertion) is `holds` or
 * `violated` over every reachable state; a cover is `reached` or `unreached`;
 * the condition is `Never`, `Sometimes` or `Always` over the final states (as
 * herd's Observation line). If no interleaving reaches a final state, the
 * condition is observed `blocked`, and so is a property or cover that did not
 * fire: a scenario that never completes must not pass by being vacuous.
 */
import type { Model } from '../model.js';
import { search, type Progress } from '../checker/search.js';
import { buildTrace, type Trace } from '../checker/trace.js';
import type { CompiledScenario, EraPlan, Expected } from './compile.js';
import { BLOCKED, COND_FALSE, COND_TRUE, createScenarioModel, FINAL, type ModelFactory } from './program.js';

export type Observed = Expected | 'blocked';

/**
 * The scenario model's internal properties, as a failure's trace introduces them (a user reads "a final
 * state where the condition does not hold", not `condition-false`).
 */
export const WITNESS_TITLES: Readonly<Record<string, { what: string; end: string }>> = {
  [COND_FALSE]: { what: 'a final state where the condition does not hold', end: 'the final state does not satisfy the condition' },
  [BLOCKED]: { what: 'an interleaving that blocks before the end', end: 'no process can take its next step' },
};

export interface CheckOutcome {
  file: string;
  /** the scenario's MM name */
  name: string;
  /** the run: the era, or with variant lines `era/variant` (the variant alone for a model without eras) */
  era: string;
  /** the variant of this run, when the file has variant lines */
  variant?: string;
  /** a property name, or `condition` */
  check: string;
  kind: 'property' | 'cover' | 'condition';
  /** the condition as written (condition checks only) */
  condition?: string;
  expected: Expected;
  observed: Observed;
  pass: boolean;
  /** one line: why it failed (failures only) */
  message?: string;
  /** the counterexample or witness that shows the failure */
  trace?: Trace;
  /** about the run of this era, shared by its checks */
  states: number;
  transitions: number;
  /** bfs depth of the era's search */
  depth: number;
  seconds: number;
  exhaustive: boolean;
  notes: string[];
}

export interface RunOptions {
  create: ModelFactory;
  workers?: number;
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
}

/**
 * Does this observation show the bug the file is about? A property violated; a condition's state reached
 * (exists, ~exists: the clause names the bad final state) or not always reached (forall: it names the
 * good one). A cover reached is not a bug: it is reachability, the plain pass of a cover.
 */
export function showsBug(kind: CheckOutcome['kind'], observed: string, condition?: string): boolean {
  if (kind === 'property') return observed === 'violated';
  if (kind === 'condition') return condition?.startsWith('forall') ? observed !== 'Always' : observed !== 'Never' && observed !== 'blocked';
  return false;
}

/** `era v4.6`, `variant fault`, or `era v4.6, variant fault` */
function runName(plan: EraPlan): string {
  if (!plan.variant) return `era ${plan.era}`;
  const era = plan.era.slice(0, plan.era.length - plan.variant.length - 1);
  return era ? `era ${era}, variant ${plan.variant}` : `variant ${plan.variant}`;
}

export async function runScenario(c: CompiledScenario, opts: RunOptions): Promise<CheckOutcome[]> {
  const out: CheckOutcome[] = [];
  for (const plan of c.eras) out.push(...(await runEra(c, plan, opts)));
  return out;
}

async function runEra(c: CompiledScenario, plan: EraPlan, opts: RunOptions): Promise<CheckOutcome[]> {
  const config = { program: plan.program };
  const model: Model = createScenarioModel(plan.program, opts.create);
  const wanted = [...plan.checks.filter((k) => k.kind !== 'condition').map((k) => k.name), FINAL, BLOCKED];
  if (plan.program.condition) wanted.push(COND_TRUE, COND_FALSE);
  const r = await search(model, {
    strategy: 'bfs',
    workers: opts.workers ?? 1,
    spec: { modelId: 'scenario', config },
    properties: wanted,
    onProgress: opts.onProgress,
    progressEveryMs: opts.progressEveryMs,
  });
  const idx = (n: string) => model.properties.findIndex((p) => p.name === n);
  const found = (n: string) => r.findings[idx(n)] ?? null;
  const trace = (n: string): Trace | undefined => {
    const f = found(n);
    return f ? buildTrace(model, config, n, f) : undefined;
  };
  const final = found(FINAL) !== null;
  // where the processes stand in the first (shortest) blocked state
  const blockedAt = (): string => {
    const t = trace(BLOCKED);
    if (!t) return '';
    return Object.entries(t.final)
      .filter(([k, v]) => k.endsWith('.next') && v !== 'done')
      .map(([k, v]) => `${k.slice(0, -'.next'.length)} at ${String(v).replace(/^#\d+ /, '')}`)
      .join(', ');
  };
  const notes: string[] = [];
  let stuck = '';
  if (!final) {
    const at = blockedAt();
    stuck = `no interleaving runs every process to the end${at ? ` (first blocked state: ${at})` : ''}`;
    notes.push(stuck);
  } else if (found(BLOCKED)) notes.push(`some interleavings block before the end (e.g. ${blockedAt()}); they reach no final state`);
  model.properties.forEach((p, i) => {
    if (p.kind === 'kernel-assertion' && r.findings[i] && !plan.checks.some((k) => k.name === p.name))
      notes.push(`${p.name} fired: the kernel would crash there, so those interleavings end early`);
  });
  if (!r.exhaustive) notes.push(`search not exhaustive: ${r.cut}`);
  const run = { states: r.distinct, transitions: r.transitions, depth: r.depth, seconds: r.seconds, exhaustive: r.exhaustive, notes };
  return plan.checks.map((k): CheckOutcome => {
    let observed: Observed;
    let why: Trace | undefined;
    if (k.kind === 'condition') {
      const yes = found(COND_TRUE) !== null;
      const no = found(COND_FALSE) !== null;
      observed = !final ? 'blocked' : !yes ? 'Never' : no ? 'Sometimes' : 'Always';
      if (observed === 'blocked') why = trace(BLOCKED);
      else if (k.expected === 'Never' || (k.expected === 'Sometimes' && observed === 'Always')) why = trace(COND_TRUE);
      else why = trace(COND_FALSE);
    } else {
      const fired = found(k.name) !== null;
      observed = k.kind === 'cover' ? (fired ? 'reached' : 'unreached') : fired ? 'violated' : 'holds';
      if (fired) why = trace(k.name);
      else if (!final) {
        observed = 'blocked';
        why = trace(BLOCKED);
      }
    }
    const pass = observed === k.expected && r.exhaustive;
    const what = k.kind === 'condition' ? `condition ${c.scenario.condition!.text}` : `property ${k.name}`;
    const o: CheckOutcome = {
      file: c.file,
      name: c.name,
      era: plan.era,
      ...(plan.variant ? { variant: plan.variant } : {}),
      check: k.name,
      kind: k.kind,
      ...(k.kind === 'condition' ? { condition: c.scenario.condition!.text } : {}),
      expected: k.expected,
      observed,
      pass,
      ...run,
    };
    if (!pass) {
      o.message =
        `${runName(plan)}, ${what}: expected ${k.expected}, observed ${observed}` +
        (observed === 'blocked' ? `: ${stuck}` : '') +
        (!r.exhaustive ? ` (search not exhaustive: ${r.cut})` : '') +
        ` (Result line ${k.resultLine})`;
      if (why) o.trace = why;
    }
    return o;
  });
}
