/** `mmcheck check`: explore a model, check its properties, print the verdict and the shortest counterexamples. */
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { UsageError, type Model } from '../model.js';
import { search, type Strategy } from '../checker/search.js';
import { makeReport, type Report } from '../report/report.js';
import { renderDot, renderSummary } from '../report/text.js';
import { fmtInt, stderrProgress } from '../report/progress.js';
import { createModel } from '../../models/registry.js';
import { checkpointKey } from '../checker/checkpoint.js';
import { DEFAULT_CHECKPOINT_EVERY, interruptedExit, makeCheckpointer } from './checkpointing.js';
import { collectPairs, EXIT_NOT_EXHAUSTIVE, EXIT_OK, EXIT_VIOLATION, failUsage, intArg, listArg, numArg, sizeArg, wholeArg, workersArg } from './common.js';
import { saveTraceFile } from '../report/tracefile.js';
import { checkWritable, writeResultFile } from '../report/write.js';
import { reportPage } from '../view/report.js';
import { jsonHeader } from '../version.js';
import { io } from './io.js';

/** The schema of `check --json` (schemas/check-report.schema.json). */
export const CHECK_SCHEMA = 'urn:mmcheck:check-report:1';

export const DEFAULT_MODEL = 'thp';

export interface ModelOpts {
  model: string;
  era?: string;
  procs?: number;
  subpages?: number;
  ops?: string[];
  set?: Record<string, string>;
  profile?: string;
  bound?: Record<string, string>;
  predicate?: Record<string, string>;
  /** mmcheck compare's two sides (thp: kvm_huge) */
  compare?: { a: string; b: string };
  symmetry?: string[];
}

/** The model's config is exactly what the user gave; each model validates its own keys. */
export function modelConfig(o: ModelOpts): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (o.era !== undefined) c.era = o.era;
  if (o.procs !== undefined) c.procs = o.procs;
  if (o.subpages !== undefined) c.subpages = o.subpages;
  if (o.ops !== undefined) c.ops = o.ops;
  if (o.set !== undefined) c.set = o.set;
  if (o.profile !== undefined) c.profile = o.profile;
  if (o.bound !== undefined) c.bounds = o.bound;
  // predicate files resolve against the current directory, so worker threads and saved traces find them
  if (o.compare !== undefined) c.compare = o.compare;
  if (o.predicate !== undefined) c.predicate = Object.fromEntries(Object.entries(o.predicate).map(([k, f]) => [k, resolve(f)]));
  if (o.symmetry !== undefined) c.symmetry = o.symmetry;
  return c;
}

export function addModelOptions(cmd: Command): Command {
  return cmd
    .option('--model <id>', 'model to explore', DEFAULT_MODEL)
    .option('--era <id>', 'kernel era preset (see `mmcheck list eras`)')
    .option('--procs <n>', 'bound on processes (mms)', wholeArg)
    .option('--subpages <n>', 'subpages per THP (HPAGE_PMD_NR scaled down)', wholeArg)
    .option('--ops <list>', 'operations to explore, comma-separated (see `mmcheck list ops`)', listArg)
    .option('--set <hook=variant>', 'override one decision point (repeatable), e.g. reuse=R46', collectPairs)
    .option('--predicate <hook=file>', 'replace a decision point by your own TypeScript/JavaScript module (thp: kvm_huge=./mine.ts)', collectPairs)
    .option('--profile <name>', 'model preset world (thp: full, thp-core, shmem)')
    .option('--bound <name=n>', 'model pool bound (repeatable; thp: thps, smalls, refs)', collectPairs)
    .option('--symmetry <list>', 'symmetry reductions, comma-separated (thp: smalls, procs); fewer states, same verdicts', listArg);
}

/** The bounds and parallelism of a bfs, shared by check and compare. */
export function addSearchBounds(cmd: Command): Command {
  return cmd
    .option('--depth <n>', 'bound on search depth (steps)', intArg(0))
    .option('--max-states <n>', 'bound on distinct states', intArg(1))
    .option('--timeout <s>', 'bound on wall time in seconds', numArg(0))
    .option('--workers <n>', 'worker threads for bfs (a number or auto; started once a run has lasted 1 s)', workersArg, 1);
}

export function checkCommand(): Command {
  const cmd = new Command('check').description('explore a model and check its properties');
  addSearchBounds(addModelOptions(cmd).option('--property <names>', 'check only these properties (comma-separated)', listArg))
    .addOption(new Option('--strategy <s>', 'search strategy').choices(['bfs', 'dfs', 'random']).default('bfs'))
    .option('--seed <n>', 'random simulation seed', intArg(0, 0xffffffff), 1)
    .option('--walks <n>', 'random simulation: number of walks', intArg(1), 1000)
    .option('--full-state', 'exact visited set (no fingerprint collisions; more memory)')
    .option('--memory <size>', 'memory budget for the visited set and traces (e.g. 512M, 2G): past it, go on as bitstate (probabilistic)', sizeArg)
    .option('--fail-fast', 'stop at the first violation')
    .option('--json', 'print one JSON object on stdout (same as --format json)')
    .addOption(new Option('--format <f>', 'output format').choices(['text', 'json', 'dot']).default('text'))
    .option('--trace <file>', 'save the first counterexample as JSON (replay it with `mmcheck replay`)')
    .option('--html <file>', 'write the counterexamples (and covers\' witnesses) as one self-contained HTML page to step through')
    .option('--require-exhaustive', 'exit 3 if a bound (--depth, --max-states, --timeout, --memory) cut the search and no property was violated')
    .option('--checkpoint <file>', 'bfs: save the run to FILE periodically and on SIGINT/SIGTERM (then exit 130/143)')
    .option('--checkpoint-every <s>', 'seconds between checkpoints (written at the next level boundary)', numArg(0), DEFAULT_CHECKPOINT_EVERY)
    .option('--resume', 'continue from the --checkpoint file if it exists (same model, config and bounds)')
    .option('-q, --quiet', 'no progress on stderr')
    .action(async (o) => {
      io.code = await runCheck(o);
    });
  return cmd;
}

