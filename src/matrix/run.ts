/**
 * Run a matrix: each cell in order, progress per cell on stderr, a result per
 * cell (exhaustive or bounded, counts, time, per-property status against its
 * expectation). With a checkpoint directory, model cells checkpoint
 * periodically and on SIGINT/SIGTERM, and the results of finished cells are
 * saved after each cell, so `--resume` skips them and continues the
 * interrupted one.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, type Model } from '../model.js';
import { Checkpointer, checkpointKey, configHash, type StopSignal } from '../checker/checkpoint.js';
import { search, type Progress } from '../checker/search.js';
import type { Trace } from '../checker/trace.js';
import { makeReport } from '../report/report.js';
import { runScenario } from '../scenario/runner.js';
import { fmtInt } from '../report/progress.js';
import type { ModelFactory } from '../scenario/program.js';
import type { Cell, ExpectStatus, Matrix, ModelCell, ScenarioCell } from './spec.js';
import { jsonHeader } from '../version.js';
import { io } from '../cli/io.js';
import { printable } from '../report/printable.js';
import { makeDirs, writeResultFile } from '../report/write.js';

export const RESULTS_FORMAT = 1;

/** The schema of the matrix report (matrix.json, `run --matrix --json`; schemas/matrix-report.schema.json). */
export const MATRIX_SCHEMA = 'urn:mmcheck:matrix-report:1';

export interface PropertyOutcome {
  name: string;
  kind: string;
  status: string;
  expected: string;
  pass: boolean;
  /** scenario cells: the condition as written (for its name `condition`) */
  condition?: string;
  /** the first counterexample (or witness): its steps as `action(arg=v, ...)` */
  trace?: { property: string; steps: string[] };
}

export interface CellResult {
  id: string;
  kind: 'model' | 'scenario';
  model: string;
  era: string | null;
  /** scenario cells: the file, relative to the matrix file */
  file?: string;
  /** model cells: the config given, and the model's resolved summary */
  config?: Record<string, unknown>;
  summary?: Record<string, unknown>;
  search?: Record<string, unknown>;
  verdict: 'exhaustive' | 'bounded';
  exhaustive: boolean;
  cut: string | null;
  distinct: number;
  transitions: number;
  depth: number | null;
  seconds: number;
  properties: PropertyOutcome[];
  pass: boolean;
  /** one line per failed expectation, naming the cell, era and property */
  failures: string[];
  /** the cell requires an exhaustive search and a bound cut it (one of its failures; alone, exit 3) */
  cutRequired: boolean;
}

export interface MatrixResult {
  tool: string;
  version: string;
  schema: string;
  matrix: string;
  file: string;
  cells: CellResult[];
  passed: number;
  failed: number;
  exhaustive: number;
  bounded: number;
  seconds: number;
}

export interface MatrixRunOptions {
  create: ModelFactory;
  workers: number;
  /** where checkpoints and finished cells' results go; null: no checkpoints */
  checkpointDir: string | null;
  resume: boolean;
  checkpointEvery: number;
  /** a SIGINT/SIGTERM asked the run to stop (the caller owns the signal handlers; asked only with a checkpoint directory) */
  stopRequested: () => StopSignal | null;
  quiet: boolean;
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
  /** clear a live progress line */
  progressDone?: () => void;
  /** told each failed expectation's trace, as its cell ends (`run --html-dir`) */
  onFailureTrace?: (cell: Cell, check: string, trace: Trace) => void;
}

export type MatrixOutcome =
  | { done: true; result: MatrixResult }
  | { done: false; signal: StopSignal; cell: Cell | null; checkpoint: Checkpointer | null; completed: number };

export function stepLabel(s: { action: string; args: Readonly<Record<string, number | string>> }): string {
  return `${s.action}(${Object.entries(s.args)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')})`;
}

const traceOf = (t: Trace | undefined) => (t ? { property: t.property, steps: t.steps.map(stepLabel) } : undefined);

/** What must be the same for --resume to reuse finished cells and checkpoints. */
export function matrixHash(m: Matrix): string {
  return configHash({
    name: m.name,
    cells: m.cells.map((c) =>
      c.kind === 'model'
        ? { id: c.id, model: c.model, config: c.config, search: c.search, expect: c.expect, requireExhaustive: c.requireExhaustive }
        : { id: c.id, file: c.file, era: c.era, program: c.scenario.eras[0]!.program, checks: c.scenario.eras[0]!.checks },
    ),
  });
}

