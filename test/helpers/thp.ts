/**
 * Helpers for the THP model tests (test/models): run a configuration once,
 * read its verdicts by property name, name actions the way the trace printer
 * does (`write(0,0)`, `munmap(1,[2..3])`), and replay a named action sequence
 * to see what each step fired.
 */
import { createModel } from '../../models/registry.js';
import { search, type SearchOptions, type SearchResult } from '../../src/checker/search.js';
import { replay } from '../../src/checker/trace.js';
import type { Model, StepContext } from '../../src/model.js';
import { isStateProperty } from '../../src/property.js';
import { actionLabel, pathLabels } from './paths.js';

export interface ThpRun {
  config: Record<string, unknown>;
  m: Model;
  r: SearchResult;
}

/** Build the thp model for `config` and search it (bfs, 1 worker unless opts say otherwise). */
export async function runThp(config: Record<string, unknown>, opts: SearchOptions = {}): Promise<ThpRun> {
  const m = createModel('thp', config);
  const r = await search(m, opts);
  return { config, m, r };
}

/** Safety kinds: a finding is a violation. */
const SAFETY = new Set(['always', 'action', 'kernel-assertion']);

/** Names of the safety properties with a finding (violated), in property order. */
export function violated(run: ThpRun): string[] {
  return run.m.properties.filter((p, i) => SAFETY.has(p.kind) && run.r.findings[i] !== null).map((p) => p.name);
}

/** Names of the covers (sometimes) never reached, in property order. */
export function unreached(run: ThpRun): string[] {
  return run.m.properties.filter((p, i) => p.kind === 'sometimes' && run.r.findings[i] === null).map((p) => p.name);
}

/** Names of every cover (sometimes) the model defines. */
export function covers(m: Model): string[] {
  return m.properties.filter((p) => p.kind === 'sometimes').map((p) => p.name);
}

/** The shortest path the search recorded for a property, as labels; null if none. */
export function labelsOf(run: ThpRun, prop: string): string[] | null {
  const i = run.m.properties.findIndex((p) => p.name === prop);
  if (i < 0) throw new Error(`the thp model (${JSON.stringify(run.config)}) has no property ${prop}`);
  return pathLabels(run.m, run.r.findings[i]);
}

/** The action id of a label such as `write(0,0)` or `munmap(1,[2..3])`. */
export function actionId(m: Model, label: string): number {
  for (let a = 0; a < m.actionCount; a++) if (actionLabel(m, a) === label) return a;
  throw new Error(`no action ${label} in this thp model`);
}

/** Replay labelled actions from the initial state: per step, the property names the transition fired (state properties are not evaluated). */
export function firedAlong(m: Model, labels: string[]): string[][] {
  const { fired } = replay(m, { init: 0, actions: labels.map((l) => actionId(m, l)) });
  return fired.map((f) => [...f].map((i) => m.properties[i]!.name));
}

/** The state after replaying labelled actions. */
export function stateAfter(m: Model, labels: string[]): Uint8Array {
  const { states } = replay(m, { init: 0, actions: labels.map((l) => actionId(m, l)) });
  return states[states.length - 1]!;
}

/** Whether a state property (always: violated / sometimes: reached) fires in s. */
export function firesIn(m: Model, prop: string, s: Uint8Array): boolean {
  const p = m.properties.find((x) => x.name === prop);
  if (!p || !isStateProperty(p)) throw new Error(`${prop} is not a state property`);
  m.prepare?.(s);
  return p.kind === 'always' ? !p.check(s) : p.check(s);
}

/** Plain BFS over raw vectors (no engine code): every reachable state, kernel-assertion successors dropped. */
export function reachable(m: Model): Uint8Array[] {
  let bug = false;
  const ctx: StepContext = { cover() {}, fail: (p) => void (m.properties[p]!.kind === 'kernel-assertion' && (bug = true)) };
  const key = (s: Uint8Array) => Buffer.from(s).toString('latin1');
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const s0 of m.initStates()) if (!seen.has(key(s0))) (seen.add(key(s0)), out.push(Uint8Array.from(s0)));
  for (let h = 0; h < out.length; h++)
    for (let a = 0; a < m.actionCount; a++) {
      const d = new Uint8Array(m.stateBytes);
      bug = false;
      if (!m.apply(out[h]!, a, d, ctx) || bug) continue;
      const k = key(d);
      if (!seen.has(k)) (seen.add(k), out.push(d));
    }
  return out;
}
