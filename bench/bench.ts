/**
 * `mmcheck bench`: fixed configurations, each run as a child `mmcheck check
 * --json` (so peak memory is per run), with 1 and N workers, and - where
 * `spin` and a C compiler are installed - the SPIN reference model
 * ../shared/bench/thp_core.pml on the matching configuration, in the same run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, copyFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchConfig {
  name: string;
  /** arguments to `mmcheck check` */
  args: string[];
  /** the SPIN reference configuration, when there is one */
  spin?: { era: number; procs: number; subpages: number };
  /** long: left out by --quick */
  long?: boolean;
}

export const CONFIGS: BenchConfig[] = [
  { name: 'thp-core v4.5 P2 N4', args: ['--profile', 'thp-core', '--era', 'v4.5', '--procs', '2', '--subpages', '4'], spin: { era: 1, procs: 2, subpages: 4 } },
  { name: 'thp-core v4.6 P2 N2', args: ['--profile', 'thp-core', '--era', 'v4.6', '--procs', '2', '--subpages', '2'], spin: { era: 3, procs: 2, subpages: 2 } },
  { name: 'thp-core v4.6 P2 N4', args: ['--profile', 'thp-core', '--era', 'v4.6', '--procs', '2', '--subpages', '4'], spin: { era: 3, procs: 2, subpages: 4 } },
  { name: 'thp-core v4.6 P3 N2', args: ['--profile', 'thp-core', '--era', 'v4.6', '--procs', '3', '--subpages', '2'], spin: { era: 3, procs: 3, subpages: 2 } },
  { name: 'full v5.19 P2 N4 ranges=basic', args: ['--era', 'v5.19', '--set', 'ranges=basic'], long: true },
];

export interface RunStats {
  distinct: number;
  transitions: number;
  seconds: number;
  statesPerSec: number;
  peakRssBytes: number;
  bytesPerState: number;
  workers: number;
}

export interface SpinStats {
  distinct: number;
  transitions: number;
  seconds: number;
  statesPerSec: number;
}

export interface BenchRow {
  name: string;
  args: string[];
  one: RunStats;
  many: RunStats | null;
  spin: SpinStats | { skipped: string } | null;
  /** mmcheck states/s with one worker over SPIN's */
  ratio: number | null;
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
  };
}

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** SPIN reference run: `spin -a`, `cc -O2 -DSAFETY -DNOREDUCE`, `./pan -E -m1000000`, as ../shared/bench/README.md. */
export function runSpin(pml: string, cfg: { era: number; procs: number; subpages: number }, work: string): SpinStats {
  const dir = join(work, `e${cfg.era}p${cfg.procs}n${cfg.subpages}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(pml, join(dir, 'thp_core.pml'));
  execFileSync('spin', [`-DERA=${cfg.era}`, `-DP=${cfg.procs}`, `-DN=${cfg.subpages}`, '-a', 'thp_core.pml'], { cwd: dir, stdio: 'ignore' });
  const cc = which('gcc') ?? 'cc';
  execFileSync(cc, ['-O2', '-DSAFETY', '-DNOREDUCE', '-DVECTORSZ=2048', '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'ignore' });
  const t0 = process.hrtime.bigint();
  const out = spawnSync(join(dir, 'pan'), ['-E', '-m1000000'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const num = (re: RegExp) => Number((out.match(re)?.[1] ?? 'NaN').replace(/,/g, ''));
  const distinct = num(/(\d+) states, stored/);
  const transitions = num(/(\d+) transitions/);
  const elapsed = num(/elapsed time ([\d.e+-]+) seconds/);
  const seconds = Number.isFinite(elapsed) && elapsed > 0 ? elapsed : wall;
  return { distinct, transitions, seconds, statesPerSec: Math.round(distinct / seconds) };
}

export interface BenchOptions {
  root: string;
  workers: number;
  quick: boolean;
  only?: string;
  spin: boolean;
  onRow?: (row: BenchRow) => void;
}

export function bench(o: BenchOptions): { rows: BenchRow[]; spinAvailable: boolean; machine: { cores: number; node: string } } {
  const pml = join(o.root, '..', 'shared', 'bench', 'thp_core.pml');
  const spinAvailable = o.spin && which('spin') !== null && (which('gcc') !== null || which('cc') !== null) && existsSync(pml);
  const work = mkdtempSync(join(tmpdir(), 'mmcheck-bench-'));
  const rows: BenchRow[] = [];
  try {
    for (const c of CONFIGS) {
      if (o.quick && c.long) continue;
      if (o.only && !c.name.includes(o.only)) continue;
      const one = runMmcheck(o.root, c.args, 1);
      const many = o.workers > 1 ? runMmcheck(o.root, c.args, o.workers) : null;
      let spin: BenchRow['spin'] = null;
      if (c.spin) spin = spinAvailable ? runSpin(pml, c.spin, work) : { skipped: existsSync(pml) ? 'spin or a C compiler is not installed' : `no ${pml}` };
      const ratio = spin && 'statesPerSec' in spin && spin.statesPerSec > 0 ? one.statesPerSec / spin.statesPerSec : null;
      const row = { name: c.name, args: c.args, one, many, spin, ratio };
      rows.push(row);
      o.onRow?.(row);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { rows, spinAvailable, machine: { cores: availableParallelism(), node: process.version } };
}
