import { describe, expect, it } from 'vitest';
import { NO_PARENT, ParentStore } from '../../src/checker/store.js';
import { CompactFingerprintSet, PartitionedFingerprintSet, tableHas, tablesHaveMany } from '../../src/fpset/fpset.js';

describe('ParentStore', () => {
  it('packs parent and action in 4 bytes a state and rebuilds paths', () => {
    const st = new ParentStore(18);
    expect(st.push(NO_PARENT, 0)).toBe(0);
    for (let i = 1; i < 40000; i++) st.push(i - 1, i % 18);
    expect(st.bytesPerEntry).toBe(4);
    const p = st.pathTo(39999);
    expect(p.init).toBe(0);
    expect(p.actions.length).toBe(39999);
    expect(p.actions.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(st.bytes).toBe(3 * 16384 * 4);
  });

  it('widens to 6 bytes a state when an action does not fit the packed bits, keeping what it stored', () => {
    const st = new ParentStore(4);
    st.push(NO_PARENT, 1);
    for (let i = 1; i < 20000; i++) st.push(i - 1, i % 4);
    st.push(19999, 300); // beyond the alphabet it was sized for
    expect(st.bytesPerEntry).toBe(6);
    const p = st.pathTo(20000);
    expect(p.init).toBe(1);
    expect(p.actions.length).toBe(20000);
    expect(p.actions[19999]).toBe(300);
    expect(p.actions.slice(0, 4)).toEqual([1, 2, 3, 0]);
    expect(st.parentOf(0)).toBe(NO_PARENT);
  });
});

describe('CompactFingerprintSet', () => {
  it('adds 100k distinct fingerprints through growth, dedupes them, and stays at most 85% and at least 68% full', () => {
    const set = new CompactFingerprintSet(16);
    let h = 1;
    const fps: [number, number][] = [];
    for (let i = 0; i < 100000; i++) {
      h = (Math.imul(h, 1103515245) + 12345) >>> 0;
      fps.push([h, (i * 2654435761) >>> 0 || 1]);
    }
    for (const [a, b] of fps) expect(set.add(new Uint8Array(0), a, b)).toBe(true);
    for (const [a, b] of fps) expect(set.add(new Uint8Array(0), a, b)).toBe(false);
    expect(set.size).toBe(100000);
    const load = set.size / set.capacity;
    expect(load).toBeLessThanOrEqual(0.85);
    expect(load).toBeGreaterThanOrEqual(0.85 / 1.25 - 0.01);
    const snap = set.snapshot();
    for (let i = 0; i < fps.length; i += 991) expect(tableHas(snap, fps[i]![0], fps[i]![1])).toBe(true);
    expect(set.has(7, 7)).toBe(false);
    expect(tableHas(snap, 7, 7)).toBe(false);
  });

  it('keeps every key of one probe cluster, wrapping at the end of the table', () => {
    const set = new CompactFingerprintSet(16);
    // all keys map to the last slot of any table: the cluster wraps to slot 0 (fingerprint halves are unsigned)
    for (let i = 1; i < 3000; i++) expect(set.add(new Uint8Array(0), i, (Math.imul(i, 0x9e3779b1) ^ 0xffffffff) >>> 0)).toBe(true);
    for (let i = 1; i < 3000; i++) expect(set.has(i, (Math.imul(i, 0x9e3779b1) ^ 0xffffffff) >>> 0)).toBe(true);
    expect(set.size).toBe(2999);
  });
});

describe('PartitionedFingerprintSet and batched lookups', () => {
  const fpsOf = (n: number, seed: number): [number, number][] => {
    let h = seed;
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      h = (Math.imul(h, 1103515245) + 12345) >>> 0;
      out.push([h, (Math.imul(i + seed, 2654435761) >>> 0) || 1]);
    }
    return out;
  };

  it('is the same set as one table: adds, dedupes, exports and imports across partition counts', () => {
    const fps = fpsOf(20000, 3);
    const one = new CompactFingerprintSet(16);
    const three = new PartitionedFingerprintSet(3, 16);
    for (const [a, b] of fps) expect(three.add(new Uint8Array(0), a, b)).toBe(one.add(new Uint8Array(0), a, b));
    for (const [a, b] of fps.slice(0, 500)) expect(three.add(new Uint8Array(0), a, b)).toBe(false);
    expect(three.size).toBe(20000);
    // every partition holds some, and bytes per state stay those of one compact table (within its growth step)
    for (const p of three.parts) expect(p.size).toBeGreaterThan(5000);
    expect(three.bytes / three.size).toBeLessThan(12);
    const sorted = (u: Uint32Array) => [...u].reduce<string[]>((a, v, i) => (i % 2 ? (a[a.length - 1] += `:${v}`, a) : [...a, `${v}`]), []).sort();
    expect(sorted(three.exportFps())).toEqual(sorted(one.exportFps()));
    const back = new PartitionedFingerprintSet(2, 16);
    back.importFps(three.exportFps(), three.capacity);
    expect(back.size).toBe(20000);
    for (const [a, b] of fps) expect(back.has(a, b)).toBe(true);
  });

  it('partitionOf spreads fingerprints evenly over 1 to 256 partitions, and a partition count out of range is refused', () => {
    const his = fpsOf(256 * 256, 7).map(([a]) => a);
    for (const K of [1, 2, 3, 7, 16, 256]) {
      const per = new Array<number>(K).fill(0);
      for (const hi of [...his, 0, 0xffffffff, 0x80000000]) per[PartitionedFingerprintSet.partitionOf(hi, K)]!++;
      expect(per.reduce((a, b) => a + b, 0)).toBe(his.length + 3); // every one in [0, K)
      expect(Math.min(...per), `K = ${K}`).toBeGreaterThan((his.length / K) * 0.7);
    }
    expect(PartitionedFingerprintSet.partitionOf(0xffffffff, 256)).toBe(255);
    expect(() => new PartitionedFingerprintSet(0)).toThrow('PartitionedFingerprintSet: 0 partitions (1 to 65536)');
    expect(() => new PartitionedFingerprintSet(65537)).toThrow('65537 partitions');
  });

  it('tablesHaveMany answers as has() does, for one table and for partitions, hits and misses mixed', () => {
    const stored = fpsOf(30000, 5);
    const absent = fpsOf(30000, 6);
    const one = new CompactFingerprintSet(16);
    const four = new PartitionedFingerprintSet(4, 16);
    for (const [a, b] of stored) {
      one.add(new Uint8Array(0), a, b);
      four.add(new Uint8Array(0), a, b);
    }
    const mixed = stored.flatMap((x, i) => [x, absent[i]!]).slice(0, 1000);
    const his = Uint32Array.from(mixed.map((x) => x[0]));
    const los = Uint32Array.from(mixed.map((x) => x[1]));
    for (const snaps of [[one.snapshot()], four.snapshots()]) {
      const out = new Uint8Array(mixed.length);
      tablesHaveMany(snaps, his, los, mixed.length, out, new Int32Array(mixed.length));
      expect([...out]).toEqual(mixed.map(([a, b]) => (one.has(a, b) ? 1 : 0)));
      expect(out.reduce((n, v) => n + v, 0)).toBe(500);
    }
  });
});
