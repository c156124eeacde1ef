/**
 * The THP model's default configuration (procs 2, subpages 4, ops write, fork,
 * munmap, split_huge_pmd, ranges=halves) in every correct era preset: pinned
 * distinct-state counts, exhaustive, no safety property violated, every cover
 * reached (4.5 excepted: it never reuses a THP subpage on COW, by design,
 * spec §4.2.1), and the shortest witness of a THP subpage reuse per era.
 * andrea-v1 (seed 004's draft) is in regressions/seed004-page-move-anon-rmap.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { COVER_POINTS } from '../../models/thp/coverage.js';
import { labelsOf, runThp, unreached, violated, type ThpRun } from '../helpers/thp.js';

interface EraCase {
  era: string;
  distinct: number;
  transitions: number;
  /** shortest witness of cow-reuse-thp-subpage, null where the era never reuses */
  reuse: string[] | null;
  doublemap: boolean;
}

const CASES: EraCase[] = [
  { era: 'v4.5', distinct: 296879, transitions: 1812267, reuse: null, doublemap: true },
  { era: 'v4.6', distinct: 203769, transitions: 1272283, reuse: ['write(0,0)', 'fork(0)', 'write(0,0)', 'munmap(1,[0..1])', 'write(1,2)'], doublemap: true },
  { era: 'v5.8', distinct: 202209, transitions: 1262297, reuse: ['write(0,0)', 'fork(0)', 'write(0,0)', 'munmap(1,[0..3])', 'write(0,0)'], doublemap: true },
  { era: 'v5.9', distinct: 296095, transitions: 1807233, reuse: ['write(0,0)', 'fork(0)', 'munmap(0,[0..1])', 'write(0,2)', 'munmap(1,[0..3])', 'write(0,3)'], doublemap: true },
  { era: 'v5.18', distinct: 296095, transitions: 1807233, reuse: ['write(0,0)', 'fork(0)', 'munmap(0,[0..1])', 'write(0,2)', 'munmap(1,[0..3])', 'write(0,3)'], doublemap: true },
  { era: 'v5.19', distinct: 296189, transitions: 1807693, reuse: ['write(0,0)', 'fork(0)', 'munmap(0,[0..1])', 'write(0,2)', 'munmap(1,[0..3])', 'write(0,3)'], doublemap: true },
  { era: 'v6.2', distinct: 296185, transitions: 1807669, reuse: ['write(0,0)', 'fork(0)', 'munmap(0,[0..1])', 'write(0,2)', 'munmap(1,[0..3])', 'write(0,3)'], doublemap: false },
];

const point = (run: ThpRun, name: string) => run.r.coverage[COVER_POINTS.indexOf(name)]!;

describe.each(CASES)('default config, era $era', (c) => {
  let run: ThpRun;
  beforeAll(async () => void (run = await runThp({ era: c.era })));

  it(`is exhaustive with ${c.distinct} distinct states`, () => {
    expect(run.r.exhaustive).toBe(true);
    expect(run.r.cut).toBeNull();
    expect(run.r.distinct).toBe(c.distinct);
    expect(run.r.transitions).toBe(c.transitions);
    expect(run.m.summary).toMatchObject({ era: c.era, profile: 'full', procs: 2, subpages: 4, ranges: 'halves' });
  });

  it('violates no always, action or kernel-assertion property', () => {
    expect(run.r.checked.every(Boolean)).toBe(true);
    expect(violated(run)).toEqual([]);
  });

  it(c.reuse ? 'reaches every cover' : 'reaches every cover but cow-reuse-thp-subpage (4.5 never reuses a THP subpage)', () => {
    expect(unreached(run)).toEqual(c.reuse ? [] : ['cow-reuse-thp-subpage']);
    expect(labelsOf(run, 'thp-pmd-mapped')).toEqual(['write(0,0)']);
    expect(labelsOf(run, 'thp-shared')).toEqual(['write(0,0)', 'fork(0)']);
    expect(labelsOf(run, 'thp-pte-mapped')).toEqual(['write(0,0)', 'munmap(0,[0..1])']);
    expect(labelsOf(run, 'cow-reuse-thp-subpage')).toEqual(c.reuse);
    expect(point(run, 'do_wp_page: reuse THP subpage') > 0).toBe(c.reuse !== null);
  });

  it(c.doublemap ? 'uses PageDoubleMap (4.5-6.1)' : 'has no PageDoubleMap (6.2+: entire_mapcount, nr_pages_mapped)', () => {
    expect(run.m.properties.some((p) => p.name === 'thp-doublemap')).toBe(c.doublemap);
    expect(point(run, '__split_huge_pmd: set PageDoubleMap') > 0).toBe(c.doublemap);
    expect(point(run, '__split_huge_pmd: clear PageDoubleMap') > 0).toBe(c.doublemap);
    const fields = run.m.layout.table.map((f) => f.name);
    expect(fields.includes('F0.PageDoubleMap')).toBe(c.doublemap);
    expect(fields.includes('F0._nr_pages_mapped')).toBe(!c.doublemap);
  });

  it('takes the era\'s PMD COW path: copy a new THP up to 5.7, split and fall back from 5.8', () => {
    const copies = ['v4.5', 'v4.6'].includes(c.era);
    expect(point(run, 'do_huge_pmd_wp_page: copy to a new THP') > 0).toBe(copies);
    expect(point(run, 'do_huge_pmd_wp_page: split PMD and fall back') > 0).toBe(!copies);
  });
});
