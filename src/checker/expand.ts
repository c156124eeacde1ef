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
import { fingerprinter, type Fingerprinter, type Fp } from '../state/fingerprint.js';
import { CompactFingerprintSet, PartitionedFingerprintSet, tableHas, tablesHaveMany, type TableSnapshot } from '../fpset/fpset.js';
import type { ParentStore } from './store.js';
import { grownFrontier } from './frontier.js';
import { wordCopier, type WordCopy } from '../state/words.js';

/**
 * Successors already stored, to drop: a membership callback, or the visited set's compact tables
 * (one, or a partitioned set's), looked up in batches so that their cache misses overlap.
 */
export type Known = ((hi: number, lo: number) => boolean) | readonly TableSnapshot[];

/** successors per batched lookup */
const BATCH = 256;
/**
 * Slots of the cache of recent fingerprints (direct-mapped on the low bits, 512 KiB: half an L2).
 * Successors of neighbouring states are often the same states. On v5.19 ranges=basic (42.7M transitions,
 * one thread) the cache misses 14.5M times with 2^14 slots, 11.7M with 2^16 and 9.0M with 2^18; each
 * miss is a lookup in a table larger than the cache, and past 2^16 the cache itself leaves the L2.
 */
const RECENT = 1 << 16;
/** tables up to this size (bytes, all partitions) stay in cache: looked up one by one, without copying known successors out */
const DIRECT_BYTES = 4 << 20;

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

/** The arrays expand() writes its records into. */
export interface ExpandBuffers {
  meta: Uint32Array;
  states: Uint8Array;
  /** `states` as words */
  sw: Uint32Array;
  /** the parents' state-property bits, zeroed */
  pm: Uint32Array;
}

/**
 * Where expand() writes: by default the expander's own buffers (copied out by the caller); the phased
 * pool's threads pass their shared slice's regions instead (slices.ts, SliceSink), so that nothing is copied.
 */
export interface ExpandOut {
  /** arrays for at least `minStates` successors and `parents` parents */
  open(minStates: number, parents: number): ExpandBuffers;
  /** `b` grown to hold twice as many successors, its first `used` records and the parents' bits kept */
  grow(b: ExpandBuffers, used: number): void;
}

export function maskWordsFor(m: Model): number {
  return Math.max(1, Math.ceil(m.properties.length / 32));
}

/** Some property fired on the successor whose record starts at meta[b]. */
export function hasMask(meta: Uint32Array, b: number, mw: number): boolean {
  for (let w = 0; w < mw; w++) if (meta[b + META_FIXED + w] !== 0) return true;
  return false;
}

/**
 * Where the one-thread bfs puts a level's successors as it expands them (Expander.expandInto): new
 * states go straight into the visited set, the trace store and the next level, with no result buffer
 * to copy out and merge.
 */
export interface LevelSink {
  visited: CompactFingerprintSet | PartitionedFingerprintSet;
  store: ParentStore;
  /** the next level's states, `count` of them; grown (replaced) by the expander when full */
  next: Uint8Array;
  count: number;
  /** the largest `next` may grow to (bytes) */
  maxBytes: number;
  /** set when the next level would outgrow maxBytes: expansion stopped before storing a state */
  full: boolean;
  transitions: number;
  /** per cover point, added to as the model fires them */
  cover: Float64Array;
  /** state `id` has state-property bits in mask[0 .. maskWords) */
  noteState(id: number, mask: Uint32Array): void;
  /** the transition (parent, action) fired properties; true when one is a kernel assertion (the successor is not a state) */
  noteTransition(parent: number, action: number, mask: Uint32Array): boolean;
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
  /** a parent's state-property bits (expandInto) */
  private readonly stateMask: Uint32Array;
  /**
   * Fingerprints of successors that are stored, or will be before any later successor is looked up
   * (they precede it in (parent, action) order): a hit is a known state, exactly. Only for expansions
   * in that order, whose successors all get inserted (expandInto, the phased pool's slices).
   */
  private recent: Uint32Array | null = null;
  /** per cover point, how often it fired (StepContext.counts: the model may count into it directly) */
  counts: Float64Array;
  private scratch: Uint8Array;
  private scratchWords: Uint32Array;
  /** the state being expanded, copied out of its slice: one buffer, not a subarray view allocated per state */
  private readonly parent: Uint8Array;
  private readonly parentWords: Uint32Array;
  private readonly fp: Fp = { hi: 0, lo: 0 };
  /** a copy of one state's words, written out for this model's length */
  private readonly copyState: WordCopy;
  /** the visited sets' fingerprint, written out for this state length */
  private readonly hash: Fingerprinter;
  private readonly enabled: Uint8Array;
  private readonly candHi = new Uint32Array(BATCH);
  private readonly candLo = new Uint32Array(BATCH);
  private readonly candAt = new Int32Array(BATCH);
  private readonly candSlot = new Int32Array(BATCH);
  private readonly hit = new Uint8Array(BATCH);

