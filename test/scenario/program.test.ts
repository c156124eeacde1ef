/**
 * The scenario wrapper model: state counts small enough to count by hand,
 * agreement with the independent naive oracle, fork's slot assignment, the
 * VM_FAULT_FALLBACK retry, blocked processes, and rebuilding in workers.
 */
import { describe, expect, it } from 'vitest';
import { createModel, modelEntry } from '../../models/registry.js';
import { search } from '../../src/checker/search.js';
import { buildTrace } from '../../src/checker/trace.js';
import type { Model } from '../../src/model.js';
import { compileScenario, type CompiledScenario, type ModelSource } from '../../src/scenario/compile.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { createScenarioModel, normArg } from '../../src/scenario/program.js';
import { runScenario } from '../../src/scenario/runner.js';
import { oracle } from '../helpers/oracle.js';
import { finding, pathLabels } from '../helpers/paths.js';

const models: ModelSource = { entry: modelEntry, create: createModel };

function compile(text: string): CompiledScenario {
  return compileScenario(parseScenario('t.litmus', text), models);
}

function wrapper(text: string, era = 0): Model {
  return createScenarioModel(compile(text).eras[era]!.program, createModel);
}

/**
 * Two processes over the counters fixture (no fork there: both start at once).
 * P0 runs inc(0) twice, P1 inc(1) once; the counters follow the program
 * counters, so the states are the 3 x 2 pairs (pc0, pc1): 6 distinct, and
 * 7 transitions (2 from (0,0) and (1,0), 1 from (2,0), (0,1), (1,1), 0 from (2,1)).
 */
const COUNTERS = `MM COUNTERS
(*
 * Result: Never
 * Result: Always property=condition
 *)
{ model=counters; procs=2; max=2; }
P0 { inc(0); inc(0); }
P1 { inc(1); }
check not-all-max
exists (c[0] = 2 /\\ c[1] = 1)
`;

/** THP: fault, fork, the child writes: a chain of 4 states and 3 transitions. */
const CHAIN = `MM CHAIN
(*
 * Result: Never
 *)
{ subpages=2; }
P0 { write(0); fork(P1); }
P1 { write(1); }
era v4.6
check rmap-integrity
`;

describe('state counts by hand', () => {
  it('counters: 6 states, 7 transitions, the condition holds on the one final state', async () => {
    const m = wrapper(COUNTERS);
    const r = await search(m);
    expect(r.exhaustive).toBe(true);
    expect(r.distinct).toBe(6);
    expect(r.transitions).toBe(7);
    expect(r.depth).toBe(3);
    expect(finding(m, r.findings, 'not-all-max')).toBeNull();
    // bfs meets the final state first from (2,0), the first state of level 2
    expect(pathLabels(m, finding(m, r.findings, 'final'))).toEqual(['inc(P0,0)', 'inc(P0,0)', 'inc(P1,1)']);
    expect(finding(m, r.findings, 'condition')).not.toBeNull();
    expect(finding(m, r.findings, 'condition-false')).toBeNull();
    expect(finding(m, r.findings, 'blocked')).toBeNull();
    // the naive oracle (decoded-JSON states, its own BFS) agrees
    const o = oracle(m);
    expect([o.distinct, o.transitions, o.maxDistance]).toEqual([6, 7, 3]);
  });

  it('counters: the alphabet is one action per statement, each describing its process', () => {
    const m = wrapper(COUNTERS);
    expect(m.actionCount).toBe(3);
    expect([0, 1, 2].map((a) => m.describe(a))).toEqual([
      { name: 'inc', args: { actor: 'P0', i: 0 }, kernel: 'fixture' },
      { name: 'inc', args: { actor: 'P0', i: 0 }, kernel: 'fixture' },
      { name: 'inc', args: { actor: 'P1', i: 1 }, kernel: 'fixture' },
    ]);
    // the decoded view: the inner fields, then where each process stands
    expect(m.decode(m.initStates()[0]!).toObject()).toEqual({ 'c[0]': 0, 'c[1]': 0, 'P0.mm': 'mm0', 'P0.next': '#1 inc(0)', 'P1.mm': 'mm1', 'P1.next': '#1 inc(1)' });
  });

  it('THP chain: 4 states, 3 transitions; the child runs on mm1', async () => {
    const m = wrapper(CHAIN);
    const r = await search(m);
    expect([r.distinct, r.transitions, r.depth]).toEqual([4, 3, 3]);
    const p = finding(m, r.findings, 'final')!;
    const t = buildTrace(m, {}, 'final', p);
    expect(t.steps.map((s) => `${s.action}(${Object.entries(s.args).map(([k, v]) => `${k}=${v}`).join(', ')})`)).toEqual([
      'write(actor=P0, mm=0, addr=0)',
      'fork(actor=P0, mm=0, child=P1)',
      'write(actor=P1, mm=1, addr=1)',
    ]);
    expect(t.final['P1.mm']).toBe('mm1');
    expect(t.final['P0.next']).toBe('done');
    const o = oracle(m);
    expect([o.distinct, o.transitions]).toEqual([4, 3]);
  });

  it('THP, two processes interleaving after the fork: the oracle agrees with bfs in every era', async () => {
    const text = `MM INTERLEAVE
(*
 * Result: Never
 *)
{ subpages=2; }
P0 { write(0); fork(P1); write(0); munmap(1); }
P1 { write(1); read(0); }
era v4.5 v4.6 v5.8 v5.19
check rmap-integrity
`;
    for (let e = 0; e < 4; e++) {
      const m = wrapper(text, e);
      const r = await search(m);
      const o = oracle(m);
      expect([r.distinct, r.transitions]).toEqual([o.distinct, o.transitions]);
      // at least the 3 x 3 grid of program counters after the fork, plus the 2 states before it
      expect(r.distinct).toBeGreaterThanOrEqual(2 + 9);
    }
  });
});

