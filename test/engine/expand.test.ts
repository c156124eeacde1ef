/**
 * The expander's two ways of dropping known successors (one lookup at a time, or in batches whose
 * known members are squeezed out afterwards) must give the same slice result, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { Expander } from '../../src/checker/expand.js';
import { SharedSlice, SliceSink } from '../../src/checker/slices.js';
import { CompactFingerprintSet, PartitionedFingerprintSet } from '../../src/fpset/fpset.js';

/** thp-core v4.6 P2 N2 after four BFS levels: the frontier, and visited sets (one table, 3 partitions) that know some of its successors */
function fourLevels() {
  const m = createModel('thp', { profile: 'thp-core', era: 'v4.6', procs: 2, subpages: 2 });
  const n = m.stateBytes;
  const seen = new CompactFingerprintSet(16);
  const parts = new PartitionedFingerprintSet(3, 16);
  let frontier = Uint8Array.from(m.initStates()[0]!);
  let count = 1;
  const ex = new Expander(m);
  for (let level = 0; level < 4; level++) {
    const r = ex.expand(frontier, count, [seen.snapshot()]);
    const next: number[] = [];
    for (let j = 0; j < r.count; j++) {
      const hi = r.meta[j * 5 + 2]!;
      const lo = r.meta[j * 5 + 3]!;
      if (seen.add(new Uint8Array(0), hi, lo)) {
        parts.add(new Uint8Array(0), hi, lo);
        next.push(...r.states.subarray(j * n, j * n + n));
      }
    }
    frontier = Uint8Array.from(next);
    count = next.length / n;
  }
  return { m, n, seen, parts, frontier, count };
}

describe('Expander known-successor dropping', () => {
  it('batched (squeezed) and one-by-one lookups give the same successors, records and drop counts', () => {
    // a few BFS levels, to have a frontier and a visited set that knows some of its successors
    const { m, seen, parts, frontier, count } = fourLevels();
    expect(count).toBeGreaterThan(20);
    const copy = (r: ReturnType<Expander['expand']>) => ({ count: r.count, dropped: r.dropped, meta: [...r.meta], states: [...r.states], masks: [...r.parentMasks] });
    for (const known of [[seen.snapshot()], parts.snapshots()]) {
      const one = copy(new Expander(m, undefined, Infinity).expand(frontier, count, known));
      const batched = copy(new Expander(m, undefined, 0).expand(frontier, count, known));
      const callback = copy(new Expander(m).expand(frontier, count, (hi, lo) => seen.has(hi, lo)));
      expect(batched).toEqual(one);
      expect(callback).toEqual(one);
      expect(one.dropped).toBeGreaterThan(0);
      expect(one.count).toBeGreaterThan(0);
      // 'skip' (the phased pool's): a table above the direct size is not looked up, every successor stays;
      // one in cache still is
      const unknown = copy(new Expander(m).expand(frontier, count));
      expect(copy(new Expander(m, undefined, 0).expand(frontier, count, known, false, 'skip'))).toEqual(unknown);
      expect(unknown.count).toBe(one.count + one.dropped);
      expect(copy(new Expander(m, undefined, Infinity).expand(frontier, count, known, false, 'skip'))).toEqual(one);
    }
  });

  it('writing into a shared slice (SliceSink) gives the records of the expander\'s own buffers, through growth and reuse', () => {
    const { m, n, parts, frontier, count } = fourLevels();
    const known = parts.snapshots();
    const want = new Expander(m).expand(frontier, count);
    // more successors than the sink's first capacity (count x 5): it grows at least once
    expect(want.count).toBeGreaterThan(count * 5);
    const records = (s: { count: number; meta: Uint32Array; states: Uint8Array; parentMasks: Uint32Array; dropped: number }) => ({
      count: s.count,
      dropped: s.dropped,
      meta: [...s.meta],
      states: [...s.states],
      masks: [...s.parentMasks],
    });
    const sinkSlice = (reuse: SharedArrayBuffer | null) => {
      const ex = new Expander(m);
      const sink = new SliceSink(ex.coverCount, ex.maskWords, known.length, n, reuse);
      const slice = SharedSlice.finish(sink, ex.expand(frontier, count, undefined, false, 'batch', sink));
      return { slice, cap: sink.cap };
    };
    const grown = sinkSlice(null);
    expect(grown.cap).toBeGreaterThan(Math.ceil(count * 4 * 1.25));
    expect(records(grown.slice)).toEqual(records(want));
    expect([...grown.slice.cover]).toEqual([...want.cover]);
    // grouped by partition, each group in slice order, as the dedupe reads them
    const { order, offs } = grown.slice;
    expect(offs[known.length]).toBe(want.count);
    for (let p = 0; p < known.length; p++)
      for (let i = offs[p]!; i < offs[p + 1]!; i++) {
        expect(PartitionedFingerprintSet.partitionOf(want.meta[order[i]! * 5 + 2]!, known.length)).toBe(p);
        if (i > offs[p]!) expect(order[i]!).toBeGreaterThan(order[i - 1]!);
      }
    // a buffer handed back (with its old records in it) is written over in place when it is large enough
    grown.slice.fresh.fill(1);
    const again = sinkSlice(grown.slice.sab);
    expect(again.slice.sab).toBe(grown.slice.sab);
    expect(records(again.slice)).toEqual(records(want));
    expect([...again.slice.fresh].every((f) => f === 0)).toBe(true);
    // one too small is not
    const small = new SharedArrayBuffer(256);
    expect(sinkSlice(small).slice.sab).not.toBe(small);
  });

  it('the recent cache drops a clean successor only after one with its fingerprint went before it', () => {
    const m = createModel('thp', { profile: 'thp-core', era: 'v4.6', procs: 2, subpages: 2 });
    const [s0] = m.initStates();
    const plain = new Expander(m).expand(s0!, 1);
    const ex = new Expander(m);
    const first = ex.expand(s0!, 1, undefined, true);
    const fps = (r: ReturnType<Expander['expand']>) => Array.from({ length: r.count }, (_, j) => `${r.meta[j * 5 + 2]}:${r.meta[j * 5 + 3]}`);
    // the first time, only repeats among the state's own successors are dropped
    expect(first.count + first.dropped).toBe(plain.count);
    expect(new Set(fps(first)).size).toBe(first.count);
    expect(new Set(fps(plain))).toEqual(new Set(fps(first)));
    // the second time every one of them went before: all dropped, still counted
    const again = ex.expand(s0!, 1, undefined, true);
    expect(again.count).toBe(0);
    expect(again.dropped).toBe(plain.count);
    // without the flag the cache is not consulted
    expect(ex.expand(s0!, 1).count).toBe(plain.count);
  });
});

