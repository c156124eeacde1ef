/**
 * The scenario parser and compiler: a good file's structure, and for bad
 * input the exact `file:line:col: message` error (unknown operation,
 * process, era, property, field; syntax; Result lines that do not fit).
 */
import { describe, expect, it } from 'vitest';
import { createModel, modelEntry } from '../../models/registry.js';
import { compileScenario, type ModelSource } from '../../src/scenario/compile.js';
import { parseScenario, ScenarioError } from '../../src/scenario/parse.js';

const models: ModelSource = { entry: modelEntry, create: createModel };

/** Kirill's case, with a few layout liberties (comments inside blocks, spacing, a range written 2 .. 3). */
const GOOD = `MM FORK-SPLIT-MUNMAP+wpreuse
(*
 * Result: Never
 * Result: Sometimes era=andrea-v1
 * Result: violated era=andrea-v1,v4.5 property=rmap-integrity
 *
 * Prose about the case.
 * Second line.
 *
 * Source: seed 004
 * Fixes: 6d0a07edd17c ("mm: thp: ...")
 * Link: https://lore.kernel.org/x
 *)
{ subpages=4; bounds.refs=1; (* a comment in the init block *) }

P0 {
  write(0);          (* fault a THP *)
  split_huge_pmd();
  fork(P1);
  munmap( 2 .. 3 );
}

(* a comment between blocks *)
P1 { munmap(0..1); write(2); munmap(3..3); }

era v4.5 andrea-v1
era v4.6
check rmap-integrity, deposit
exists (F0.mapping = av1 /\\ ~(P0.pte[0] <> F0) \\/ F0._refcount = -1)
`;

/** A small valid file to break one line at a time. */
const BASE = [
  'MM T', //                       1
  '(*', //                         2
  ' * Result: Never', //           3
  ' *)', //                        4
  '{ subpages=4; }', //            5
  'P0 { write(0); fork(P1); }', // 6
  'P1 { munmap(0..1); write(2); }', // 7
  'era v4.6', //                   8
  'check rmap-integrity', //       9
  'exists (F0.mapping = av1)', // 10
];

function compile(text: string, file = 'x.litmus') {
  return compileScenario(parseScenario(file, text), models);
}

