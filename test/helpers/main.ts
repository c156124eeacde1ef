/**
 * The CLI in-process (main() with captured stdout and stderr: no process
 * started), and the real binary as an async child (for what needs a process
 * of its own: signals, a predicate's sandbox, the exit status of bin/mmcheck.js).
 */
import { spawn } from 'node:child_process';
import { io } from '../../src/cli/io.js';
import { main } from '../../src/cli/program.js';
import { REPO_ROOT, type CliResult } from './cli.js';

/** Run `mmcheck ...args` through main(); resolves with its exit status and what it wrote. */
export async function mmcheckIn(...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { out: io.out, err: io.err };
  io.out = (s) => void out.push(s);
  io.err = (s) => void err.push(s);
  try {
    const status = await main(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    io.out = saved.out;
    io.err = saved.err;
  }
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** send this signal once stderr has printed this text (or after `afterMs`) */
  signal?: { name: NodeJS.Signals; when?: string; afterMs?: number };
  timeoutMs?: number;
  cwd?: string;
}

/** Run bin/mmcheck.js as a child without blocking the test worker's event loop. */
export function mmcheckSpawn(args: string[], o: SpawnOptions = {}): Promise<CliResult & { signal: NodeJS.Signals | null; ms: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', MMCHECK_POOL_AFTER_MS: '0' };
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${REPO_ROOT}/bin/mmcheck.js`, ...args], { cwd: o.cwd ?? REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const send = () => {
      if (!sent && o.signal) {
        sent = true;
        child.kill(o.signal.name);
      }
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (o.signal?.when && stderr.includes(o.signal.when)) send();
    });
    const timers = [setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000)];
    if (o.signal?.afterMs !== undefined) timers.push(setTimeout(send, o.signal.afterMs));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}
