/**
 * A scenario as a Model: the inner model's state plus, per process of the
 * scenario ("actor"), a program counter and the address space (mm slot) it
 * runs on. The only steps are "actor X runs its next statement", each mapped
 * to one action of the inner model by matching describe() names and
 * arguments, so the checker explores every interleaving of the processes'
 * programs and nothing else. Engine level: no kernel knowledge beyond three
 * conventions of the models it wraps, all in the THP model's terms and listed
 * here:
 *   - an action with an `mm` argument runs in that address space, and an
 *     actor's statements fill `mm` with its slot;
 *   - `fork(X)` is the inner `fork` action of the running actor's mm; the
 *     child takes the lowest mm slot no actor has taken yet (models never
 *     reuse a slot: an exited mm keeps its slot), and X starts on it;
 *   - per-address-space fields of decode() are named `mm<slot>.<field>`, so a
 *     condition can say `P1.pte[2]` for "the pte[2] of P1's mm".
 * A statement disabled in the inner model blocks its actor (like herd: an
 * interleaving in which it can never run does not reach a final state). A
 * step that reports one of the spec's `retry` coverage points has not
 * completed its statement: the actor runs the statement again next.
 * Final state: every actor has run its whole program.
 *
 * The wrapper is rebuilt from JSON (ProgramSpec) in worker threads: the
 * registry entry `scenario` takes `{ program }` and the inner model's factory.
 */
import type { OrderedMap } from 'immutable';
import { immutable } from '../state/immutable.js';
import { UsageError, type ActionInfo, type Model, type StepContext } from '../model.js';
import { isStateProperty, type Property, type StateProperty } from '../property.js';
import { Layout } from '../state/layout.js';

/** A final-state condition with actor references resolved to actor indices. */
export type CondSpec =
  | { t: 'and' | 'or'; a: CondSpec; b: CondSpec }
  | { t: 'not'; a: CondSpec }
  /** actor !== null: field is relative to that actor's mm (`mm<slot>.` + field) */
  | { t: 'cmp'; actor: number | null; field: string; eq: boolean; value: string };

export interface StmtSpec {
  op: string;
  /** the argument as written (`2`, `2..3`, `F0`); for fork, the child's actor index as a string */
  arg: string | null;
  /** fork: index of the actor it starts */
  child?: number;
  /** `op(arg)` as written, for traces */
  text: string;
}

export interface ProgramSpec {
  name: string;
  inner: { model: string; config: Record<string, unknown> };
  actors: { name: string; stmts: StmtSpec[] }[];
  condition: CondSpec | null;
  /**
   * Coverage points of the inner model after which a statement has not
   * completed and runs again (the kernel's VM_FAULT_FALLBACK: the fault split
   * the PMD and returned, and the CPU retries the access). Other processes may
   * run in between, as in the kernel, which dropped its locks.
   */
  retry?: string[];
}

/** Names of the properties the wrapper adds after the inner model's. */
export const FINAL = 'final';
export const BLOCKED = 'blocked';
export const COND_TRUE = 'condition';
export const COND_FALSE = 'condition-false';
export const WRAPPER_PROPERTIES = [FINAL, BLOCKED, COND_TRUE, COND_FALSE];

export type ModelFactory = (id: string, config: Record<string, unknown>) => Model;

export const MM_PREFIX = 'mm';
/** the mm slot field value of an actor that has not started */
const NOT_STARTED = 0;

/** Normalised argument text: `[2..3]` -> `2..3`, `[2]`/`2..2` -> `2`. */
export function normArg(v: string | number): string {
  let s = String(v).replace(/\s+/g, '');
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const m = s.match(/^(\d+)\.\.(\d+)$/);
  if (m) return Number(m[1]) === Number(m[2]) ? String(Number(m[1])) : `${Number(m[1])}..${Number(m[2])}`;
  return /^\d+$/.test(s) ? String(Number(s)) : s;
}

/** Index of the inner alphabet by operation name. */
export function actionsByName(inner: Model): Map<string, { id: number; info: ActionInfo }[]> {
  const out = new Map<string, { id: number; info: ActionInfo }[]>();
  for (let a = 0; a < inner.actionCount; a++) {
    const info = inner.describe(a);
    let l = out.get(info.name);
    if (!l) out.set(info.name, (l = []));
    l.push({ id: a, info });
  }
  return out;
}

