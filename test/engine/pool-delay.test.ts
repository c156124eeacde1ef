/**
 * A parallel run starts its worker threads only once it has lasted POOL_AFTER_MS, or a level is expected
 * to last 30% of that (search.ts): a short run ends on the main thread, says so, and finds exactly what
 * 1 worker and the threads find.
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
  it('once the run has lasted the delay, or a level is expected to last 30% of it', () => {
    expect(poolDue(999, 1_000_000, 0, 0, 1000)).toBe(false); // no level timed yet: the delay alone
    expect(poolDue(1000, 10, 0, 0, 1000)).toBe(true);
    // 1000 states after a level of 500 in 150 ms: 300 ms expected, 30% of 1000
    expect(poolDue(10, 1000, 500, 150, 1000)).toBe(true);
    expect(poolDue(10, 1000, 500, 149, 1000)).toBe(false);
    expect(poolDue(10, 999, 500, 150, 1000)).toBe(false);
    expect(poolDue(0, 1000, 500, 150, 0)).toBe(true); // MMCHECK_POOL_AFTER_MS=0: at once
    expect(poolDue(50_000, 1000, 1000, 17_000, 60_000)).toBe(false); // 17 s expected, under 30% of 60 s
  });
});
