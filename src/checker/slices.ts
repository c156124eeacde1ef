/**
 * The phased pool's shared slices and the work its threads do on them
 * (workers/phased.ts): an expanded slice in a SharedArrayBuffer, its
 * dedupe against one partition of the visited set, its compaction. Apart
 * from the pool (phased.ts) so that a worker thread does not load piscina's
 * pool code to run its tasks.
 */
import { META_FIXED, hasMask, type ExpandBuffers, type ExpandOut, type SliceResult } from './expand.js';
import { CompactFingerprintSet, PartitionedFingerprintSet, type SharedTable, type TableSnapshot } from '../fpset/fpset.js';
import { wordCopier } from '../state/words.js';

const HEADER_WORDS = 10; // count, maskWords, coverLen, parents, dropped, K, stateBytes, fresh (after compact), masked, cap

/**
 * Byte offsets of a slice's regions for `cap` successors: the successor regions are laid out for the
 * capacity, not the count, so that the expander can write its records in place (SliceSink) before it
 * knows how many there are. Every region starts 4-byte aligned (cover: 8).
 */
function sliceLayout(coverLen: number, parents: number, mw: number, K: number, n: number, cap: number) {
  const rec = META_FIXED + mw;
  const cover = HEADER_WORDS * 4;
  const pm = cover + coverLen * 8;
  const meta = pm + parents * mw * 4;
  const order = meta + cap * rec * 4;
  const acts = order + cap * 4;
  const offs = acts + cap * 4;
  const states = offs + (K + 1) * 4;
  const fresh = states + cap * n;
  return { cover, pm, meta, order, acts, offs, states, fresh, bytes: fresh + cap };
}

/** One expanded slice in a SharedArrayBuffer: what the expand phase wrote, the dedupe phase's flags, the compacted new states. */
export class SharedSlice {
  readonly count: number;
  readonly maskWords: number;
  readonly dropped: number;
  readonly cover: Float64Array;
  readonly parentMasks: Uint32Array;
  /** per successor: parent (index in slice), action, fp hi, fp lo, mask words (as SliceResult.meta) */
  readonly meta: Uint32Array;
  /** successor indices grouped by partition: order[offs[p] .. offs[p + 1]) are partition p's, ascending */
  readonly order: Uint32Array;
  readonly offs: Uint32Array;
  readonly states: Uint8Array;
  /** set by the dedupe phase: 1 = the successor is a new state */
  readonly fresh: Uint8Array;
  /** after compact(): the new states' actions; their parents are in order[], their states first in states[] */
  readonly acts: Uint32Array;
  /** successors whose transition fired a property */
  readonly masked: number;

  constructor(readonly sab: SharedArrayBuffer) {
    const h = new Uint32Array(sab, 0, HEADER_WORDS);
    const count = (this.count = h[0]!);
    const mw = (this.maskWords = h[1]!);
    const coverLen = h[2]!;
    const parents = h[3]!;
    this.dropped = h[4]!;
    const K = h[5]!;
    const n = h[6]!;
    this.masked = h[8]!;
    const at = sliceLayout(coverLen, parents, mw, K, n, h[9]!);
    this.cover = new Float64Array(sab, at.cover, coverLen);
    this.parentMasks = new Uint32Array(sab, at.pm, parents * mw);
    this.meta = new Uint32Array(sab, at.meta, count * (META_FIXED + mw));
    this.order = new Uint32Array(sab, at.order, count);
    this.acts = new Uint32Array(sab, at.acts, count);
    this.offs = new Uint32Array(sab, at.offs, K + 1);
    this.states = new Uint8Array(sab, at.states, count * n);
    this.fresh = new Uint8Array(sab, at.fresh, count);
  }

