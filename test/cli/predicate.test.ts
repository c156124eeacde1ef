/**
 * --predicate and `mmcheck compare` through the real binary (issue 4): a user's
 * predicate file anywhere on disk, its failures as one line and exit 2, and
 * compare's pinned scores for seed 000's two candidates.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mmcheck, usageErrorLine } from '../helpers/cli.js';

const FIX = 'test/fixtures/predicates';
const SHMEM = ['--profile', 'shmem', '--era', 'v5.4', '-q', '--json'];

interface Side {
  side: string;
  variant: string;
  counts: Record<string, number>;
  examples: Record<string, { steps: { action: string; args: Record<string, unknown> }[] } | null>;
}
const steps = (t: Side['examples'][string]) => t && t.steps.map((s) => `${s.action}(${Object.values(s.args).join(',')})`);

describe('mmcheck compare kvm_huge=TCM_yang_v1 vs TCM_hugh (seed 000)', () => {
  const r = mmcheck('compare', '--set', 'kvm_huge=TCM_yang_v1', '--vs', 'kvm_huge=TCM_hugh', '-q', '--json');
  const out = JSON.parse(r.stdout) as { exhaustive: boolean; evaluations: number; unsafe: boolean; sides: Side[]; era: string; config: { profile: string } };

  it('explores the shmem world of 5.4 by default, exhaustively, and exits 0 (no false positive)', () => {
    expect(r.status).toBe(0);
    expect(out.exhaustive).toBe(true);
    expect(out.era).toBe('v5.4');
    expect(out.config.profile).toBe('shmem');
    expect(out.unsafe).toBe(false);
    expect(out.evaluations).toBe(456);
  });

  it('scores both sides: no false positive; Yang Shi v1 misses 2M more often, and also where no PTE maps the THP (sticky PageDoubleMap)', () => {
    expect(out.sides.map((s) => [s.variant, s.counts])).toEqual([
      ['TCM_yang_v1', { agree: 384, 'false-positive': 0, 'false-negative': 72, 'false-negative-stale': 24 }],
      ['TCM_hugh', { agree: 440, 'false-positive': 0, 'false-negative': 16, 'false-negative-stale': 0 }],
    ]);
  });

  it('the example traces show why: a second mm PTE-maps a subpage (and unmaps it again, for the sticky case)', () => {
    const [a, b] = out.sides as [Side, Side];
    expect(steps(a.examples['false-positive']!)).toBeNull();
    expect(steps(a.examples['false-negative-stale']!)).toEqual(['fork(0)', 'munmap(1,[0..1])', 'read(1,2)', 'munmap(1,[2..3])', 'kvm_page_fault(0)', 'hva_to_pfn()', 'kvm_map()']);
    // Hugh's misses only the subpage another mm PTE-maps right now
    expect(steps(b.examples['false-negative']!)).toEqual(['fork(0)', 'munmap(1,[0..1])', 'read(1,2)', 'kvm_page_fault(2)', 'hva_to_pfn()', 'kvm_map()']);
    expect(b.examples['false-negative-stale']).toBeNull();
  });

  it('text output: the score table and a verdict line', () => {
    const t = mmcheck('compare', '--set', 'kvm_huge=TCM_yang_v1', '--vs', 'kvm_huge=TCM_hugh', '-q');
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/^ {2}A {5}TCM_yang_v1 +384 +0 +72 +24$/m);
    expect(t.stdout).toMatch(/^ {2}B {5}TCM_hugh +440 +0 +16 +0$/m);
    expect(t.stdout).toContain('B (TCM_hugh): never a false negative while no PTE maps the THP anywhere');
    expect(t.stdout.trimEnd().split('\n').pop()).toBe('result: no false positive on either side');
  });

  it('an unsafe side exits 1 and says which', () => {
    const t = mmcheck('compare', '--profile', 'shmem', '--era', 'v4.8', '--set', 'kvm_huge=TC', '--vs', 'kvm_huge=TCM_hugh', '-q');
    expect(t.status).toBe(1);
    expect(t.stdout.trimEnd().split('\n').pop()).toBe('result: UNSAFE: side A would map 2M over something else');
  });

  it.each([
    [[], 'mmcheck: compare needs one --vs <hook>=<variant or file>, e.g. --vs kvm_huge=TCM_hugh'],
    [['--vs', 'reuse=R46'], "mmcheck: compare knows the decision points kvm_huge, not 'reuse'"],
    [['--vs', 'kvm_huge=TCM_bogus'], "mmcheck: unknown kvm_huge predicate 'TCM_bogus' (built-in: TC, TCM_orig, TCM_yang_v1, TCM_hugh, HOSTWALK; or --predicate kvm_huge=FILE.ts)"],
  ])('bad input %j: one line, exit 2', (args, line) => {
    expect(usageErrorLine(mmcheck('compare', ...args))).toBe(line);
  });
});

describe('--predicate kvm_huge=FILE', () => {
  it('a predicate file copied anywhere on disk gives the built-in formula\'s counts and verdicts, with check and compare', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmcheck-pred-'));
    const file = join(dir, 'mine.ts');
    copyFileSync('models/thp/predicates/tcm_hugh.ts', file);
    const mine = JSON.parse(mmcheck('check', ...SHMEM, '--predicate', `kvm_huge=${file}`).stdout);
    const builtin = JSON.parse(mmcheck('check', ...SHMEM, '--set', 'kvm_huge=TCM_hugh').stdout);
    expect(mine.stats.distinct).toBe(5_257);
    expect(mine.stats.distinct).toBe(builtin.stats.distinct);
    expect(mine.properties.map((p: { status: string }) => p.status)).toEqual(builtin.properties.map((p: { status: string }) => p.status));
    const cmp = JSON.parse(mmcheck('compare', '--predicate', `kvm_huge=${file}`, '--vs', 'kvm_huge=TCM_hugh', '-q', '--json').stdout);
    expect(cmp.sides[0].counts).toEqual(cmp.sides[1].counts);
  });

  it('2 workers load the file too and agree with 1', () => {
    const w1 = JSON.parse(mmcheck('check', ...SHMEM, '--predicate', 'kvm_huge=models/thp/predicates/tcm_hugh.ts').stdout);
    const w2 = JSON.parse(mmcheck('check', ...SHMEM, '--predicate', 'kvm_huge=models/thp/predicates/tcm_hugh.ts', '--workers', '2').stdout);
    expect(w2.stats.distinct).toBe(w1.stats.distinct);
    expect(w2.stats.transitions).toBe(w1.stats.transitions);
  });

  it('the README\'s deliberately wrong predicate: 2M whenever some PMD maps the THP is broken by a fork and a munmap', () => {
    const r = mmcheck('check', '--era', 'v4.6', '--ops', 'write,fork,munmap,kvm', '--predicate', 'kvm_huge=models/thp/predicates/pmd_mapped_somewhere.ts', '-q', '--json');
    expect(r.status).toBe(1);
    const rep = JSON.parse(r.stdout);
    expect(rep.violated).toEqual(['ept-coherence']);
    const t = rep.properties.find((p: { name: string }) => p.name === 'ept-coherence').trace;
    expect(steps(t)).toEqual(['write(0,0)', 'fork(0)', 'munmap(0,[0..1])', 'kvm_page_fault(2)', 'hva_to_pfn()', 'kvm_map()']);
    expect(t.why).toBe('the 2M EPT leaf over F0 maps gfn 0 to F0[0], but mm0 maps nothing at hva(gfn 0) = subpage 0: guest and host see different memory');
  });

  const abs = (f: string) => join(process.cwd(), FIX, f);
  it.each([
    ['throws.ts', (f: string) => `mmcheck: --predicate kvm_huge=${f} threw on F0[0]: no idea about subpage 0`],
    ['syntax.ts', (f: string) => `mmcheck: --predicate kvm_huge=${f}: line 2: Unexpected "&&"`],
    ['no-function.ts', (f: string) => `mmcheck: --predicate kvm_huge=${f}: it exports no function (export default function (page: PageView): boolean { ... })`],
    ['not-boolean.js', (f: string) => `mmcheck: --predicate kvm_huge=${f} returned 1 on F0[0], not a boolean`],
    ['load-throws.ts', (f: string) => `mmcheck: --predicate kvm_huge=${f}: it threw while loading: SyntaxError: Expected property name or '}' in JSON at position 1`],
    ['missing.ts', (f: string) => `mmcheck: --predicate kvm_huge=${f}: cannot read it (ENOENT)`],
  ])('%s: one line, exit 2, no stack trace', (name, line) => {
    expect(usageErrorLine(mmcheck('check', ...SHMEM, '--predicate', `kvm_huge=${FIX}/${name}`))).toBe(line(abs(name)));
  });

  it('a predicate that throws inside a worker thread is the same one line', () => {
    expect(usageErrorLine(mmcheck('check', ...SHMEM, '--workers', '2', '--predicate', `kvm_huge=${FIX}/throws.ts`))).toBe(
      `mmcheck: --predicate kvm_huge=${abs('throws.ts')} threw on F0[0]: no idea about subpage 0`,
    );
  });

  it('--set and --predicate of the same hook, or an unknown hook, are refused', () => {
    expect(usageErrorLine(mmcheck('check', ...SHMEM, '--set', 'kvm_huge=TC', '--predicate', `kvm_huge=${FIX}/throws.ts`))).toBe('mmcheck: --set kvm_huge and --predicate kvm_huge both given: choose one');
    expect(usageErrorLine(mmcheck('check', ...SHMEM, '--predicate', `reuse=${FIX}/throws.ts`))).toBe("mmcheck: unknown predicate hook 'reuse' in --predicate (known: kvm_huge)");
  });
});
