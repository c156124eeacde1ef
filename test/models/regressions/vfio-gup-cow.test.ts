/**
 * Regression: a long-term writable GUP pin (vfio, RDMA) loses coherence with
 * the process's mapping when a later write fault on a THP subpage copies
 * instead of reusing (seed 004; spec §7 S3).
 *
 *  - 4.5: a PTE-mapped THP subpage is never reused on COW, so after
 *    mprotect(PROT_READ) splits the PMD and mprotect(PROT_READ|PROT_WRITE)
 *    restores VM_WRITE (but not the PTE's write bit), the next write copies
 *    away from the pinned page. Fixed by 6d0a07edd17c (v4.6: reuse when
 *    page_trans_huge_mapcount() <= 1, "so page pinning will not get broken by
 *    false positive copy-on-writes").
 *  - 5.9-5.18: 09854ba94c6a reuses only when page_count() == 1; the pin is a
 *    reference, so the same steps copy again. Fixed by the PageAnonExclusive
 *    series 6c287605fd56 (5.19: an exclusive page is reused whatever its
 *    refcount).
 *
 * Configuration: ops write, pin_user_pages_lt_w, mprotect; one process; one
 * GUP reference slot; 4 subpages.
 */
import { describe, expect, it } from 'vitest';
import { buildTrace } from '../../../src/checker/trace.js';
import { finding } from '../../helpers/paths.js';
import { createModel } from '../../../models/registry.js';
import { firedAlong, firesIn, labelsOf, runThp, stateAfter, violated } from '../../helpers/thp.js';

const config = (era: string) => ({ era, ops: ['write', 'pin_user_pages_lt_w', 'mprotect'], procs: 1, bounds: { refs: '1' } });

const TRACE = ['pin_user_pages_lt_w(0,0)', 'mprotect_ro(0,[0..1])', 'mprotect_rw(0,[0..1])', 'write(0,0)'];

describe.each([
  // era, distinct, violates pin-coherence
  ['v4.5', 13459, true],
  ['andrea-v1', 4968, false],
  ['v4.6', 4968, false],
  ['v5.8', 4968, false],
  ['v5.9', 19055, true],
  ['v5.18', 19055, true],
  ['v5.19', 4968, false],
  ['v6.2', 4968, false],
] as const)('vfio pin then mprotect R/O, R/W and write, era %s', (era, distinct, broken) => {
  it(broken ? 'violates pin-coherence (only) by pin, mprotect_ro, mprotect_rw, write' : 'holds pin-coherence and every other safety property', async () => {
    const run = await runThp(config(era));
    expect(run.r.exhaustive).toBe(true);
    expect(run.r.distinct).toBe(distinct);
    expect(violated(run)).toEqual(broken ? ['pin-coherence'] : []);
    // the situation is reached either way: a long-term pin held over a mapped address
    expect(labelsOf(run, 'longterm-pin-held')).toEqual(['pin_user_pages_lt_w(0,0)']);
    if (!broken) {
      expect(labelsOf(run, 'pin-coherence')).toBeNull();
      // the shortest THP subpage reuse is the same dance without the pin
      expect(labelsOf(run, 'cow-reuse-thp-subpage')).toEqual(['write(0,0)', 'mprotect_ro(0,[0..1])', 'mprotect_rw(0,[0..1])', 'write(0,0)']);
      return;
    }
    expect(labelsOf(run, 'pin-coherence')).toEqual(TRACE);
    const t = buildTrace(run.m, config(era), 'pin-coherence', finding(run.m, run.r.findings, 'pin-coherence')!);
    expect(t.steps.map((s) => s.branches)).toEqual([
      ['do_huge_pmd_anonymous_page', 'follow_page: take reference'],
      ['mprotect: write-protect', '__split_huge_pmd'],
      ['mprotect: allow write'],
      ['do_wp_page: copy (wp_page_copy)'],
    ]);
    expect(t.why).toBe('mm0 holds long-term gup0 on F0[0] taken at subpage 0, but its mapping there now maps S0: the device and the process see different pages');
  });
});

describe('the fixed eras on the same steps', () => {
  it.each(['andrea-v1', 'v4.6', 'v5.8', 'v5.19', 'v6.2'])('%s reuses the pinned subpage at the last write', (era) => {
    const m = createModel('thp', config(era));
    expect(firedAlong(m, TRACE)).toEqual([[], [], [], ['cow-reuse-thp-subpage']]);
    expect(firesIn(m, 'pin-coherence', stateAfter(m, TRACE))).toBe(false);
  });

  it.each(['v4.5', 'v5.9', 'v5.18'])('%s copies at the last write, and the pin no longer matches', (era) => {
    const m = createModel('thp', config(era));
    expect(firedAlong(m, TRACE)).toEqual([[], [], [], []]);
    expect(firesIn(m, 'pin-coherence', stateAfter(m, TRACE.slice(0, -1)))).toBe(false);
    expect(firesIn(m, 'pin-coherence', stateAfter(m, TRACE))).toBe(true);
  });
});