/** The error a file gives, as its one-line message. */
function errorOf(text: string, file = 'x.litmus'): string {
  try {
    compile(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

/** BASE with line n (1-based) replaced. */
function edit(n: number, line: string): string {
  const l = [...BASE];
  l[n - 1] = line;
  return l.join('\n') + '\n';
}

describe('parse: a good file', () => {
  const s = parseScenario('good.litmus', GOOD);

  it('name, Result lines with eras and properties, trailers, prose', () => {
    expect(s.name).toBe('FORK-SPLIT-MUNMAP+wpreuse');
    expect(s.results.map((r) => [r.verdict, r.eras?.map((e) => e.id) ?? null, r.property?.name ?? null, r.loc])).toEqual([
      ['Never', null, null, { line: 3, col: 4 }],
      ['Sometimes', ['andrea-v1'], null, { line: 4, col: 4 }],
      ['violated', ['andrea-v1', 'v4.5'], 'rmap-integrity', { line: 5, col: 4 }],
    ]);
    expect(s.trailers).toEqual([
      { key: 'Source', value: 'seed 004' },
      { key: 'Fixes', value: '6d0a07edd17c ("mm: thp: ...")' },
      { key: 'Link', value: 'https://lore.kernel.org/x' },
    ]);
    expect(s.description).toBe('Prose about the case.\nSecond line.');
  });

  it('init declarations, processes with normalised arguments, eras, checks', () => {
    expect(s.init.map((d) => [d.key, d.value])).toEqual([
      ['subpages', '4'],
      ['bounds.refs', '1'],
    ]);
    expect(s.actors.map((a) => [a.name, a.stmts.map((st) => st.text)])).toEqual([
      ['P0', ['write(0)', 'split_huge_pmd()', 'fork(P1)', 'munmap(2..3)']],
      ['P1', ['munmap(0..1)', 'write(2)', 'munmap(3)']],
    ]);
    expect(s.actors[0]!.stmts[3]!.loc).toEqual({ line: 20, col: 3 });
    expect(s.eras.map((e) => e.id)).toEqual(['v4.5', 'andrea-v1', 'v4.6']);
    expect(s.checks.map((c) => c.name)).toEqual(['rmap-integrity', 'deposit']);
  });

  it('the condition: /\\ binds tighter than \\/, ~ and parentheses, = and <>', () => {
    const c = s.condition!;
    expect(c.quantifier).toBe('exists');
    expect(c.text).toBe('exists (F0.mapping = av1 /\\ ~(P0.pte[0] <> F0) \\/ F0._refcount = -1)');
    expect(c.cond).toMatchObject({
      t: 'or',
      a: { t: 'and', a: { t: 'cmp', field: 'F0.mapping', eq: true, value: 'av1' }, b: { t: 'not', a: { t: 'cmp', field: 'P0.pte[0]', eq: false, value: 'F0' } } },
      b: { t: 'cmp', field: 'F0._refcount', eq: true, value: '-1' },
    });
  });

  it('~exists and forall', () => {
    expect(parseScenario('a', edit(10, '~exists (F0.mapping = av1)')).condition!.quantifier).toBe('~exists');
    expect(parseScenario('a', edit(10, '~ exists (F0.mapping = av1)')).condition!.quantifier).toBe('~exists');
    expect(parseScenario('a', edit(10, 'forall (F0.mapping = av1)')).condition!.quantifier).toBe('forall');
  });

  it('compiles: one plan per era with the most specific expectation for each check', () => {
    const c = compile(GOOD);
    const table = c.eras.map((e) => [e.era, e.checks.map((k) => `${k.name}:${k.expected}`)]);
    expect(table).toEqual([
      ['v4.5', ['rmap-integrity:violated', 'deposit:holds', 'condition:Never']],
      ['andrea-v1', ['rmap-integrity:violated', 'deposit:violated', 'condition:Sometimes']],
      ['v4.6', ['rmap-integrity:holds', 'deposit:holds', 'condition:Never']],
    ]);
    const p = c.eras[0]!.program;
    expect(p.inner.model).toBe('thp');
    expect(p.inner.config).toEqual({ subpages: 4, bounds: { refs: '1' }, procs: 2, ops: ['write', 'split_huge_pmd', 'fork', 'munmap', 'read'], set: { ranges: 'all' }, era: 'v4.5' });
    expect(p.actors[0]!.stmts[2]).toEqual({ op: 'fork', arg: null, child: 1, text: 'fork(P1)' });
    // P0.pte[0] is relative to P0's mm; F0 fields are global
    expect(JSON.stringify(p.condition)).toContain('{"t":"cmp","actor":0,"field":"pte[0]","eq":false,"value":"F0"}');
    expect(JSON.stringify(p.condition)).toContain('{"t":"cmp","actor":null,"field":"F0.mapping","eq":true,"value":"av1"}');
  });
});

describe('parse and compile errors: file:line:col: message', () => {
  it.each([
    // unknown names
    ['an unknown operation', edit(7, 'P1 { munmap(0..1); wrte(2); }'), /^x\.litmus:7:20: unknown operation 'wrte' \(see `mmcheck list ops`: read, write, /],
    ['an unknown process', edit(6, 'P0 { write(0); fork(P3); }'), /^x\.litmus:6:21: unknown process 'P3' \(processes: P0, P1\)$/],
    ['an unknown era', edit(8, 'era v4.6 v9.9'), /^x\.litmus:8:10: unknown era 'v9\.9' \(known: v4\.5, andrea-v1, v4\.6, /],
    ['an unknown property', edit(9, 'check rmap-integrity, rmap-integrty'), /^x\.litmus:9:23: unknown property 'rmap-integrty' \(model thp in era v4\.6; its properties: mapcount-accounting, /],
    ['a property the era lacks', edit(9, 'check anon-exclusive'), /^x\.litmus:9:7: unknown property 'anon-exclusive' \(model thp in era v4\.6; /],
    ['an unknown field', edit(10, 'exists (F0.maping = av1)'), /^x\.litmus:10:9: unknown field 'F0\.maping' in model thp in era v4\.6 \(fields of F0: F0\._refcount, /],
    ['an unknown field of a process', edit(10, 'exists (P1.pmx = huge)'), /^x\.litmus:10:9: unknown field 'P1\.pmx': P1's mm has no field 'pmx' in era v4\.6 \(its fields: state, vma, /],
    ['an unknown option', edit(5, '{ subpagez=4; }'), /^x\.litmus:5:3: model thp has no option 'subpagez' \(options: model, procs, subpages, set, profile, bounds, predicate, symmetry\)$/],
    ['a bad option value', edit(5, '{ profile=nope; }'), /^x\.litmus:5:3: model thp \(era v4\.6\): unknown profile 'nope' \(known: full, shmem, thp-core\)$/],
    ['an unknown model', edit(5, '{ model=nope; }'), /^x\.litmus:5:9: unknown model 'nope' \(known: thp, /],
    ['an unknown verdict', edit(3, ' * Result: Maybe'), /^x\.litmus:3:12: unknown verdict 'Maybe' \(expected one of Never, Sometimes, Always, /],
    ['an unknown Result key', edit(3, ' * Result: Never pred=R46'), /^x\.litmus:3:18: unknown key 'pred' in the Result line \(expected era= or property=\)$/],
    // operations that do not fit the model
    ['an argument out of range', edit(7, 'P1 { munmap(0..1); write(7); }'), /^x\.litmus:7:26: no write\(7\) in model thp with this configuration: its addr is one of 0, 1, 2, 3$/],
    ['a missing argument', edit(7, 'P1 { munmap(0..1); write(); }'), /^x\.litmus:7:20: write needs its addr: one of 0, 1, 2, 3$/],
    ['an argument where none is taken', edit(7, 'P1 { split_huge_pmd(2); }'), /^x\.litmus:7:21: split_huge_pmd takes no argument, got '2'$/],
    ['an operation group', edit(7, 'P1 { mprotect(0..1); }'), /^x\.litmus:7:6: 'mprotect' is not a single step of model thp \(steps of this scenario's configuration: .*mprotect_ro, mprotect_rw/],
    ['an empty range', edit(7, 'P1 { munmap(1..0); }'), /^x\.litmus:7:16: empty range 1\.\.0 \(the first subpage is after the last\)$/],
    // processes
    ['fork without a child', edit(6, 'P0 { write(0); fork(); }'), /^x\.litmus:6:21: fork needs the child's process: fork\(P1\)$/],
    ['a process never forked', edit(6, 'P0 { write(0); }'), /^x\.litmus:7:1: process P1 is never forked: in model thp only the first process runs from the start; start P1 with fork\(P1\)$/],
    ['a process forked twice', edit(6, 'P0 { fork(P1); fork(P1); }'), /^x\.litmus:6:21: P1 is already started by the fork at line 6$/],
    ['forking the first process', edit(7, 'P1 { fork(P0); }'), /^x\.litmus:7:11: P0 is the first process: it runs from the start and cannot be forked$/],
    ['a process defined twice', edit(7, 'P0 { write(1); }'), /^x\.litmus:7:1: process P0 is defined twice \(also at line 6\)$/],
    // syntax
    ['the MM line', edit(1, 'C T'), /^x\.litmus:1:1: expected `MM <name>` on the first line/],
    ['a missing header', [BASE[0], ...BASE.slice(4)].join('\n'), /^x\.litmus:2:1: expected the header comment `\(\* \.\.\. \*\)` with a ` \* Result:` line after the name line$/],
    ['a header without Result', edit(3, ' * Nothing here'), /^x\.litmus:2:1: the header comment has no ` \* Result: /],
    ['an unterminated comment', edit(7, 'P1 { munmap(0..1); (* oops }'), /^x\.litmus:7:20: unterminated comment: `\(\*` without `\*\)`$/],
    ['a missing semicolon', edit(7, 'P1 { munmap(0..1); write(2) }'), /^x\.litmus:7:29: expected ';' after write\(2\), found '}'$/],
    ['an unclosed block', edit(7, 'P1 { munmap(0..1); write(2);'), /^x\.litmus:8:1: expected '}' to close process P1 \(opened at line 7\) before 'era'$/],
    ['an unclosed block at the end', [...BASE.slice(0, 6), 'P1 { munmap(0..1);'].join('\n'), /^x\.litmus:7:19: unterminated process block P1 \(opened at line 7\): expected '}'$/],
    ['a stray word', edit(9, 'chek rmap-integrity'), /^x\.litmus:9:1: unexpected 'chek': expected a process block `chek \{ \.\.\. \}`, `era`, `check`, `exists`, `~exists` or `forall`$/],
    ['a dangling connective', edit(10, 'exists (F0.mapping = av1 /\\ )'), /^x\.litmus:10:29: expected a field such as F0\.mapping or P1\.pte\[2\], '~' or '\(', found '\)'$/],
    ['a comparison without operator', edit(10, 'exists (F0.mapping av1)'), /^x\.litmus:10:20: expected '=' or '<>' after F0\.mapping, found 'av1\)'$/],
    ['two conditions', [...BASE, 'exists (F0.mapping = av0)'].join('\n'), /^x\.litmus:11:1: a second final condition \(the first is at line 10\)/],
    ['an unsupported herd clause', edit(10, 'locations [F0.mapping]'), /^x\.litmus:10:1: 'locations' clauses are not supported/],
    // what to check and the expectations
    ['no era line', edit(8, ''), /^x\.litmus:1:4: no `era` line: name the kernel eras to check/],
    ['an era named twice', edit(8, 'era v4.6 v4.6'), /^x\.litmus:8:10: era 'v4\.6' is named twice \(also at line 8\)$/],
    ['nothing to check', [...BASE.slice(0, 8)].join('\n'), /^x\.litmus:8:9: nothing to check: add `check <property>` and\/or an `exists \(\.\.\.\)` condition$/],
    ['a Result era the file does not run', edit(3, ' * Result: Never era=v5.19'), /^x\.litmus:3:22: era 'v5\.19' is not run by this file \(its era lines name v4\.6\)$/],
    ['a Result property the file does not check', edit(3, ' * Result: Never property=deposit'), /^x\.litmus:3:27: property 'deposit' is not checked by this file \(add it to a `check` line\)$/],
    ['a check without expectation', edit(3, ' * Result: Never property=condition'), /^x\.litmus:9:7: no Result line gives the expected result of property rmap-integrity in era v4\.6 \(add e\.g\. ` \* Result: Never era=v4\.6 property=rmap-integrity`\)$/],
    ['a verdict that does not fit the check', edit(3, ' * Result: Always'), /^x\.litmus:3:4: Result: Always does not apply to rmap-integrity \(always\): expected holds or violated \(Never or Sometimes\)$/],
    ['a property verdict for the condition', edit(3, ' * Result: holds'), /^x\.litmus:3:4: Result: holds does not apply to the condition: it is Never, Sometimes or Always/],
    [
      'conflicting Result lines',
      [BASE[0], BASE[1], ' * Result: Never', ' * Result: Never era=v4.6', ' * Result: Sometimes era=v4.6', ...BASE.slice(3)].join('\n'),
      /^x\.litmus:5:4: Result lines 4 and 5 disagree about property rmap-integrity in era v4\.6$/,
    ],
    ['set.ranges', edit(5, '{ set.ranges=halves; }'), /^x\.litmus:5:3: scenarios fix set\.ranges=all/],
    ['a bad decision variant', edit(5, '{ set.reuse=R99; }'), /^x\.litmus:5:3: model thp \(era v4\.6\): unknown variant 'R99' for --set reuse/],
  ])('%s', (_what, text, want) => {
    expect(errorOf(text)).toMatch(want);
  });

  it('errors carry the file name as given', () => {
    expect(errorOf(edit(7, 'P1 { wrte(2); }'), 'models/scenarios/a b.litmus')).toMatch(/^models\/scenarios\/a b\.litmus:7:6: unknown operation 'wrte'/);
  });

  it('a ScenarioError is a UsageError (one line, exit 2 in the CLI)', () => {
    try {
      compile(edit(7, 'P1 { wrte(2); }'));
    } catch (e) {
      expect((e as Error).name).toBe('ScenarioError');
      expect(String((e as Error).message)).not.toContain('\n');
    }
  });
});
