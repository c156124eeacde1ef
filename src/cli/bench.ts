/** `mmcheck bench`: the throughput benchmark (bench/bench.ts), as a table or --json. */
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { bench, benchContext, CONFIGS, curve, selectConfigs, type BenchContext, type BenchEvent, type BenchRow, type CurveRow } from '../../bench/bench.js';
import { UsageError } from '../model.js';
import { packageRoot } from '../checker/parallel.js';
import { fmtBytes, fmtInt } from '../report/progress.js';
import { failUsage, intArg } from './common.js';
import { checkWritable, writeFileOrUsage } from '../view/page.js';
import { curvePlot } from '../view/plot.js';
import { tryUsage } from './check.js';

export function benchCommand(): Command {
  return new Command('bench')
    .description('throughput benchmark: fixed configurations, 1 and N workers, and the SPIN reference model where spin is installed')
    .option('--workers <n>', 'workers for the parallel column', intArg(1, 256), Math.min(availableParallelism(), 16))
    .option('--quick', 'leave out the long configurations')
    .option('--only <text>', 'only configurations whose name contains this')
    .option('--no-spin', 'do not run SPIN even if it is installed')
    .option('--no-ceiling', 'do not run N 1-worker runs at once (the speedup the machine allows N workers)')
    .option('--repeat <n>', 'runs per column, the median reported (default: 3, and 1 for the long configurations)', intArg(1, 100))
    .option('--curve <counts>', 'a scaling curve instead of the table: each configuration at each of these worker counts (e.g. 1,2,4,8,16; 1 is always run, as the baseline), no SPIN', countsArg)
    .option('--plot <file.svg>', 'with --curve: also draw the speedups per worker count as an SVG chart')
    .option('--json', 'print one JSON object')
    .option('-q, --quiet', 'no progress on stderr (a line per run)')
    .action(function (this: Command, o: { workers: number; quick?: boolean; only?: string; spin: boolean; ceiling: boolean; repeat?: number; curve?: number[]; plot?: string; json?: boolean; quiet?: boolean }) {
      // a filter that selects nothing would print an empty table and pass
      if (selectConfigs(Boolean(o.quick), o.only).length === 0)
        failUsage(new UsageError(`--only '${o.only}' matches no configuration${o.quick ? ' left by --quick' : ''} (known: ${CONFIGS.map((c) => c.name).join('; ')})`));
      const progress = (e: BenchEvent) => {
        const l = o.quiet ? null : runLine(e);
        if (l !== null) process.stderr.write(l + '\n');
      };
      if (o.plot !== undefined && !o.curve) failUsage(new UsageError('--plot draws a scaling curve: it needs --curve'));
      if (o.plot !== undefined) tryUsage(() => checkWritable(o.plot!, 'plot'));
      if (o.curve) {
        // the curve names its own worker counts: a --workers beside it would be silently ignored
        if (this.getOptionValueSource('workers') === 'cli') failUsage(new UsageError('--curve names the worker counts: give it or --workers, not both'));
        const counts = o.curve;
        const context = benchContext(packageRoot(), false);
        if (!o.json) process.stdout.write(contextLine(context, counts) + '\n\n' + curveHeader());
        const res = curve({ root: packageRoot(), counts, quick: Boolean(o.quick), only: o.only, ceiling: o.ceiling, repeat: o.repeat, onRow: (r) => void (o.json || process.stdout.write(curveLines(r))), onRun: progress }, context);
        if (o.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
        if (o.plot !== undefined) tryUsage(() => writeFileOrUsage(o.plot!, curvePlot(res), 'plot'));
        return;
      }
      const context = benchContext(packageRoot(), o.spin);
      if (!o.json) process.stdout.write(contextLine(context, o.workers) + '\n\n' + header(o.workers));
      const res = bench({
        root: packageRoot(),
        workers: o.workers,
        quick: Boolean(o.quick),
        only: o.only,
        spin: o.spin,
        ceiling: o.ceiling,
        repeat: o.repeat,
        onRow: (r) => {
          if (!o.json) process.stdout.write(tableLine(r));
        },
        onRun: progress,
      }, context);
      if (o.json) process.stdout.write(JSON.stringify(res, null, 2) + '\n');
      else if (!res.spinAvailable && o.spin) process.stdout.write('\nSPIN columns empty: install spin and gcc (apt-get install spin gcc) to compare in the same run.\n');
    });
}

/**
 * Progress: a line when a run ends, and when one of a long configuration starts (those take minutes):
 * `bench [3/10] thp-core v4.6 P2 N4: 1 worker, run 2 of 3: 0.45 s, 207,272 states`.
 */
export function runLine(e: BenchEvent): string | null {
  const head = `bench [${e.index}/${e.of}] ${e.config}: ${e.what}${e.rounds > 1 ? `, run ${e.round} of ${e.rounds}` : ''}`;
  if (!e.done) return e.long ? `${head} ...` : null;
  const secs = (e.seconds ?? []).map((x) => `${x.toFixed(2)} s`);
  const took = secs.length > 1 ? `${secs.slice(0, -1).join(', ')} and ${secs[secs.length - 1]}` : (secs[0] ?? '');
  const states = e.states === undefined ? '' : `, ${fmtInt(e.states)} states${secs.length > 1 ? ' each' : ''}`;
  return `${head}: ${took}${states}${e.stopped ? ' (stopped by its time limit, unfinished)' : ''}`;
}

/**
 * `--curve`'s worker counts: whole numbers from 1 to 256, comma-separated, in any order; returned
 * ascending, without repeats, from 1 (the baseline every speedup is over).
 */
export function countsArg(v: string): number[] {
  const words = v.split(',').map((w) => w.trim());
  const bad = words.find((w) => !/^\d+$/.test(w) || Number(w) < 1 || Number(w) > 256);
  if (bad !== undefined) throw new InvalidArgumentError(`expected worker counts from 1 to 256 separated by commas (such as 1,2,4,8,16), got '${bad}'.`);
  return [...new Set([1, ...words.map(Number)])].sort((a, b) => a - b);
}

/** The line above the table: when, which commit, on what (`mmcheck bench 2026-12-02T16:29:27Z, commit 61e5f87, ...`). */
export function contextLine(c: BenchContext, workers: number | number[]): string {
  const m = c.machine;
  const w = typeof workers === 'number' ? `${workers} workers` : `workers ${workers.join(',')}`;
  return `mmcheck bench ${c.started.replace(/\.\d+Z$/, 'Z')}, commit ${c.commit ?? 'unknown (not a git checkout)'}, ${w}; Node ${m.node}, ${m.cores} cores (${m.cpu}), ${fmtBytes(m.memoryBytes)}${c.spin ? `; ${c.spin}` : ''}`;
}

function header(workers: number): string {
  const h = [
    'configuration', 'distinct', 'transitions', '1w s', '1w states/s', `${workers}w s`, `${workers}w states/s`, `${workers}w/1w`, `${workers}x1w at once`, `${workers}w/ceiling`, 'B/state', 'peak RSS 1w',
    'SPIN distinct', 'SPIN s', 'SPIN states/s', '1w/SPIN states/s', `SPIN/${workers}w wall`, 'symmetry: distinct', 'transitions', 's', 'same verdicts',
  ];
  return tableHead(h);
}

/** A markdown table's header: the column names and the rule under them. */
function tableHead(columns: string[]): string {
  return columns.join(' | ') + '\n' + columns.map(() => '---').join(' | ') + '\n';
}

/** A row of the table. An N-worker run that started no threads (a run too short to repay them) says so. */
export function tableLine(r: BenchRow): string {
  const spin = r.spin && 'statesPerSec' in r.spin ? r.spin : null;
  const ceiling = r.ceiling && 'speedup' in r.ceiling ? r.ceiling : null;
  const cells = [
    r.name,
    fmtInt(r.one.distinct),
    fmtInt(r.one.transitions),
    secs(r.one),
    fmtInt(r.one.statesPerSec),
    r.many ? secs(r.many) + (r.many.threads === 0 ? ', no threads' : '') : '-',
    r.many ? fmtInt(r.many.statesPerSec) : '-',
    r.many && r.many.seconds > 0 ? (r.one.seconds / r.many.seconds).toFixed(2) : '-',
    ceiling ? ceiling.speedup.toFixed(2) : r.ceiling ? 'skipped (memory)' : '-',
    ceiling?.efficiency != null ? ceiling.efficiency.toFixed(2) : '-',
    r.one.bytesPerState.toFixed(1),
    fmtBytes(r.one.peakRssBytes),
    spin ? (spin.finished ? '' : '>') + fmtInt(spin.distinct) : r.spin ? 'skipped' : '-',
    spin ? (spin.finished ? '' : '>') + secs(spin) + (spin.finished ? '' : ' (unfinished)') : '-',
    spin ? fmtInt(spin.statesPerSec) : '-',
    r.ratio !== null ? r.ratio.toFixed(2) : '-',
    r.wallRatio !== null ? (spin && !spin.finished ? '>' : '') + r.wallRatio.toFixed(2) : '-',
    r.reduced ? fmtInt(r.reduced.distinct) : '-',
    r.reduced ? fmtInt(r.reduced.transitions) : '-',
    r.reduced ? r.reduced.seconds.toFixed(2) : '-',
    r.reduced ? (r.reduced.sameVerdicts ? 'yes' : 'NO') : '-',
  ];
  return cells.join(' | ') + '\n';
}

function curveHeader(): string {
  const h = ['configuration', 'distinct', 'workers', 'threads', 's', 'states/s', 'speedup', 'speedup/workers', 'Nx1w at once', 'speedup/at once', 'peak RSS'];
  const legend = "speedup: over 1 worker. Nx1w at once: N 1-worker runs started together, how much faster they get through the work than one alone (what N of this machine's cores allow); speedup/at once: the share of that the search reaches.";
  return legend + '\n\n' + tableHead(h);
}

/** A curve's configuration, a line per worker count. */
export function curveLines(r: CurveRow): string {
  return r.points
    .map((p) => {
      const c = p.ceiling && 'speedup' in p.ceiling ? p.ceiling : null;
      const cells = [
        r.name,
        fmtInt(p.run.distinct),
        String(p.workers),
        String(p.run.threads),
        secs(p.run),
        fmtInt(p.run.statesPerSec),
        p.speedup.toFixed(2),
        p.efficiency.toFixed(2),
        c ? c.speedup.toFixed(2) : p.ceiling ? 'skipped (memory)' : '-',
        c ? c.share.toFixed(2) : '-',
        fmtBytes(p.run.peakRssBytes),
      ];
      return cells.join(' | ') + '\n';
    })
    .join('');
}

/** A median of repeated runs, with the spread of all of them: `0.78 (0.74-0.85)`. */
function secs(r: { seconds: number; runs: number[] }): string {
  if (r.runs.length < 2) return r.seconds.toFixed(2);
  return `${r.seconds.toFixed(2)} (${Math.min(...r.runs).toFixed(2)}-${Math.max(...r.runs).toFixed(2)})`;
}
