/** Shared CLI plumbing: exit statuses, and argument parsers that fail with one line and exit 2. */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../model.js';
import { parseSize } from '../fpset/fpset.js';
import { printable } from '../report/printable.js';
import { CliExit } from './io.js';

/** Exit statuses (README, "Exit codes"): a CI job tells a crash from a regression by them. */
export const EXIT_OK = 0;
/** a property violated, an expectation missed, a replayed trace that no longer reproduces */
export const EXIT_VIOLATION = 1;
/** bad input: one line on stderr */
export const EXIT_USAGE = 2;
/** a bound cut the search where exhaustiveness was required (check --require-exhaustive, matrix requireExhaustive) */
export const EXIT_NOT_EXHAUSTIVE = 3;
/** a bug in mmcheck (sysexits.h EX_SOFTWARE): one line on stderr, the full report in a file */
export const EXIT_INTERNAL = 70;

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

/**
 * A whole number whose range the model checks (--procs, --subpages): one rule and one message for the CLI,
 * matrix files and scenarios alike.
 */
export function wholeArg(v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`expected a whole number, got '${v}'.`);
  return Number(v);
}

/** `--workers N|auto`; auto: the CPUs this process may use (os.availableParallelism, Node 18.14+; `navigator` is Node 21+). */
export function workersArg(v: string): number {
  if (v === 'auto') return Math.max(1, Math.min(256, availableParallelism()));
  return intArg(1, 256)(v);
}

/** Repeatable `key=value` options (--set, --predicate). */
export function collectPairs(v: string, prev?: Record<string, string>): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0 || i === v.length - 1) throw new InvalidArgumentError(`expected <hook>=<value>, got '${v}'.`);
  const k = v.slice(0, i).trim();
  if (prev !== undefined && Object.hasOwn(prev, k)) throw new InvalidArgumentError(`'${k}' is given twice.`);
  // a null-prototype object: a key such as __proto__ or constructor is a key like any other (and then unknown)
  const out = Object.assign(Object.create(null) as Record<string, string>, prev);
  out[k] = v.slice(i + 1).trim();
  return out;
}

export function listArg(v: string): string[] {
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list, got '${v}'.`);
  return items;
}

/**
 * Is this error the user's (bad input)? A user's --predicate failing inside a worker thread arrives as a
 * plain Error (thread boundaries keep only the message): its message says whose it is.
 */
export function isUserError(err: unknown): err is Error {
  return err instanceof UsageError || (err instanceof Error && err.message.startsWith('--predicate '));
}

/** The one stderr line for a user error: its first line, control characters escaped. */
export function usageLine(err: Error): string {
  return `mmcheck: ${printable(err.message.split('\n')[0]!)}`;
}

/** End with a user error as one line and exit 2. Anything else is a bug: rethrow (main() makes it exit 70). */
export function failUsage(err: unknown): never {
  if (err instanceof CliExit) throw err;
  if (isUserError(err)) throw new CliExit(EXIT_USAGE, usageLine(err));
  throw err;
}
