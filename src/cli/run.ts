/**
 * `mmcheck run FILE...`: check scenario files against their expectations,
 * each for every era it names; a pass/fail table, the trace of each failure,
 * `--junit FILE` and `--json`. Exit 0 all pass, 1 any fails, 2 bad input.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../model.js';
import { compileScenario, type CompiledScenario, type ModelSource } from '../scenario/compile.js';
import { parseScenario, ScenarioError } from '../scenario/parse.js';
import { runScenario, showsBug, WITNESS_TITLES, type CheckOutcome } from '../scenario/runner.js';
import { renderJUnit, type JUnitSuite } from '../report/junit.js';
import { renderTap, type TapCase } from '../report/tap.js';
import { jsonHeader } from '../version.js';
import { renderTrace } from '../report/text.js';
import { fmtInt, stderrProgress } from '../report/progress.js';
import { createModel, modelEntry } from '../../models/registry.js';
import { createScenarioModel } from '../scenario/program.js';
import { EXIT_OK, EXIT_USAGE, EXIT_VIOLATION, failUsage, numArg, workersArg } from './common.js';
import { runMatrixFile, type MatrixCliOptions } from './matrix.js';
import { CliExit, io } from './io.js';
import { printable } from '../report/printable.js';
import { checkWritable, writeResultFile } from '../report/write.js';
import { tryUsage } from './check.js';
import { writeFailurePages, type FailurePage } from '../view/report.js';

export const registrySource: ModelSource = { entry: modelEntry, create: createModel };

/** The schema of `run --json` (schemas/run-report.schema.json). */
export const RUN_SCHEMA = 'urn:mmcheck:run-report:1';

