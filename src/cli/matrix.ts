/**
 * `mmcheck run --matrix FILE`: every cell of a matrix file, progress per cell
 * on stderr, the table (or --json) on stdout, `--out DIR` writes
 * DIR/matrix.json and DIR/matrix.junit.xml and keeps checkpoints in
 * DIR/checkpoint; `--resume` continues an interrupted run. Exit 0 all cells
 * pass, 1 any fails, 3 the only failures are required-exhaustive cells that
 * a bound cut, 2 bad input, 130/143 interrupted (checkpoint written).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../model.js';
import { parseMatrix } from '../matrix/spec.js';
import { runMatrix, type MatrixResult } from '../matrix/run.js';
import { matrixTap, renderMatrixJUnit, renderMatrixTable } from '../matrix/report.js';
import { renderTap } from '../report/tap.js';
import { checkWritable, makeDirs, writeResultFile } from '../report/write.js';
import { stderrProgress } from '../report/progress.js';
import { createModel } from '../../models/registry.js';
import { createScenarioModel } from '../scenario/program.js';
import { DEFAULT_CHECKPOINT_EVERY, interruptedExit, stopRequested } from './checkpointing.js';
import { EXIT_NOT_EXHAUSTIVE, EXIT_OK, EXIT_VIOLATION, failUsage } from './common.js';
import { loadScenario, writeHtmlDir } from './run.js';
import type { FailurePage } from '../view/report.js';
import { io } from './io.js';
import { printable } from '../report/printable.js';

export interface MatrixCliOptions {
  junit?: string;
  json?: boolean;
  tap?: boolean;
  workers: number;
  quiet?: boolean;
  matrix?: string;
  out?: string;
  checkpointDir?: string;
  checkpointEvery?: number;
  resume?: boolean;
  dryRun?: boolean;
  htmlDir?: string;
}

export async function runMatrixFile(file: string, o: MatrixCliOptions): Promise<number> {
  let m;
  try {
    m = parseMatrix(file, { createModel, loadScenario });
  } catch (e) {
    return failUsage(e);
  }
  if (o.dryRun) {
    for (const c of m.cells) if (c.kind === 'scenario') createScenarioModel(c.scenario.eras[0]!.program, createModel);
    for (const c of m.cells) io.out(`${printable(c.id)}\n`);
    return EXIT_OK;
  }
  const checkpointDir = o.checkpointDir ?? (o.out ? join(o.out, 'checkpoint') : null);
  if (o.resume && !checkpointDir) failUsage(new UsageError('--resume needs --out <dir> or --checkpoint-dir <dir>'));
  const outputs: [string, string][] = [];
  if (o.out) {
    makeDirs(o.out, 'output folder');
    outputs.push([join(o.out, 'matrix.json'), 'JSON report'], [join(o.out, 'matrix.junit.xml'), 'JUnit file']);
  }
  if (o.junit) outputs.push([o.junit, 'JUnit file']);
  // an unwritable path is bad input: say so before running anything; an earlier run's report goes
  // (a run that is interrupted writes none, so CI never uploads a stale or partial one)
  for (const [f, what] of outputs) {
    checkWritable(f, what);
    try {
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
  for (const [f, what] of outputs) writeResultFile(f, what === 'JSON report' ? json : junit, what);
  io.out(o.json ? json : o.tap ? renderTap(matrixTap(r)) : renderMatrixTable(r));
  if (o.htmlDir) {
    // each page says what its cell's failures were; cells finished before an interruption kept no trace
    for (const p of pages) p.subtitle = r.cells.find((c) => p.name.startsWith(`${c.id}.`))?.failures ?? [];
    writeHtmlDir(o.htmlDir, pages, Boolean(o.quiet));
  }
  // a missed expectation is a regression (1); a cell whose only failure is a cut it was not allowed is 3
  if (r.cells.some((c) => c.failures.length > (c.cutRequired ? 1 : 0))) return EXIT_VIOLATION;
  return r.cells.some((c) => c.cutRequired) ? EXIT_NOT_EXHAUSTIVE : EXIT_OK;
}
