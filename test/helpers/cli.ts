/** Run the real `mmcheck` binary as a child process (needs `npx tsc -p .` first: bin/ loads dist/). */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * CLI tests start worker threads as soon as a level needs them (MMCHECK_POOL_AFTER_MS=0), since their
 * runs are all shorter than the second a parallel run otherwise waits: `--workers 2` then means threads.
 */
export function mmcheck(...args: string[]): CliResult {
  return mmcheckWith({}, ...args);
}

/** mmcheck with these environment variables set (undefined: removed). */
export function mmcheckWith(env: Record<string, string | undefined>, ...args: string[]): CliResult {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', MMCHECK_POOL_AFTER_MS: '0' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete e[k];
    else e[k] = v;
  }
  const r = spawnSync(process.execPath, ['bin/mmcheck.js', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: e,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The non-empty lines of a stream. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** A user error: exit 2, nothing on stdout, exactly one line on stderr and no stack frames. Returns that line. */
export function usageErrorLine(r: CliResult): string {
  const errs = lines(r.stderr);
  if (r.status !== 2 || r.stdout !== '' || errs.length !== 1 || /^\s+at /m.test(r.stderr))
    throw new Error(`expected a one-line usage error with exit 2, got exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return errs[0]!;
}
