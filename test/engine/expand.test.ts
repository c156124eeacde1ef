/**
 * The expander's two ways of dropping known successors (one lookup at a time, or in batches whose
 * known members are squeezed out afterwards) must give the same slice result, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { Expander } from '../../src/checker/expand.js';
import { CompactFingerprintSet, PartitionedFingerprintSet } from '../../src/fpset/fpset.js';

describe('Expander known-successor dropping', () => {
  it('batched (squeezed) and one-by-one lookups give the same successors, records and drop counts', () => {
    const m = createModel('thp', { profile: 'thp-core', era: 'v4.6', procs: 2, subpages: 2 });
    const n = m.stateBytes;
    // a few BFS levels, to have a frontier and a visited set that knows some of its successors
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
    }
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
