/**
 * `mmcheck bench`: fixed configurations, each run as a child `mmcheck check
 * --json` (so peak memory is per run), with 1 and N workers, N 1-worker runs
 * at once (what N cores of this machine allow), and - where `spin` and a C
 * compiler are installed - the SPIN reference model
 * ../shared/bench/thp_core.pml on the matching configuration, in the same run;
 * or, with --curve, the same configurations at each of several worker counts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fmtBytes } from '../src/report/progress.js';

export interface BenchConfig {
  name: string;
  /** arguments to `mmcheck check` */
  args: string[];
  /** the SPIN reference configuration, when there is one */
  spin?: SpinConfig;
  /** long: left out by --quick */
  long?: boolean;
  /** also run with these symmetry reductions (1 worker): counts with and without, verdicts compared */
  symmetry?: string;
}

export interface SpinConfig {
  era: number;
  procs: number;
  subpages: number;
  /** extra pan compile flags and run flags (e.g. -DHC4, -w29 for P=3 N=4) */
  cflags?: string[];
  panArgs?: string[];
  /** stop pan after this many seconds (SIGINT: it prints what it stored so far) */
  limitSec?: number;
}

export const CONFIGS: BenchConfig[] = [
  { name: 'thp-core v4.5 P2 N4', args: ['--profile', 'thp-core', '--era', 'v4.5', '--procs', '2', '--subpages', '4'], spin: { era: 1, procs: 2, subpages: 4 }, symmetry: 'smalls' },
  { name: 'thp-core v4.6 P2 N2', args: ['--profile', 'thp-core', '--era', 'v4.6', '--procs', '2', '--subpages', '2'], spin: { era: 3, procs: 2, subpages: 2 } },
  { name: 'thp-core v4.6 P2 N4', args: ['--profile', 'thp-core', '--era', 'v4.6', '--procs', '2', '--subpages', '4'], spin: { era: 3, procs: 2, subpages: 4 }, symmetry: 'smalls' },
  { name: 'thp-core v4.6 P3 N2', args: ['--profile', 'thp-core', '--era', 'v4.6', '--procs', '3', '--subpages', '2'], spin: { era: 3, procs: 3, subpages: 2 }, symmetry: 'smalls' },
  // SPIN's own model, ported (models/reference): the engines set against each other on one model, the rows
  // above adding the kernel model's cost
  ...([['v4.5', 2, 4, 1], ['v4.6', 2, 4, 3], ['v4.6', 3, 2, 3]] as const).map(([era, procs, subpages, spinEra]) => ({
    name: `thp_core.pml port ${era} P${procs} N${subpages}`,
    args: ['--model', 'thp-core-pml', '--era', era, '--procs', String(procs), '--subpages', String(subpages)],
    spin: { era: spinEra, procs, subpages },
  })),
  { name: 'full v5.19 P2 N4 ranges=basic', args: ['--era', 'v5.19', '--set', 'ranges=basic'], long: true },
  // over a minute single-threaded: + MADV_DONTNEED, every BFS level up to depth 11 (40.8M states, 130 s
  // and 6.1 GB with 1 worker on the 2-core machine, 2026-12-02; depth 10, 16.5M states, had come down to 37-51 s)
  {
    name: 'full v5.19 P2 N4 +madvise ranges=basic depth 11',
    args: ['--era', 'v5.19', '--ops', 'write,fork,munmap,split_huge_pmd,madvise_dontneed', '--set', 'ranges=basic', '--depth', '11'],
    long: true,
  },
  // SPIN does not finish this one (README: > 4e8 states, unfinished at 1,500 s); it is given 120 s here, and
  // mmcheck explores it exhaustively with the small-page symmetry. Last, so that no run follows SPIN's (above)
  {
    name: 'thp-core v4.6 P3 N4 symmetry=smalls',
    args: ['--profile', 'thp-core', '--era', 'v4.6', '--procs', '3', '--subpages', '4', '--symmetry', 'smalls'],
    spin: { era: 3, procs: 3, subpages: 4, cflags: ['-DHC4'], panArgs: ['-w29'], limitSec: 120 },
    long: true,
  },
];

/** The configurations a bench runs: all, less the long ones under --quick, and only names containing `only`. */
export function selectConfigs(quick: boolean, only?: string): BenchConfig[] {
  return CONFIGS.filter((c) => !(quick && c.long) && (!only || c.name.includes(only)));
}