export function runCommand(): Command {
  return new Command('run')
    .description('check scenario (litmus) files against their expected results, per era; or run a matrix file (--matrix)')
    .argument('[files...]', 'scenario files (*.litmus)')
    .option('--junit <file>', 'write JUnit XML (one testsuite per file, one testcase per era and check)')
    .option('--json', 'print one JSON object on stdout instead of the table')
    .option('--tap', 'print TAP version 13 (as kselftest does) on stdout instead of the table')
    .option('--html-dir <dir>', 'write a self-contained HTML page per failed expectation (per cell with --matrix) showing its trace')
    .option('--workers <n>', 'worker threads for each bfs (a number or auto)', workersArg, 1)
    .option('-q, --quiet', 'no progress on stderr')
    .option('--matrix <file>', 'run a matrix file: model checks (eras x bounds) and scenario globs, one report for all')
    .option('--out <dir>', 'matrix: write matrix.json and matrix.junit.xml there, checkpoints in <dir>/checkpoint')
    .option('--checkpoint-dir <dir>', 'matrix: where checkpoints go (default <out>/checkpoint)')
    .option('--checkpoint-every <s>', 'matrix: seconds between checkpoints of a long cell', numArg(0))
    .option('--resume', 'matrix: skip the cells an interrupted run finished, resume the one it was in')
    .option('--dry-run', 'check the files (or the matrix) and list what would run, without running it')
    .action(async (files: string[], o: MatrixCliOptions) => {
      if (o.json && o.tap) failUsage(new UsageError('give --json or --tap, not both'));
      if (o.matrix !== undefined) {
        if (files.length > 0) failUsage(new UsageError('give either scenario files or --matrix, not both'));
        io.code = await runMatrixFile(o.matrix, o);
        return;
      }
      if (files.length === 0) failUsage(new UsageError("missing required argument 'files' (scenario files, or --matrix <file>)"));
      for (const k of ['out', 'checkpointDir', 'checkpointEvery', 'resume'] as const)
        if (o[k] !== undefined) failUsage(new UsageError(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --matrix`));
      io.code = await runFiles(files, o);
    });
}

/** Read, parse and compile a file; a bad one is a one-line error (exit 2). */
export function loadScenario(file: string): CompiledScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read scenario file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return compileScenario(parseScenario(file, text), registrySource);
}

async function runFiles(
  files: string[],
  o: { junit?: string; json?: boolean; tap?: boolean; workers: number; quiet?: boolean; dryRun?: boolean; htmlDir?: string },
): Promise<number> {
  // all files are checked for errors before anything runs
  const compiled: CompiledScenario[] = [];
  for (const f of files) {
    try {
      compiled.push(loadScenario(f));
    } catch (e) {
      // a scenario's error is `file:line:col: message`, as a compiler prints it
      if (e instanceof ScenarioError) throw new CliExit(EXIT_USAGE, printable(e.message.split('\n')[0]!));
      failUsage(e);
    }
  }
  // an unwritable path is bad input: say so before running anything (and write nothing until the end)
  if (o.junit) checkWritable(o.junit, 'JUnit file');
  if (o.dryRun) {
    // everything short of the search: each era's scenario model is built (its own limits checked)
    for (const c of compiled) for (const e of c.eras) createScenarioModel(e.program, createModel);
    for (const c of compiled)
      for (const e of c.eras) io.out(`${printable(c.file)}: era ${e.era}: ${e.checks.map((k) => (k.kind === 'condition' ? 'condition' : k.name)).join(', ')}\n`);
    return EXIT_OK;
  }
  const progress = stderrProgress(Boolean(o.quiet));
  const results: CheckOutcome[][] = [];
  for (const c of compiled) {
    results.push(await runScenario(c, { create: createModel, workers: o.workers, onProgress: progress.onProgress, progressEveryMs: progress.everyMs }));
  }
  progress.done();
  const all = results.flat();
  const failed = all.filter((r) => !r.pass);
  if (o.json) io.out(JSON.stringify(toJson(compiled, results), null, 2) + '\n');
  else if (o.tap) io.out(renderTap(toTap(results)));
  else io.out(renderTable(compiled, results));
  if (o.junit) writeResultFile(o.junit, renderJUnit(toJUnit(compiled, results)), 'JUnit file');
  if (o.htmlDir) writeHtmlDir(o.htmlDir, failurePages(failed), Boolean(o.quiet));
  return failed.length > 0 ? EXIT_VIOLATION : EXIT_OK;
}

/** The pages of failed expectations that have a trace, named file.era.check. */
export function failurePages(failed: CheckOutcome[]): FailurePage[] {
  return failed
    .filter((r) => r.trace)
    .map((r) => ({
      name: `${r.file.replace(/^.*[/\\]/, '').replace(/\.litmus$/, '')}.${r.era}.${r.check}`,
      title: `mmcheck run: ${r.file} [${r.era} ${checkLabel(r)}] FAILED`,
      subtitle: [failureLine(r)],
      trace: r.trace!,
    }));
}

/** `--html-dir`: write the pages; say on stderr where they went. */
export function writeHtmlDir(dir: string, pages: FailurePage[], quiet: boolean): void {
  const files = tryUsage(() => writeFailurePages(dir, pages, createModel));
  if (!quiet && files.length) io.err(`mmcheck: ${files.length} HTML page${files.length === 1 ? '' : 's'} of failures written to ${dir}\n`);
}

const checkLabel = (r: CheckOutcome) => (r.kind === 'condition' ? r.condition! : r.check);

/** The trace of a failure; a cover's trace is a witness, not a counterexample. */
function traceLines(r: CheckOutcome): string[] {
  if (!r.trace) return [];
  const lines = renderTrace(r.trace);
  const title = Object.hasOwn(WITNESS_TITLES, r.trace.property) ? WITNESS_TITLES[r.trace.property]! : null;
  const n = r.trace.steps.length;
  if (title) {
    lines[0] = `witness of ${title.what}, ${n} step${n === 1 ? '' : 's'}:`;
    lines[lines.length - 1] = `  => ${title.end}`;
  } else if (r.trace.kind === 'sometimes') lines[0] = lines[0]!.replace(/^counterexample/, 'witness');
  return lines;
}

export function failureLine(r: CheckOutcome): string {
  return `FAIL ${r.file} (${r.name}): ${r.message}`;
}

/** One TAP test per expectation: an expected violation that happened is `ok ... # XFAIL`. */
export function toTap(results: CheckOutcome[][]): TapCase[] {
  return results.flat().map((r) => {
    const name = `${r.file} ${r.era} ${checkLabel(r)}`;
    if (!r.pass) return { name, ok: false, diagnostics: [failureLine(r), ...traceLines(r).map((l) => `  ${l}`)] };
    const xfail = showsBug(r.kind, r.observed, r.condition);
    return xfail ? { name, ok: true, directive: { kind: 'XFAIL' as const, reason: `${r.observed}, as the Result line expects` } } : { name, ok: true };
  });
}

export function renderTable(compiled: CompiledScenario[], results: CheckOutcome[][]): string {
  const all = results.flat();
  const head = ['', 'FILE', 'ERA', 'CHECK', 'EXPECTED', 'OBSERVED', 'STATES', 'TIME'];
  const rows = all.map((r) => [
    r.pass ? 'pass' : 'FAIL',
    printable(r.file),
    r.era,
    checkLabel(r),
    r.expected,
    r.observed,
    fmtInt(r.states),
    `${r.seconds.toFixed(2)}s`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 6 || i === 7 ? c.padStart(w[i]!) : c.padEnd(w[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(head), ...rows.map(line)];
  const notes = new Set<string>();
  for (const r of all) for (const n of r.notes) notes.add(`note: ${printable(r.file)} era ${r.era}: ${n}`);
  if (notes.size) out.push('', ...notes);
  const failed = all.filter((r) => !r.pass);
  for (const r of failed) {
    out.push('', printable(failureLine(r)));
    if (r.trace) out.push(...traceLines(r).map((l) => `  ${l}`));
  }
  out.push(
    '',
    failed.length === 0
      ? `result: all ${all.length} expectations hold (${compiled.length} file${compiled.length === 1 ? '' : 's'})`
      : `result: ${failed.length} of ${all.length} expectations FAILED: ${failed.map((r) => `${printable(r.file)} [${r.era} ${r.check}]`).join(', ')}`,
  );
  return out.join('\n') + '\n';
}

export function toJson(compiled: CompiledScenario[], results: CheckOutcome[][]) {
  const all = results.flat();
  return {
    ...jsonHeader(RUN_SCHEMA),
    files: compiled.map((c, i) => ({
      file: c.file,
      name: c.name,
      model: c.model,
      eras: c.eras.map((e) => e.era),
      trailers: c.scenario.trailers,
      checks: results[i]!,
    })),
    passed: all.filter((r) => r.pass).length,
    failed: all.filter((r) => !r.pass).length,
  };
}

export function toJUnit(compiled: CompiledScenario[], results: CheckOutcome[][]): JUnitSuite[] {
  return compiled.map((c, i) => {
    const rs = results[i]!;
    // the runs' time, once per era (the checks of an era share one search)
    const eraTime = new Map(rs.map((r) => [r.era, r.seconds]));
    return {
      name: c.name,
      file: c.file,
      time: [...eraTime.values()].reduce((a, b) => a + b, 0),
      properties: c.scenario.trailers.map((t) => ({ name: t.key, value: t.value })),
      cases: rs.map((r) => ({
        name: `${r.era} ${checkLabel(r)}`,
        classname: c.name,
        time: r.seconds,
        ...(r.pass
          ? {}
          : {
              failure: {
                message: r.message!,
                type: 'expectation',
                text: [failureLine(r), ...traceLines(r)].join('\n'),
              },
            }),
      })),
    };
  });
}
