/**
 * The phased pool's shared slices and the work its threads do on them
 * (workers/phased.ts): an expanded slice in a SharedArrayBuffer, its
 * dedupe against one partition of the visited set, its compaction. Apart
 * from the pool (phased.ts) so that a worker thread does not load piscina's
 * pool code to run its tasks.
 */
import { META_FIXED, hasMask, type SliceResult } from './expand.js';
import { CompactFingerprintSet, PartitionedFingerprintSet, type SharedTable, type TableSnapshot } from '../fpset/fpset.js';
import { wordCopier } from '../state/words.js';

const HEADER_WORDS = 10; // count, maskWords, coverLen, parents, dropped, K, stateBytes, fresh (after compact), masked, -

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
    let at = HEADER_WORDS * 4;
    this.cover = new Float64Array(sab, at, coverLen);
    at += coverLen * 8;
    this.parentMasks = new Uint32Array(sab, at, parents * mw);
    at += parents * mw * 4;
    this.meta = new Uint32Array(sab, at, count * (META_FIXED + mw));
    at += count * (META_FIXED + mw) * 4;
    this.order = new Uint32Array(sab, at, count);
    at += count * 4;
    this.acts = new Uint32Array(sab, at, count);
    at += count * 4;
    this.offs = new Uint32Array(sab, at, K + 1);
    at += (K + 1) * 4;
    this.states = new Uint8Array(sab, at, count * n);
    at += count * n;
    this.fresh = new Uint8Array(sab, at, count);
  }

  /** Copy an expander's result into shared memory (`reuse`, if it is large enough), grouping its successors by partition of K. */
  static pack(r: SliceResult, stateBytes: number, K: number, reuse: SharedArrayBuffer | null = null): SharedSlice {
    const rec = META_FIXED + r.maskWords;
    const parents = r.parentMasks.length / Math.max(1, r.maskWords);
    const bytes = HEADER_WORDS * 4 + r.cover.length * 8 + r.parentMasks.byteLength + r.meta.byteLength + r.count * 8 + (K + 1) * 4 + r.count * stateBytes + r.count;
    const sab = reuse && reuse.byteLength >= bytes ? reuse : new SharedArrayBuffer(Math.ceil((bytes * 1.25) / 8) * 8);
    const h = new Uint32Array(sab, 0, HEADER_WORDS);
    let masked = 0;
    for (let j = 0; j < r.count; j++) if (hasMask(r.meta, j * rec, r.maskWords)) masked++;
    h.set([r.count, r.maskWords, r.cover.length, parents, r.dropped, K, stateBytes, 0, masked, 0]);
    const s = new SharedSlice(sab);
    s.offs.fill(0);
    s.fresh.fill(0);
    s.cover.set(r.cover);
    s.parentMasks.set(r.parentMasks);
    s.meta.set(r.meta);
    s.states.set(r.states);
    // counting sort by partition, stable: each partition's successors stay in slice order
    const part = new Uint32Array(r.count);
    const offs = s.offs;
    for (let j = 0; j < r.count; j++) {
      const p = PartitionedFingerprintSet.partitionOf(r.meta[j * rec + 2]!, K);
      part[j] = p;
      offs[p + 1]!++;
    }
    for (let p = 0; p < K; p++) offs[p + 1]! += offs[p]!;
    const fill = offs.slice(0, K);
    for (let j = 0; j < r.count; j++) s.order[fill[part[j]!]!++] = j;
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