export interface RunStats {
  distinct: number;
  transitions: number;
  seconds: number;
  statesPerSec: number;
  peakRssBytes: number;
  bytesPerState: number;
  workers: number;
  /** worker threads the run started (0: a short run that never needed them) */
  threads: number;
  exhaustive: boolean;
  /** property name: status */
  verdicts: Record<string, string>;
  /** seconds of every repeat, in run order (the figures above are the median run's) */
  runs: number[];
}

export interface SpinStats {
  distinct: number;
  transitions: number;
  seconds: number;
  statesPerSec: number;
  /** false when pan was stopped at its time limit */
  finished: boolean;
  /** seconds of every repeat, in run order (the figures above are the median run's) */
  runs: number[];
}

export interface BenchRow {
  name: string;
  args: string[];
  one: RunStats;
  many: RunStats | null;
  spin: SpinStats | { skipped: string } | null;
  /** mmcheck states/s with one worker over SPIN's */
  ratio: number | null;
  /** SPIN's wall time over mmcheck's with N workers (> 1: mmcheck is ahead) */
  wallRatio: number | null;
  /** the same configuration with the symmetry reduction, 1 worker */
  reduced: (RunStats & { symmetry: string; sameVerdicts: boolean }) | null;
  /**
   * N independent 1-worker runs at once: how much faster N of them get through the work than one alone
   * (N x the 1-worker seconds over the slowest of the N), the most any N-worker search could gain on
   * this machine, whose cores share caches and memory; `efficiency` is the N-worker speedup over it
   */
  ceiling: { speedup: number; runs: number[][]; efficiency: number | null } | { skipped: string } | null;
}

export function runMmcheck(root: string, args: string[], workers: number): RunStats {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'mmcheck.js'), 'check', ...args, '--workers', String(workers), '--json', '-q'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`mmcheck check ${args.join(' ')} failed: ${r.stderr.trim()}`);
  const s = JSON.parse(r.stdout).stats;
  return {
    distinct: s.distinct,
    transitions: s.transitions,
    seconds: s.seconds,
    statesPerSec: s.statesPerSec,
    peakRssBytes: s.peakRssBytes,
    bytesPerState: s.bytesPerState,
    workers: s.workers,
    threads: s.threads ?? 0,
    exhaustive: JSON.parse(r.stdout).exhaustive,
    verdicts: Object.fromEntries(JSON.parse(r.stdout).properties.map((p: { name: string; status: string }) => [p.name, p.status])),
    runs: [s.seconds],
  };
}

/**
 * The median of repeated runs (by seconds), with every run's seconds in `runs`. Timings on a shared
 * machine drift by 10-25% within minutes, so one run per column can invert a ratio; the counts and
 * verdicts must not change between repeats (mmcheck is deterministic; so is SPIN's exhaustive search).
 */
export function medianRun<T extends { seconds: number; distinct: number; runs: number[] }>(runs: T[], what: string, exact = true): T {
  if (runs.length === 0) throw new Error(`${what}: no runs`);
  // (the threads a run starts depend on its timing: the pool starts once a run has lasted long enough)
  const key = (r: T) => JSON.stringify({ ...r, seconds: 0, statesPerSec: 0, peakRssBytes: 0, bytesPerState: 0, threads: 0, runs: [] });
  if (exact && runs.some((r) => key(r) !== key(runs[0]!))) throw new Error(`${what}: repeats disagree on counts or verdicts: ${runs.map((r) => r.distinct).join(', ')}`);
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return { ...sorted[(sorted.length - 1) >> 1]!, runs: runs.map((r) => r.seconds) };
}

/**
 * Why N 1-worker runs at once would not fit in memory (each takes about the 1-worker run's peak RSS),
 * or null: they may take three quarters of it (the depth-11 row takes 6.1 GB a run).
 */
export function atOnceTooBig(copies: number, peakRssBytes: number, totalBytes: number): string | null {
  const need = copies * peakRssBytes;
  return need > 0.75 * totalBytes ? `${copies} runs of ${fmtBytes(peakRssBytes)} would need ${fmtBytes(need)} of this machine's ${fmtBytes(totalBytes)}` : null;
}

/** Quote one word for sh. */
const shq = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;

