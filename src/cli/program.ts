/**
 * The `mmcheck` program as a function: main(args) parses, runs one command
 * and returns its exit status, writing only through `io`. Errors end here:
 * a user error is one line and 2; anything else is a bug in mmcheck: one
 * line naming it and the file that holds the full report, and 70 (never 1,
 * the status of a real violation).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError, type Option } from 'commander';
import { benchCommand } from './bench.js';
import { checkCommand } from './check.js';
import { compareCommand } from './compare.js';
import { exploreCommand } from './explore.js';
import { listCommand } from './list.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { EXIT_INTERNAL, EXIT_USAGE, isUserError, usageLine } from './common.js';
import { CliExit, io } from './io.js';
import { PredicateInterrupted } from '../predicate/sandbox.js';
import { printable } from '../report/printable.js';
import { VERSION } from '../version.js';

/** Options that may be given more than once (each adds a key=value); every other option with a value may not. */
const REPEATABLE = new Set(['set', 'predicate', 'bound', 'vs']);

/** `--era X --era Y` is an error, not "the last one wins" (commander's default). */
function forbidRepeats(cmd: Command): void {
  const seen = new Set<string>();
  for (const opt of cmd.options as readonly Option[]) {
    if (!(opt.required || opt.optional) || REPEATABLE.has(opt.attributeName())) continue;
    cmd.on(`option:${opt.name()}`, () => {
      if (seen.has(opt.name())) cmd.error(`option '${opt.flags}' is given twice`, { code: 'mmcheck.repeatedOption', exitCode: EXIT_USAGE });
      seen.add(opt.name());
    });
  }
}

function buildProgram(): Command {
  // commander's own errors become one `mmcheck: ...` line, like ours
  const output = {
    writeOut: (s: string) => io.out(s),
    writeErr: (s: string) => io.err(s),
    outputError: (str: string, write: (s: string) => void) => write(`mmcheck: ${printable(str.replace(/^error: /, '').trimEnd())}\n`),
  };
  const program = new Command('mmcheck')
    .description('explicit-state model checker for Linux memory management (THP, COW, fork, GUP, KVM EPT)')
    .version(VERSION)
    .option('--debug', 'an internal error prints its stack on stderr too')
    .configureOutput(output)
    .exitOverride();
  for (const cmd of [checkCommand(), compareCommand(), runCommand(), replayCommand(), exploreCommand(), listCommand(), benchCommand()]) {
    cmd.exitOverride();
    cmd.configureOutput(output);
    forbidRepeats(cmd);
    program.addCommand(cmd);
  }
  return program;
}

/** Run one mmcheck command line (the arguments after `mmcheck`); returns the exit status. */
export async function main(args: readonly string[]): Promise<number> {
  io.code = 0;
  try {
    await buildProgram().parseAsync([...args], { from: 'user' });
    return io.code;
  } catch (e) {
    return exitFor(e, args);
  }
}

/** The exit status for an error that reached main(), after its one line on stderr. */
export function exitFor(e: unknown, args: readonly string[]): number {
  if (e instanceof CliExit) {
    if (e.line !== null) io.err(`${e.line}\n`);
    return e.code;
  }
  if (e instanceof CommanderError) {
    // commander already printed its one-line message; help and version are not errors
    const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
    return ok ? 0 : EXIT_USAGE;
  }
  if (e instanceof PredicateInterrupted) {
    io.err('mmcheck: interrupted by SIGINT while a --predicate ran\n');
    return 130;
  }
  if (isUserError(e)) {
    io.err(`${usageLine(e)}\n`);
    return EXIT_USAGE;
  }
  io.err(`${internalErrorLine(e, args)}\n`);
  if (args.includes('--debug')) io.err(`${e instanceof Error ? e.stack : String(e)}\n`);
  return EXIT_INTERNAL;
}

/**
 * A bug: write the full report (version, runtime, arguments, stack) to a new file under the temp folder
 * and name it in one line. If even that fails, the stack goes to stderr: it must not be lost.
 */
export function internalErrorLine(e: unknown, args: readonly string[]): string {
  const what = printable((e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0]!);
  const report = [
    `mmcheck ${VERSION}: internal error`,
    `node ${process.version} ${process.platform}-${process.arch}`,
    `cwd: ${process.cwd()}`,
    `arguments: ${JSON.stringify(args)}`,
    '',
    e instanceof Error ? (e.stack ?? what) : String(e),
    '',
  ].join('\n');
  try {
    const file = join(mkdtempSync(join(tmpdir(), 'mmcheck-crash-')), 'report.txt');
    writeFileSync(file, report);
    return `mmcheck: internal error (a bug in mmcheck, not in the input): ${what}; the full report is in ${file}`;
  } catch (w) {
    io.err(report);
    return `mmcheck: internal error (a bug in mmcheck, not in the input): ${what}; the report could not be saved (${(w as NodeJS.ErrnoException).code ?? String(w)}), it is above`;
  }
}
