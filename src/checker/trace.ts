/**
 * Counterexample traces, rebuilt by replaying actions from an initial state
 * (the search stores only parent and action per state). Each step carries the
 * action, the kernel call path it stands for, the decoded state after it and
 * the per-field diff. Saved as JSON; replayTrace() re-runs a saved one and
 * fails loudly if it no longer reproduces.
 */
import type { Map as IMap } from 'immutable';
import { immutable } from '../state/immutable.js';
import type { ActionInfo, Model, StepContext } from '../model.js';
import { isStateProperty } from '../property.js';
import { fpHex, stableFingerprint } from '../state/fingerprint.js';
import type { Path } from './search.js';

export interface Change {
  field: string;
  from: number | string;
  to: number | string;
}

export interface TraceStep {
  action: string;
  args: Readonly<Record<string, number | string>>;
  kernel: string;
  /** the modelled kernel branches this step took (coverage points, in order) */
  branches: string[];
  /** fingerprint of the state after the step */
  fp: string;
  changes: Change[];
  /** properties this transition fired (action / kernel-assertion kinds) */
  fired: string[];
}

export interface Trace {
  model: string;
  config: unknown;
  property: string;
  kind: string;
  init: number;
  initFp: string;
  initial: Record<string, number | string>;
  steps: TraceStep[];
  /** the state after the last step, decoded */
  final: Record<string, number | string>;
  /** ids of the actions, to replay without names */
  actionIds: number[];
  /** for a state property, what the final state gets wrong */
  why?: string;
}

export class ReplayError extends Error {}

/** Field-by-field changes from a to b, in `order` (the layout's field order) where given. */
export function diff(a: IMap<string, number | string>, b: IMap<string, number | string>, order?: readonly string[]): Change[] {
  if (immutable().is(a, b)) return [];
  const out: Change[] = [];
  const keys = new Set<string>([...(order ?? []).filter((k) => a.has(k) || b.has(k)), ...a.keys(), ...b.keys()]);
  for (const k of keys) {
    const x = a.get(k, '-');
    const y = b.get(k, '-');
    if (x !== y) out.push({ field: k, from: x, to: y });
  }
  return out;
}

interface Replayed {
  /** states[0] is the initial state, states[k] the state after step k */
  states: Uint8Array[];
  /** per step, the property indices the transition fired */
  fired: Set<number>[];
  /** per step, the coverage points it fired, in order */
  branches: number[][];
}

/** Re-run a path from its initial state; throws ReplayError if an action is disabled where it should fire. */
export function replay(model: Model, path: Path): Replayed {
  const inits = model.initStates();
  const s0 = inits[path.init];
  if (!s0) throw new ReplayError(`trace starts from initial state ${path.init}, but the model has ${inits.length}`);
  let cur = new Uint8Array(model.stateBytes);
  cur.set(s0);
  model.canonicalize?.(cur);
  const states = [cur];
  const fired: Set<number>[] = [];
  const branches: number[][] = [];
  for (const [idx, a] of path.actions.entries()) {
    if (!Number.isInteger(a) || a < 0 || a >= model.actionCount)
      throw new ReplayError(`step ${idx + 1}: action id ${a} is not in this model's alphabet`);
    const next = new Uint8Array(model.stateBytes);
    const f = new Set<number>();
    const b: number[] = [];
    const ctx: StepContext = { cover: (c) => void (b.includes(c) || b.push(c)), fail: (p) => f.add(p) };
    if (!model.apply(cur, a, next, ctx))
      throw new ReplayError(`step ${idx + 1} (${formatAction(model.describe(a))}) is not enabled: the trace no longer reproduces`);
    model.canonicalize?.(next);
    model.properties.forEach((p, i) => {
      if (!isStateProperty(p) && p.check && !p.check(cur, a, next)) f.add(i);
    });
    states.push(next);
    fired.push(f);
    branches.push(b);
    cur = next;
  }
  return { states, fired, branches };
}

export function buildTrace(model: Model, config: unknown, property: string, path: Path): Trace {
  const { states, fired, branches } = replay(model, path);
  const decoded = states.map((s) => model.decode(s));
  const order = model.layout.table.map((f) => f.name);
  const steps: TraceStep[] = path.actions.map((a, k) => {
    const info: ActionInfo = model.describe(a);
    return {
      action: info.name,
      args: info.args,
      kernel: info.kernel,
      branches: branches[k]!.map((c) => model.coverPoints[c] ?? String(c)),
      fp: fpHex(stableFingerprint(states[k + 1]!)),
      changes: diff(decoded[k]!, decoded[k + 1]!, order),
      fired: [...fired[k]!].map((i) => model.properties[i]!.name),
    };
  });
  const prop = model.properties.find((p) => p.name === property);
  const why = prop && isStateProperty(prop) && prop.kind === 'always' ? prop.explain?.(states[states.length - 1]!) ?? undefined : undefined;
  return {
    model: model.id,
    config,
    property,
    kind: prop?.kind ?? 'unknown',
    init: path.init,
    initFp: fpHex(stableFingerprint(states[0]!)),
    initial: decoded[0]!.toObject(),
    steps,
    final: decoded[decoded.length - 1]!.toObject(),
    actionIds: [...path.actions],
    ...(why ? { why } : {}),
  };
}

/** Does a saved trace still reach the same states and still end in what it claims? */
export function traceReproduces(model: Model, t: Trace): { ok: boolean; why: string } {
  const idx = model.properties.findIndex((p) => p.name === t.property);
  if (idx < 0) return { ok: false, why: `property ${t.property} does not exist in model ${model.id}` };
  if (t.steps.length !== t.actionIds.length)
    return { ok: false, why: `the trace records ${t.steps.length} steps but ${t.actionIds.length} action ids` };
  const { states, fired } = replay(model, { init: t.init, actions: t.actionIds });
  if (fpHex(stableFingerprint(states[0]!)) !== t.initFp) return { ok: false, why: 'the initial state differs from the recorded one' };
  for (let i = 0; i < t.steps.length; i++) {
    if (fpHex(stableFingerprint(states[i + 1]!)) !== t.steps[i]!.fp)
      return { ok: false, why: `step ${i + 1} (${t.steps[i]!.action}) reaches a different state than recorded` };
  }
  const p = model.properties[idx]!;
  if (isStateProperty(p)) {
    const fires = p.check(states[states.length - 1]!) !== (p.kind === 'always');
    return fires
      ? { ok: true, why: '' }
      : { ok: false, why: `the final state no longer ${p.kind === 'always' ? 'violates' : 'reaches'} ${p.name}` };
  }
  const last = fired[fired.length - 1];
  return last?.has(idx) ? { ok: true, why: '' } : { ok: false, why: `the last step no longer fires ${p.name}` };
}

export function formatAction(info: ActionInfo): string {
  const args = Object.entries(info.args)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `${info.name}(${args})`;
}
