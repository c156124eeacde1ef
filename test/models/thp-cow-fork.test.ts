/**
 * tools/testing/selftests/mm/cow.c "Basic COW after fork()" on a THP, in
 * every era preset: ops read, write, fork; 2 processes; 2 subpages. After
 * fork, whichever side writes, the other keeps reading its old data
 * (private-isolation), and the check is not vacuous (read-checked reached).
 * A deliberately broken variant shows the property can fail: 6.2 with fork
 * not clearing PageAnonExclusive (--set fork_cow=pinned, the 5.9 rule, which
 * never touches the exclusive bit) reuses the still-shared THP on the next
 * write.
 */
import { describe, expect, it } from 'vitest';
import { ERAS } from '../../models/thp/eras.js';
import { createModel } from '../../models/registry.js';
import { firedAlong, labelsOf, runThp, unreached, violated } from '../helpers/thp.js';

const config = (era: string, set?: Record<string, string>) => ({ era, ops: ['read', 'write', 'fork'], subpages: 2, ...(set ? { set } : {}) });

const DISTINCT: Record<string, number> = {
  'v4.5': 2336,
  'andrea-v1': 2336,
  'v4.6': 2336,
  'v4.8': 2336,
  'v5.4': 2336,
  'v5.8': 13515,
  'v5.9': 23691,
  'v5.18': 23691,
  'v5.19': 23691,
  'v6.2': 23691,
};

describe('basic COW after fork, every era', () => {
  it('covers every era `mmcheck list eras` lists', () => {
    expect(Object.keys(DISTINCT)).toEqual(ERAS.map((e) => e.id));
  });

  describe.each(ERAS.map((e) => e.id))('era %s', (era) => {
    it(`holds private-isolation and cow-no-steal over ${DISTINCT[era]} states, with read-checked reached`, async () => {
      const run = await runThp(config(era));
      expect(run.r.exhaustive).toBe(true);
      expect(run.r.distinct).toBe(DISTINCT[era]);
      expect(run.m.properties.map((p) => p.name)).toContain('private-isolation');
      expect(violated(run)).toEqual([]);
      expect(labelsOf(run, 'read-checked')).toEqual(['read(0,0)', 'read(0,0)']);
      expect(labelsOf(run, 'thp-shared')).toEqual(['read(0,0)', 'fork(0)']);
      expect(unreached(run)).not.toContain('read-checked');
    });

    it('the parent writes after fork, the child still reads the old data (and the other way round)', () => {
      const m = createModel('thp', config(era));
      for (const [writer, reader] of [
        [0, 1],
        [1, 0],
      ]) {
        const fired = firedAlong(m, ['write(0,0)', 'fork(0)', `write(${writer},0)`, `read(${reader},0)`, `read(${writer},0)`]);
        // the reads compare with what each side saw: checked, and unchanged
        expect(fired[3]).toContain('read-checked');
        expect(fired[4]).toContain('read-checked');
        expect(fired.flat()).not.toContain('private-isolation');
        expect(fired.flat()).not.toContain('cow-no-steal');
      }
    });
  });
});

describe('a broken variant: fork keeps PageAnonExclusive (v6.2 with --set fork_cow=pinned)', () => {
  it('violates private-isolation, cow-no-steal and anon-exclusive by the shortest traces', async () => {
    const run = await runThp(config('v6.2', { fork_cow: 'pinned' }));
    expect(run.r.exhaustive).toBe(true);
    expect(run.r.distinct).toBe(3488);
    expect(violated(run)).toEqual(['anon-exclusive', 'cow-no-steal', 'private-isolation']);
    // fork shares the PMD but leaves the head exclusive
    expect(labelsOf(run, 'anon-exclusive')).toEqual(['read(0,0)', 'fork(0)']);
    // so the parent's write reuses the shared THP (do_huge_pmd_wp_page: the head is exclusive)
    expect(labelsOf(run, 'cow-no-steal')).toEqual(['read(0,0)', 'fork(0)', 'write(0,0)']);
    // and the child reads the parent's data
    expect(labelsOf(run, 'private-isolation')).toEqual(['read(0,0)', 'fork(0)', 'write(0,0)', 'read(1,0)']);
  });

  it('the same on the PTE path: v5.9 with the 5.19 reuse rule (--set reuse=R519) but 5.9\'s fork', async () => {
    const run = await runThp(config('v5.9', { reuse: 'R519' }));
    expect(run.r.distinct).toBe(7541);
    expect(violated(run)).toEqual(['anon-exclusive', 'cow-no-steal', 'private-isolation']);
    // the PMD is not reused (mapcount 2): it is split, and the retried PTE fault reuses the exclusive subpage
    expect(labelsOf(run, 'cow-no-steal')).toEqual(['read(0,0)', 'fork(0)', 'write(0,0)', 'write(0,0)']);
    expect(labelsOf(run, 'private-isolation')).toEqual(['read(0,0)', 'fork(0)', 'write(0,0)', 'write(0,0)', 'read(1,0)']);
  });
});
