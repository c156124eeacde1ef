/**
 * The one expand/check step every search strategy shares, and the worker
 * threads run: evaluate the state properties of each state in a slice (each
 * distinct state is expanded, so evaluated, exactly once), expand it,
 * fingerprint each successor, evaluate the transition properties, and write
 * everything into flat buffers that can be transferred between threads.
 * Dedupe happens in the caller, in slice order, so results do not depend on
 * how the frontier was cut.
 */
import type { Model, StepContext } from '../model.js';
import { isStateProperty } from '../property.js';
import { fingerprintWords, type Fp } from '../state/fingerprint.js';

/** Per-successor record: parent (index in slice), action, fp hi, fp lo, then `maskWords` words of property bits. */
export const META_FIXED = 4;

export interface SliceResult {
  count: number;
  maskWords: number;
  /** count * (META_FIXED + maskWords) words */
  meta: Uint32Array;
  /** count * stateBytes bytes */
  states: Uint8Array;
  /** per cover point, how often it fired while expanding the slice */
  cover: Float64Array;
  /** per state of the slice, `maskWords` words of state-property bits */
  parentMasks: Uint32Array;
  /** successors not copied out because they were known to be stored already */
  dropped: number;
}

export function maskWordsFor(m: Model): number {
  return Math.max(1, Math.ceil(m.properties.length / 32));
}

/** Bit p set in a mask: property p fired (violated, or reached for a cover). */
export function maskHas(meta: Uint32Array, base: number, p: number): boolean {
  return (meta[base + META_FIXED + (p >>> 5)]! & (1 << (p & 31))) !== 0;
}

/**
 * Reusable expander for one model; keeps its scratch buffers between slices.
 * `only` restricts which properties are evaluated (all when undefined).
 */
export class Expander implements StepContext {
  private readonly n: number;
  private readonly mw: number;
  private readonly stateProps: number[];
  private readonly transProps: number[];
  private mask: Uint32Array;
  private cov: Float64Array;
  private scratch: Uint8Array;
  private scratchWords: Uint32Array;
  private readonly fp: Fp = { hi: 0, lo: 0 };
  private readonly enabled: Uint8Array;

  constructor(private readonly model: Model, only?: ReadonlySet<string>) {
    this.n = model.stateBytes;
    this.mw = maskWordsFor(model);
    this.mask = new Uint32Array(this.mw);
    this.cov = new Float64Array(model.coverPoints.length);
    this.scratch = new Uint8Array(this.n);
    this.scratchWords = new Uint32Array(this.scratch.buffer);
    this.enabled = new Uint8Array(model.properties.length);
    this.stateProps = [];
    this.transProps = [];
    model.properties.forEach((p, i) => {
      const on = !only || only.has(p.name) || p.kind === 'kernel-assertion';
      this.enabled[i] = on ? 1 : 0;
      if (!on) return;
      if (isStateProperty(p)) this.stateProps.push(i);
      else if (p.check) this.transProps.push(i);
    });
  }

  /** successors dropped by `known` in the last expand() (transitions all the same) */
  dropped = 0;

  cover(point: number): void {
    this.cov[point]!++;
  }

  fail(prop: number): void {
    if (this.enabled[prop]) {
      this.mask[prop >>> 5]! |= 1 << (prop & 31);
      this.maskDirty = true;
    }
  }
  private maskDirty = false;

  /** State-property bits of s, written at out[at .. at + maskWords). */
  evaluateInto(s: Uint8Array, out: Uint32Array, at: number): void {
    const props = this.model.properties;
    if (this.stateProps.length > 0) this.model.prepare?.(s);
    for (const p of this.stateProps) {
      const prop = props[p]!;
      if (isStateProperty(prop) && prop.check(s) !== (prop.kind === 'always')) out[at + (p >>> 5)]! |= 1 << (p & 31);
    }
  }

  /** State-property bits of `count` states (ones that will not be expanded: cut by a bound). */
  evaluate(slice: Uint8Array, count: number): Uint32Array {
    const n = this.n;
    const out = new Uint32Array(count * this.mw);
    for (let k = 0; k < count; k++) this.evaluateInto(slice.subarray(k * n, k * n + n), out, k * this.mw);
    return out;
  }

  /**
   * Expand `count` states stored back to back in `slice`. `known(hi, lo)`, if
   * given, says a successor is already stored: it is then counted as a
   * transition but not copied out (unless its transition fired a property).
   * Dropping states the merge would discard anyway changes no result.
   */
  expand(slice: Uint8Array, count: number, known?: (hi: number, lo: number) => boolean): SliceResult {
    const m = this.model;
    const n = this.n;
    const mw = this.mw;
    const rec = META_FIXED + mw;
    const props = m.properties;
    let cap = Math.max(64, count * 8);
    let meta = new Uint32Array(cap * rec);
    let states = new Uint8Array(cap * n);
    let out = 0;
    this.cov = new Float64Array(m.coverPoints.length);
    this.dropped = 0;
    const parentMasks = new Uint32Array(count * mw);
    const dst = this.scratch;
    const A = m.actionCount;
    for (let k = 0; k < count; k++) {
      const src = slice.subarray(k * n, k * n + n);
      this.evaluateInto(src, parentMasks, k * mw);
      for (let a = 0; a < A; a++) {
        if (this.maskDirty) {
          this.mask.fill(0);
          this.maskDirty = false;
        }
        if (!m.apply(src, a, dst, this)) continue;
        if (m.canonicalize) m.canonicalize(dst);
        for (const p of this.transProps) {
          const prop = props[p]!;
          if (!isStateProperty(prop) && prop.check && !prop.check(src, a, dst)) {
            this.mask[p >>> 5]! |= 1 << (p & 31);
            this.maskDirty = true;
          }
        }
        fingerprintWords(this.scratchWords, 0, n >>> 2, this.fp);
        if (known !== undefined && known(this.fp.hi, this.fp.lo)) {
          let any = 0;
          for (let w = 0; w < mw; w++) any |= this.mask[w]!;
          if (any === 0) {
            this.dropped++;
            continue;
          }
        }
        if (out === cap) {
          cap *= 2;
          const m2 = new Uint32Array(cap * rec);
          m2.set(meta);
          meta = m2;
          const s2 = new Uint8Array(cap * n);
          s2.set(states);
          states = s2;
        }
        const b = out * rec;
        meta[b] = k;
        meta[b + 1] = a;
        meta[b + 2] = this.fp.hi;
        meta[b + 3] = this.fp.lo;
        for (let w = 0; w < mw; w++) meta[b + META_FIXED + w] = this.mask[w]!;
        states.set(dst, out * n);
        out++;
      }
    }
    return {
      count: out,
      maskWords: mw,
      meta: meta.slice(0, out * rec),
      states: states.slice(0, out * n),
      cover: this.cov,
      parentMasks,
      dropped: this.dropped,
    };
  }
}
