/** Start the real binary, wait for a file to appear, then send a signal: how the resume tests interrupt a run. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { REPO_ROOT, type CliResult } from './cli.js';

export interface Interrupted extends CliResult {
  /** whether the signal was sent (false: the run ended before the file appeared) */
  signalled: boolean;
}

export function runAndSignal(args: string[], waitFor: () => boolean, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/mmcheck.js', ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const started = Date.now();
    const poll = setInterval(() => {
      if (!signalled && waitFor()) {
        signalled = true;
        child.kill(signal);
      } else if (Date.now() - started > timeoutMs) child.kill('SIGKILL');
    }, 5);
    child.on('error', reject);
    child.on('close', (status) => {
      clearInterval(poll);
      resolve({ status, stdout, stderr, signalled });
    });
  });
}

export const fileExists = (f: string) => () => existsSync(f);
