/**
 * A parallel run starts its worker threads only once it has lasted POOL_AFTER_MS and its levels still
 * grow, or a level is expected to last that long (search.ts poolDue): a short run ends on the main
 * thread, says so, and finds exactly what 1 worker and the threads find.
 * (The test environment sets MMCHECK_POOL_AFTER_MS=0, vitest.config.ts; these tests set the delay.)
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { poolDue, search } from '../../src/checker/search.js';
import { mmcheckWith } from '../helpers/cli.js';

// 118,444 states, levels up to 35k: large enough for the pool, short enough for a test
const config = { era: 'v4.6', procs: 3, subpages: 2, profile: 'thp-core' };

describe('worker threads start after a delay', () => {
  it('a run shorter than the delay starts no threads and finds what threads find', async () => {
    const spec = { modelId: 'thp', config };
    const late = await search(createModel('thp', config), { workers: 2, spec, poolAfterMs: 60_000 });
    const now = await search(createModel('thp', config), { workers: 2, spec, poolAfterMs: 0 });
    const one = await search(createModel('thp', config));
    expect([late.threads, now.threads, one.threads]).toEqual([0, 2, 0]);
    for (const r of [late, now]) {
      expect([r.distinct, r.transitions, r.depth, r.exhaustive]).toEqual([one.distinct, one.transitions, one.depth, true]);
      expect(r.findings).toEqual(one.findings);
    }
    expect(one.distinct).toBe(118_444);
  });

  it('the CLI says when no threads started, and --json reports the threads', () => {
    const args = ['check', '--profile', 'thp-core', '--era', 'v4.6', '--procs', '3', '--subpages', '2', '--workers', '2'];
    const text = mmcheckWith({ MMCHECK_POOL_AFTER_MS: '60000' }, ...args);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('search: bfs, 2 workers (no threads started: the run was too short, or its levels too small, to use them): EXHAUSTIVE');
    const late = JSON.parse(mmcheckWith({ MMCHECK_POOL_AFTER_MS: '60000' }, ...args, '--json').stdout);
    expect([late.stats.workers, late.stats.threads, late.stats.distinct]).toEqual([2, 0, 118_444]);
    const now = JSON.parse(mmcheckWith({ MMCHECK_POOL_AFTER_MS: '0' }, ...args, '--json').stdout);
    expect([now.stats.workers, now.stats.threads, now.stats.distinct]).toEqual([2, 2, 118_444]);
    // not a number of ms: the default delay (1 s; a CI machine may take longer, so only the counts are pinned)
    const bad = JSON.parse(mmcheckWith({ MMCHECK_POOL_AFTER_MS: 'soon' }, ...args, '--json').stdout);
    expect(bad.stats.distinct).toBe(118_444);
  });
});

describe('poolDue: when a parallel run starts its threads', () => {
  it('once the run has lasted the delay and still grows, or a level is expected to last the delay', () => {
    expect(poolDue(999, 1_000_000, 0, 0, 1000)).toBe(false); // no level timed yet: the delay alone
    expect(poolDue(1000, 10, 0, 0, 1000)).toBe(true);
    // 1000 states after a level of 500 in 500 ms: 1 s expected, the delay
    expect(poolDue(10, 1000, 500, 500, 1000)).toBe(true);
    expect(poolDue(10, 1000, 500, 499, 1000)).toBe(false);
    // at the delay: levels growing 1.5x start them, slower-growing or shrinking ones only at 3x the delay
    expect(poolDue(1000, 1500, 1000, 100, 1000)).toBe(true);
    expect(poolDue(1000, 1499, 1000, 100, 1000)).toBe(false);
    expect(poolDue(2999, 900, 1000, 100, 1000)).toBe(false);
    expect(poolDue(3000, 900, 1000, 100, 1000)).toBe(true);
    expect(poolDue(0, 1000, 500, 150, 0)).toBe(true); // MMCHECK_POOL_AFTER_MS=0: at once
    expect(poolDue(50_000, 1000, 1000, 17_000, 60_000)).toBe(false); // 17 s expected, under 60 s
  });

  it('not on a short run whose early levels grow fast on a cold JIT', () => {
    // thp-core v4.6 P=2 N=4 on a slow day, 2 workers, one run: (elapsed ms, level states, last level, its
    // ms) at each level start from the 12k-state one on; the whole run 1.1 s. The rule before this one (a
    // level expected to take 0.3 s) started threads at the 68k-state level, its widest
    const levels: [number, number, number, number][] = [
      [164, 12_135, 3000, 53],
      [250, 36_944, 12_135, 86],
      [429, 68_056, 36_944, 179],
      [773, 65_084, 68_056, 343],
      [1035, 20_000, 65_084, 262],
      [1104, 1064, 20_000, 69],
    ];
    expect(levels.map(([t, c, lc, lm]) => poolDue(t, c, lc, lm, 1000))).toEqual([false, false, false, false, false, false]);
    // P=3 N=4 --symmetry smalls, the same day: threads once the run has lasted the delay, 6 levels before its widest
    expect(poolDue(933, 63_228, 36_573, 397, 1000)).toBe(false);
    expect(poolDue(1000, 63_228, 36_573, 397, 1000)).toBe(true);
  });
});