  /**
   * The slice whose records an expander wrote in place through `sink` (its result `r`): the header, the
   * cover counts and the successors' grouping by partition of K. Nothing else is copied.
   */
  static finish(sink: SliceSink, r: SliceResult): SharedSlice {
    const rec = META_FIXED + r.maskWords;
    const K = sink.K;
    let masked = 0;
    for (let j = 0; j < r.count; j++) if (hasMask(r.meta, j * rec, r.maskWords)) masked++;
    new Uint32Array(sink.sab, 0, HEADER_WORDS).set([r.count, r.maskWords, r.cover.length, sink.parents, r.dropped, K, sink.n, 0, masked, sink.cap]);
    const s = new SharedSlice(sink.sab);
    s.offs.fill(0);
    s.fresh.fill(0);
    s.cover.set(r.cover);
    // counting sort by partition, stable: each partition's successors stay in slice order
    const offs = s.offs;
    for (let j = 0; j < r.count; j++) offs[PartitionedFingerprintSet.partitionOf(r.meta[j * rec + 2]!, K) + 1]!++;
    for (let p = 0; p < K; p++) offs[p + 1]! += offs[p]!;
    const fill = offs.slice(0, K);
    for (let j = 0; j < r.count; j++) s.order[fill[PartitionedFingerprintSet.partitionOf(r.meta[j * rec + 2]!, K)]!++] = j;
    return s;
  }

  /** new states after compact() */
  get freshCount(): number {
    return new Uint32Array(this.sab, 0, HEADER_WORDS)[7]!;
  }

  /**
   * After the dedupe (order[] is no longer needed): the new states' parents into order[] and their actions
   * into acts[], in slice order, and the states themselves straight into the next level's frontier `into`
   * at byte `at` (room reserved by the main thread), so that the main thread copies nothing.
   */
  compact(into: SharedArrayBuffer, at: number): void {
    const rec = META_FIXED + this.maskWords;
    const n = this.states.length / Math.max(1, this.count);
    const nw = n >>> 2;
    const sw = new Uint32Array(this.sab, this.states.byteOffset, this.states.byteLength >>> 2);
    const dw = new Uint32Array(into, at, (into.byteLength - at) >>> 2);
    const copy = wordCopier(nw);
    let f = 0;
    for (let j = 0; j < this.count; j++) {
      if (this.fresh[j] !== 1) continue;
      this.order[f] = this.meta[j * rec]!;
      this.acts[f] = this.meta[j * rec + 1]!;
      copy(dw, f * nw, sw, j * nw);
      f++;
    }
    new Uint32Array(this.sab, 0, HEADER_WORDS)[7] = f;
  }
}

/**
 * The regions of a shared slice, handed to Expander.expand to write its records into in place: a
 * buffer of an assembled slice (`reuse`) when it holds enough successors, else a new one; grown by
 * doubling (a copy) when the successors outnumber it. Copying each result into shared memory instead
 * (a slice is about 7k successors of 116 bytes on v5.19) was 3-4% of the threads' time.
 */
export class SliceSink implements ExpandOut {
  sab: SharedArrayBuffer = new SharedArrayBuffer(0);
  cap = 0;
  parents = 0;

  constructor(
    private readonly coverLen: number,
    private readonly mw: number,
    readonly K: number,
    readonly n: number,
    private reuse: SharedArrayBuffer | null,
  ) {}

  private layout(cap: number) {
    return sliceLayout(this.coverLen, this.parents, this.mw, this.K, this.n, cap);
  }

  open(minStates: number, parents: number): ExpandBuffers {
    this.parents = parents;
    const fixed = this.layout(0).bytes;
    const fit = this.reuse ? Math.floor((this.reuse.byteLength - fixed) / (this.layout(1).bytes - fixed)) : 0;
    this.cap = fit >= minStates ? fit : Math.ceil(minStates * 1.25);
    this.sab = fit >= minStates ? this.reuse! : new SharedArrayBuffer(this.layout(this.cap).bytes);
    this.reuse = null;
    const b = this.views();
    b.pm.fill(0);
    return b;
  }

  grow(b: ExpandBuffers, used: number): void {
    this.cap *= 2;
    this.sab = new SharedArrayBuffer(this.layout(this.cap).bytes);
    const g = this.views();
    g.pm.set(b.pm);
    g.meta.set(b.meta.subarray(0, used * (META_FIXED + this.mw)));
    g.states.set(b.states.subarray(0, used * this.n));
    Object.assign(b, g);
  }

