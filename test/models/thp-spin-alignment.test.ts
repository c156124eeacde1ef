/**
 * The thp-core profile against the SPIN reference model
 * (/work/shared/bench/thp_core.pml, table in /work/shared/bench/README.md).
 * SPIN's distinct-state count includes the state before its init d_step,
 * which mmcheck does not have, so every count here is SPIN's minus one:
 *
 *   SPIN ERA  era        P N   SPIN      mmcheck
 *   1         v4.5       2 4   295,188   295,187
 *   3         v4.6       2 2       455       454
 *   3         v4.6       2 4   207,273   207,272
 *   3         v4.6       3 2   118,445   118,444
 *   2         andrea-v1  2 4   rmap integrity violated (SPIN: DFS trail depth 7;
 *                              mmcheck's BFS gives the shortest, 4 steps)
 *
 * Each configuration is searched once (beforeAll) and several things are
 * asserted on the result.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { covers, labelsOf, runThp, unreached, violated, type ThpRun } from '../helpers/thp.js';

const core = (era: string, procs: number, subpages: number) => ({ profile: 'thp-core', era, procs, subpages });

const SPIN_OPS = ['fork', 'munmap', 'split_huge_pmd', 'write'];

describe.each([
  // era, P, N, SPIN's distinct count
  ['v4.5', 2, 4, 295188],
  ['v4.6', 2, 2, 455],
  ['v4.6', 2, 4, 207273],
  ['v4.6', 3, 2, 118445],
] as const)('thp-core era %s, P=%i, N=%i', (era, procs, subpages, spin) => {
  let run: ThpRun;
  beforeAll(async () => void (run = await runThp(core(era, procs, subpages))));

  it(`has SPIN's ${spin} distinct states minus the pre-init state, exhaustively`, () => {
    expect(run.r.exhaustive).toBe(true);
    expect(run.r.cut).toBeNull();
    expect(run.r.distinct).toBe(spin - 1);
  });

  it('runs the SPIN world: the SPIN ops, a PMD-mapped THP in mm0 at the start, PMD COW by split, no content tokens', () => {
    const s = run.m.summary as { ops: string[]; thps: number; flags: Record<string, string>; profile: string };
    expect(s.profile).toBe('thp-core');
    expect([...s.ops].sort()).toEqual([...SPIN_OPS].sort());
    expect(s.thps).toBe(1);
    expect(s.flags.pmd_cow).toBe('split');
    expect(s.flags.pmd_reuse_rmap).toBe('move');
    expect(run.m.properties.map((p) => p.name)).not.toContain('private-isolation');
    // the initial state already satisfies thp-pmd-mapped
    expect(labelsOf(run, 'thp-pmd-mapped')).toEqual([]);
    expect(labelsOf(run, 'thp-shared')).toEqual(['fork(0)']);
  });

  it('holds every safety property', () => {
    expect(violated(run)).toEqual([]);
  });

  it(era === 'v4.5' ? 'reaches every cover but a THP subpage reuse, which 4.5 never does' : 'reaches every cover', () => {
    expect(covers(run.m)).toEqual(['thp-pmd-mapped', 'thp-pte-mapped', 'thp-shared', 'thp-doublemap', 'cow-reuse-thp-subpage']);
    expect(unreached(run)).toEqual(era === 'v4.5' ? ['cow-reuse-thp-subpage'] : []);
    expect(labelsOf(run, 'thp-doublemap')).toEqual(['fork(0)', 'write(0,0)']);
  });
});

describe('thp-core era andrea-v1 (SPIN ERA=2), P=2, N=4', () => {
  let run: ThpRun;
  beforeAll(async () => void (run = await runThp(core('andrea-v1', 2, 4))));

  it('violates rmap-integrity and nothing else', () => {
    expect(run.r.exhaustive).toBe(true);
    expect(violated(run)).toEqual(['rmap-integrity']);
    expect(run.r.distinct).toBe(251491);
  });

  it('by the shortest trace fork(0), munmap(0,[0..1]), munmap(1,[2..3]), write(1,0)', () => {
    expect(labelsOf(run, 'rmap-integrity')).toEqual(['fork(0)', 'munmap(0,[0..1])', 'munmap(1,[2..3])', 'write(1,0)']);
  });
});