  /** `directBytes`: visited tables up to this size are looked up one by one (tests set it to force either way) */
  constructor(private readonly model: Model, only?: ReadonlySet<string>, private readonly directBytes = DIRECT_BYTES) {
    this.n = model.stateBytes;
    this.mw = maskWordsFor(model);
    this.mask = new Uint32Array(this.mw);
    this.stateMask = new Uint32Array(this.mw);
    this.counts = new Float64Array(model.coverPoints.length);
    this.scratch = new Uint8Array(this.n);
    this.scratchWords = new Uint32Array(this.scratch.buffer);
    this.parent = new Uint8Array(this.n);
    this.parentWords = new Uint32Array(this.parent.buffer);
    this.copyState = wordCopier(this.n >>> 2);
    this.hash = fingerprinter(this.n >>> 2);
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
    this.setLiveStateProps(this.stateProps.slice());
    this.liveTransProps = this.transProps.slice();
    this.live = this.enabled.slice();
  }

  /** words of property bits per record */
  get maskWords(): number {
    return this.mw;
  }
  /** the model's cover points */
  get coverCount(): number {
    return this.model.coverPoints.length;
  }

  /** successors dropped by `known` in the last expand() (transitions all the same) */
  dropped = 0;

  cover(point: number): void {
    this.counts[point]!++;
  }

  fail(prop: number): void {
    if (this.live[prop]) {
      this.mask[prop >>> 5]! |= 1 << (prop & 31);
      this.maskDirty = true;
    }
  }
  private maskDirty = false;

  /**
   * Properties whose first finding is already known (bit set): their state and transition checks are
   * skipped, and the model's fail() for them is ignored, since a later finding would be ignored anyway
   * (a reached `sometimes` fires on a large share of transitions: thp-core's cow-reuse-thp-subpage on
   * 168k of 1.28M). Kernel assertions are never skipped (they drop states).
   */
  setFound(found: Uint32Array | readonly number[] | null): void {
    const props = this.model.properties;
    const live = (p: number) => !found || ((found[p >>> 5] ?? 0) & (1 << (p & 31))) === 0 || props[p]!.kind === 'kernel-assertion';
    this.setLiveStateProps(this.stateProps.filter(live));
    this.liveTransProps = this.transProps.filter(live);
    for (let p = 0; p < props.length; p++) this.live[p] = this.enabled[p]! && live(p) ? 1 : 0;
  }
  private liveStateProps: number[] = [];
  /**
   * Per live state property: its check, and the value of the check that sets its bit (false for an
   * `always`). evaluateInto calls these instead of loading `check` and `kind` from the property objects,
   * whose shapes differ: those loads were megamorphic, 1.2% of a 1-worker v5.19 run's perf samples.
   */
  private stateChecks: ((s: Uint8Array) => boolean)[] = [];
  private stateBitWhen: boolean[] = [];

  private setLiveStateProps(live: number[]): void {
    this.liveStateProps = live;
    this.stateChecks = [];
    this.stateBitWhen = [];
    for (const p of live) {
      const prop = this.model.properties[p]!;
      if (!isStateProperty(prop)) throw new Error(`property ${prop.name} is not a state property`); // (stateProps holds only those)
      this.stateChecks.push(prop.check.bind(prop)); // (a check may be a method)
      this.stateBitWhen.push(prop.kind !== 'always');
    }
  }
  private liveTransProps: number[] = [];
  /** per property: enabled and not yet found (or a kernel assertion): fail() records it */
  private readonly live: Uint8Array;

  /** State-property bits of s, written at out[at .. at + maskWords). */
  evaluateInto(s: Uint8Array, out: Uint32Array, at: number): void {
    const live = this.liveStateProps;
    if (live.length === 0) return;
    const checks = this.stateChecks;
    const bitWhen = this.stateBitWhen;
    this.model.prepare?.(s);
    for (let i = 0; i < live.length; i++) {
      if (checks[i]!(s) === bitWhen[i]) {
        const p = live[i]!;
        out[at + (p >>> 5)]! |= 1 << (p & 31);
      }
    }
  }

