/**
 * --memory: a visited set that would outgrow the budget goes on as bitstate; the verdict says the search is
 * probabilistic, with an omission estimate, and results stay the same for any number of workers.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { search } from '../../src/checker/search.js';
import { BitstateSet, parseSize } from '../../src/fpset/fpset.js';
import { mmcheck, usageErrorLine } from '../helpers/cli.js';

describe('parseSize', () => {
  it.each([
    ['512', 512], ['1K', 1024], ['2M', 2 * 2 ** 20], ['2G', 2 * 2 ** 30], ['1.5GiB', 1.5 * 2 ** 30], ['3gb', 3 * 2 ** 30], ['64 MB', 64 * 2 ** 20], ['10B', 10],
  ])('%s = %d bytes', (t, n) => expect(parseSize(t)).toBe(n));
  it.each(['', 'G', '2X', '-1G', '1e9', '2 G B', '0', '1.2.3M'])('rejects %j', (t) => expect(parseSize(t)).toBeNull());
});

describe('BitstateSet', () => {
  it('never forgets a state it stored and estimates its omissions', () => {
    const b = new BitstateSet(1 << 12);
    const added: [number, number][] = [];
    let h = 7;
    for (let i = 0; i < 5000; i++) {
      h = (Math.imul(h, 1103515245) + 12345) >>> 0;
      const lo = Math.imul(h ^ i, 0x9e3779b1) >>> 0;
      if (b.add(new Uint8Array(0), h, lo)) added.push([h, lo]);
    }
    for (const [x, y] of added) expect(b.has(x, y)).toBe(true);
    expect(b.size).toBe(added.length);
    expect(b.size).toBeLessThan(5000); // 32k bits for 5000 states: some were taken as seen
    expect(b.omittedEstimate).toBeGreaterThan(0);
  });
});

describe('memory budget', () => {
  const cfg = { profile: 'thp-core', era: 'v4.5', procs: 2, subpages: 4 };
  it('switches to bitstate past the budget, keeps going, reports itself probabilistic; same for 1 and 2 workers', async () => {
    const full = await search(createModel('thp', cfg), {});
    expect(full.exhaustive).toBe(true);
    expect(full.probabilistic).toBeNull();
    const res = [];
    for (const workers of [1, 2]) res.push(await search(createModel('thp', cfg), { workers, spec: { modelId: 'thp', config: cfg }, memoryBytes: 2 << 20 }));
    const [one, two] = res as [typeof full, typeof full];
    expect(one.exhaustive).toBe(false);
    expect(one.cut).toBeNull();
    const p = one.probabilistic!;
    expect(p.mode).toBe('bitstate');
    expect(p.switchedAtStates).toBeGreaterThan(0);
    expect(p.switchedAtStates).toBeLessThan(full.distinct);
    // it went on past the switch and found all but a few states; the estimate is of the right size
    expect(one.distinct).toBeGreaterThan(p.switchedAtStates);
    expect(one.distinct).toBeLessThanOrEqual(full.distinct);
    const missed = full.distinct - one.distinct;
    expect(p.omittedStatesEstimate).toBeGreaterThan(missed / 3);
    expect(p.omittedStatesEstimate).toBeLessThan(missed * 3 + 10);
    expect(one.visitedBytes).toBeLessThanOrEqual(2 << 20);
    expect(one.findings.map((f) => f !== null)).toEqual(full.findings.map((f) => f !== null));
    expect({ d: two.distinct, t: two.transitions, p: two.probabilistic, f: two.findings }).toEqual({ d: one.distinct, t: one.transitions, p: one.probabilistic, f: one.findings });
  });

  it('a budget the run fits in changes nothing', async () => {
    const a = await search(createModel('thp', cfg), {});
    const b = await search(createModel('thp', cfg), { memoryBytes: 1 << 30 });
    expect(b.probabilistic).toBeNull();
    expect(b.exhaustive).toBe(true);
    expect([b.distinct, b.transitions]).toEqual([a.distinct, a.transitions]);
  });

  it('CLI: the verdict says PROBABILISTIC with the estimate; --json has the fields; a bad size is one line and exit 2', () => {
    const args = ['check', '--profile', 'thp-core', '--era', 'v4.5', '--procs', '2', '--subpages', '4', '--memory', '2M', '-q'];
    const t = mmcheck(...args);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/PROBABILISTIC, not exhaustive/);
    expect(t.stdout).toMatch(/completeness is probabilistic, about [\d.]+ reachable states expected omitted/);
    const j = JSON.parse(mmcheck(...args, '--json').stdout);
    expect(j.exhaustive).toBe(false);
    expect(j.probabilistic.mode).toBe('bitstate');
    expect(typeof j.probabilistic.omissionProbability).toBe('number');
    expect(usageErrorLine(mmcheck('check', '--memory', 'lots'))).toMatch(/^mmcheck: .*--memory.*expected a size such as 512M or 2G, got 'lots'/);
    expect(usageErrorLine(mmcheck('check', '--memory', '10K'))).toMatch(/^mmcheck: .*must be at least 1M/);
  });
});
