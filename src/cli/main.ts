/** The `mmcheck` program: one file per command. */
import { Command, CommanderError } from 'commander';
import { benchCommand } from './bench.js';
import { checkCommand } from './check.js';
import { compareCommand } from './compare.js';
import { exploreCommand } from './explore.js';
import { listCommand } from './list.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { EXIT_USAGE } from './common.js';

// commander's own errors become one `mmcheck: ...` line, like ours
const output = {
  outputError: (str: string, write: (s: string) => void) => write(`mmcheck: ${str.replace(/^error: /, '')}`),
};

const program = new Command('mmcheck')
  .description('explicit-state model checker for Linux memory management (THP, COW, fork, GUP, KVM EPT)')
  .version('0.1.0')
  .configureOutput(output)
  .exitOverride();

for (const cmd of [checkCommand(), compareCommand(), runCommand(), replayCommand(), exploreCommand(), listCommand(), benchCommand()]) {
  cmd.exitOverride();
  cmd.configureOutput(output);
  program.addCommand(cmd);
}

// A reader that went away (`mmcheck bench | head`) ends the program as SIGPIPE ends a C tool, with status
// 128 + 13 and nothing said (Node ignores the signal, and the next write would throw a stack trace).
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(128 + 13);
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its one-line message; help and version are not errors
    const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
    process.exit(ok ? 0 : EXIT_USAGE);
  }
  throw e;
}