interface SavedResults {
  format: number;
  matrixHash: string;
  cells: CellResult[];
}

/** A full disk is one line and exit 2, and leaves neither a half-written file nor a temporary one. */
function writeAtomic(file: string, text: string): void {
  writeResultFile(file, text, 'matrix results');
}

function cellFailure(c: Cell, what: string): string {
  return `cell ${c.id}: ${c.era ? `era ${c.era}, ` : ''}${what}`;
}

async function runModelCell(c: ModelCell, k: number, o: MatrixRunOptions): Promise<CellResult | { signal: StopSignal; ck: Checkpointer }> {
  const model: Model = o.create(c.model, c.config);
  const searchOpts = { strategy: 'bfs' as const, ...c.search };
  let ck: Checkpointer | null = null;
  if (o.checkpointDir) {
    ck = new Checkpointer(join(o.checkpointDir, `cell-${k}.ckpt`), checkpointKey(model.id, model.summary, model.stateBytes, searchOpts), o.checkpointEvery, o.stopRequested);
    if (o.resume && ck.load() && !o.quiet)
      io.err(`mmcheck: resuming ${c.id} from ${ck.file} at depth ${ck.resume!.depth} (${fmtInt(ck.resume!.store.parents.length)} states stored)\n`);
  }
  const r = await search(model, {
    ...searchOpts,
    workers: o.workers,
    spec: { modelId: c.model, config: c.config },
    ...(ck ? { checkpoint: ck } : {}),
    onProgress: o.onProgress,
    progressEveryMs: o.progressEveryMs,
  });
  if (ck?.signal) return { signal: ck.signal, ck };
  ck?.remove();
  const report = makeReport(model, c.config, r);
  const failures: string[] = [];
  const properties: PropertyOutcome[] = report.properties
    .filter((p) => p.status !== 'not-checked')
    .map((p) => {
      const expected: ExpectStatus = c.expect[p.name] ?? 'any';
      const pass = expected === 'any' || expected === p.status;
      if (!pass) failures.push(cellFailure(c, `property ${p.name}: expected ${expected}, observed ${p.status}${r.exhaustive ? '' : ` (bounded: ${r.cut})`}`));
      const out: PropertyOutcome = { name: p.name, kind: p.kind, status: p.status, expected, pass };
      if (!pass && p.trace) o.onFailureTrace?.(c, p.name, p.trace);
      const t = traceOf(p.trace);
      if (t) out.trace = t;
      return out;
    });
  const cutRequired = c.requireExhaustive && !r.exhaustive;
  if (cutRequired) failures.push(cellFailure(c, `search not exhaustive: ${r.cut}`));
  return {
    id: c.id,
    kind: 'model',
    model: c.model,
    era: c.era,
    config: c.config,
    summary: { ...model.summary },
    search: { ...c.search },
    verdict: r.exhaustive ? 'exhaustive' : 'bounded',
    exhaustive: r.exhaustive,
    cut: r.cut,
    distinct: r.distinct,
    transitions: r.transitions,
    depth: r.depth,
    seconds: Number(r.seconds.toFixed(3)),
    properties,
    pass: failures.length === 0,
    failures,
    cutRequired,
  };
}

async function runScenarioCell(c: ScenarioCell, o: MatrixRunOptions): Promise<CellResult> {
  const outcomes = await runScenario(c.scenario, { create: o.create, workers: o.workers, onProgress: o.onProgress, progressEveryMs: o.progressEveryMs });
  const first = outcomes[0];
  const failures = outcomes.filter((x) => !x.pass).map((x) => cellFailure(c, `${x.kind === 'condition' ? 'condition' : `property ${x.check}`}: expected ${x.expected}, observed ${x.observed}`));
  const exhaustive = outcomes.every((x) => x.exhaustive);
  return {
    id: c.id,
    kind: 'scenario',
    model: c.scenario.model,
    era: c.era,
    file: c.file,
    verdict: exhaustive ? 'exhaustive' : 'bounded',
    exhaustive,
    cut: exhaustive ? null : (first?.notes.find((n) => n.startsWith('search not exhaustive')) ?? 'not exhaustive'),
    distinct: first?.states ?? 0,
    transitions: first?.transitions ?? 0,
    depth: first?.depth ?? null,
    seconds: Number((first?.seconds ?? 0).toFixed(3)),
    properties: outcomes.map((x) => {
      const out: PropertyOutcome = { name: x.kind === 'condition' ? 'condition' : x.check, kind: x.kind, status: x.observed, expected: x.expected, pass: x.pass };
      if (x.condition !== undefined) out.condition = x.condition;
      if (!x.pass && x.trace) o.onFailureTrace?.(c, out.name, x.trace);
      const t = traceOf(x.trace);
      if (t) out.trace = t;
      return out;
    }),
    pass: failures.length === 0,
    failures,
    cutRequired: false,
  };
}