/**
 * `copies` runs of `mmcheck check ... --workers 1` started together (each its own process, as a
 * worker-count comparison's runs are); the seconds each reports, in start order. Every one must
 * count `distinct` states.
 */
export function runAtOnce(root: string, args: string[], copies: number, work: string, distinct: number): number[] {
  const cmd = [process.execPath, join(root, 'bin', 'mmcheck.js'), 'check', ...args, '--workers', '1', '--json', '-q'].map(shq).join(' ');
  const outs = Array.from({ length: copies }, (_, i) => join(work, `at-once-${i}.json`));
  const script = outs.map((f) => `${cmd} > ${shq(f)} 2> ${shq(f + '.err')} &`).join('\n') + '\nwait';
  spawnSync('sh', ['-c', script], { stdio: 'ignore' });
  const text = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : '');
  return outs.map((f, i) => {
    let stats: { distinct: number; seconds: number };
    try {
      stats = JSON.parse(text(f)).stats;
    } catch {
      throw new Error(`mmcheck check ${args.join(' ')}, run ${i + 1} of ${copies} at once, failed: ${text(f + '.err').split('\n').pop() || 'no output'}`);
    }
    if (stats.distinct !== distinct) throw new Error(`${args.join(' ')}: a run of ${copies} at once found ${stats.distinct} states, alone ${distinct}`);
    return stats.seconds;
  });
}

/**
 * How much faster `copies` 1-worker runs at once got through the work than one alone: per round, the
 * copies x that round's 1-worker seconds (`ones`) over the slowest of the round's runs at once; the median round's.
 */