  /** State-property bits of `count` states (ones that will not be expanded: cut by a bound). */
  evaluate(slice: Uint8Array, count: number): Uint32Array {
    const n = this.n;
    const out = new Uint32Array(count * this.mw);
    for (let k = 0; k < count; k++) this.evaluateInto(slice.subarray(k * n, k * n + n), out, k * this.mw);
    return out;
  }

  // Output buffers, reused: two sets, alternating, so the previous result stays valid while the next slice
  // is expanded (the bfs loop dispatches slice k+1 before it merges slice k).
  private bufs: ExpandBuffers[] = [];
  private flip = 0;
  /** expand()'s output when the caller gives none */
  private readonly own: ExpandOut = { open: (minStates, parents) => this.buffers(minStates, parents), grow: (b, used) => this.grow(b, used) };

  private buffers(minStates: number, parents: number): ExpandBuffers {
    this.flip ^= 1;
    let b = this.bufs[this.flip];
    const rec = META_FIXED + this.mw;
    if (!b || b.meta.length < minStates * rec) {
      const states = new Uint8Array(minStates * this.n);
      b = { meta: new Uint32Array(minStates * rec), states, sw: new Uint32Array(states.buffer), pm: b?.pm ?? new Uint32Array(0) };
      this.bufs[this.flip] = b;
    }
    if (b.pm.length < parents * this.mw) b.pm = new Uint32Array(parents * this.mw);
    else b.pm.fill(0, 0, parents * this.mw);
    return b;
  }

  private grow(b: ExpandBuffers, used: number): void {
    const cap = (b.meta.length / (META_FIXED + this.mw)) * 2;
    const m2 = new Uint32Array(cap * (META_FIXED + this.mw));
    m2.set(b.meta.subarray(0, used * (META_FIXED + this.mw)));
    b.meta = m2;
    const s2 = new Uint8Array(cap * this.n);
    s2.set(b.states.subarray(0, used * this.n));
    b.states = s2;
    b.sw = new Uint32Array(s2.buffer);
  }

  /**
   * Expand `count` states stored back to back in `slice`. `known`, if given,
   * says which successors are already stored: they are counted as
   * transitions but not copied out (unless their transition fired a property).
   * Dropping states the merge would discard anyway changes no result.
   * `recent`: also drop successors the cache of recent fingerprints knows; only for slices expanded in
   * the order they are merged, all of whose successors are merged (the phased pool's).
   * `large`: what to do with tables larger than the cache ('batch': look them up in batches; 'skip':
   * not at all, for a caller whose next step looks every successor up anyway, the phased dedupe).
   * The result's arrays are views into buffers this expander reuses two calls later, or into `into`'s.
   */
  expand(slice: Uint8Array, count: number, known?: Known, recent = false, large: 'batch' | 'skip' = 'batch', into?: ExpandOut): SliceResult {
    const m = this.model;
    const n = this.n;
    const nw = n >>> 2;
    const mw = this.mw;
    const rec = META_FIXED + mw;
    const sink = into ?? this.own;
    const buf = sink.open(Math.max(64, count * 4), count);
    let meta = buf.meta;
    let sw = buf.sw;
    let cap = meta.length / rec;
    let out = 0;
    this.counts = new Float64Array(m.coverPoints.length);
    this.dropped = 0;
    const dw = this.scratchWords;
    const A = m.actionCount;
    const fp = this.fp;
    let one = typeof known === 'function' ? known : undefined;
    let tables = typeof known === 'function' ? undefined : known;
    if (tables !== undefined && tables.reduce((b, t) => b + t.table.byteLength, 0) <= this.directBytes) {
      const t = tables;
      one = t.length === 1 ? (hi, lo) => tableHas(t[0]!, hi, lo) : (hi, lo) => tableHas(t[PartitionedFingerprintSet.partitionOf(hi, t.length)]!, hi, lo);
      tables = undefined;
    } else if (large === 'skip') tables = undefined;
    // batched lookups: every successor is copied out, then the known ones without findings are squeezed out
    let from = 0;
    let cands = 0;
    const words = this.wordsOf(slice, count);
    for (let k = 0; k < count; k++) {
      const src = this.parentAt(slice, words, k);
      this.evaluateInto(src, buf.pm, k * mw); // (buf.pm: a sink's grow() may move it)
      for (let a = 0; a < A; a++) {
        if (!this.successor(src, a)) continue;
        const clean = !this.maskDirty || this.maskEmpty();
        if (clean && ((recent && this.seenRecently()) || (one !== undefined && one(fp.hi, fp.lo)))) {
          this.dropped++;
          continue;
        }
        if (out === cap) {
          sink.grow(buf, out);
          meta = buf.meta;
          sw = buf.sw;
          cap = meta.length / rec;
        }
        const b = out * rec;
        meta[b] = k;
        meta[b + 1] = a;
        meta[b + 2] = fp.hi;
        meta[b + 3] = fp.lo;
        for (let w = 0; w < mw; w++) meta[b + META_FIXED + w] = this.mask[w]!;
        this.copyState(sw, out * nw, dw, 0);
        if (tables !== undefined && clean) {
          this.candHi[cands] = fp.hi;
          this.candLo[cands] = fp.lo;
          this.candAt[cands++] = out;
        }
        out++;
        if (cands === BATCH) {
          out = this.squeeze(tables!, meta, sw, rec, nw, from, out, cands);
          from = out;
          cands = 0;
        }
      }
    }
    if (cands > 0) out = this.squeeze(tables!, meta, sw, rec, nw, from, out, cands);
    return {
      count: out,
      maskWords: mw,
      meta: meta.subarray(0, out * rec),
      states: buf.states.subarray(0, out * n),
      cover: this.counts,
      parentMasks: buf.pm.subarray(0, count * mw),
      dropped: this.dropped,
    };
  }