describe('Expander.setFound', () => {
  it('stops recording a found property at transitions (model fail() and checks), and changes no successor', () => {
    const m = createModel('thp', { profile: 'thp-core', era: 'v4.6', procs: 2, subpages: 2 });
    const p = m.properties.findIndex((x) => x.name === 'cow-reuse-thp-subpage');
    expect(p).toBeGreaterThanOrEqual(0);
    const bit = (meta: Uint32Array, j: number) => (meta[j * 5 + 4 + (p >>> 5)]! >>> (p & 31)) & 1;
    // BFS (no dedupe needed: a few levels) until a level has transitions that fire it
    let frontier = Uint8Array.from(m.initStates()[0]!);
    let count = 1;
    const fires = (r: ReturnType<Expander['expand']>) => Array.from({ length: r.count }, (_, j) => bit(r.meta, j)).filter((b) => b === 1).length;
    for (let level = 0; level < 6; level++) {
      const r = new Expander(m).expand(frontier, count);
      if (fires(r) > 0) break;
      frontier = Uint8Array.from(r.states);
      count = r.count;
    }
    const plain = new Expander(m).expand(frontier, count);
    const plainStates = [...plain.states];
    const plainMeta = [...plain.meta];
    expect(fires(plain)).toBeGreaterThan(0);
    const ex = new Expander(m);
    const found = new Uint32Array(1);
    found[p >>> 5] = 1 << (p & 31);
    ex.setFound(found);
    const after = ex.expand(frontier, count);
    expect(after.count).toBe(plain.count);
    expect([...after.states]).toEqual(plainStates);
    expect(fires(after)).toBe(0);
    // every other bit is as before
    const strip = (meta: number[]) => meta.map((w, i) => (i % 5 === 4 + (p >>> 5) ? w & ~(1 << (p & 31)) : w));
    expect(strip([...after.meta])).toEqual(strip(plainMeta));
  });
});
