/** `mmcheck replay`: re-run a saved counterexample step by step; fail loudly if it no longer reproduces. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../model.js';
import { buildTrace, ReplayError, traceReproduces, type Trace } from '../checker/trace.js';
import { renderTrace } from '../report/text.js';
import { createModel } from '../../models/registry.js';
import { EXIT_VIOLATION, failUsage } from './common.js';
import { checkWritable, writeFileOrUsage } from '../view/page.js';
import { replayPage } from '../view/report.js';
import { tryUsage } from './check.js';

export function replayCommand(): Command {
  return new Command('replay')
    .description('re-run a saved counterexample (from `check --trace FILE`) step by step')
    .argument('<trace.json>', 'trace file')
    .option('--json', 'print the replayed trace as JSON')
    .option('--html <file>', 'write the replayed trace as a self-contained HTML page to step through')
    .action((file: string, o: { json?: boolean; html?: string }) => {
      process.exitCode = runReplay(file, Boolean(o.json), o.html);
    });
}

function loadTrace(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return failUsage(new UsageError(`cannot read trace file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`));
  }
  let t: any;
  try {
    t = JSON.parse(text);
  } catch (e) {
    return failUsage(new UsageError(`${file} is not JSON: ${(e as Error).message}`));
  }
  if (!t || t.mmcheck !== 'trace' || typeof t.model !== 'string' || !Array.isArray(t.actionIds) || !Array.isArray(t.steps))
    return failUsage(new UsageError(`${file} is not an mmcheck trace (expected the JSON written by \`mmcheck check --trace\`)`));
  return t as Trace;
}

function runReplay(file: string, json: boolean, html?: string): number {
  const t = loadTrace(file);
  if (html) tryUsage(() => checkWritable(html, 'HTML file'));
  let model;
  try {
    model = createModel(t.model, (t.config ?? {}) as Record<string, unknown>);
  } catch (e) {
    return failUsage(e);
  }
  try {
    const verdict = traceReproduces(model, t);
    const fresh = buildTrace(model, t.config, t.property, { init: t.init, actions: t.actionIds });
    if (json) process.stdout.write(JSON.stringify({ reproduces: verdict.ok, why: verdict.why || undefined, trace: fresh }, null, 2) + '\n');
    else process.stdout.write(renderTrace(fresh).join('\n') + '\n');
    if (html) tryUsage(() => writeFileOrUsage(html, replayPage(model, fresh, file, verdict), 'HTML file'));
    if (!verdict.ok) {
      process.stderr.write(`mmcheck: replay of ${file} FAILED: ${verdict.why}\n`);
      return EXIT_VIOLATION;
    }
    process.stderr.write(`mmcheck: replay of ${file} reproduces ${t.property} in ${t.steps.length} steps\n`);
    return 0;
  } catch (e) {
    if (e instanceof ReplayError) {
      process.stderr.write(`mmcheck: replay of ${file} FAILED: ${e.message}\n`);
      return EXIT_VIOLATION;
    }
    throw e;
  }
}
