import { describe, expect, it } from 'vitest';
import { NO_PARENT, ParentStore } from '../../src/checker/store.js';
import { CompactFingerprintSet, tableHas } from '../../src/fpset/fpset.js';

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
