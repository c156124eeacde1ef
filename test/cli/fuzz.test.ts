/**
 * Fuzz (issue 26): seeded mutants of the scenario corpus and of a matrix
 * file, through main() in-process (`run --dry-run`: parse, compile and build
 * every model, run no search). Whatever the input, the outcome is exit 0 or
 * 2, a 2 is exactly one line on stderr and nothing on stdout, and no stack
 * frame is ever printed. The first 25 valid scenario mutants also run for
 * real (exit 0, 1 or 2).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { mmcheckIn } from '../helpers/main.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-fuzz-'));
const CORPUS = readdirSync('models/scenarios')
  .filter((f) => f.endsWith('.litmus'))
  .map((f) => readFileSync(join('models/scenarios', f), 'utf8'));
/**
 * The seeds: the corpus, each file cut to its first era (and its era-specific Result lines dropped), so a
 * valid mutant compiles one era's model, not eight: thousands of mutants fit in seconds.
 */
const SEEDS = CORPUS.map((t) =>
  t
    .replace(/^era (\S+).*$/m, 'era $1')
    .split('\n')
    .filter((l) => !(/^\s*\*\s*Result:/.test(l) && l.includes('era=')))
    .join('\n'),
);

/** What a mutant may splice in: the grammar's tokens, keys named like Object.prototype members, control characters, and long or deep runs. */
const TOKENS = [
  '(', ')', '~', '\\/', '/\\', '{', '}', ';', ',', '=', '<>', '..', '(*', '*)', '\n',
  'era v4.6', 'era v9.9', 'era andrea-v1 v4.6', 'check rmap-integrity', 'check nope', 'exists (', 'forall (', '~exists (',
  'F0.mapping = av1', 'P0.pte[0] = F0', 'P9.pte[0] = F0', 'nope.x = 1',
  ' * Result: Sometimes', ' * Result: Never era=v4.6', ' * Result: maybe', ' property=condition', ' era=v9.9',
  'set.__proto__=x;', 'set.constructor=x;', 'set.toString=x;', 'constructor=1;', '__proto__=1;', 'set.reuse=R45;', 'set.ranges=all;',
  'model=mutex;', 'model=scenario;', 'procs=99;', 'procs=0;', 'subpages=3;', 'subpages=2;', 'bounds.refs=x;', 'bounds.smalls=2;', 'profile=shmem;',
  'predicate.kvm_huge=/nonexistent.ts;', 'compare=x;', 'ops=write;',
  'P1 { write(0); }', 'P0 { write(0); }', 'fork(P0);', 'fork(P1);', 'fork(P9);', 'write(99);', 'write();', 'munmap(3..1);', 'munmap(0..3);',
  'read(0);', 'kvm_page_fault(0);', 'hva_to_pfn();', 'kvm_map();', 'split_huge_page(F0);', 'put(gup0);', 'pin_user_pages_lt_w(0);',
  '\x1b[2J', '\x00', '\u2028', '\t', 'é', '\ud800',
  '('.repeat(150), '~'.repeat(150), ' \\/ F0.mapping = av1'.repeat(1100), 'write(0); '.repeat(260),
];

type Edit = { at: number; del: number; ins: number; text: string };
const edit = fc.record({
  at: fc.nat(),
  del: fc.nat({ max: 40 }),
  ins: fc.nat({ max: TOKENS.length - 1 }),
  text: fc.oneof(fc.constant(''), fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 3 })),
});

function mutate(src: string, edits: Edit[]): string {
  let s = src;
  for (const e of edits) {
    const at = e.at % (s.length + 1);
    const piece = e.text !== '' && e.ins % 3 === 0 ? e.text : TOKENS[e.ins]!;
    s = s.slice(0, at) + piece + s.slice(at + (e.ins % 2 === 0 ? e.del : 0));
  }
  return s;
}

/** Let the test worker's event loop run (vitest's RPC with the main process times out if it never does). */
const breathe = () => new Promise((r) => setImmediate(r));

/** Exit 0, 1 (only when searches ran) or 2; a 2 is one line, nothing on stdout; never a stack frame. */
function wellBehaved(r: CliResult, ran: boolean): void {
  const allowed = ran ? [0, 1, 2] : [0, 2];
  const why = `exit ${r.status}\nstdout: ${r.stdout.slice(0, 400)}\nstderr: ${r.stderr.slice(0, 400)}`;
  expect(allowed, why).toContain(r.status);
  expect(r.stderr, why).not.toMatch(/^\s+at /m);
  expect(r.stderr, why).not.toContain('internal error');
  // a key looked up on a plain object reaches Object.prototype: its source ends up in the message
  expect(r.stderr, why).not.toContain('[native code]');
  if (r.status === 2) {
    expect(r.stdout, why).toBe('');
    expect(r.stderr.split('\n').filter((l) => l !== ''), why).toHaveLength(1);
  }
}

