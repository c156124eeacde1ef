/** Shared CLI plumbing: argument parsers that fail with one line and exit 2. */
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../model.js';
import { parseSize } from '../fpset/fpset.js';

export const EXIT_OK = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;

export function intArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`expected a whole number, got '${v}'.`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}, got ${n}.`);
    return n;
  };
}

export function numArg(minExclusive: number) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${v}'.`);
    if (n <= minExclusive) throw new InvalidArgumentError(`must be greater than ${minExclusive}, got ${n}.`);
    return n;
  };
}

/** `--memory 2G`: bytes (units B, K, M, G, T, powers of 1024; KB, KiB and the like accepted) */
export function sizeArg(v: string): number {
  const n = parseSize(v);
  if (n === null) throw new InvalidArgumentError(`expected a size such as 512M or 2G, got '${v}'.`);
  if (n < 1 << 20) throw new InvalidArgumentError(`must be at least 1M, got '${v}'.`);
  return n;
}

/** `--workers N|auto` */
export function workersArg(v: string): number {
  if (v === 'auto') return Math.max(1, navigator.hardwareConcurrency ?? 1);
  return intArg(1, 256)(v);
}

/** Repeatable `key=value` options (--set, --predicate). */
export function collectPairs(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0 || i === v.length - 1) throw new InvalidArgumentError(`expected <hook>=<value>, got '${v}'.`);
  const k = v.slice(0, i).trim();
  if (k in prev) throw new InvalidArgumentError(`'${k}' is given twice.`);
  return { ...prev, [k]: v.slice(i + 1).trim() };
}

export function listArg(v: string): string[] {
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list, got '${v}'.`);
  return items;
}

/**
 * Print a user error as one line and exit 2. Anything else is a bug: rethrow.
 * A user's --predicate failing inside a worker thread arrives as a plain
 * Error (thread boundaries keep only the message): its message says whose it is.
 */
export function failUsage(err: unknown): never {
  const fromWorker = err instanceof Error && err.message.startsWith('--predicate ');
  if (err instanceof UsageError || fromWorker) {
    process.stderr.write(`mmcheck: ${(err as Error).message.split('\n')[0]}\n`);
    process.exit(EXIT_USAGE);
  }
  throw err;
}