  /** Word view of a slice of states, or null when it is not 4-byte aligned (parentAt then copies bytes). */
  private wordsOf(slice: Uint8Array, count: number): Uint32Array | null {
    return slice.byteOffset % 4 === 0 ? new Uint32Array(slice.buffer, slice.byteOffset, (count * this.n) >>> 2) : null;
  }

  /** State k of the slice, copied into the parent buffer (which the model sees as src). */
  private parentAt(slice: Uint8Array, words: Uint32Array | null, k: number): Uint8Array {
    const n = this.n;
    if (words === null) {
      this.parent.set(slice.subarray(k * n, k * n + n));
      return this.parent;
    }
    this.copyState(this.parentWords, 0, words, k * (n >>> 2));
    return this.parent;
  }

  /** The successor whose fingerprint is in `fp` is in the recent cache; if not, it is put there. */
  private seenRecently(): boolean {
    const r = (this.recent ??= new Uint32Array(2 * RECENT));
    const i = 2 * (this.fp.lo & (RECENT - 1));
    if (r[i] === this.fp.hi && r[i + 1] === this.fp.lo) return true;
    r[i] = this.fp.hi;
    r[i + 1] = this.fp.lo;
    return false;
  }

  /**
   * The successor of src under action a, in the scratch vector: canonicalised, its transition-property
   * bits in `mask` (maskDirty when any), its fingerprint in `fp`. False when the action is disabled.
   */
  private successor(src: Uint8Array, a: number): boolean {
    const m = this.model;
    if (this.maskDirty) {
      for (let w = 0; w < this.mw; w++) this.mask[w] = 0;
      this.maskDirty = false;
    }
    const dst = this.scratch;
    if (!m.apply(src, a, dst, this)) return false;
    if (m.canonicalize !== undefined) m.canonicalize(dst);
    const trans = this.liveTransProps;
    for (let t = 0; t < trans.length; t++) {
      const p = trans[t]!;
      const prop = m.properties[p]!;
      if (!isStateProperty(prop) && prop.check && !prop.check(src, a, dst)) {
        this.mask[p >>> 5]! |= 1 << (p & 31);
        this.maskDirty = true;
      }
    }
    this.hash(this.scratchWords, 0, this.fp);
    return true;
  }

