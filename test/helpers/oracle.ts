/**
 * An independent, deliberately naive state-space oracle for the engine tests.
 * It shares nothing with src/checker, src/fpset or src/state/fingerprint:
 * states are identified by the JSON of their decoded view, the visited set is
 * a Set<string>, every successor is computed by model.apply() into a fresh
 * buffer, and the search is a plain queue-based BFS. Slow, but obviously right
 * for fixture sizes. (It ignores StepContext.fail, so it is only for models
 * without kernel assertions.)
 */
import type { Model, StepContext } from '../../src/model.js';
import { isStateProperty } from '../../src/property.js';

export interface OracleResult {
  distinct: number;
  /** every enabled (state, action) pair over all reachable states */
  transitions: number;
  /** largest BFS distance from an initial state (the eccentricity) */
  maxDistance: number;
  /** levels[d] = number of states at BFS distance d */
  levels: number[];
  /** per property name: BFS distance of the nearest state where it fires (always: violated, sometimes: reached), or null */
  nearest: Record<string, number | null>;
  /** per cover point: how often apply() reported it while expanding every reachable state once */
  coverage: number[];
}

export function keyOf(model: Model, s: Uint8Array): string {
  return JSON.stringify(model.decode(s).toObject());
}

export function oracle(model: Model): OracleResult {
  const seen = new Set<string>();
  const queue: { s: Uint8Array; d: number }[] = [];
  const levels: number[] = [];
  const coverage = model.coverPoints.map(() => 0);
  const ctx: StepContext = { cover: (p) => void coverage[p]!++, fail() {} };
  const nearest: Record<string, number | null> = {};
  for (const p of model.properties) nearest[p.name] = null;
  const visit = (s: Uint8Array, d: number) => {
    const k = keyOf(model, s);
    if (seen.has(k)) return;
    seen.add(k);
    queue.push({ s, d });
    levels[d] = (levels[d] ?? 0) + 1;
    for (const p of model.properties) {
      if (!isStateProperty(p) || nearest[p.name] !== null) continue;
      const fires = p.kind === 'always' ? !p.check(s) : p.check(s);
      if (fires) nearest[p.name] = d;
    }
  };
  for (const s0 of model.initStates()) {
    const s = Uint8Array.from(s0);
    model.canonicalize?.(s);
    visit(s, 0);
  }
  let transitions = 0;
  for (let head = 0; head < queue.length; head++) {
    const { s, d } = queue[head]!;
    for (let a = 0; a < model.actionCount; a++) {
      const dst = new Uint8Array(model.stateBytes);
      const before = Uint8Array.from(s);
      const enabled = model.apply(s, a, dst, ctx);
      if (!before.every((v, i) => v === s[i])) throw new Error(`apply(${a}) mutated its input`);
      if (!enabled) continue;
      model.canonicalize?.(dst);
      transitions++;
      visit(dst, d + 1);
    }
  }
  return { distinct: seen.size, transitions, maxDistance: levels.length - 1, levels, nearest, coverage };
}

/** Number of states within `d` steps of an initial state. */
export function withinDepth(o: OracleResult, d: number): number {
  return o.levels.slice(0, d + 1).reduce((x, y) => x + y, 0);
}