export function atOnceSpeedup(copies: number, ones: readonly { seconds: number }[], atOnce: readonly number[][]): number {
  const ups = atOnce.map((secs, i) => (copies * ones[i]!.seconds) / Math.max(...secs)).sort((a, b) => a - b);
  return ups[(ups.length - 1) >> 1]!;
}

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** SPIN reference run: `spin -a`, `cc -O2 -DSAFETY -DNOREDUCE`, `./pan -E -m1000000`, as ../shared/bench/README.md. */
export function runSpin(pml: string, cfg: SpinConfig, work: string): SpinStats {
  const dir = join(work, `e${cfg.era}p${cfg.procs}n${cfg.subpages}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(pml, join(dir, 'thp_core.pml'));
  execFileSync('spin', [`-DERA=${cfg.era}`, `-DP=${cfg.procs}`, `-DN=${cfg.subpages}`, '-a', 'thp_core.pml'], { cwd: dir, stdio: 'ignore' });
  const cc = which('gcc') ?? 'cc';
  execFileSync(cc, ['-O2', '-DSAFETY', '-DNOREDUCE', '-DVECTORSZ=2048', ...(cfg.cflags ?? []), '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'ignore' });
  const t0 = process.hrtime.bigint();
  // a time limit goes through timeout(1): pan catches its SIGINT and prints what it stored so far
  // (spawnSync's own timeout closes the pipe first, and pan dies of SIGPIPE with nothing said)
  const pan = [join(dir, 'pan'), '-E', '-m1000000', ...(cfg.panArgs ?? [])];
  const [cmd, ...argv] = cfg.limitSec && which('timeout') ? ['timeout', '-s', 'INT', String(cfg.limitSec), ...pan] : pan;
  const r = spawnSync(cmd!, argv, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  const out = r.stdout ?? '';
  const finished = r.status === 0 && !/Interrupted|Search not completed/i.test(out);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const num = (re: RegExp) => Number((out.match(re)?.[1] ?? 'NaN').replace(/,/g, ''));
  const distinct = num(/(\d+) states, stored/);
  const transitions = num(/(\d+) transitions/);
  const elapsed = num(/elapsed time ([\d.e+-]+) seconds/);
  const seconds = Number.isFinite(elapsed) && elapsed > 0 ? elapsed : wall;
  return { distinct, transitions, seconds, statesPerSec: Math.round(distinct / seconds), finished, runs: [seconds] };
}

/** Where and on what a bench ran, so that its figures can be compared with a later run's. */
export interface BenchContext {
  /** when it started, ISO 8601 UTC */
  started: string;
  /** `git describe --always --dirty` of the checkout it ran from; null outside a git checkout */
  commit: string | null;
  machine: { cores: number; cpu: string; memoryBytes: number; node: string };
  /** the first line of `spin -V` when the SPIN columns run, else null (the bench runs them when this is set) */
  spin: string | null;
}

/** The context of a bench about to run from `root`, with SPIN if `spin` (and it is installed). */
export function benchContext(root: string, spin: boolean): BenchContext {
  const firstLine = (cmd: string, args: string[]): string | null => {
    const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
    const l = r.status === 0 ? (r.stdout ?? '').trim().split('\n')[0]!.trim() : '';
    return l === '' ? null : l;
  };
  return {
    started: new Date().toISOString(),
    commit: firstLine('git', ['describe', '--always', '--dirty']),
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model.trim() ?? 'unknown', memoryBytes: totalmem(), node: process.version },
    spin: spin && spinRuns(root) ? (firstLine('spin', ['-V']) ?? 'spin (no version given)') : null,
  };
}

/** SPIN's reference model, beside the checkout at `root` */
const spinModel = (root: string) => join(root, '..', 'shared', 'bench', 'thp_core.pml');

/** the SPIN columns can run: spin and a C compiler are on the PATH, and the model is there */
function spinRuns(root: string): boolean {
  return which('spin') !== null && (which('gcc') !== null || which('cc') !== null) && existsSync(spinModel(root));
}

export interface BenchOptions {
  root: string;
  workers: number;
  quick: boolean;
  only?: string;
  spin: boolean;
  /** also run N 1-worker runs at once (BenchRow.ceiling); default true */
  ceiling?: boolean;
  /** runs per column (median reported); default 3, and 1 for the long configurations */
  repeat?: number;
  onRow?: (row: BenchRow) => void;
  /** each run as it starts and ends (the CLI's progress on stderr: a whole bench takes a quarter of an hour) */
  onRun?: (e: BenchEvent) => void;
}

/** One run of a bench, starting (`done` false) or ended. */
export interface BenchEvent {
  config: string;
  /** the configuration's place among those selected, from 1, and how many there are */
  index: number;
  of: number;
  /** a long configuration (its runs take minutes) */
  long: boolean;
  /** what runs: '1 worker', '2 workers', 'SPIN', '2 1-worker runs at once', '1 worker, symmetry smalls' */
  what: string;
  /** the repeat, from 1, of `rounds` */
  round: number;
  rounds: number;
  done: boolean;
  /** when done: the seconds of the run (of each run, for runs at once) and the distinct states (SPIN: stored) */
  seconds?: number[];
  states?: number;
  /** a SPIN run stopped by its time limit: `states` is what it had stored */
  stopped?: boolean;
}

/** How a run ended, for BenchEvent: its seconds and distinct states. */
const ended = (r: { seconds: number; distinct: number }) => ({ seconds: [r.seconds], states: r.distinct });

/** A Timed for configuration `c` (the `index`-th, from 0, of `of`), whose columns run `rounds` times. */
function timer(onRun: ((e: BenchEvent) => void) | undefined, c: BenchConfig, index: number, of: number, rounds: number): Timed {
  return (what, round, f, result, runs = rounds) => {
    const e = { config: c.name, index: index + 1, of, long: Boolean(c.long), what, round: round + 1, rounds: runs };
    onRun?.({ ...e, done: false });
    const r = f();
    onRun?.({ ...e, done: true, ...result(r) });
    return r;
  };
}

/**
 * f for each selected configuration, with its Timed, its number of rounds (`repeat`, by default 3 and 1
 * for the long ones) and a scratch directory (removed at the end); onRow gets each row as it is made.
 */
function perConfig<R>(o: Pick<BenchOptions, 'quick' | 'only' | 'repeat' | 'onRun'>, onRow: ((row: R) => void) | undefined, f: (c: BenchConfig, timed: Timed, rounds: number, work: string) => R): R[] {
  const work = mkdtempSync(join(tmpdir(), 'mmcheck-bench-'));
  const rows: R[] = [];
  try {
    const configs = selectConfigs(o.quick, o.only);
    for (const [ci, c] of configs.entries()) {
      const rounds = o.repeat ?? (c.long ? 1 : 3);
      const row = f(c, timer(o.onRun, c, ci, configs.length, rounds), rounds, work);
      rows.push(row);
      onRow?.(row);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

/** Throws unless `run` (N workers) found the states and verdicts of `one` (1 worker): the search is deterministic. */
function sameSearch(c: BenchConfig, one: RunStats, run: RunStats): void {
  if (run.distinct !== one.distinct || JSON.stringify(run.verdicts) !== JSON.stringify(one.verdicts))
    throw new Error(`${c.name}: ${run.workers} workers found ${run.distinct} states, 1 worker ${one.distinct} (or other verdicts)`);
}

/** Run `f` as `what`, round `round` (from 0) of `rounds`, telling onRun before and after. */
type Timed = <T>(what: string, round: number, f: () => T, result: (r: T) => Pick<BenchEvent, 'seconds' | 'states' | 'stopped'>, rounds?: number) => T;

export function bench(o: BenchOptions, context: BenchContext = benchContext(o.root, o.spin)): BenchContext & { rows: BenchRow[]; spinAvailable: boolean } {
  const pml = spinModel(o.root);
  const spinAvailable = o.spin && context.spin !== null; // (benchContext looked for spin, cc and the model)
  const rows = perConfig(o, o.onRow, (c, timed, rounds, work): BenchRow => {
    const ones: RunStats[] = [];
    const manys: RunStats[] = [];
    const spins: SpinStats[] = [];
    const atOnce: number[][] = [];
    let tooBig: string | null | undefined; // (decided after the first 1-worker run, which always comes first)
    const spinCfg = spinAvailable ? c.spin : undefined;
    // The columns take turns, in alternating order, so that a drift of the machine's speed hits them alike.
    // SPIN's column is the last (the first in reversed rounds), and the long configurations run one round:
    // its run of P=3 N=4, stopped at 120 s, frees about 5 GB, and runs just after it were slow (2 1-worker
    // runs at once got through 1.19x the work of one right after it, 1.94x without it)
    const columns: ((round: number) => void)[] = [
      (i) => ones.push(timed('1 worker', i, () => runMmcheck(o.root, c.args, 1), ended)),
      (i) => (o.workers > 1 ? manys.push(timed(`${o.workers} workers`, i, () => runMmcheck(o.root, c.args, o.workers), ended)) : undefined),
      (i) => {
        if (o.workers < 2 || o.ceiling === false) return;
        tooBig ??= atOnceTooBig(o.workers, ones[0]!.peakRssBytes, totalmem());
        const what = `${o.workers} 1-worker runs at once`;
        if (!tooBig) atOnce.push(timed(what, i, () => runAtOnce(o.root, c.args, o.workers, work, ones[0]!.distinct), (secs) => ({ seconds: secs, states: ones[0]!.distinct })));
      },
      (i) => (spinCfg ? spins.push(timed('SPIN', i, () => runSpin(pml, spinCfg, work), (r) => ({ ...ended(r), stopped: !r.finished }))) : undefined),
    ];
    for (let i = 0; i < rounds; i++) for (const col of i % 2 === 0 ? columns : [...columns].reverse()) col(i);
    const one = medianRun(ones, `${c.name}, 1 worker`);
    const many = manys.length > 0 ? medianRun(manys, `${c.name}, ${o.workers} workers`) : null;
    if (many) sameSearch(c, one, many);
    let spin: BenchRow['spin'] = null;
    if (c.spin) spin = spinCfg ? medianRun(spins, `${c.name}, SPIN`, spins.every((r) => r.finished)) : { skipped: !o.spin ? '--no-spin' : existsSync(pml) ? 'spin or a C compiler is not installed' : `no ${pml}` };
    const sp = spin && 'statesPerSec' in spin ? spin : null;
    // states/s compare only on the same state space (not against a reduced or an unfinished SPIN run)
    const ratio = sp && sp.finished && sp.statesPerSec > 0 && !c.args.includes('--symmetry') ? one.statesPerSec / sp.statesPerSec : null;
    const best = many ?? one; // the target: ahead of SPIN in wall time with N workers
    const wallRatio = sp && best.exhaustive && best.seconds > 0 ? (sp.finished || sp.seconds > best.seconds ? sp.seconds / best.seconds : null) : null;
    let reduced: BenchRow['reduced'] = null;
    if (c.symmetry) {
      const r = timed(`1 worker, symmetry ${c.symmetry}`, 0, () => runMmcheck(o.root, [...c.args, '--symmetry', c.symmetry!], 1), ended, 1);
      reduced = { ...r, symmetry: c.symmetry, sameVerdicts: JSON.stringify(r.verdicts) === JSON.stringify(one.verdicts) };
    }
    let ceiling: BenchRow['ceiling'] = tooBig ? { skipped: tooBig } : null;
    if (atOnce.length > 0) {
      const speedup = atOnceSpeedup(o.workers, ones, atOnce);
      ceiling = { speedup, runs: atOnce, efficiency: many && many.seconds > 0 ? one.seconds / many.seconds / speedup : null };
    }
    return { name: c.name, args: c.args, one, many, spin, ratio, wallRatio, reduced, ceiling };
  });
  return { ...context, rows, spinAvailable };
}

/** One worker count of a scaling curve. */
export interface CurvePoint {
  workers: number;
  /** the median run with this many workers */
  run: RunStats;
  /** the 1-worker median's seconds over this count's */
  speedup: number;
  /** speedup / workers */
  efficiency: number;
  /**
   * `workers` 1-worker runs at once: how much faster they get through the work than one alone (the
   * most this machine's cores, caches and memory allow that many workers); `share` is the speedup over it
   */
  ceiling: { speedup: number; runs: number[][]; share: number } | { skipped: string } | null;
}

export interface CurveRow {
  name: string;
  args: string[];
  points: CurvePoint[];
}

export interface CurveOptions extends Omit<BenchOptions, 'workers' | 'spin' | 'onRow'> {
  /** worker counts, ascending, from 1 (the baseline) */
  counts: number[];
  onRow?: (row: CurveRow) => void;
}

/**
 * The scaling curve (issue 6: 1, 2, 4, 8, 16 workers on a 16-core machine): each configuration at each
 * worker count, in rounds whose order alternates, and - unless ceiling is false - as many 1-worker runs
 * at once, to tell what the machine allows from what the search loses. Every count must find the same
 * states and verdicts. SPIN, single-threaded, is not part of it.
 */
export function curve(o: CurveOptions, context: BenchContext = benchContext(o.root, false)): BenchContext & { counts: number[]; curve: CurveRow[] } {
  if (o.counts[0] !== 1 || o.counts.some((n, i) => i > 0 && n <= o.counts[i - 1]!)) throw new Error(`curve: counts must rise from 1, got ${o.counts.join(',')}`);
  const rows = perConfig(o, o.onRow, (c, timed, rounds, work): CurveRow => {
    const runs = new Map<number, RunStats[]>(o.counts.map((n) => [n, []]));
    const atOnce = new Map<number, number[][]>(o.counts.map((n) => [n, []]));
    const tooBig = new Map<number, string | null>();
    const ones = runs.get(1)!;
    const columns: ((round: number) => void)[] = o.counts.flatMap((n) => [
      (i: number) => void runs.get(n)!.push(timed(n === 1 ? '1 worker' : `${n} workers`, i, () => runMmcheck(o.root, c.args, n), ended)),
      (i: number) => {
        if (n < 2 || o.ceiling === false) return;
        if (!tooBig.has(n)) tooBig.set(n, atOnceTooBig(n, ones[0]!.peakRssBytes, totalmem()));
        if (tooBig.get(n)) return;
        atOnce.get(n)!.push(timed(`${n} 1-worker runs at once`, i, () => runAtOnce(o.root, c.args, n, work, ones[0]!.distinct), (secs) => ({ seconds: secs, states: ones[0]!.distinct })));
      },
    ]);
    for (let i = 0; i < rounds; i++) for (const col of i % 2 === 0 ? columns : [...columns].reverse()) col(i);
    const one = medianRun(ones, `${c.name}, 1 worker`);
    const points = o.counts.map((n): CurvePoint => {
      const run = n === 1 ? one : medianRun(runs.get(n)!, `${c.name}, ${n} workers`);
      sameSearch(c, one, run);
      const speedup = run.seconds > 0 ? one.seconds / run.seconds : 1;
      const secs = atOnce.get(n)!;
      let ceiling: CurvePoint['ceiling'] = tooBig.get(n) ? { skipped: tooBig.get(n)! } : null;
      if (secs.length > 0) {
        const up = atOnceSpeedup(n, ones, secs);
        ceiling = { speedup: up, runs: secs, share: speedup / up };
      }
      return { workers: n, run, speedup, efficiency: speedup / n, ceiling };
    });
    return { name: c.name, args: c.args, points };
  });
  return { ...context, counts: o.counts, curve: rows };
}
