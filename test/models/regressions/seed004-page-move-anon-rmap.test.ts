/**
 * Regression: seed 004, the first posting of 6d0a07edd17c
 * ("mm: thp: calculate the mapcount correctly for THP pages during WP faults", v4.6).
 *
 * The draft (era andrea-v1, reuse rule R_andrea_draft) reused a PTE-mapped THP
 * subpage when page_trans_huge_mapcount() <= 1 and then called
 * page_move_anon_rmap() on the whole THP unconditionally. When another mm
 * still maps a *different* subpage of the same THP, the folio's anon_vma moves
 * to the writer's, which the other mm's chain does not contain: rmap walks
 * (migration, reclaim, split) miss it. 6d0a07edd17c as merged (era v4.6) moves
 * the anon_vma only if total_mapcount() == 1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTrace, type Trace } from '../../../src/checker/trace.js';
import { createModel } from '../../../models/registry.js';
import { finding } from '../../helpers/paths.js';
import { firedAlong, firesIn, labelsOf, runThp, stateAfter, violated, type ThpRun } from '../../helpers/thp.js';

const TRACE = ['write(0,0)', 'fork(0)', 'munmap(0,[0..1])', 'munmap(1,[2..3])', 'write(1,0)'];

describe('andrea-v1, default config (procs 2, subpages 4)', () => {
  let run: ThpRun;
  let t: Trace;
  beforeAll(async () => {
    run = await runThp({ era: 'andrea-v1' });
    t = buildTrace(run.m, { era: 'andrea-v1' }, 'rmap-integrity', finding(run.m, run.r.findings, 'rmap-integrity')!);
  });

  it('is exhaustive with 247796 distinct states and violates rmap-integrity only', () => {
    expect(run.r.exhaustive).toBe(true);
    expect(run.r.distinct).toBe(247796);
    expect(violated(run)).toEqual(['rmap-integrity']);
  });

  it('by the 5-step shortest trace: fault, fork, each mm unmaps a different half, the child writes', () => {
    expect(labelsOf(run, 'rmap-integrity')).toEqual(TRACE);
    expect(t.steps.map((s) => [s.action, s.args])).toEqual([
      ['write', { mm: 0, addr: 0 }],
      ['fork', { mm: 0 }],
      ['munmap', { mm: 0, range: '[0..1]' }],
      ['munmap', { mm: 1, range: '[2..3]' }],
      ['write', { mm: 1, addr: 0 }],
    ]);
  });

  it('the last step reuses a THP subpage and moves the whole THP\'s anon_vma to the writer', () => {
    const last = t.steps.at(-1)!;
    expect(last.branches).toEqual(['do_wp_page: reuse THP subpage', 'page_move_anon_rmap']);
    expect(last.fired).toEqual(['cow-reuse-thp-subpage']);
    expect(last.changes).toContainEqual({ field: 'F0.mapping', from: 'av0', to: 'av1' });
    // the two munmaps split both PMDs: DoubleMap is set, then cleared with the last PMD
    expect(t.steps[2]!.branches).toContain('__split_huge_pmd: set PageDoubleMap');
    expect(t.steps[3]!.branches).toContain('__split_huge_pmd: clear PageDoubleMap');
  });

  it('explains the violation: mm0 still maps the THP, whose mapping av1 is not on mm0\'s chain', () => {
    expect(t.kind).toBe('always');
    expect(t.why).toBeDefined();
    expect(t.why).toContain('mm0');
    expect(t.why).toContain('av1');
    expect(t.why).toContain('{av0}');
    expect(t.final['mm0.anon_vma_chain']).toBe('{av0}');
    expect(t.final['F0.mapping']).toBe('av1');
  });
});

describe('6d0a07edd17c as merged (v4.6)', () => {
  it('the same steps reuse the subpage but keep the anon_vma, and rmap-integrity holds', () => {
    const m = createModel('thp', { era: 'v4.6' });
    const fired = firedAlong(m, TRACE);
    expect(fired.at(-1)).toEqual(['cow-reuse-thp-subpage']);
    const s = stateAfter(m, TRACE);
    expect(firesIn(m, 'rmap-integrity', s)).toBe(false);
    expect(m.decode(s).get('F0.mapping')).toBe('av0');
  });

  it('v4.6 with --set reuse=R_andrea_draft is the draft again', () => {
    const m = createModel('thp', { era: 'v4.6', set: { reuse: 'R_andrea_draft' } });
    expect(firesIn(m, 'rmap-integrity', stateAfter(m, TRACE))).toBe(true);
    expect(firesIn(m, 'rmap-integrity', stateAfter(m, TRACE.slice(0, -1)))).toBe(false);
  });
});
