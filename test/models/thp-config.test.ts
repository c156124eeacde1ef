/**
 * The THP model's configuration surface: every bad value is a UsageError with
 * a one-line message naming the bad value and the known ones (exit 2 from the
 * CLI, never a silently different run), and `mmcheck list eras|ops|predicates`
 * describe what there is. The CLI cases need `npx tsc -p .` first.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { DECISIONS, ERAS } from '../../models/thp/eras.js';
import { OPS, STEP_DOCS } from '../../models/thp/config.js';
import { UsageError } from '../../src/model.js';
import { lines, mmcheck, usageErrorLine } from '../helpers/cli.js';

function usageError(config: Record<string, unknown>): string {
  let err: unknown;
  try {
    createModel('thp', config);
  } catch (e) {
    err = e;
  }
  expect(err, JSON.stringify(config)).toBeInstanceOf(UsageError);
  const msg = (err as Error).message;
  expect(msg.split('\n')).toHaveLength(1);
  return msg;
}

describe('createModel(thp) rejects bad configurations with a one-line UsageError', () => {
  it.each([
    ['unknown era', { era: 'v9.9' }, "unknown era 'v9.9' (known: v4.5, andrea-v1, v4.6, v4.8, v5.4, v5.8, v5.9, v5.18, v5.19, v6.2)"],
    ['unknown op', { ops: ['write', 'frobnicate'] }, "unknown operation 'frobnicate' in --ops"],
    ['--set unknown point', { set: { reuze: 'R46' } }, "unknown decision point 'reuze' in --set (known: reuse, pmd_reuse"],
    ['unknown variant', { set: { reuse: 'R99' } }, "unknown variant 'R99' for --set reuse (known: R45, R46, R_andrea_draft, R59, R519, R65)"],
    ['unknown ranges variant', { set: { ranges: 'some' } }, "unknown variant 'some' for --set ranges (known: basic, all, halves)"],
    ['--subpages 1', { subpages: 1 }, '--subpages must be a whole number from 2 to 8, got 1'],
    ['--subpages 9', { subpages: 9 }, '--subpages must be a whole number from 2 to 8, got 9'],
    ['--procs 7', { procs: 7 }, '--procs must be a whole number from 1 to 6, got 7'],
    ['--procs 0', { procs: 0 }, '--procs must be a whole number from 1 to 6, got 0'],
    ['unknown bound', { bounds: { pages: '3' } }, "unknown bound 'pages' (known: thps, smalls, refs)"],
    ['bound out of range', { bounds: { thps: '9' } }, '--bound thps must be a whole number from 1 to 4'],
    ['unknown profile', { profile: 'spin' }, "unknown profile 'spin' (known: full, shmem, thp-core)"],
    // issue 25: only when the user asks for halves (an odd --subpages alone defaults to ranges=basic)
    ['odd subpages with halves', { subpages: 3, set: { ranges: 'halves' } }, '--set ranges=halves needs an even --subpages, got 3'],
    ['GUP without reference slots', { ops: ['gup'], bounds: { refs: '0' } }, 'GUP operations in --ops need --bound refs=1 or more'],
    ['empty ops', { ops: [] }, '--ops needs at least one operation'],
    ['unknown option', { frobs: 1 }, "model 'thp' has no option 'frobs'"],
  ])('%s', (_name, config, message) => {
    expect(usageError(config)).toContain(message);
  });

  it('accepts the edges of every range', () => {
    for (const c of [{ subpages: 2 }, { subpages: 8, procs: 1, ops: ['write'] }, { procs: 1 }, { procs: 6, ops: ['write'] }, { subpages: 3, set: { ranges: 'all' } }])
      expect(() => createModel('thp', c)).not.toThrow();
  });

  it('a group name in --ops enables its steps; a step name just that step', () => {
    const ops = (o: string[]) => (createModel('thp', { ops: o }).summary as { ops: string[] }).ops;
    expect(ops(['mprotect'])).toEqual(['mprotect_ro', 'mprotect_rw']);
    expect(ops(['pin'])).toEqual(['pin_user_pages', 'pin_user_pages_w', 'pin_user_pages_lt', 'pin_user_pages_lt_w']);
    expect(ops(['pin_user_pages_lt_w'])).toEqual(['pin_user_pages_lt_w']);
  });
});

describe('CLI', () => {
  it('list eras: every preset from v4.5 to v6.2, with its commit ids', () => {
    const r = mmcheck('list', 'eras');
    expect(r.status).toBe(0);
    const rows = lines(r.stdout);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(['v4.5', 'andrea-v1', 'v4.6', 'v4.8', 'v5.4', 'v5.8', 'v5.9', 'v5.18', 'v5.19', 'v6.2']);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(ERAS.map((e) => e.id));
    const row = (id: string) => rows.find((l) => l.startsWith(`${id} `))!;
    expect(row('v4.5')).toContain('53f9263baba6');
    expect(row('andrea-v1')).toContain('6d0a07edd17c');
    expect(row('v4.6')).toContain('6d0a07edd17c');
    expect(row('v5.8')).toContain('3917c80280c9');
    expect(row('v5.8')).toContain('17839856fd58');
    expect(row('v5.9')).toContain('09854ba94c6a');
    expect(row('v5.18')).toContain('3bff7e3f1f16');
    expect(row('v5.19')).toContain('6c287605fd56');
    expect(row('v6.2')).toMatch(/NO_DOUBLEMAP/);
    for (const l of rows) expect(l, l).toMatch(/[0-9a-f]{12}|NO_DOUBLEMAP/);
  });

  it('list ops: every operation and step, groups naming their steps', () => {
    const r = mmcheck('list', 'ops');
    expect(r.status).toBe(0);
    const names = lines(r.stdout).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual([...Object.keys(OPS), ...Object.keys(STEP_DOCS)]);
    expect(r.stdout).toMatch(/^gup .*\[group: get_user_pages, get_user_pages_w\]$/m);
  });

  it('list predicates: every decision point with its variants', () => {
    const r = mmcheck('list', 'predicates');
    expect(r.status).toBe(0);
    const rows = lines(r.stdout);
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(Object.keys(DECISIONS));
    expect(r.stdout).toContain('variants: R45, R46, R_andrea_draft, R59, R519, R65 (--set reuse=<variant>)');
  });

  it.each([
    [['--era', 'bogus'], "mmcheck: unknown era 'bogus' (known: v4.5, andrea-v1, v4.6, v4.8, v5.4, v5.8, v5.9, v5.18, v5.19, v6.2)"],
    [['--ops', 'write,bogus'], "unknown operation 'bogus' in --ops"],
    [['--set', 'bogus=1'], "unknown decision point 'bogus' in --set"],
    [['--set', 'reuse=R99'], "unknown variant 'R99' for --set reuse"],
    [['--subpages', '1'], '--subpages must be a whole number from 2 to 8, got 1'],
    [['--subpages', '9'], '--subpages must be a whole number from 2 to 8, got 9'],
    [['--procs', '7'], '--procs must be a whole number from 1 to 6, got 7'],
    [['--bound', 'bogus=1'], "unknown bound 'bogus' (known: thps, smalls, refs)"],
    [['--profile', 'bogus'], "unknown profile 'bogus' (known: full, shmem, thp-core)"],
  ])('check %j exits 2 with one line on stderr', (args, message) => {
    expect(usageErrorLine(mmcheck('check', ...args, '-q'))).toContain(message);
  });
});
