/**
 * `mmcheck replay`: re-run a saved counterexample step by step; fail loudly if it no longer reproduces.
 * It runs no code a trace names: a trace made with `--predicate hook=FILE` replays only when the user
 * gives `--predicate hook=FILE` again, and only if that file's sha256 is the one the trace recorded.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { UsageError, type Model } from '../model.js';
import { buildTrace, ReplayError, traceReproduces } from '../checker/trace.js';
import { renderTrace } from '../report/text.js';
import { loadTraceFile, type TraceFile } from '../report/tracefile.js';
import { fileSha256, restrictPredicateFiles } from '../predicate/sandbox.js';
import { createModel } from '../../models/registry.js';
import { collectPairs, EXIT_OK, EXIT_USAGE, EXIT_VIOLATION, failUsage } from './common.js';
import { CliExit, io } from './io.js';
import { checkWritable, writeResultFile } from '../report/write.js';
import { replayPage } from '../view/report.js';

export function replayCommand(): Command {
  return new Command('replay')
    .description('re-run a saved counterexample (from `check --trace FILE`) step by step')
    .argument('<trace.json>', 'trace file')
    .option('--predicate <hook=file>', 'the predicate file the trace was made with (its sha256 must match the trace\'s)', collectPairs)
    .option('--json', 'print the replayed trace as JSON')
    .option('--html <file>', 'write the replayed trace as a self-contained HTML page to step through')
    .action((file: string, o: { json?: boolean; html?: string; predicate?: Record<string, string> }) => {
      io.code = runReplay(file, o);
    });
}

/** The trace's config with its predicate files replaced by the ones the user gave again, checked against the recorded hashes. */
function predicateConfig(t: TraceFile, given: Record<string, string>): Record<string, unknown> {
  const config = { ...(t.config as Record<string, unknown>) };
  const named = (typeof config.predicate === 'object' && config.predicate !== null ? config.predicate : {}) as Record<string, unknown>;
  const allowed = new Map<string, string>();
  const pred: Record<string, string> = Object.create(null);
  for (const [hook, path] of Object.entries(named)) {
    const rec = t.files.find((f) => f.role === `predicate ${hook}`);
    const file = Object.hasOwn(given, hook) ? given[hook]! : undefined;
    if (file === undefined)
      throw new UsageError(
        `the trace was made with --predicate ${hook}=${String(path)}; replay runs no code a trace names: give --predicate ${hook}=FILE again` +
          (rec ? ` (a file whose sha256 is ${rec.sha256})` : ''),
      );
    if (!rec) throw new UsageError(`the trace records no hash for its --predicate ${hook} file, so no file can be checked against it`);
    let sha: string;
    try {
      sha = fileSha256(file);
    } catch (e) {
      throw new UsageError(`--predicate ${hook}=${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (sha !== rec.sha256) throw new UsageError(`--predicate ${hook}=${file}: its sha256 is ${sha}, but the trace was made with a file whose sha256 is ${rec.sha256}`);
    allowed.set(resolve(file), sha);
    pred[hook] = resolve(file);
  }
  for (const hook of Object.keys(given)) if (!Object.hasOwn(named, hook)) throw new UsageError(`--predicate ${hook}: the trace was not made with a ${hook} predicate`);
  if (Object.keys(pred).length > 0) config.predicate = pred;
  restrictPredicateFiles(allowed);
  return config;
}

function runReplay(file: string, o: { json?: boolean; html?: string; predicate?: Record<string, string> }): number {
  let t: TraceFile;
  let model: Model;
  let config: Record<string, unknown>;
  try {
    t = loadTraceFile(file);
    if (o.html) checkWritable(o.html, 'HTML file');
    config = predicateConfig(t, o.predicate ?? {});
    model = createModel(t.model, config);
  } catch (e) {
    return failUsage(e);
  } finally {
    restrictPredicateFiles(null);
  }
  const failed = (why: string): number => {
    io.err(`mmcheck: replay of ${file} FAILED: ${why}\n`);
    return EXIT_VIOLATION;
  };
  try {
    const verdict = traceReproduces(model, t);
    const fresh = buildTrace(model, config, t.property, { init: t.init, actions: t.actionIds });
    if (o.json) io.out(JSON.stringify({ reproduces: verdict.ok, why: verdict.why || undefined, trace: fresh }, null, 2) + '\n');
    else {
      const lines = renderTrace(fresh);
      // the last line claims the violation: only a trace that still reproduces may say so
      if (!verdict.ok) lines.splice(lines.length - 1, 1, `  => does not reproduce: ${verdict.why}`);
      io.out(lines.join('\n') + '\n');
    }
    if (o.html) writeResultFile(o.html, replayPage(model, fresh, file, verdict), 'HTML file');
    if (!verdict.ok) return failed(verdict.why);
    io.err(`mmcheck: replay of ${file} reproduces ${t.property} in ${t.steps.length} steps\n`);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof ReplayError) return failed(e.message);
    if (e instanceof UsageError) throw new CliExit(EXIT_USAGE, `mmcheck: replay of ${file}: ${e.message.split('\n')[0]}`);
    throw e;
  }
}
