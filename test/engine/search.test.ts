/**
 * Sequential search (bfs, dfs, random) on the fixture models: pinned counts
 * and counterexamples, agreement with an independent naive oracle
 * (test/helpers/oracle.ts), agreement between strategies and visited-set
 * kinds, and the bounds (depth, states, fail-fast, random walks).
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { search, type SearchOptions, type SearchResult } from '../../src/checker/search.js';
import { buildTrace, traceReproduces } from '../../src/checker/trace.js';
import type { Model } from '../../src/model.js';
import { oracle, withinDepth } from '../helpers/oracle.js';
import { essence, finding, pathLabels } from '../helpers/paths.js';
import { createToy } from '../helpers/toy.js';

const labels = (m: Model, r: SearchResult, prop: string) => pathLabels(m, finding(m, r.findings, prop));
const rep = (s: string, n: number) => Array.from({ length: n }, () => s);

describe('mutex-broken, 2 processes', () => {
  const m = createModel('mutex-broken', { procs: 2 });

  it('has 13 distinct states and 24 transitions, exhaustively', async () => {
    const r = await search(m);
    expect(r.strategy).toBe('bfs');
    expect(r.exhaustive).toBe(true);
    expect(r.cut).toBeNull();
    expect(r.distinct).toBe(13);
    expect(r.transitions).toBe(24);
    // bfs depth is the distance of the farthest state: 6 steps
    expect(r.depth).toBe(6);
    expect(r.workers).toBe(1);
    expect(r.collisionProbability).toBeGreaterThan(0);
    expect(r.checked).toEqual([true, true, true]);
    // check:free fired 6 times, check:held (the test failing on a held lock) twice
    expect(r.coverage).toEqual([6, 2]);
  });

  it('violates mutual-exclusion by the shortest path check(0), check(1), set(0), set(1)', async () => {
    const r = await search(m);
    const p = finding(m, r.findings, 'mutual-exclusion')!;
    expect(p.init).toBe(0);
    expect(p.actions.map((a) => m.describe(a))).toEqual([
      { name: 'check', args: { proc: 0 }, kernel: 'fixture' },
      { name: 'check', args: { proc: 1 }, kernel: 'fixture' },
      { name: 'set', args: { proc: 0 }, kernel: 'fixture' },
      { name: 'set', args: { proc: 1 }, kernel: 'fixture' },
    ]);
    expect(labels(m, r, 'critical-reached')).toEqual(['check(0)', 'set(0)']);
    expect(labels(m, r, 'all-critical')).toEqual(['check(0)', 'check(1)', 'set(0)', 'set(1)']);
  });
});

describe('the correct mutex', () => {
  it('holds mutual-exclusion and never reaches all-critical with 2 processes', async () => {
    const m = createModel('mutex', { procs: 2 });
    const r = await search(m);
    expect(r.exhaustive).toBe(true);
    expect(r.distinct).toBe(3);
    expect(r.transitions).toBe(4);
    expect(finding(m, r.findings, 'mutual-exclusion')).toBeNull();
    expect(finding(m, r.findings, 'all-critical')).toBeNull();
    expect(labels(m, r, 'critical-reached')).toEqual(['check(0)']);
  });
});

describe('engine against the naive oracle', () => {
  const cases: [string, Record<string, number>, number, number][] = [
    // model, config, pinned distinct, pinned transitions
    ['mutex', { procs: 1 }, 2, 2],
    ['mutex', { procs: 2 }, 3, 4],
    ['mutex', { procs: 3 }, 4, 6],
    ['mutex', { procs: 4 }, 5, 8],
    ['mutex-broken', { procs: 1 }, 3, 3],
    ['mutex-broken', { procs: 2 }, 13, 24],
    ['mutex-broken', { procs: 3 }, 45, 120],
    ['mutex-broken', { procs: 4 }, 145, 504],
    ['counters', { procs: 1, max: 1 }, 2, 1],
    ['counters', { procs: 2, max: 2 }, 9, 12],
    ['counters', { procs: 3, max: 4 }, 125, 300],
    ['counters', { procs: 4, max: 3 }, 256, 768],
  ];

  it.each(cases)('%s %o: bfs matches the oracle (%i states, %i transitions)', async (id, cfg, distinct, transitions) => {
    const m = createModel(id, cfg);
    const o = oracle(m);
    expect([o.distinct, o.transitions]).toEqual([distinct, transitions]);
    const r = await search(m);
    expect(r.exhaustive).toBe(true);
    expect(r.distinct).toBe(o.distinct);
    expect(r.transitions).toBe(o.transitions);
    expect(r.depth).toBe(o.maxDistance);
    expect(r.coverage).toEqual(o.coverage);
    // every state property is found exactly when the oracle finds it, and bfs paths are shortest
    m.properties.forEach((p, i) => {
      if (p.kind !== 'always' && p.kind !== 'sometimes') return;
      const f = r.findings[i];
      const want = o.nearest[p.name];
      if (want === null) expect(f, p.name).toBeNull();
      else expect(f?.actions.length, p.name).toBe(want);
    });
  });

  it.each(cases)('%s %o: dfs and the full-state set find the same states and verdicts', async (id, cfg) => {
    const m = createModel(id, cfg);
    const bfs = await search(m);
    const full = await search(m, { fullState: true });
    const dfs = await search(m, { strategy: 'dfs', maxDepth: 100_000 });
    const dfsFull = await search(m, { strategy: 'dfs', maxDepth: 100_000, fullState: true });
    for (const r of [full, dfs, dfsFull]) {
      expect(r.exhaustive).toBe(true);
      expect(r.distinct).toBe(bfs.distinct);
      expect(r.transitions).toBe(bfs.transitions);
      expect(r.coverage).toEqual(bfs.coverage);
      expect(r.findings.map((f) => f !== null)).toEqual(bfs.findings.map((f) => f !== null));
    }
    expect(full.collisionProbability).toBeNull();
    expect(bfs.collisionProbability).not.toBeNull();
    // the full-state bfs visits in the same order, so its paths are the same
    expect(full.findings).toEqual(bfs.findings);
  });
});

describe('counters fixture formulas', () => {
  it.each([
    [1, 5],
    [2, 3],
    [3, 4],
    [5, 2],
  ])('procs %i max %i: (max+1)^procs states, procs*max*(max+1)^(procs-1) transitions, violation after procs*max steps', async (procs, max) => {
    const m = createModel('counters', { procs, max });
    const r = await search(m);
    expect(r.distinct).toBe((max + 1) ** procs);
    expect(r.transitions).toBe(procs * max * (max + 1) ** (procs - 1));
    const path = labels(m, r, 'not-all-max')!;
    expect(path).toHaveLength(procs * max);
    // bfs keeps the first parent found, so the path raises counter 0 first, then 1, ...
    expect(path).toEqual(Array.from({ length: procs }, (_, i) => rep(`inc(${i})`, max)).flat());
    expect(labels(m, r, 'half-way')).toEqual(rep('inc(0)', Math.ceil(max / 2)));
  });
});

describe('bounds', () => {
  const m = createModel('mutex-broken', { procs: 3 });
  const o = oracle(m);

  it('a depth bound keeps exactly the states within that many steps, and says so', async () => {
    expect(o.maxDistance).toBe(8);
    for (let d = 0; d <= 8; d++) {
      const r = await search(m, { maxDepth: d });
      expect(r.distinct, `depth ${d}`).toBe(withinDepth(o, d));
      expect(r.exhaustive).toBe(false);
      expect(r.depth).toBe(d);
      expect(r.cut).toContain(`depth bound reached (--depth ${d})`);
    }
    // one more level: the last level is expanded, nothing is left, the search is complete
    const r = await search(m, { maxDepth: 9 });
    expect(r.exhaustive).toBe(true);
    expect(r.cut).toBeNull();
    expect(r.distinct).toBe(45);
  });

  it('a depth bound cuts the mutual-exclusion violation off below 4 steps', async () => {
    const r3 = await search(m, { maxDepth: 3 });
    expect(finding(m, r3.findings, 'mutual-exclusion')).toBeNull();
    const r4 = await search(m, { maxDepth: 4 });
    expect(labels(m, r4, 'mutual-exclusion')).toEqual(['check(0)', 'check(1)', 'set(0)', 'set(1)']);
  });

  it('dfs with a depth bound stays within it and is not exhaustive', async () => {
    for (const d of [0, 2, 5, 8]) {
      const r = await search(m, { strategy: 'dfs', maxDepth: d });
      expect(r.exhaustive).toBe(false);
      expect(r.cut).toContain(`depth bound reached (--depth ${d})`);
      expect(r.depth).toBeLessThanOrEqual(d);
      // every state dfs keeps is within d steps, so it can only keep fewer than bfs
      expect(r.distinct).toBeLessThanOrEqual(withinDepth(o, d));
    }
    const r0 = await search(m, { strategy: 'dfs', maxDepth: 0 });
    expect(r0.distinct).toBe(1);
    expect(r0.transitions).toBe(0);
  });

  it.each([1, 2, 10, 50, 124])('a state bound of %i stops at exactly that many distinct states (bfs, dfs, random)', async (max) => {
    const c = createModel('counters', { procs: 3, max: 4 });
    for (const strategy of ['bfs', 'dfs', 'random'] as const) {
      const r = await search(c, { strategy, maxStates: max, walks: 10_000 });
      expect(r.distinct, strategy).toBe(max);
      expect(r.exhaustive, strategy).toBe(false);
      expect(r.cut, strategy).toBe(`state bound reached (--max-states ${max})`);
    }
  });

  it('a state bound is reported even when it equals the state count (cannot tell it was complete)', async () => {
    const c = createModel('counters', { procs: 3, max: 4 });
    const r = await search(c, { maxStates: 125 });
    expect(r.distinct).toBe(125);
    expect(r.exhaustive).toBe(false);
    const r2 = await search(c, { maxStates: 126 });
    expect(r2.distinct).toBe(125);
    expect(r2.exhaustive).toBe(true);
  });

  it('failFast stops at the first violation, still with the shortest path (bfs)', async () => {
    const full = await search(m);
    const r = await search(m, { failFast: true });
    expect(r.exhaustive).toBe(false);
    expect(r.cut).toBe('stopped at the first violation');
    expect(r.distinct).toBeLessThan(full.distinct);
    // state properties are evaluated when a state is expanded, so the stop comes
    // as the violating state's level is expanded, not as it is discovered
    expect(r.distinct).toBe(23);
    expect(r.transitions).toBe(39);
    expect(labels(m, r, 'mutual-exclusion')).toEqual(['check(0)', 'check(1)', 'set(0)', 'set(1)']);
    // all-critical (a cover, 6 steps away) was never reached before the stop
    expect(finding(m, r.findings, 'all-critical')).toBeNull();
  });

  it('failFast stops dfs too', async () => {
    const r = await search(m, { strategy: 'dfs', failFast: true, maxDepth: 1000 });
    expect(r.exhaustive).toBe(false);
    expect(r.cut).toBe('stopped at the first violation');
    expect(r.distinct).toBeLessThan(45);
    expect(finding(m, r.findings, 'mutual-exclusion')).not.toBeNull();
  });

  it('failFast does not stop on covers: a correct model is still explored to the end', async () => {
    const ok = createModel('mutex', { procs: 3 });
    const r = await search(ok, { failFast: true });
    expect(r.exhaustive).toBe(true);
    expect(r.distinct).toBe(4);
    expect(finding(ok, r.findings, 'critical-reached')).not.toBeNull();
  });

  it('a property filter checks only the named properties', async () => {
    const r = await search(m, { properties: ['critical-reached'] });
    expect(r.checked).toEqual([false, true, false]);
    expect(r.findings[0]).toBeNull();
    expect(r.findings[2]).toBeNull();
    expect(labels(m, r, 'critical-reached')).toEqual(['check(0)', 'set(0)']);
    expect(r.distinct).toBe(45);
  });
});

describe('progress callback', () => {
  it('reports growing counts and ends with the final totals and an empty frontier', async () => {
    const m = createModel('mutex-broken', { procs: 3 });
    for (const strategy of ['bfs', 'dfs'] as const) {
      const seen: { distinct: number; transitions: number; frontier: number }[] = [];
      const r = await search(m, { strategy, progressEveryMs: 0, onProgress: (p) => seen.push(p) });
      // bfs reports after every slice and level; dfs every 1024 expansions, and always at the end
      expect(seen.length, strategy).toBeGreaterThanOrEqual(strategy === 'bfs' ? 9 : 1);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.distinct).toBeGreaterThanOrEqual(seen[i - 1]!.distinct);
      expect(seen.at(-1)).toMatchObject({ distinct: 45, transitions: 120, frontier: 0 });
      expect(r.distinct).toBe(45);
    }
  });
});

describe('random simulation', () => {
  const m = createModel('mutex-broken', { procs: 3 });
  const opts: SearchOptions = { strategy: 'random', seed: 7, walks: 20, maxDepth: 10 };

  it('is never exhaustive, even when the walks cover the whole (tiny) state space', async () => {
    const tiny = createModel('mutex', { procs: 1 });
    const r = await search(tiny, { strategy: 'random', walks: 50, maxDepth: 10 });
    expect(r.distinct).toBe(2);
    expect(r.exhaustive).toBe(false);
    expect(r.cut).toBe('random simulation: 50 walks of at most 10 steps (never exhaustive)');
  });

  it('is deterministic for a seed: same counts, same findings', async () => {
    const a = await search(m, opts);
    const b = await search(m, opts);
    expect(a.exhaustive).toBe(false);
    expect(b.distinct).toBe(a.distinct);
    expect(b.transitions).toBe(a.transitions);
    expect(b.depth).toBe(a.depth);
    expect(b.coverage).toEqual(a.coverage);
    expect(b.findings).toEqual(a.findings);
    expect(a.distinct).toBeGreaterThan(1);
    expect(a.distinct).toBeLessThanOrEqual(45);
    // 20 walks of 10 steps: mutex-broken never deadlocks, so every walk runs its full length
    expect(a.transitions).toBe(200);
    expect(a.depth).toBe(10);
  });

  it('reports findings whose paths really reproduce', async () => {
    const r = await search(m, { ...opts, walks: 200 });
    const found = m.properties.filter((_, i) => r.findings[i] !== null);
    expect(found.map((p) => p.name)).toEqual(['mutual-exclusion', 'critical-reached', 'all-critical']);
    for (const p of found) {
      const path = finding(m, r.findings, p.name)!;
      expect(path.actions.length).toBeLessThanOrEqual(10);
      expect(traceReproduces(m, buildTrace(m, { procs: 3 }, p.name, path))).toEqual({ ok: true, why: '' });
    }
  });

  it('respects the walk length', async () => {
    const r = await search(m, { strategy: 'random', seed: 3, walks: 5, maxDepth: 2 });
    expect(r.transitions).toBe(10);
    expect(r.depth).toBe(2);
  });
});

describe('action properties and kernel assertions (toy model)', () => {
  const m = createToy();

  it('drops the successor of a kernel assertion but counts the transition', async () => {
    const r = await search(m);
    expect(r.exhaustive).toBe(true);
    expect(r.distinct).toBe(5);
    expect(r.transitions).toBe(7);
    expect(r.depth).toBe(3);
    expect(r.coverage).toEqual([4, 2, 1]);
  });

  it('finds each kind with its shortest path', async () => {
    const r = await search(m);
    expect(labels(m, r, 'below-4')).toEqual(['inc()', 'inc()', 'dbl()']);
    expect(labels(m, r, 'no-dbl-from-2')).toEqual(['inc()', 'inc()', 'dbl()']);
    expect(labels(m, r, 'reached-3')).toEqual(['inc()', 'inc()', 'inc()']);
    expect(labels(m, r, 'no-bug')).toEqual(['inc()', 'inc()', 'inc()', 'poke()']);
    expect(labels(m, r, 'no-inc-at-3')).toEqual(['inc()', 'inc()', 'inc()', 'inc()']);
  });

  it('dfs agrees on counts and on which properties fire', async () => {
    const b = await search(m);
    const d = await search(m, { strategy: 'dfs' });
    expect([d.distinct, d.transitions, d.exhaustive]).toEqual([5, 7, true]);
    expect(d.findings.map((f) => f !== null)).toEqual(b.findings.map((f) => f !== null));
  });

  it('always checks kernel assertions, and only the filtered action properties', async () => {
    const r = await search(m, { properties: ['reached-3'] });
    expect(r.checked).toEqual([false, false, true, true, false]);
    expect(r.findings.map((f) => f !== null)).toEqual([false, false, true, true, false]);
    expect(r.distinct).toBe(5);
  });

  it('fail-fast stops at a transition violation before any state one is seen', async () => {
    const r = await search(m, { failFast: true, properties: ['no-dbl-from-2', 'reached-3'] });
    expect(r.cut).toBe('stopped at the first violation');
    expect(labels(m, r, 'no-dbl-from-2')).toEqual(['inc()', 'inc()', 'dbl()']);
    expect(finding(m, r.findings, 'no-bug')).toBeNull();
  });
});

describe('one-thread bfs, expanded straight into the visited set', () => {
  // a memory budget that is never reached keeps the run on the merged path (expand, then merge the slice)
  const merged: SearchOptions = { memoryBytes: 2 ** 40 };

  it('agrees with the merged path on the toy model: kernel-assertion successors dropped, transitions counted', async () => {
    const m = createToy();
    const a = await search(m);
    const b = await search(m, merged);
    expect(essence(m, a)).toEqual(essence(m, b));
    expect(a.coverage).toEqual(b.coverage);
  });

  it('agrees with the merged path on the thp model (seed 004), in blocks of any size', async () => {
    const m = createModel('thp', { era: 'andrea-v1', procs: 2, subpages: 2 });
    const want = await search(m, merged);
    expect(finding(m, want.findings, 'rmap-integrity')).not.toBeNull();
    for (const sliceStates of [undefined, 1, 7, 300]) {
      const r = await search(m, { sliceStates });
      expect(essence(m, r), `blocks of ${sliceStates ?? 'default'}`).toEqual(essence(m, want));
      expect(r.coverage).toEqual(want.coverage);
    }
  });
});

describe('a level that outgrows the largest frontier buffer', () => {
  // counters procs 3 max 7: levels grow to 48 states of 4 bytes; a 96-byte frontier holds 24
  const cfg = { procs: 3, max: 7 };
  it('stops the search, cut and not exhaustive, with the states stored so far, for 1 and 2 workers', async () => {
    for (const workers of [1, 2]) {
      const m = createModel('counters', cfg);
      const r = await search(m, { workers, spec: { modelId: 'counters', config: cfg }, frontierBytes: 96, phasedFrom: 0 });
      expect(r.exhaustive, `${workers} workers`).toBe(false);
      expect(r.cut).toMatch(/^the next BFS level outgrew the largest frontier buffer \(96 bytes: \d+ states of 4 bytes\); bound the search/);
      expect(r.distinct).toBeLessThan(512);
      expect(r.distinct).toBeGreaterThan(24);
    }
  });

  it('a run whose levels fit is exhaustive, with the counts of an unbounded run', async () => {
    const m = createModel('counters', cfg);
    const r = await search(m, { frontierBytes: 4 * 64 });
    expect([r.exhaustive, r.distinct, r.cut]).toEqual([true, 512, null]);
  });
});