  /**
   * Expand `count` states stored back to back in `slice`, numbered from `firstId`, straight into `out`
   * (the one-thread bfs): successors are looked up and inserted one by one, in (parent, action) order,
   * so state numbers, counts and first findings are those of expand() followed by a merge.
   * Returns how many states were expanded: `count`, or fewer if the next level filled up (out.full).
   */
  expandInto(slice: Uint8Array, count: number, firstId: number, out: LevelSink): number {
    const n = this.n;
    const nw = n >>> 2;
    const A = this.model.actionCount;
    const fp = this.fp;
    const dw = this.scratchWords;
    const pm = this.stateMask;
    const st = this.staged(nw);
    this.counts = out.cover;
    let staged = 0;
    const words = this.wordsOf(slice, count);
    for (let k = 0; k < count; k++) {
      const id = firstId + k;
      const src = this.parentAt(slice, words, k);
      for (let w = 0; w < pm.length; w++) pm[w] = 0; // (a loop: fill() of one or two words is a call into C++)
      this.evaluateInto(src, pm, 0);
      if (this.hasBits(pm)) out.noteState(id, pm);
      for (let a = 0; a < A; a++) {
        if (!this.successor(src, a)) continue;
        out.transitions++;
        if (this.maskDirty && !this.maskEmpty() && out.noteTransition(id, a, this.mask)) continue;
        if (this.seenRecently()) continue;
        st.hi[staged] = fp.hi;
        st.lo[staged] = fp.lo;
        st.parent[staged] = id;
        st.action[staged] = a;
        this.copyState(st.words, staged * nw, dw, 0);
        if (++staged === BATCH) {
          this.insertStaged(out, staged, nw);
          staged = 0;
          if (out.full) return k + 1;
        }
      }
    }
    if (staged > 0) this.insertStaged(out, staged, nw);
    return count;
  }

  /** Successors staged by expandInto, waiting for their batched insertion. */
  private stage: { hi: Uint32Array; lo: Uint32Array; parent: Int32Array; action: Int32Array; words: Uint32Array } | null = null;

  private staged(nw: number): { hi: Uint32Array; lo: Uint32Array; parent: Int32Array; action: Int32Array; words: Uint32Array } {
    this.stage ??= { hi: new Uint32Array(BATCH), lo: new Uint32Array(BATCH), parent: new Int32Array(BATCH), action: new Int32Array(BATCH), words: new Uint32Array(BATCH * nw) };
    return this.stage;
  }

  /**
   * Insert `staged` successors in their order; the new ones get their number and go to the next level.
   * Their home slots are read first, in a loop of independent loads, so the cache misses of a table
   * larger than the cache overlap instead of coming one at a time.
   */
  private insertStaged(out: LevelSink, staged: number, nw: number): void {
    const st = this.stage!;
    const visited = out.visited;
    const store = out.store;
    const n = nw * 4;
    let touched = 0;
    for (let j = 0; j < staged; j++) touched ^= visited.touch(st.hi[j]!, st.lo[j]!);
    if (touched === 0.5) throw new Error('unreachable'); // keeps the loads
    let next = out.next;
    let nextWords = new Uint32Array(next.buffer, next.byteOffset, next.byteLength >>> 2);
    let at = out.count;
    for (let j = 0; j < staged; j++) {
      if ((at + 1) * n > next.length) {
        const g = grownFrontier(next, at * n, (at + 1) * n, out.maxBytes);
        if (g === null) {
          out.full = true;
          return;
        }
        next = out.next = g;
        nextWords = new Uint32Array(g.buffer);
      }
      if (!visited.add(next, st.hi[j]!, st.lo[j]!)) continue;
      store.push(st.parent[j]!, st.action[j]!);
      this.copyState(nextWords, at * nw, st.words, j * nw);
      out.count = ++at;
    }
  }

  /** Drop the known ones among the `cands` candidates of records [from, out); returns the new end. */
  private squeeze(tables: readonly TableSnapshot[], meta: Uint32Array, sw: Uint32Array, rec: number, nw: number, from: number, out: number, cands: number): number {
    const hit = this.hit;
    const at = this.candAt;
    tablesHaveMany(tables, this.candHi, this.candLo, cands, hit, this.candSlot);
    let w = from;
    let c = 0;
    for (let j = from; j < out; j++) {
      if (c < cands && at[c] === j && hit[c++] === 1) {
        this.dropped++;
        continue;
      }
      if (w !== j) {
        for (let x = 0; x < rec; x++) meta[w * rec + x] = meta[j * rec + x]!;
        this.copyState(sw, w * nw, sw, j * nw);
      }
      w++;
    }
    return w;
  }

  private maskEmpty(): boolean {
    return !this.hasBits(this.mask);
  }

  private hasBits(mask: Uint32Array): boolean {
    for (let w = 0; w < this.mw; w++) if (mask[w] !== 0) return true;
    return false;
  }
}
