/**
 * Properties are data: a name, a kind and a check.
 *  - always: an invariant over reachable states; a violating state is a counterexample.
 *  - sometimes: a cover; reaching it is good news, never reaching it means a
 *    vacuous model or a missed optimisation.
 *  - action: a condition on a transition; reported by the model through
 *    StepContext.fail() at the firing site, or by `check(pre, a, post)`.
 *  - kernel-assertion: the model's VM_BUG_ON/VM_WARN_ON stand-ins, reported
 *    through StepContext.fail(); the offending successor is not expanded.
 */

export type PropertyKind = 'always' | 'sometimes' | 'action' | 'kernel-assertion';

export interface PropertyBase {
  readonly name: string;
  readonly kind: PropertyKind;
  /** one line, shown by `mmcheck list properties` */
  readonly description: string;
  /** for `always`/`action`: the name of the cover that shows the situation is reachable */
  readonly cover?: string;
}

export interface StateProperty extends PropertyBase {
  readonly kind: 'always' | 'sometimes';
  check(s: Uint8Array): boolean;
  /** for a violating state, one line saying what is wrong (not the hot path) */
  explain?(s: Uint8Array): string | null;
}

/**
 * Fired on a transition: by `check(pre, a, post)` returning false, or by the
 * model calling StepContext.fail() at the firing site. A `sometimes` with
 * `transition: true` is a cover over transitions (e.g. "a COW reuse happened").
 */
export interface TransitionProperty extends PropertyBase {
  readonly kind: 'action' | 'kernel-assertion' | 'sometimes';
  readonly transition?: true;
  check?(pre: Uint8Array, a: number, post: Uint8Array): boolean;
}

export type Property = StateProperty | TransitionProperty;

export type PropertyStatus = 'holds' | 'violated' | 'reached' | 'unreached';

export function isStateProperty(p: Property): p is StateProperty {
  return p.kind === 'always' || (p.kind === 'sometimes' && !(p as TransitionProperty).transition);
}
