/**
 * `mmcheck bench` repeats: the median run is reported with every run's
 * seconds, and repeats that disagree on counts or verdicts stop the bench
 * (the search is deterministic; a difference is a bug, not noise).
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { atOnceSpeedup, atOnceTooBig, medianRun, runAtOnce, runMmcheck, type BenchEvent, type BenchRow, type CurveRow, type RunStats } from '../../bench/bench.js';
import { contextLine, countsArg, curveLines, runLine, tableLine } from '../../src/cli/bench.js';
import { lines, mmcheck, REPO_ROOT, usageErrorLine } from '../helpers/cli.js';

const run = (seconds: number, distinct = 100, verdicts: Record<string, string> = { a: 'holds' }): RunStats => ({
  distinct,
  transitions: 500,
  seconds,
  statesPerSec: distinct / seconds,
  peakRssBytes: 1000 + seconds,
  bytesPerState: 14,
  workers: 1,
  threads: 0,
  exhaustive: true,
  verdicts,
  runs: [seconds],
});

describe('bench repeats', () => {
  it('reports the median run, and every run in run order', () => {
    const m = medianRun([run(0.9), run(0.5), run(0.7)], 'x');
    expect(m.seconds).toBe(0.7);
    expect(m.statesPerSec).toBeCloseTo(100 / 0.7);
    expect(m.runs).toEqual([0.9, 0.5, 0.7]);
    // an even number of runs: the lower middle one (a run that happened, not an average)
    expect(medianRun([run(0.4), run(0.8), run(0.6), run(0.2)], 'x').seconds).toBe(0.4);
  });

  it('refuses repeats that disagree on counts or verdicts, unless told they need not agree', () => {
    expect(() => medianRun([run(1), run(1, 101)], 'thp-core, 1 worker')).toThrow('thp-core, 1 worker: repeats disagree on counts or verdicts: 100, 101');
    expect(() => medianRun([run(1), run(1, 100, { a: 'VIOLATED' })], 'x')).toThrow('repeats disagree');
    // SPIN stopped at its time limit stores a different number of states each time
    expect(medianRun([run(2, 300), run(1, 200), run(3, 400)], 'spin', false).distinct).toBe(300);
  });

  it('runs mmcheck check --json once per call, with the run in `runs`', () => {
    const r = runMmcheck(REPO_ROOT, ['--model', 'counters', '--procs', '2'], 1);
    expect(r.distinct).toBeGreaterThan(0);
    expect(r.runs).toEqual([r.seconds]);
  });

  it('runs N 1-worker runs at once for the ceiling column, each checked against the count alone', () => {
    const work = mkdtempSync(join(tmpdir(), 'mmcheck-bench-test-'));
    try {
      const args = ['--model', 'counters', '--procs', '2'];
      const alone = runMmcheck(REPO_ROOT, args, 1);
      const secs = runAtOnce(REPO_ROOT, args, 3, work, alone.distinct);
      expect(secs).toHaveLength(3);
      for (const s of secs) expect(s).toBeGreaterThanOrEqual(0);
      // a run that counts otherwise (here: told the wrong count) stops the bench, naming both counts
      expect(() => runAtOnce(REPO_ROOT, args, 2, work, alone.distinct + 1)).toThrow(`found ${alone.distinct} states, alone ${alone.distinct + 1}`);
      // a run that fails says which and why
      expect(() => runAtOnce(REPO_ROOT, ['--era', 'v9.9'], 2, work, 1)).toThrow(/--era v9\.9, run 1 of 2 at once, failed: mmcheck: .*v9\.9/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('leaves the runs at once out when they would need more than three quarters of the memory, saying why', () => {
    const GiB = 2 ** 30;
    expect(atOnceTooBig(2, 6.1 * GiB, 24 * GiB)).toBeNull();
    expect(atOnceTooBig(16, 6.1 * GiB, 24 * GiB)).toBe("16 runs of 6.10 GiB would need 97.60 GiB of this machine's 24.00 GiB");
    expect(atOnceTooBig(4, 4.6 * GiB, 24 * GiB)).toBe("4 runs of 4.60 GiB would need 18.40 GiB of this machine's 24.00 GiB");
  });

  it('rejects an --only that selects no configuration with exit 2, naming the known ones', () => {
    const line = usageErrorLine(mmcheck('bench', '--only', 'no-such-config', '--no-spin'));
    expect(line).toMatch(/^mmcheck: --only 'no-such-config' matches no configuration \(known: thp-core v4\.5 P2 N4; /);
    // the long configurations are left out by --quick
    expect(usageErrorLine(mmcheck('bench', '--quick', '--only', 'full v5.19', '--no-spin'))).toContain("matches no configuration left by --quick");
  });

  it('says on stderr how each run went, in the order they ran, and nothing with -q', () => {
    const args = ['bench', '--only', 'thp-core v4.6 P2 N2', '--repeat', '2', '--workers', '2', '--no-spin', '--json'];
    const before = Date.now();
    const r = mmcheck(...args);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rows[0].one.distinct).toBe(454);
    // where and on what it ran: the time it started, the checkout's commit, the machine (SPIN: not run)
    expect(Date.parse(j.started)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(j.started)).toBeLessThanOrEqual(Date.now());
    const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(j.commit).toBe(git.status === 0 ? git.stdout.trim() : null);
    expect(j.machine).toMatchObject({ cores: availableParallelism(), memoryBytes: totalmem(), node: process.version });
    expect(j.spin).toBeNull();
    const head = 'bench [1/1] thp-core v4.6 P2 N2: ';
    // the columns take turns, the second round in reverse order
    expect(lines(r.stderr).map((l) => l.replace(/\d+\.\d\d s/g, 'S'))).toEqual([
      `${head}1 worker, run 1 of 2: S, 454 states`,
      `${head}2 workers, run 1 of 2: S, 454 states`,
      `${head}2 1-worker runs at once, run 1 of 2: S and S, 454 states each`,
      `${head}2 1-worker runs at once, run 2 of 2: S and S, 454 states each`,
      `${head}2 workers, run 2 of 2: S, 454 states`,
      `${head}1 worker, run 2 of 2: S, 454 states`,
    ]);
    const q = mmcheck(...args, '-q');
    expect(q.status).toBe(0);
    expect(q.stderr).toBe('');
  });

  it("runs SPIN's own model, ported, as rows of their own: its states and transitions are SPIN's less the init step", () => {
    const r = mmcheck('bench', '--only', 'thp_core.pml port v4.6 P2 N4', '--repeat', '1', '--no-spin', '--no-ceiling', '--json', '-q');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rows.map((x: { name: string }) => x.name)).toEqual(['thp_core.pml port v4.6 P2 N4']);
    expect(j.rows[0].one).toMatchObject({ distinct: 207272, transitions: 1429003 });
  });

  it('announces the runs of a long configuration as they start, and marks a SPIN run its time limit stopped', () => {
    const e: BenchEvent = { config: 'depth 11', index: 7, of: 7, long: true, what: '1 worker', round: 1, rounds: 1, done: false };
    expect(runLine(e)).toBe('bench [7/7] depth 11: 1 worker ...');
    expect(runLine({ ...e, long: false })).toBeNull();
    expect(runLine({ ...e, done: true, seconds: [118.14], states: 40_799_419 })).toBe('bench [7/7] depth 11: 1 worker: 118.14 s, 40,799,419 states');
    expect(runLine({ ...e, what: 'SPIN', round: 2, rounds: 3, done: true, seconds: [120.01], states: 38_300_000, stopped: true })).toBe(
      'bench [7/7] depth 11: SPIN, run 2 of 3: 120.01 s, 38,300,000 states (stopped by its time limit, unfinished)',
    );
  });

  it('rejects a repeat count below 1 with exit 2', () => {
    expect(usageErrorLine(mmcheck('bench', '--repeat', '0', '--no-spin'))).toContain("option '--repeat <n>' argument '0' is invalid");
  });
});

describe('bench output', () => {
  it('starts the table with a line saying when, from which commit and on what it ran', () => {
    const c = { started: '2026-12-02T16:29:27.418Z', commit: '61e5f87', machine: { cores: 2, cpu: 'AMD EPYC', memoryBytes: 24 * 2 ** 30, node: 'v20.20.2' }, spin: 'Spin Version 6.5.2 -- 6 December 2019' };
    expect(contextLine(c, 2)).toBe('mmcheck bench 2026-12-02T16:29:27Z, commit 61e5f87, 2 workers; Node v20.20.2, 2 cores (AMD EPYC), 24.00 GiB; Spin Version 6.5.2 -- 6 December 2019');
    expect(contextLine({ ...c, commit: null, spin: null }, 4)).toBe('mmcheck bench 2026-12-02T16:29:27Z, commit unknown (not a git checkout), 4 workers; Node v20.20.2, 2 cores (AMD EPYC), 24.00 GiB');
  });

  it('ends quietly with status 141 (SIGPIPE) when its reader goes away', async () => {
    // (2 rounds of 2 runs, each a child process: about a second before the row is written)
    const child = spawn(process.execPath, ['bin/mmcheck.js', 'bench', '--only', 'thp-core v4.6 P2 N2', '--repeat', '2', '--no-ceiling', '--no-spin', '-q'], { cwd: REPO_ROOT, env: { ...process.env, MMCHECK_POOL_AFTER_MS: '0' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // the first chunk is the context line; the reader then closes, and the row written later has nowhere to go
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    expect(status).toBe(141);
    expect(stderr).toBe('');
  });
});

describe('bench --curve (scaling over worker counts)', () => {
  it('runs each count in alternating rounds, with as many 1-worker runs at once, and reports speedups over 1 worker', () => {
    const r = mmcheck('bench', '--curve', '2', '--only', 'thp-core v4.6 P3 N2', '--repeat', '2', '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.counts).toEqual([1, 2]);
    expect(j.spin).toBeNull();
    expect(j.curve).toHaveLength(1);
    const [one, two] = j.curve[0].points;
    expect([one.workers, two.workers]).toEqual([1, 2]);
    expect([one.run.distinct, two.run.distinct]).toEqual([118_444, 118_444]);
    expect(two.run.verdicts).toEqual(one.run.verdicts);
    // the tests' runs start their threads at once (MMCHECK_POOL_AFTER_MS=0): 2 workers are 2 threads
    expect([one.run.threads, two.run.threads]).toEqual([0, 2]);
    expect(one.speedup).toBe(1);
    expect(two.speedup).toBeCloseTo(one.run.seconds / two.run.seconds, 10);
    expect(two.efficiency).toBeCloseTo(two.speedup / 2, 10);
    expect(one.ceiling).toBeNull();
    expect(two.ceiling.runs).toHaveLength(2);
    expect(two.ceiling.speedup).toBeCloseTo(atOnceSpeedup(2, one.run.runs.map((seconds: number) => ({ seconds })), two.ceiling.runs), 10);
    expect(two.ceiling.share).toBeCloseTo(two.speedup / two.ceiling.speedup, 10);
    const head = 'bench [1/1] thp-core v4.6 P3 N2: ';
    expect(lines(r.stderr).map((l) => l.replace(/\d+\.\d\d s/g, 'S'))).toEqual([
      `${head}1 worker, run 1 of 2: S, 118,444 states`,
      `${head}2 workers, run 1 of 2: S, 118,444 states`,
      `${head}2 1-worker runs at once, run 1 of 2: S and S, 118,444 states each`,
      `${head}2 1-worker runs at once, run 2 of 2: S and S, 118,444 states each`,
      `${head}2 workers, run 2 of 2: S, 118,444 states`,
      `${head}1 worker, run 2 of 2: S, 118,444 states`,
    ]);
  });

  it('takes counts in any order, adds the 1-worker baseline, and rejects anything else with exit 2', () => {
    expect(countsArg('16, 4,2,4')).toEqual([1, 2, 4, 16]);
    expect(countsArg('1')).toEqual([1]);
    for (const bad of ['1,x', '0', '2,,4', '257', '']) {
      const got = bad.split(',').map((w) => w.trim()).find((w) => !/^\d+$/.test(w) || +w < 1 || +w > 256);
      expect(usageErrorLine(mmcheck('bench', '--curve', bad))).toBe(
        `mmcheck: option '--curve <counts>' argument '${bad}' is invalid. expected worker counts from 1 to 256 separated by commas (such as 1,2,4,8,16), got '${got}'.`,
      );
    }
    // --workers would be silently ignored beside it
    expect(usageErrorLine(mmcheck('bench', '--curve', '2', '--workers', '2'))).toBe('mmcheck: --curve names the worker counts: give it or --workers, not both');
  });

  it('says in the N-worker column when its run started no threads', () => {
    const row = (threads: number): BenchRow => ({
      name: 'cfg',
      args: [],
      one: run(1, 100_000),
      many: { ...run(0.8, 100_000), workers: 2, threads, runs: [0.8, 0.9, 0.7] },
      spin: null,
      ratio: null,
      wallRatio: null,
      reduced: null,
      ceiling: null,
    });
    const cells = (t: number) => tableLine(row(t)).trim().split(' | ');
    expect(cells(0).slice(3, 8)).toEqual(['1.00', '100,000', '0.80 (0.70-0.90), no threads', '125,000', '1.25']);
    expect(cells(2)[5]).toBe('0.80 (0.70-0.90)');
  });

  it('prints a line per worker count, with the at-once columns where they ran', () => {
    const c = { started: '2026-12-02T16:29:27.418Z', commit: '61e5f87', machine: { cores: 16, cpu: 'x', memoryBytes: 2 ** 30, node: 'v20.20.2' }, spin: null };
    expect(contextLine(c, [1, 2, 4])).toBe('mmcheck bench 2026-12-02T16:29:27Z, commit 61e5f87, workers 1,2,4; Node v20.20.2, 16 cores (x), 1.00 GiB');
    const row: CurveRow = {
      name: 'cfg',
      args: [],
      points: [
        { workers: 1, run: { ...run(10, 1_000_000), runs: [10, 11] }, speedup: 1, efficiency: 1, ceiling: null },
        { workers: 2, run: { ...run(6, 1_000_000), threads: 2 }, speedup: 10 / 6, efficiency: 10 / 12, ceiling: { speedup: 1.9, runs: [[10.5, 10.4]], share: 10 / 6 / 1.9 } },
        { workers: 4, run: { ...run(4, 1_000_000), threads: 4 }, speedup: 2.5, efficiency: 0.625, ceiling: { skipped: 'no room' } },
      ],
    };
    expect(curveLines(row).split('\n')).toEqual([
      'cfg | 1,000,000 | 1 | 0 | 10.00 (10.00-11.00) | 100,000 | 1.00 | 1.00 | - | - | 1010 B',
      'cfg | 1,000,000 | 2 | 2 | 6.00 | 166,667 | 1.67 | 0.83 | 1.90 | 0.88 | 1006 B',
      'cfg | 1,000,000 | 4 | 4 | 4.00 | 250,000 | 2.50 | 0.63 | skipped (memory) | - | 1004 B',
      '',
    ]);
  });
});