describe('fork, retry, blocking', () => {
  it('a child takes the lowest mm slot not yet taken: P2 and P3 get mm2 or mm3 by the order of their forks', async () => {
    const c = compile(`MM FORKS
(*
 * Result: Never
 * Result: Sometimes property=condition
 *)
{ subpages=2; }
P0 { write(0); fork(P1); fork(P2); }
P1 { fork(P3); }
P2 { write(1); }
P3 { write(1); }
era v4.6
check rmap-integrity
exists (mm2.anon_vma_chain = {av0,av1,av2})
`);
    // P3 on mm2 (P1 forked first) is one of the outcomes; the anon_vma chains show who forked whom on either slot
    const [cond] = (await runScenario(c, { create: createModel })).filter((r) => r.check === 'condition');
    expect(cond!.observed).toBe('Sometimes');
    const consistent = compile(`MM FORKS2
(*
 * Result: Never
 *)
{ subpages=2; }
P0 { write(0); fork(P1); fork(P2); }
P1 { fork(P3); }
P2 { write(1); }
P3 { write(1); }
era v4.6
exists ((P2.anon_vma_chain <> {av0,av2} /\\ P2.anon_vma_chain <> {av0,av3}) \\/ (P3.anon_vma_chain <> {av0,av1,av2} /\\ P3.anon_vma_chain <> {av0,av1,av3}))
`);
    const rs = await runScenario(consistent, { create: createModel });
    expect(rs.map((r) => [r.observed, r.pass])).toEqual([['Never', true]]);
  });

  it('VM_FAULT_FALLBACK: a write on a shared huge PMD (5.8+) splits and the same statement runs again', async () => {
    const m = wrapper(`MM FALLBACK
(*
 * Result: Never
 *)
{ subpages=2; }
P0 { write(0); fork(P1); write(0); }
P1 { }
era v5.8
check rmap-integrity
`);
    const r = await search(m);
    const t = buildTrace(m, {}, 'final', finding(m, r.findings, 'final')!);
    expect(t.steps.map((s) => s.action)).toEqual(['write', 'fork', 'write', 'write']);
    expect(t.steps[2]!.branches).toContain('do_huge_pmd_wp_page: split PMD and fall back');
    // the first try leaves P0 at its third statement; the retry completes it
    expect(t.steps[2]!.changes.some((c) => c.field === 'P0.next')).toBe(false);
    expect(t.steps[3]!.changes.find((c) => c.field === 'P0.next')).toEqual({ field: 'P0.next', from: '#3 write(0)', to: 'done' });
  });

  it('a statement that can never run blocks its process: no final state, and the blocked witness says where', async () => {
    const c = compile(`MM BLOCKED
(*
 * Result: Never
 *)
{ subpages=2; }
P0 { write(0); fork(P1); }
P1 { munmap(0..1); write(0); }
era v4.6
check rmap-integrity
exists (F0.mapping = av1)
`);
    const rs = await runScenario(c, { create: createModel });
    expect(rs.map((r) => [r.check, r.observed, r.pass])).toEqual([
      ['rmap-integrity', 'blocked', false],
      ['condition', 'blocked', false],
    ]);
    expect(rs[0]!.message).toBe(
      'era v4.6, property rmap-integrity: expected holds, observed blocked: no interleaving runs every process to the end (first blocked state: P1 at write(0)) (Result line 3)',
    );
    expect(rs[0]!.trace!.property).toBe('blocked');
  });

  it('the scenario model is rebuilt from its JSON spec (as workers do), and 2 workers give the same results', async () => {
    const c = compile(CHAIN);
    const spec = JSON.parse(JSON.stringify({ program: c.eras[0]!.program }));
    const rebuilt = createModel('scenario', spec);
    const local = wrapper(CHAIN);
    expect(rebuilt.actionCount).toBe(local.actionCount);
    expect(rebuilt.properties.map((p) => p.name)).toEqual(local.properties.map((p) => p.name));
    const strip = (rs: Awaited<ReturnType<typeof runScenario>>) => rs.map(({ seconds: _s, ...rest }) => rest);
    const one = await runScenario(c, { create: createModel, workers: 1 });
    const two = await runScenario(c, { create: createModel, workers: 2 });
    expect(strip(two)).toEqual(strip(one));
  });

  it('the scenario model needs a program', () => {
    expect(() => createModel('scenario', {})).toThrow(/use `mmcheck run FILE\.litmus`/);
  });

  it('normArg: ranges as the model names them and as a statement writes them compare equal', () => {
    expect(['[2..3]', '2..3', ' 2 .. 3 ', '[2]', '2..2', '02', 'F0', 'gup1'].map(normArg)).toEqual(['2..3', '2..3', '2..3', '2', '2', '2', 'F0', 'gup1']);
  });
});
