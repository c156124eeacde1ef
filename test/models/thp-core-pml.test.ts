/**
 * The port of SPIN's reference model (models/reference/thp-core-pml.ts)
 * against SPIN's own table (/work/shared/bench/README.md): the same Promela,
 * so the same states and transitions, less SPIN's init d_step from the
 * all-zero state (one state, two transitions). Its distinct counts are those
 * the thp model's thp-core profile has (thp-spin-alignment.test.ts), and its
 * ERA 2 counterexample is the profile's, step for step.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { search } from '../../src/checker/search.js';
import { covers, labelsOf, unreached, violated, type ThpRun } from '../helpers/thp.js';
import { mmcheck } from '../helpers/cli.js';

async function runPml(era: string, procs: number, subpages: number): Promise<ThpRun> {
  const config = { era, procs, subpages };
  const m = createModel('thp-core-pml', config);
  return { config, m, r: await search(m) };
}

describe.each([
  // era, P, N, SPIN's states stored, SPIN's transitions
  ['v4.5', 2, 4, 295188, 1993012],
  ['v4.6', 2, 2, 455, 2773],
  ['v4.6', 2, 4, 207273, 1429005],
  ['v4.6', 3, 2, 118445, 1112658],
] as const)('thp_core.pml port, era %s, P=%i, N=%i', (era, procs, subpages, spinStates, spinTransitions) => {
  let run: ThpRun;
  beforeAll(async () => void (run = await runPml(era, procs, subpages)));

  it(`has SPIN's ${spinStates} states and ${spinTransitions} transitions, less its init step, exhaustively`, () => {
    expect(run.r.exhaustive).toBe(true);
    expect(run.r.distinct).toBe(spinStates - 1);
    expect(run.r.transitions).toBe(spinTransitions - 2);
  });

  it('holds every assertion of the Promela', () => {
    expect(violated(run)).toEqual([]);
    expect(covers(run.m)).toEqual(['thp-shared', 'double-map']);
    expect(unreached(run)).toEqual([]);
  });
});

describe('thp_core.pml port, era andrea-v1 (ERA 2), P=2, N=4', () => {
  let run: ThpRun;
  beforeAll(async () => void (run = await runPml('andrea-v1', 2, 4)));

  it('violates rmap-integrity and nothing else, over as many states as the thp-core profile', () => {
    expect(violated(run)).toEqual(['rmap-integrity']);
    expect(run.r.distinct).toBe(251491);
  });

  it("by the thp-core profile's shortest trace: fork(0), munmap(0,[0..1]), munmap(1,[2..3]), a write to subpage 0 by mm 1", () => {
    expect(labelsOf(run, 'rmap-integrity')).toEqual(['fork(0)', 'munmap(0,[0..1])', 'munmap(1,[2..3])', 'wp_pte(1,0)']);
  });
});

describe('thp_core.pml port from the CLI', () => {
  it('exits 1 with the counterexample, naming the Promela alternative of each step', () => {
    const r = mmcheck('check', '--model', 'thp-core-pml', '--era', 'andrea-v1', '-q');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('counterexample for rmap-integrity (always), 4 steps');
    expect(r.stdout).toContain('kernel: thp_core.pml MUNMAP_HALF(1, 1)');
    expect(r.stdout).toContain('kernel: thp_core.pml WP_PTE(1, 0)');
  });

  it('counts the same with 2 worker threads (the workers rebuild it from its config)', () => {
    const r = mmcheck('check', '--model', 'thp-core-pml', '--procs', '3', '--subpages', '2', '--workers', '2', '--json', '-q');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).stats).toMatchObject({ distinct: 118444, transitions: 1112656, threads: 2 });
  });

  it('lists its eras, the Promela ERA each is', () => {
    const r = mmcheck('list', 'eras', '--model', 'thp-core-pml');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/:.*/, ''))).toEqual(['v4.5       ERA 1', 'andrea-v1  ERA 2', 'v4.6       ERA 3 (default)']);
  });

  it.each([
    [['--era', 'v5.19'], "unknown era 'v5.19' for thp-core-pml (known: v4.5, andrea-v1, v4.6: thp_core.pml's ERA 1, 2, 3)"],
    [['--procs', '5'], '--procs must be 1..4 for thp-core-pml'],
    [['--subpages', '3'], '--subpages must be 2, 4, 6 or 8 for thp-core-pml'],
    [['--profile', 'thp-core'], "model 'thp-core-pml' has no option 'profile'"],
  ])('rejects %j in one line, exit 2', (args, message) => {
    const r = mmcheck('check', '--model', 'thp-core-pml', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});
