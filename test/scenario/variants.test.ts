/**
 * Scenario variant lines (one file, several configurations, Result lines per
 * variant), a scenario over the hugetlb-hgm model, a two-step fork whose
 * statement runs twice keeping its child's slot, and the pinned verdicts of
 * the hgm-*.litmus corpus files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModel, modelEntry } from '../../models/registry.js';
import { compileScenario, type ModelSource } from '../../src/scenario/compile.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { runScenario } from '../../src/scenario/runner.js';
import { REPO_ROOT } from '../helpers/cli.js';

const models: ModelSource = { entry: modelEntry, create: createModel };
const compile = (text: string, file = 'v.litmus') => compileScenario(parseScenario(file, text), models);

const HGM = `MM HGM
(*
 * Result: holds
 * Result: violated variant=none,fault
 * Source: test
 *)
{ model=hugetlb-hgm; }
P0 { uffdio_continue(0); fault(1); fork(P1); fork(P2); }
P1 { fault(2); }
P2 { }
variant none   set.guard=none
variant fault  set.guard=fault   (* a comment after a variant *)
variant two    set.guard=fault+fork set.guard_steps=two
check refcount-no-overflow
`;

describe('variant lines', () => {
  it('parse into named declarations; Result lines take variant=', () => {
    const s = parseScenario('v.litmus', HGM);
    expect(s.variants.map((v) => [v.name, v.decls.map((d) => `${d.key}=${d.value}`)])).toEqual([
      ['none', ['set.guard=none']],
      ['fault', ['set.guard=fault']],
      ['two', ['set.guard=fault+fork', 'set.guard_steps=two']],
    ]);
    expect(s.results[1]!.variants!.map((v) => v.id)).toEqual(['none', 'fault']);
  });

  it('compile to one run per variant, each with its declarations on the { } block and its own expectation', () => {
    const c = compile(HGM);
    expect(c.eras.map((p) => [p.era, p.variant, (p.program.inner.config.set as Record<string, string>).guard, p.checks[0]!.expected])).toEqual([
      ['none', 'none', 'none', 'violated'],
      ['fault', 'fault', 'fault', 'violated'],
      ['two', 'two', 'fault+fork', 'holds'],
    ]);
    expect((c.eras[2]!.program.inner.config.set as Record<string, string>).guard_steps).toBe('two');
    // the model's retry point: a two-step guard's statement runs again to add
    expect(c.eras[2]!.program.retry).toEqual(['guard: check passed, the add is a later step']);
  });

  it('with eras too, every era runs every variant, labelled era/variant', () => {
    const text = `MM X
(*
 * Result: Never
 * Result: Sometimes era=andrea-v1 variant=split
 *)
{ subpages=4; }
P0 { write(0); fork(P1); munmap(2..3); }
P1 { munmap(0..1); write(2); }
era v4.6 andrea-v1
variant plain  bounds.refs=1
variant split  bounds.refs=2
check rmap-integrity
`;
    expect(compile(text).eras.map((p) => [p.era, p.checks[0]!.expected])).toEqual([
      ['v4.6/plain', 'holds'],
      ['v4.6/split', 'holds'],
      ['andrea-v1/plain', 'holds'],
      ['andrea-v1/split', 'violated'],
    ]);
  });

  it.each([
    ['a Result line naming a variant the file does not run', HGM.replace('variant=none,fault', 'variant=none,nope'), /^v\.litmus:4:34: variant 'nope' is not run by this file \(its variant lines name none, fault, two\)$/],
    ['a variant defined twice', HGM.replace('variant two ', 'variant none'), /^v\.litmus:13:9: variant 'none' is defined twice \(also at line 11\)$/],
    ['a variant that sets nothing', HGM.replace('variant two    set.guard=fault+fork set.guard_steps=two', 'variant two'), /^v\.litmus:13:9: variant two sets nothing: give key=value pairs on its line, e\.g\. variant two set\.guard=fault$/],
    ['a variant that changes the model', HGM.replace('variant none   set.guard=none', 'variant none   model=thp'), /^v\.litmus:11:16: a variant cannot change the model$/],
    ['a variant with an unknown decision', HGM.replace('set.guard=none', 'set.gaurd=none'), /^v\.litmus:11:16: model hugetlb-hgm \(variant none\): unknown decision point 'gaurd' for the hugetlb-hgm model/],
    ['no Result line for a variant', HGM.replace(' * Result: holds\n', ''), /^v\.litmus:13:7: no Result line gives the expected result of property refcount-no-overflow in variant two \(add e\.g\. ` \* Result: Never variant=two property=refcount-no-overflow`\)$/],
    ['a Result line with variant= twice', HGM.replace('variant=none,fault', 'variant=none variant=fault'), /^v\.litmus:4:34: variant= is given twice in one Result line \(list several as variant=a,b\)$/],
  ])('%s is a one-line error at its place', (_name, text, re) => {
    expect(() => compile(text)).toThrow(re);
  });
});

describe('the hugetlb-hgm scenario runs', () => {
  it('each variant gets its verdict; a two-step fork keeps its child\'s slot when its statement runs again', async () => {
    const out = await runScenario(compile(HGM), { create: createModel });
    expect(out.map((o) => [o.era, o.variant, o.observed, o.pass, o.states])).toEqual([
      ['none', 'none', 'violated', true, 7],
      ['fault', 'fault', 'violated', true, 8],
      ['two', 'two', 'holds', true, 10],
    ]);
    expect(out.every((o) => o.notes.length === 0)).toBe(true);
  });
});

describe('the hgm-*.litmus corpus files', () => {
  const run = async (f: string) => {
    const file = join(REPO_ROOT, 'models/scenarios', f);
    const out = await runScenario(compileScenario(parseScenario(file, readFileSync(file, 'utf8')), models), { create: createModel });
    for (const o of out) {
      expect(o.pass, `${f} ${o.era} ${o.check}: ${o.message}`).toBe(true);
      expect(o.notes).toEqual([]);
    }
    return Object.fromEntries(out.map((o) => [`${o.era} ${o.check}`, o.observed]));
  };

  it('hgm-fork-overflow+guard-fault: a guard only on faults is not enough once fork copies entries', async () => {
    expect(await run('hgm-fork-overflow+guard-fault.litmus')).toEqual({
      'none refcount-no-overflow': 'violated',
      'fault refcount-no-overflow': 'violated',
      'fault+fork refcount-no-overflow': 'holds',
      'two-steps refcount-no-overflow': 'holds',
    });
  });

  it('hgm-concurrent-forks+guard-two-steps: two forks pass the check together and still do not overflow', async () => {
    expect(await run('hgm-concurrent-forks+guard-two-steps.litmus')).toEqual({
      'one-step refcount-no-overflow': 'holds',
      'one-step guard-passed-together': 'unreached',
      'one-step condition': 'Never',
      'two-steps refcount-no-overflow': 'holds',
      'two-steps guard-passed-together': 'reached',
      'two-steps condition': 'Sometimes',
    });
  });

  it('hgm-collapse-fills-hole+guard: MADV_COLLAPSE takes a reference the fork guard does not check', async () => {
    expect(await run('hgm-collapse-fills-hole+guard.litmus')).toEqual({
      'fault+fork refcount-no-overflow': 'violated',
      'all refcount-no-overflow': 'holds',
    });
  });
});
