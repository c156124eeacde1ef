/**
 * The hugetlb-hgm model through the real binary: it is listed, `check`
 * prints the overflow and exits 1 (0 where the guard holds), `compare
 * --model hugetlb-hgm` scores two mapcount policies with pinned counts and
 * shortest examples, the scenario files show their variants, and bad input
 * is one line with exit 2. Needs `npx tsc -p .` first.
 */
import { describe, expect, it } from 'vitest';
import { lines, mmcheck, usageErrorLine } from '../helpers/cli.js';

const actionsOf = (trace: any) => trace.steps.map((s: any) => `${s.action}(${Object.values(s.args).join(',')})`);

describe('list', () => {
  it('list models shows hugetlb-hgm; its ops and decision points are listed', () => {
    expect(mmcheck('list', 'models').stdout).toMatch(/^hugetlb-hgm +hugetlb high-granularity mapping \(HGM, 2023 thread\)/m);
    const ops = mmcheck('list', 'ops', '--model', 'hugetlb-hgm');
    expect(ops.status).toBe(0);
    expect(lines(ops.stdout).map((l) => l.split(/\s+/)[0])).toEqual([
      'fault', 'uffdio_continue', 'madvise_dontneed', 'collapse', 'fork', 'exit', 'get_user_pages', 'put', 'smaps', 'mbind', 'memory_failure',
    ]);
    const pred = mmcheck('list', 'predicates', '--model', 'hugetlb-hgm');
    expect(lines(pred.stdout).map((l) => l.split(/\s+/)[0])).toEqual(['mapcount_policy', 'c_release', 'guard', 'guard_steps', 'refcount_bits']);
    expect(pred.stdout).toMatch(/^guard +.*variants: none, fault, fault\+fork, all; default none/m);
  });
});

describe('check', () => {
  it('--set guard=fault: exit 1, refcount-no-overflow VIOLATED with the shortest trace', () => {
    const r = mmcheck('check', '--model', 'hugetlb-hgm', '--procs', '2', '--set', 'guard=fault', '-q', '--json');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.stats.distinct).toBe(3_705);
    const p = out.properties.find((x: any) => x.name === 'refcount-no-overflow');
    expect(p.status).toBe('violated');
    expect(actionsOf(p.trace)).toEqual(['uffdio_continue(0,0)', 'fault(0,1)', 'fork(0)', 'get_user_pages(0,0)', 'get_user_pages(0,0)', 'fault(0,2)']);
    // the last step's page-cache lookup wraps the 4-bit count
    expect(p.trace.steps.at(-1).changes).toContainEqual({ field: 'H._refcount', from: '7', to: '-8' });
  });

  it('--set guard=all: exit 0, exhaustive, no violation', () => {
    const r = mmcheck('check', '--model', 'hugetlb-hgm', '--procs', '2', '--set', 'guard=all', '-q');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('states: 1,175 distinct');
    expect(r.stdout).toMatch(/^ {2}holds +refcount-no-overflow /m);
    expect(lines(r.stdout).at(-1)).toBe('result: no violation');
  });
});