/**
 * The inner action a statement stands for when its actor runs on mm `slot`:
 * same name, `mm` = slot (for actions that take one), and the one remaining
 * argument equal to the statement's (after normalising). Returns the action
 * id, or a one-line reason it has none.
 */
export function resolveStatement(
  byName: Map<string, { id: number; info: ActionInfo }[]>,
  modelId: string,
  st: { op: string; arg: string | null },
  slot: number,
): number | string {
  const cands = byName.get(st.op);
  if (!cands || cands.length === 0)
    return `'${st.op}' is not a single step of model ${modelId} (steps of this scenario's configuration: ${[...byName.keys()].join(', ')}; see \`mmcheck list ops\`)`;
  const here = cands.filter((c) => !('mm' in c.info.args) || c.info.args.mm === slot);
  if (here.length === 0) return `${st.op} has no step on mm${slot} in model ${modelId}`;
  const keys = Object.keys(here[0]!.info.args).filter((k) => k !== 'mm');
  const arg = st.op === 'fork' ? null : st.arg;
  if (keys.length === 0) {
    if (arg !== null) return `${st.op} takes no argument, got '${arg}'`;
    return here[0]!.id;
  }
  if (keys.length > 1) return `${st.op} has arguments ${keys.join(', ')} in model ${modelId}; a statement gives one`;
  const key = keys[0]!;
  const choices = [...new Set(here.map((c) => normArg(c.info.args[key]!)))];
  if (arg === null) return `${st.op} needs its ${key}: one of ${choices.join(', ')}`;
  const want = normArg(arg);
  const hit = here.filter((c) => normArg(c.info.args[key]!) === want);
  if (hit.length === 0) return `no ${st.op}(${arg}) in model ${modelId} with this configuration: its ${key} is one of ${choices.join(', ')}`;
  if (hit.length > 1) return `${st.op}(${arg}) is ambiguous in model ${modelId}`;
  return hit[0]!.id;
}

interface Act {
  actor: number;
  pc: number;
  slot: number;
  inner: number;
  /** fork: the actor it starts, else -1 */
  child: number;
  text: string;
}

/** Program counters and process slots are bytes (the parser refuses more, at the line that goes past). */
export const MAX_PROCESSES = 200;
export const MAX_STATEMENTS = 250;

