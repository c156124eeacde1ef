/**
 * The Model interface (Stateright-sized). A model owns a fixed action
 * alphabet 0..actionCount-1; actions(state) lists the enabled ones in order,
 * apply() computes one successor. The engine knows nothing about kernels.
 */
import type { Map as IMap } from 'immutable';
import type { Layout } from './state/layout.js';
import type { Property } from './property.js';

export interface ActionInfo {
  /** short operation name, e.g. `fork`, `wp_fault` */
  readonly name: string;
  /** arguments, e.g. { mm: 0, addr: 2 } */
  readonly args: Readonly<Record<string, number | string>>;
  /** the kernel call path this step stands for */
  readonly kernel: string;
}

/** Per-transition services the engine hands to apply(). */
export interface StepContext {
  /** count a branch of a modelled kernel function (path coverage) */
  cover(point: number): void;
  /** report that this transition violates property `prop` (action or kernel-assertion kinds) */
  fail(prop: number): void;
  /**
   * When present, cover(p) is just counts[p]++, and a model may do that itself: a call through the
   * context per branch costs more than the branch (THP: 2.7 cover points per transition).
   */
  readonly counts?: Float64Array;
}

export interface Model {
  readonly id: string;
  readonly layout: Layout;
  /** bytes per state (layout.bytes) */
  readonly stateBytes: number;
  /** size of the action alphabet; action ids are 0..actionCount-1 */
  readonly actionCount: number;
  /** named properties; their index is their id in StepContext.fail() */
  readonly properties: readonly Property[];
  /** names of the coverage points passed to StepContext.cover() */
  readonly coverPoints: readonly string[];

  initStates(): Uint8Array[];
  /**
   * Successor of `src` under action `a`, written into `dst` (same length).
   * Returns false if the action is disabled in src (dst's content is then
   * unspecified). Never mutates src. Guards are side-effect free.
   */
  apply(src: Uint8Array, a: number, dst: Uint8Array, ctx: StepContext): boolean;
  describe(a: number): ActionInfo;
  /** Decoded, immutable view of a state: flat field name -> value (traces, diffs, JSON). */
  decode(s: Uint8Array): IMap<string, number | string>;
  /** Optional one-line-per-entity text rendering of a state for traces. */
  render?(s: Uint8Array): string[];
  /** Optional: called once before the state properties are evaluated on s (e.g. to count mappings once). */
  prepare?(s: Uint8Array): void;
  /** Optional symmetry reduction: rewrite s in place to a canonical representative. */
  canonicalize?(s: Uint8Array): void;
  /** Human summary of the configuration (for reports). */
  readonly summary: Readonly<Record<string, unknown>>;
}

/** The enabled actions of a state, in alphabet order (convenience, not the hot path). */
export function enabledActions(m: Model, s: Uint8Array): number[] {
  const out: number[] = [];
  const dst = new Uint8Array(m.stateBytes);
  const ctx: StepContext = { cover() {}, fail() {} };
  for (let a = 0; a < m.actionCount; a++) if (m.apply(s, a, dst, ctx)) out.push(a);
  return out;
}

/** A user mistake (bad flag, unknown era, malformed file): one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