  private views(): ExpandBuffers {
    const at = this.layout(this.cap);
    const states = new Uint8Array(this.sab, at.states, this.cap * this.n);
    return {
      meta: new Uint32Array(this.sab, at.meta, this.cap * (META_FIXED + this.mw)),
      states,
      sw: new Uint32Array(this.sab, at.states, (this.cap * this.n) >>> 2),
      pm: new Uint32Array(this.sab, at.pm, this.parents * this.mw),
    };
  }
}

/** What a dedupe task returns: the partition's table, and how many of each slice's successors it found new. */
export interface Deduped {
  table: SharedTable;
  fresh: number[];
}

/**
 * Successors whose home slots are touched before they are inserted, as in the one-thread insert
 * (Expander.insertStaged): a batch whose lines stay in the L1 until its inserts read them. Touching a
 * slice's whole share first (thousands of lines) left the early ones evicted: v5.19 ranges=basic,
 * 2 workers, the dedupe tasks' time summed over 3 alternating runs each: 2921-2984 ms with the whole
 * share, 2501-2546 with 256, 2571-2601 with 64.
 */
const DEDUPE_BATCH = 256;

/** Dedupe phase for one partition: insert its successors of `slices`, in order, into `table`; flag the new ones. */
export function dedupePartition(slices: readonly SharedSlice[], p: number, table: SharedTable, assertMask: readonly number[]): Deduped {
  const set = CompactFingerprintSet.adopt(table);
  const none = new Uint8Array(0);
  const fresh: number[] = [];
  let touched = 0;
  for (const s of slices) {
    let f = 0;
    const rec = META_FIXED + s.maskWords;
    const meta = s.meta;
    const order = s.order;
    for (let b0 = s.offs[p]!, end = s.offs[p + 1]!; b0 < end; b0 += DEDUPE_BATCH) {
      const b1 = Math.min(end, b0 + DEDUPE_BATCH);
      for (let i = b0; i < b1; i++) touched ^= set.touch(meta[order[i]! * rec + 2]!, meta[order[i]! * rec + 3]!);
      for (let i = b0; i < b1; i++) {
        const j = order[i]!;
        const b = j * rec;
        let assert = 0;
        for (let w = 0; w < s.maskWords; w++) assert |= meta[b + META_FIXED + w]! & (assertMask[w] ?? 0);
        if (assert !== 0) continue; // the kernel would have crashed: not a state
        if (set.add(none, meta[b + 2]!, meta[b + 3]!)) {
          s.fresh[j] = 1;
          f++;
        }
      }
    }
    fresh.push(f);
  }
  if (touched === 0.5) throw new Error('unreachable'); // keeps the touches
  return { table: set.share(), fresh };
}

/** Tasks of the phased pool (workers/phased.ts). */
export type PhasedTask =
  | {
      kind: 'expand';
      modelId: string;
      configJson: string;
      only: string[] | null;
      /** the level's frontier, shared; states [from, from + count) */
      frontier: SharedArrayBuffer;
      from: number;
      count: number;
      known: TableSnapshot[];
      found: Uint32Array | null;
      /** a buffer of an assembled slice to write the result into, if it is large enough */
      reuse: SharedArrayBuffer | null;
      /** SearchOptions.directBytes (tests); undefined: the Expander's default */
      directBytes?: number;
    }
  | { kind: 'dedupe'; slices: SharedArrayBuffer[]; partition: number; table: SharedTable; assertMask: number[] }
  /** into: the next level's frontier; at[k]: the byte slice k's new states go to */
  | { kind: 'compact'; slices: SharedArrayBuffer[]; into: SharedArrayBuffer; at: number[] }
  /** state-property bits of states [from, from + count) of a shared frontier (left unexpanded by a bound) */
  | { kind: 'evaluate'; modelId: string; configJson: string; only: string[] | null; frontier: SharedArrayBuffer; from: number; count: number; found: Uint32Array | null }
  /** build the model in the thread ahead of its first slice */
  | { kind: 'warm'; modelId: string; configJson: string; only: string[] | null; directBytes?: number };