describe('fuzz: scenario files', () => {
  it('1,500 mutants of the corpus: exit 0 or 2, one line for 2, never a stack trace; some valid ones run', async () => {
    let n = 0;
    let valid = 0;
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: SEEDS.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 4 }), async (k, edits) => {
        if (n % 20 === 0) await breathe();
        const f = join(dir, `m${n++ % 50}.litmus`);
        writeFileSync(f, mutate(SEEDS[k]!, edits));
        const r = await mmcheckIn('run', '-q', '--dry-run', f);
        wellBehaved(r, false);
        if (r.status !== 0) return;
        valid++;
        // a valid mutant with a small search: run it for real (bounded by the statement count)
        if (ran < 25 && readFileSync(f, 'utf8').length < 4000) {
          ran++;
          wellBehaved(await mmcheckIn('run', '-q', f), true);
        }
      }),
      { seed: 0x26_2026, numRuns: 1500 },
    );
    // the mutants are not all rejected at the first byte: a fair share gets through
    expect(valid).toBeGreaterThan(100);
  });
});

describe('fuzz: matrix files', () => {
  mkdirSync(join(dir, 'sc'));
  writeFileSync(join(dir, 'sc/a.litmus'), SEEDS.find((t) => t.includes('FORK-SPLIT-MUNMAP'))!);
  const BASE = {
    name: 'fz',
    checkpointEvery: 60,
    checks: [
      {
        name: 'c',
        model: 'thp',
        eras: ['andrea-v1'],
        bounds: [{ procs: 1, subpages: 2, ops: ['write', 'fork'], set: { reuse: 'R46' }, bounds: { smalls: 2 } }],
        depth: 3,
        maxStates: 1000,
        properties: ['rmap-integrity'],
        requireExhaustive: false,
        expect: { 'rmap-integrity': 'holds', 'andrea-v1': { 'rmap-integrity': 'violated' } },
      },
      { model: 'mutex', bounds: [{ procs: 2 }] },
    ],
    scenarios: ['sc/*.litmus'],
  };
  const SPECIAL = fc.constantFrom<unknown>(
    '__proto__', 'constructor', 'toString', 'write,fork', 'reuse=R45', '2', '-1', '', 'v9.9', 'thp', 'scenario', 'sc/**/*.litmus', '../../*', '/proc/self/*',
    0, -1, 1.5, 2 ** 53, 1e308, true, null, [], {}, ['write'], { reuse: 'R45' }, { __proto__: null, constructor: 'x' },
    JSON.parse('{"__proto__": "x"}'), JSON.parse('{"constructor": {"prototype": 1}}'), Array.from({ length: 300 }, () => 'write'),
  );
  // a value nested thousands deep, spliced in as text (JSON.stringify itself would overflow on it)
  const DEEP = '\u0000deep:';
  const value = fc.oneof(SPECIAL, fc.jsonValue({ maxDepth: 3 }), fc.nat({ max: 6000 }).map((n) => `${DEEP}${n + 5}`));
  const undeep = (text: string) =>
    text.replace(/"\\u0000deep:(\d+)"/g, (_m, n: string) => `${'{"a":['.repeat(Number(n))}1${']}'.repeat(Number(n))}`);

  type Op = { kind: 'set' | 'add' | 'del' | 'text'; path: number[]; key: string; value: unknown; at: number; text: string };
  const op = fc.record({
    kind: fc.constantFrom('set', 'set', 'add', 'del', 'text'),
    path: fc.array(fc.nat(), { maxLength: 5 }),
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', 'procs', 'ops', 'set', 'bounds', 'era', 'eras', 'expect', 'predicate', 'profile', 'x'), fc.string({ maxLength: 8 })),
    value,
    at: fc.nat(),
    text: fc.constantFrom('{', '}', '[', ']', ',', '"', ':', '\\', '\x00', 'null', '1e999'),
  });

  /** Walk `path` (indices into each level's keys) to an object or array; the last container reached. */
  function container(root: unknown, path: number[]): Record<string, unknown> | unknown[] {
    let cur = root as Record<string, unknown>;
    for (const i of path) {
      const keys = Object.keys(cur);
      if (keys.length === 0) break;
      const next = cur[keys[i % keys.length]!];
      if (typeof next !== 'object' || next === null) break;
      cur = next as Record<string, unknown>;
    }
    return cur;
  }

  function apply(ops: Op[]): string {
    const m = structuredClone(BASE) as unknown;
    let text: string | null = null;
    for (const o of ops) {
      if (o.kind === 'text') {
        const t: string = text ?? JSON.stringify(m);
        const at = o.at % (t.length + 1);
        text = t.slice(0, at) + o.text + t.slice(at);
        continue;
      }
      const c = container(m, o.path) as Record<string, unknown>;
      const keys = Object.keys(c);
      if (o.kind === 'add') Object.defineProperty(c, o.key, { value: o.value, enumerable: true, writable: true, configurable: true });
      else if (keys.length === 0) continue;
      else if (o.kind === 'del') delete c[keys[o.at % keys.length]!];
      else c[keys[o.at % keys.length]!] = o.value;
    }
    return undeep(text ?? JSON.stringify(m));
  }

  it('1,000 mutants of a matrix file: exit 0 or 2, one line for 2, never a stack trace', async () => {
    let n = 0;
    let valid = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 3 }), async (ops) => {
        if (n % 20 === 0) await breathe();
        const f = join(dir, `m${n++ % 50}.json`);
        writeFileSync(f, apply(ops));
        const r = await mmcheckIn('run', '-q', '--dry-run', '--matrix', f);
        wellBehaved(r, false);
        if (r.status === 0) valid++;
      }),
      { seed: 0x25_2026, numRuns: 1000 },
    );
    expect(valid).toBeGreaterThan(100);
  });
});
