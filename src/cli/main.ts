/**
 * The `mmcheck` executable (bin/mmcheck.js loads this): runs main() on the
 * process's arguments and ends the process with its status. A throw that
 * escapes every command (an async callback, a stream) is an internal error
 * too: exit 70, never 1.
 */
import { EXIT_INTERNAL, EXIT_NOT_EXHAUSTIVE, EXIT_OK, EXIT_VIOLATION } from './common.js';
import { io } from './io.js';
import { internalErrorLine, main } from './program.js';

const args = process.argv.slice(2);

// A reader that went away (`mmcheck bench | head`) ends the program as SIGPIPE ends a C tool, with status
// 128 + 13 and nothing said (Node ignores the signal, and the next write would throw a stack trace).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(128 + 13);
});

const crash = (e: unknown) => {
  io.err(`${internalErrorLine(e, args)}\n`);
  if (args.includes('--debug')) io.err(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(EXIT_INTERNAL);
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', (reason, promise) => {
  // a promise of another realm is a --predicate's own (its sandbox), not a failure of mmcheck
  if (promise instanceof Promise) crash(reason);
});

const code = await main(args);
// a result: let stdout drain and the worker pool wind down; an error: end now
if (code === EXIT_OK || code === EXIT_VIOLATION || code === EXIT_NOT_EXHAUSTIVE) process.exitCode = code;
else process.exit(code);