describe('compare --model hugetlb-hgm --set mapcount_policy=A --vs mapcount_policy=C', () => {
  const r = mmcheck('compare', '--model', 'hugetlb-hgm', '--procs', '2', '--set', 'mapcount_policy=A', '--vs', 'mapcount_policy=C', '-q', '--json');
  const out = JSON.parse(r.stdout);

  it('explores once and scores both policies against the VMAs that map the page', () => {
    expect(r.status).toBe(0);
    expect([out.hook, out.exhaustive, out.stats.distinct]).toEqual(['mapcount_policy', true, 1_400]);
    expect(out.sides.map((s: any) => [s.side, s.variant, s.counts])).toEqual([
      ['a', 'A', {
        'smaps-shared': { agree: 3_853, 'false-positive': 562, 'false-negative': 0 },
        'mpol-move': { agree: 2_122, 'false-positive': 0, 'false-negative': 233 },
        'hwpoison-unmap': { agree: 1_400, 'false-positive': 0, 'false-negative': 0 },
      }],
      ['b', 'C', {
        'smaps-shared': { agree: 4_415, 'false-positive': 0, 'false-negative': 0 },
        'mpol-move': { agree: 2_355, 'false-positive': 0, 'false-negative': 0 },
        'hwpoison-unmap': { agree: 1_400, 'false-positive': 0, 'false-negative': 0 },
      }],
    ]);
    expect(out.unsafe).toEqual([]);
  });

  it('with the shortest example of each disagreement (A: one VMA with two entries reads as shared)', () => {
    expect(actionsOf(out.sides[0].examples['smaps-shared']['false-positive'])).toEqual(['uffdio_continue(0,0)', 'fault(0,1)', 'smaps(0)']);
    expect(actionsOf(out.sides[0].examples['mpol-move']['false-negative'])).toEqual(['uffdio_continue(0,0)', 'fault(0,1)', 'mbind(0,0)']);
    expect(out.sides[1].examples['smaps-shared']['false-positive']).toBeNull();
  });

  it('the text report has the table and says which side disagrees where', () => {
    const t = mmcheck('compare', '--model', 'hugetlb-hgm', '--procs', '2', '--set', 'mapcount_policy=A', '--vs', 'mapcount_policy=C', '-q');
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/^ {2}smaps-shared +A +A +3,853 +562 +0$/m);
    expect(t.stdout).toMatch(/^ {2} +B +C +4,415 +0 +0$/m);
    expect(t.stdout).toContain('  A (A): shortest example of a false-positive, 3 steps:');
    expect(lines(t.stdout).slice(-2)).toEqual(['disagreements with the truth: A (A) smaps-shared, mpol-move; B (C) none', 'result: no unsafe disagreement on either side']);
  });
});

describe('scenario files with variants', () => {
  it('run prints one row per variant', () => {
    const r = mmcheck('run', '-q', 'models/scenarios/hgm-fork-overflow+guard-fault.litmus');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^pass +\S+hgm-fork-overflow\+guard-fault\.litmus +fault +refcount-no-overflow +violated +violated /m);
    expect(r.stdout).toMatch(/^pass +\S+hgm-fork-overflow\+guard-fault\.litmus +fault\+fork +refcount-no-overflow +holds +holds /m);
  });
});

describe('bad input: one line, exit 2', () => {
  it.each([
    [['check', '--model', 'hugetlb-hgm', '--set', 'refcount_bits=9'], "mmcheck: unknown variant '9' for --set refcount_bits (known: 3, 4, 5, 6, 7, 8)"],
    [['check', '--model', 'hugetlb-hgm', '--era', 'v4.6'], "mmcheck: model 'hugetlb-hgm' has no option 'era' (--era does not apply to it)"],
    [['check', '--model', 'hugetlb-hgm', '--procs', '5'], 'mmcheck: --procs must be a whole number from 1 to 4 for the hugetlb-hgm model, got 5'],
    [['compare', '--model', 'hugetlb-hgm', '--vs', 'guard=all'], "mmcheck: model hugetlb-hgm compares the decision points mapcount_policy, not 'guard'"],
    [['compare', '--model', 'hugetlb-hgm', '--vs', 'mapcount_policy=A'], 'mmcheck: both sides are mapcount_policy=A: name side A with --set mapcount_policy=<variant>'],
    [['compare', '--model', 'hugetlb-hgm', '--vs', 'mapcount_policy=E'], "mmcheck: unknown mapcount policy 'E' (known: A, B, C, D)"],
    [['compare', '--model', 'hugetlb-hgm', '--set', 'guard=all'], 'mmcheck: compare needs one --vs <point>=<variant>, e.g. --vs mapcount_policy=<variant> (model hugetlb-hgm)'],
  ])('%j', (args, line) => {
    expect(usageErrorLine(mmcheck(...args))).toBe(line);
  });
});
