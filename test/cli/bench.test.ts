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
import { atOnceTooBig, medianRun, runAtOnce, runMmcheck, type BenchEvent, type RunStats } from '../../bench/bench.js';
import { contextLine, runLine } from '../../src/cli/bench.js';
import { lines, mmcheck, REPO_ROOT, usageErrorLine } from '../helpers/cli.js';

const run = (seconds: number, distinct = 100, verdicts: Record<string, string> = { a: 'holds' }): RunStats => ({
  distinct,
  transitions: 500,
  seconds,
  statesPerSec: distinct / seconds,
  peakRssBytes: 1000 + seconds,
  bytesPerState: 14,
  workers: 1,
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