export function buildModel(o: ModelOpts): { model: Model; config: Record<string, unknown> } {
  const config = modelConfig(o);
  try {
    return { model: createModel(o.model, config), config };
  } catch (e) {
    return failUsage(e);
  }
}

async function runCheck(o: ModelOpts & Record<string, any>): Promise<number> {
  const { model, config } = buildModel(o);
  if (o.property) {
    for (const p of o.property as string[])
      if (!model.properties.some((x) => x.name === p))
        failUsage(new UsageError(`unknown property '${p}' for model ${model.id} (see \`mmcheck list properties --model ${model.id}\`)`));
  }
  if (o.strategy !== 'bfs' && o.workers > 1) failUsage(new UsageError(`--workers > 1 needs --strategy bfs (got ${o.strategy})`));
  if (o.resume && !o.checkpoint) failUsage(new UsageError('--resume needs --checkpoint <file>'));
  if (o.checkpoint && o.memory !== undefined) failUsage(new UsageError('--checkpoint and --memory cannot be combined: a run that may switch to bitstate is not checkpointed'));
  if (o.checkpoint && o.strategy !== 'bfs') failUsage(new UsageError(`--checkpoint needs --strategy bfs (got ${o.strategy})`));
  if (o.trace) checkWritable(o.trace, 'trace file');
  if (o.html) checkWritable(o.html, 'HTML file');
  const searchOpts = {
    strategy: o.strategy as Strategy,
    maxDepth: o.depth as number | undefined,
    maxStates: o.maxStates as number | undefined,
    timeoutSec: o.timeout as number | undefined,
    properties: o.property as string[] | undefined,
    fullState: Boolean(o.fullState),
    failFast: Boolean(o.failFast),
  };
  const ck = o.checkpoint ? makeCheckpointer(o.checkpoint, checkpointKey(model.id, model.summary, model.stateBytes, searchOpts), o.checkpointEvery) : null;
  if (ck) {
    try {
      ck.checkWritable();
    } catch (e) {
      failUsage(e);
    }
  }
  if (ck && o.resume) {
    try {
      const found = ck.load();
      if (!o.quiet)
        io.err(
          found
            ? `mmcheck: resuming from ${ck.file} at depth ${ck.resume!.depth} (${fmtInt(ck.resume!.store.parents.length)} states stored)\n`
            : `mmcheck: no checkpoint at ${ck.file}: starting from the initial states\n`,
        );
    } catch (e) {
      failUsage(e);
    }
  }
  const progress = stderrProgress(Boolean(o.quiet));
  const result = await searchOrFail(model, {
    ...(ck ? { checkpoint: ck } : {}),
    strategy: o.strategy as Strategy,
    workers: o.workers,
    spec: { modelId: o.model, config },
    maxDepth: o.depth,
    maxStates: o.maxStates,
    timeoutSec: o.timeout,
    properties: o.property,
    fullState: Boolean(o.fullState),
    memoryBytes: o.memory,
    failFast: Boolean(o.failFast),
    seed: o.seed,
    walks: o.walks,
    onProgress: progress.onProgress,
    progressEveryMs: progress.everyMs,
  });
  progress.done();
  if (ck?.signal) return interruptedExit(ck.signal, 'check', ck, '--resume');
  ck?.remove(); // finished: the checkpoint is of no further use
  const report = makeReport(model, config, result);
  emit(report, o.json ? 'json' : o.format);
  if (o.trace) saveTrace(report, o.trace);
  if (o.html) writeResultFile(o.html, reportPage(model, report), 'HTML file');
  if (report.violated.length > 0) return EXIT_VIOLATION;
  if (o.requireExhaustive && !report.exhaustive) {
    io.err(`mmcheck: the search was not exhaustive (${report.cut ?? 'probabilistic: --memory switched it to bitstate'}), and --require-exhaustive was given\n`);
    return EXIT_NOT_EXHAUSTIVE;
  }
  return EXIT_OK;
}

/** Run f; a UsageError it throws is one line and exit 2. */
export function tryUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    return failUsage(e);
  }
}

/** search(), with a user's predicate failing mid-run (here or in a worker thread) as one line and exit 2. */
export async function searchOrFail(model: Model, opts: Parameters<typeof search>[1]): Promise<Awaited<ReturnType<typeof search>>> {
  try {
    return await search(model, opts);
  } catch (e) {
    return failUsage(e);
  }
}

function emit(report: Report, format: string): void {
  if (format === 'json') io.out(JSON.stringify({ ...jsonHeader(CHECK_SCHEMA), ...report }, null, 2) + '\n');
  else if (format === 'dot') io.out(renderDot(report));
  else io.out(renderSummary(report));
}

function saveTrace(report: Report, file: string): void {
  const first = report.properties.find((p) => p.status === 'violated' && p.trace);
  if (!first?.trace) {
    io.err(`mmcheck: no counterexample, so nothing was written to ${file}\n`);
    return;
  }
  saveTraceFile(file, first.trace);
  io.err(`mmcheck: counterexample for ${first.name} saved to ${file}\n`);
}
