/**
 * Parallel BFS on the piscina pool: results must not depend on the number of
 * workers or on how a level is cut into slices. The workers load
 * dist/workers/expand.js, so this needs `npx tsc -p .` first (npm test does it).
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { search, type SearchOptions, type SearchResult } from '../../src/checker/search.js';
import { essence, finding, pathLabels } from '../helpers/paths.js';


async function run(id: string, config: Record<string, number>, workers: number, extra: SearchOptions = {}) {
  const m = createModel(id, config);
  const r = await search(m, { workers, spec: { modelId: id, config }, ...extra });
  expect(r.workers).toBe(workers);
  return { m, r };
}

/** andrea-v1 P=2 N=2 (seed 004's first fix, which violates rmap-integrity) */
const ANDREA = { era: 'andrea-v1', procs: 2, subpages: 2 } as unknown as Record<string, number>;

/** ANDREA on 1 worker: the result every parallel run of it must match */
async function andreaOnOne() {
  const { m, r: one } = await run('thp', ANDREA, 1);
  return { m, one, want: essence(m, one) };
}

describe('parallel bfs', () => {
  it('counters procs 5 max 7: 32768 states, same results for 1, 2 and 4 workers and any slice size', async () => {
    const cfg = { procs: 5, max: 7 };
    const { m, r: one } = await run('counters', cfg, 1);
    expect(one.distinct).toBe(32768);
    expect(one.transitions).toBe(5 * 7 * 8 ** 4);
    expect(one.depth).toBe(35); // the farthest state, all counters at 7, is 5 * 7 steps away
    expect(one.exhaustive).toBe(true);
    expect(one.coverage).toEqual([143360]);
    const want = essence(m, one);
    expect(want.labels[0]).toHaveLength(35);
    for (const workers of [2, 4]) {
      const { r } = await run('counters', cfg, workers);
      expect(essence(m, r), `${workers} workers`).toEqual(want);
    }
    // many small slices per level (the widest level of this model has 2,460 states), every level phased
    for (const [workers, sliceStates] of [
      [1, 100],
      [2, 100],
      [4, 100],
      [4, 7],
    ] as const) {
      const { r } = await run('counters', cfg, workers, { sliceStates, phasedFrom: 0 });
      expect(essence(m, r), `${workers} workers, slices of ${sliceStates}`).toEqual(want);
    }
    // a level in one slice, every lookup left to the dedupe: a partition's share of a slice (thousands
    // of successors) is inserted in several touch batches (slices.ts, DEDUPE_BATCH)
    const { r } = await run('counters', cfg, 2, { sliceStates: 4096, phasedFrom: 0, directBytes: 0 });
    expect(essence(m, r), '2 workers, whole levels, no lookups while expanding').toEqual(want);
  });

  it('mutex-broken: the same counts and the same 4-step counterexample for 1, 2 and 4 workers', async () => {
    for (const procs of [2, 4]) {
      const { m, r: one } = await run('mutex-broken', { procs }, 1);
      expect(pathLabels(m, one.findings[0])).toEqual(['check(0)', 'check(1)', 'set(0)', 'set(1)']);
      for (const workers of [2, 4]) {
        const { r } = await run('mutex-broken', { procs }, workers, { sliceStates: 3, phasedFrom: 0 });
        expect(essence(m, r), `procs ${procs}, ${workers} workers`).toEqual(essence(m, one));
      }
    }
    const { r } = await run('mutex-broken', { procs: 2 }, 2);
    expect([r.distinct, r.transitions]).toEqual([13, 24]);
  });

  it('the property filter reaches the workers', async () => {
    const cfg = { procs: 3 };
    const { m, r: one } = await run('mutex-broken', cfg, 1, { properties: ['all-critical'] });
    const { r: two } = await run('mutex-broken', cfg, 2, { properties: ['all-critical'], sliceStates: 4, phasedFrom: 0 });
    expect(two.checked).toEqual([false, false, true]);
    expect(essence(m, two)).toEqual(essence(m, one));
    expect(two.findings[0]).toBeNull();
    expect(pathLabels(m, two.findings[2])).toEqual(['check(0)', 'check(1)', 'check(2)', 'set(0)', 'set(1)', 'set(2)']);
  });

  it('bounds cut at the same point for any number of workers', async () => {
    const cfg = { procs: 5, max: 7 };
    for (const extra of [{ maxStates: 5000 }, { maxDepth: 9 }, { failFast: true }] as SearchOptions[]) {
      const { m, r: one } = await run('counters', cfg, 1, { ...extra, sliceStates: 100 });
      expect(one.exhaustive).toBe(false);
      for (const workers of [2, 4]) {
        const { r } = await run('counters', cfg, workers, { ...extra, sliceStates: 100, phasedFrom: 0 });
        expect(essence(m, r), `${JSON.stringify(extra)}, ${workers} workers`).toEqual(essence(m, one));
      }
    }
  });

  it('bounded runs agree on states, transitions and verdicts with the default slicing', async () => {
    const cfg = { procs: 5, max: 7 };
    const { m, r: one } = await run('counters', cfg, 1, { maxStates: 5000 });
    expect(one.distinct).toBe(5000);
    const { r: two } = await run('counters', cfg, 2, { maxStates: 5000 });
    const pick = (r: SearchResult) => ({ ...essence(m, r), coverage: undefined });
    expect(pick(two)).toEqual(pick(one));
  });

  it('the thp model, phased: the same states, traces and coverage for 1, 2 and 3 workers, in one chunk or many', async () => {
    // small slices make many chunks per level
    const { m, one, want } = await andreaOnOne();
    expect(one.exhaustive).toBe(true);
    expect(finding(m, one.findings, 'rmap-integrity')).not.toBeNull();
    // phasedFrom: the per-worker level size from which a level runs phased (smaller ones on the main thread)
    for (const [workers, sliceStates, phasedFrom] of [
      [2, undefined, 0],
      [3, undefined, 0],
      [2, 5, 0],
      [3, 17, 0],
      [2, 5, 40],
      [2, undefined, undefined],
    ] as const) {
      const { r } = await run('thp', ANDREA, workers, { sliceStates, phasedFrom });
      expect(essence(m, r), `${workers} workers, slices of ${sliceStates ?? 'default'}, phased from ${phasedFrom}`).toEqual(want);
    }
  });

  it('visited tables looked up while expanding, or left to the dedupe: the same states, traces and coverage', async () => {
    const { m, want } = await andreaOnOne();
    // directBytes 0: every table counts as larger than the cache (the dedupe does every lookup, as on
    // long runs); Infinity: every table is looked up while expanding (as on the first levels)
    for (const [workers, directBytes] of [
      [2, 0],
      [3, 0],
      [2, Infinity],
    ] as const) {
      const { r } = await run('thp', ANDREA, workers, { sliceStates: 5, phasedFrom: 0, directBytes });
      expect(r.threads, `${workers} workers`).toBe(workers);
      expect(essence(m, r), `${workers} workers, tables up to ${directBytes} bytes looked up while expanding`).toEqual(want);
    }
  });

  it('a level begun on the main thread and handed to the threads mid-level: the same states, traces and coverage', async () => {
    const { m, one, want } = await andreaOnOne();
    // blocks of 5 parents; the first level of 2 x 10 parents or more goes over after 3 of them (or 1)
    for (const [workers, handOffAfterBlocks] of [
      [2, 3],
      [3, 1],
    ] as const) {
      const { r } = await run('thp', ANDREA, workers, { sliceStates: 5, phasedFrom: 10, handOffAfterBlocks });
      expect(r.handedOff, `${workers} workers`).toBe(1);
      expect(essence(m, r), `${workers} workers, handed over after ${handOffAfterBlocks} blocks`).toEqual(want);
    }
    expect(one.handedOff).toBe(0);
  });

  it('a time bound stops a phased level between chunks, with the next chunk already queued: a cut, the stored states kept', async () => {
    // 10^7 states in slices of 50: many chunks a level, each with the next one queued behind it; the
    // bound leaves room for the threads to start on a slow machine, and no machine stores them all in it
    const { r } = await run('counters', { procs: 7, max: 9 }, 2, { phasedFrom: 0, sliceStates: 50, timeoutSec: 1.5 });
    expect(r.cut).toBe('time bound reached (--timeout 1.5s)');
    expect(r.exhaustive).toBe(false);
    expect(r.distinct).toBeGreaterThan(1000);
    expect(r.distinct).toBeLessThan(10 ** 7);
  });

  it('refuses to go parallel without a model spec', async () => {
    const m = createModel('counters', { procs: 2, max: 2 });
    await expect(search(m, { workers: 2 })).rejects.toThrow('parallel search needs a model spec');
  });
});