export function createScenarioModel(spec: ProgramSpec, createInner: ModelFactory): Model {
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.actors))
    throw new UsageError('the scenario model is built from a scenario file: use `mmcheck run FILE.litmus`');
  const inner = createInner(spec.inner.model, spec.inner.config);
  const A = spec.actors.length;
  // program counters and slots are bytes
  if (A > MAX_PROCESSES) throw new UsageError(`scenario ${spec.name}: ${A} processes; at most ${MAX_PROCESSES}`);
  for (const a of spec.actors)
    if (a.stmts.length > MAX_STATEMENTS) throw new UsageError(`scenario ${spec.name}: process ${a.name} has ${a.stmts.length} statements; at most ${MAX_STATEMENTS}`);
  const forked = new Set<number>();
  for (const a of spec.actors) for (const st of a.stmts) if (st.child !== undefined) forked.add(st.child);
  const initial = spec.actors.map((_, i) => i).filter((i) => !forked.has(i));
  const byName = actionsByName(inner);
  const retry = new Uint8Array(inner.coverPoints.length);
  for (const name of spec.retry ?? []) {
    const i = inner.coverPoints.indexOf(name);
    if (i < 0) throw new UsageError(`scenario ${spec.name}: model ${inner.id} has no coverage point '${name}' to retry on`);
    retry[i] = 1;
  }
  // the context the inner step reports to: forwards to the engine's, and notes a retry point
  let outerCtx: StepContext | null = null;
  let again = false;
  const stepCtx: StepContext = {
    cover(p: number) {
      if (retry[p]) again = true;
      outerCtx!.cover(p);
    },
    fail(p: number) {
      outerCtx!.fail(p);
    },
  };

  // Actor i's statements can run on the slots it may get: an initial actor on its own, a forked one on any slot past the initial ones.
  const acts: Act[] = [];
  /** actIndex[actor][pc][slot] = wrapper action id, or -1 */
  const actIndex: number[][][] = spec.actors.map((a) => a.stmts.map(() => new Array<number>(A).fill(-1)));
  spec.actors.forEach((a, i) => {
    const slots = initial.includes(i) ? [initial.indexOf(i)] : [...Array(A).keys()].filter((s) => s >= initial.length);
    a.stmts.forEach((st, pc) => {
      for (const slot of slots) {
        const id = resolveStatement(byName, spec.inner.model, st, slot);
        if (typeof id === 'string') throw new UsageError(`scenario ${spec.name}: ${spec.actors[i]!.name}: ${st.text}: ${id}`);
        actIndex[i]![pc]![slot] = acts.length;
        acts.push({ actor: i, pc, slot, inner: id, child: st.child ?? -1, text: st.text });
      }
    });
  });

  // Layout: the inner fields at their offsets, padding, then per actor pc and mm slot (+1; 0 = not started).
  const I = inner.stateBytes;
  const layout = new Layout();
  for (const f of inner.layout.table) {
    const at = f.kind === 'raw' ? layout.raw(f.name, f.doc) : layout.u8(f.name, f.doc, f.format);
    if (at !== f.offset) throw new Error(`scenario: model ${inner.id}'s layout is not packed in table order (${f.name})`);
  }
  for (let i = inner.layout.fieldCount; i < I; i++) layout.u8(`(pad${i})`);
  const PC = I;
  const stride = 2;
  spec.actors.forEach((a) => {
    layout.u8(`${a.name}.next`, `program counter of ${a.name}: statements run so far (of ${a.stmts.length})`);
    layout.u8(`${a.name}.mm`, `mm slot ${a.name} runs on (+1; 0: not started)`, (v) => (v === NOT_STARTED ? '-' : `${MM_PREFIX}${v - 1}`));
  });
  const bytes = layout.bytes;
  const pcOf = (s: Uint8Array, i: number) => s[PC + i * stride]!;
  const slotOf = (s: Uint8Array, i: number) => s[PC + i * stride + 1]! - 1;

  const init = (): Uint8Array[] =>
    inner.initStates().map((s0) => {
      const s = new Uint8Array(bytes);
      s.set(s0);
      initial.forEach((i, k) => (s[PC + i * stride + 1] = k + 1));
      return s;
    });

  // Inner views of outer vectors. prepare(s) caches s's view so the inner properties evaluated right after share it
  // (models like THP count once per vector object in prepare()).
  let lastOuter: Uint8Array | null = null;
  let lastView: Uint8Array | null = null;
  const view = (s: Uint8Array): Uint8Array => (s === lastOuter ? lastView! : s.subarray(0, I));
  let dstOuter: Uint8Array | null = null;
  let dstView: Uint8Array | null = null;
  const scratch = new Uint8Array(I);
  const nullCtx: StepContext = { cover() {}, fail() {} };

  const isFinal = (s: Uint8Array): boolean => {
    for (let i = 0; i < A; i++) if (pcOf(s, i) < spec.actors[i]!.stmts.length) return false;
    return true;
  };

  /** No actor can run its next statement, and some actor has statements left. */
  const isBlocked = (s: Uint8Array): boolean => {
    if (isFinal(s)) return false;
    const v = view(s);
    for (let i = 0; i < A; i++) {
      const pc = pcOf(s, i);
      const slot = slotOf(s, i);
      if (slot < 0 || pc >= spec.actors[i]!.stmts.length) continue;
      const a = actIndex[i]![pc]![slot]!;
      if (a >= 0 && inner.apply(v, acts[a]!.inner, scratch, nullCtx)) return false;
    }
    return true;
  };

  const fieldName = (s: Uint8Array, c: { actor: number | null; field: string }): string =>
    c.actor === null ? c.field : `${MM_PREFIX}${slotOf(s, c.actor)}.${c.field}`;
  const evalCond = (c: CondSpec, s: Uint8Array, d: OrderedMap<string, number | string>): boolean => {
    switch (c.t) {
      case 'and':
        return evalCond(c.a, s, d) && evalCond(c.b, s, d);
      case 'or':
        return evalCond(c.a, s, d) || evalCond(c.b, s, d);
      case 'not':
        return !evalCond(c.a, s, d);
      case 'cmp': {
        const v = d.get(fieldName(s, c));
        return (String(v ?? '-') === c.value) === c.eq;
      }
    }
  };
  const condHolds = (s: Uint8Array): boolean => evalCond(spec.condition!, s, inner.decode(view(s)));

  // The inner properties keep their indices (StepContext.fail passes through); the wrapper's come after.
  const properties: Property[] = inner.properties.map((p): Property => {
    if (isStateProperty(p)) {
      const q: StateProperty = { ...p, check: (s) => p.check(view(s)) };
      if (p.explain) (q as { explain?: StateProperty['explain'] }).explain = (s) => p.explain!(view(s));
      return q;
    }
    if (p.check) return { ...p, check: (pre, a, post) => p.check!(view(pre), acts[a]!.inner, view(post)) };
    return p;
  });
  for (const n of WRAPPER_PROPERTIES)
    if (properties.some((p) => p.name === n)) throw new UsageError(`model ${inner.id} has a property named '${n}', which scenarios reserve`);
  properties.push(
    { name: FINAL, kind: 'sometimes', description: 'every process has run its whole program (a final state)', check: isFinal },
    { name: BLOCKED, kind: 'sometimes', description: 'no process can run its next statement, and some have statements left', check: isBlocked },
  );
  if (spec.condition) {
    properties.push(
      { name: COND_TRUE, kind: 'sometimes', description: 'a final state satisfies the condition', check: (s: Uint8Array) => isFinal(s) && condHolds(s) },
      { name: COND_FALSE, kind: 'sometimes', description: 'a final state does not satisfy the condition', check: (s: Uint8Array) => isFinal(s) && !condHolds(s) },
    );
  }

  const describe = (a: number): ActionInfo => {
    const act = acts[a]!;
    const info = inner.describe(act.inner);
    const args: Record<string, number | string> = { actor: spec.actors[act.actor]!.name, ...info.args };
    if (act.child >= 0) args.child = spec.actors[act.child]!.name;
    return { name: info.name, args, kernel: info.kernel };
  };

  return {
    id: 'scenario',
    layout,
    stateBytes: bytes,
    actionCount: acts.length,
    properties,
    coverPoints: inner.coverPoints,
    summary: { ...inner.summary, scenario: spec.name, processes: spec.actors.map((a) => a.name) },
    initStates: init,
    prepare(s: Uint8Array): void {
      lastOuter = s;
      lastView = s.subarray(0, I);
      inner.prepare?.(lastView);
    },
    apply(src: Uint8Array, a: number, dst: Uint8Array, ctx: StepContext): boolean {
      const act = acts[a]!;
      const at = PC + act.actor * stride;
      if (src[at] !== act.pc || src[at + 1] !== act.slot + 1) return false;
      if (dst !== dstOuter) {
        dstOuter = dst;
        dstView = dst.subarray(0, I);
      }
      outerCtx = ctx;
      again = false;
      if (!inner.apply(view(src), act.inner, dstView!, stepCtx)) return false;
      dst.set(src.subarray(I), I);
      if (!again) dst[at] = act.pc + 1;
      // the child starts at the fork's first run (a fork whose statement runs again keeps the slot it got)
      if (act.child >= 0 && src[PC + act.child * stride + 1] === NOT_STARTED) {
        let used = 0;
        for (let i = 0; i < A; i++) if (src[PC + i * stride + 1] !== NOT_STARTED) used++;
        dst[PC + act.child * stride + 1] = used + 1;
      }
      return true;
    },
    describe,
    decode(s: Uint8Array) {
      const d = inner.decode(view(s));
      return immutable().OrderedMap<string, number | string>().withMutations((m) => {
        m.merge(d);
        spec.actors.forEach((a, i) => {
          const slot = slotOf(s, i);
          const pc = pcOf(s, i);
          m.set(`${a.name}.mm`, slot < 0 ? '-' : `${MM_PREFIX}${slot}`);
          m.set(`${a.name}.next`, slot < 0 ? 'not started' : pc >= a.stmts.length ? 'done' : `#${pc + 1} ${a.stmts[pc]!.text}`);
        });
      });
    },
    ...(inner.render ? { render: (s: Uint8Array) => inner.render!(view(s)) } : {}),
  };
}
