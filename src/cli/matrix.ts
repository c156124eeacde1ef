/**
 * `mmcheck run --matrix FILE`: every cell of a matrix file, progress per cell
 * on stderr, the table (or --json) on stdout, `--out DIR` writes
 * DIR/matrix.json and DIR/matrix.junit.xml and keeps checkpoints in
 * DIR/checkpoint; `--resume` continues an interrupted run. Exit 0 all cells
 * pass, 1 any fails, 2 bad input, 130/143 interrupted (checkpoint written).
 */
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../model.js';
import { parseMatrix } from '../matrix/spec.js';
import { runMatrix, type MatrixResult } from '../matrix/run.js';
import { renderMatrixJUnit, renderMatrixTable } from '../matrix/report.js';
import { stderrProgress } from '../report/progress.js';
import { createModel } from '../../models/registry.js';
import { DEFAULT_CHECKPOINT_EVERY, interruptedExit, stopRequested } from './checkpointing.js';
import { EXIT_OK, EXIT_VIOLATION, failUsage } from './common.js';
import { loadScenario, writeHtmlDir } from './run.js';
import type { FailurePage } from '../view/report.js';

export interface MatrixCliOptions {
  junit?: string;
  json?: boolean;
  workers: number;
  quiet?: boolean;
  matrix?: string;
  out?: string;
  checkpointDir?: string;
  checkpointEvery?: number;
  resume?: boolean;
  htmlDir?: string;
}

function writeOrFail(file: string, text: string, what: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    failUsage(new UsageError(`cannot write ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`));
  }
}

export async function runMatrixFile(file: string, o: MatrixCliOptions): Promise<number> {
  let m;
  try {
    m = parseMatrix(file, { createModel, loadScenario });
  } catch (e) {
    return failUsage(e);
  }
  const checkpointDir = o.checkpointDir ?? (o.out ? join(o.out, 'checkpoint') : null);
  if (o.resume && !checkpointDir) failUsage(new UsageError('--resume needs --out <dir> or --checkpoint-dir <dir>'));
  const outputs: [string, string][] = [];
  if (o.out) {
    try {
      mkdirSync(o.out, { recursive: true });
    } catch (e) {
      failUsage(new UsageError(`cannot create ${o.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`));
    }
    outputs.push([join(o.out, 'matrix.json'), 'JSON report'], [join(o.out, 'matrix.junit.xml'), 'JUnit file']);
  }
  if (o.junit) outputs.push([o.junit, 'JUnit file']);
  // an unwritable path is bad input: say so before running anything; an earlier run's report goes
  // (a run that is interrupted writes none, so CI never uploads a stale or partial one)
  for (const [f, what] of outputs) {
    try {
      accessSync(dirname(resolve(f)), constants.W_OK);
      rmSync(f, { force: true });
    } catch (e) {
      failUsage(new UsageError(`cannot write ${what} ${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`));
    }
  }
  // with checkpoints, SIGINT/SIGTERM checkpoint and stop the run instead of killing it
  if (checkpointDir) stopRequested();
  const progress = stderrProgress(Boolean(o.quiet));
  const pages: FailurePage[] = [];
  let outcome;
  try {
    outcome = await runMatrix(m, {
      create: createModel,
      workers: o.workers,
      checkpointDir,
      resume: Boolean(o.resume),
      checkpointEvery: o.checkpointEvery ?? m.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
      stopRequested,
      quiet: Boolean(o.quiet),
      onProgress: progress.onProgress,
      progressEveryMs: progress.everyMs,
      progressDone: progress.done,
      ...(o.htmlDir
        ? { onFailureTrace: (c, check, trace) => void pages.push({ name: `${c.id}.${check}`, title: `mmcheck run --matrix: cell ${c.id}, ${check} FAILED`, subtitle: [], trace }) }
        : {}),
    });
  } catch (e) {
    return failUsage(e);
  }
  progress.done();
  if (!outcome.done) {
    const where = outcome.cell ? ` in cell ${outcome.cell.id} (${outcome.completed} of ${m.cells.length} cells done)` : '';
    return interruptedExit(outcome.signal, `matrix ${m.name}${where}`, outcome.checkpoint, `the same command and --resume`);
  }
  const r: MatrixResult = outcome.result;
  const json = JSON.stringify(r, null, 2) + '\n';
  const junit = renderMatrixJUnit(r);
  for (const [f, what] of outputs) writeOrFail(f, what === 'JSON report' ? json : junit, what);
  process.stdout.write(o.json ? json : renderMatrixTable(r));
  if (o.htmlDir) {
    // each page says what its cell's failures were; cells finished before an interruption kept no trace
    for (const p of pages) p.subtitle = r.cells.find((c) => p.name.startsWith(`${c.id}.`))?.failures ?? [];
    writeHtmlDir(o.htmlDir, pages, Boolean(o.quiet));
  }
  return r.failed > 0 ? EXIT_VIOLATION : EXIT_OK;
}