export async function runMatrix(m: Matrix, o: MatrixRunOptions): Promise<MatrixOutcome> {
  const hash = matrixHash(m);
  const dir = o.checkpointDir;
  const resultsFile = dir ? join(dir, 'results.json') : null;
  let done: CellResult[] = [];
  if (dir) {
    if (o.resume && existsSync(resultsFile!)) {
      let saved: SavedResults;
      try {
        saved = JSON.parse(readFileSync(resultsFile!, 'utf8')) as SavedResults;
      } catch (e) {
        throw new UsageError(`checkpoint ${resultsFile} is not usable: ${(e as Error).message}`);
      }
      if (saved.format !== RESULTS_FORMAT || saved.matrixHash !== hash) throw new UsageError(`checkpoint ${dir} was written for a different configuration`);
      done = saved.cells;
    } else if (!o.resume && existsSync(dir)) {
      // a fresh run: stale checkpoints of an earlier run must not be picked up later
      for (const f of readdirSync(dir)) if (f === 'results.json' || /^cell-\d+\.ckpt(\.tmp-\d+)?$/.test(f)) rmSync(join(dir, f), { force: true });
    }
    makeDirs(dir, 'checkpoint directory');
  }
  const save = () => {
    if (resultsFile) writeAtomic(resultsFile, JSON.stringify({ format: RESULTS_FORMAT, matrixHash: hash, cells: done } satisfies SavedResults) + '\n');
  };
  save(); // records the matrix's hash before the first cell, so a resume of another matrix is refused
  const byId = new Map(done.map((r) => [r.id, r]));
  const results: CellResult[] = [];
  const n = m.cells.length;
  const say = (s: string) => {
    if (!o.quiet) {
      o.progressDone?.();
      io.err(`mmcheck: ${printable(s)}\n`);
    }
  };
  for (let k = 0; k < n; k++) {
    const c = m.cells[k]!;
    const tag = `[${k + 1}/${n}] ${c.id}`;
    const prior = byId.get(c.id);
    if (prior) {
      results.push(prior);
      say(`${tag}: done before the interruption (${prior.pass ? 'pass' : 'FAIL'})`);
      continue;
    }
    if (dir) {
      const sig = o.stopRequested();
      if (sig) return { done: false, signal: sig, cell: c, checkpoint: null, completed: results.length };
    }
    say(`${tag} ...`);
    const r = c.kind === 'model' ? await runModelCell(c, k, o) : await runScenarioCell(c, o);
    o.progressDone?.();
    if ('signal' in r) return { done: false, signal: r.signal, cell: c, checkpoint: r.ck, completed: results.length };
    results.push(r);
    done.push(r);
    save();
    say(`${tag}: ${r.pass ? 'pass' : 'FAIL'}, ${r.verdict}, ${fmtInt(r.distinct)} states, ${r.seconds.toFixed(2)}s`);
  }
  if (dir) {
    // finished: nothing to resume (the next run starts afresh even with --resume)
    rmSync(resultsFile!, { force: true });
    try {
      if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
    } catch {
      /* gone already */
    }
  }
  const passed = results.filter((r) => r.pass).length;
  const exhaustive = results.filter((r) => r.exhaustive).length;
  return {
    done: true,
    result: {
      ...jsonHeader(MATRIX_SCHEMA),
      matrix: m.name,
      file: m.file,
      cells: results,
      passed,
      failed: results.length - passed,
      exhaustive,
      bounded: results.length - exhaustive,
      seconds: Number(results.reduce((t, r) => t + r.seconds, 0).toFixed(3)),
    },
  };
}
