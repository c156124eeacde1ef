/**
 * `mmcheck run --matrix FILE` through the real binary: a small matrix (two
 * eras x one bound, plus a scenario glob) writes JUnit XML that parses, with
 * pinned counts and statuses; an expected violation passes, an unexpected one
 * fails with exit 1 naming the cell, era and property; bad input is one line
 * and exit 2; a run killed in a long cell and resumed reports exactly what an
 * uninterrupted run reports. Needs `npx tsc -p .` first.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lines, mmcheck, REPO_ROOT, usageErrorLine } from '../helpers/cli.js';
import { fileExists, runAndSignal } from '../helpers/kill.js';
import { findAll, parseXml } from '../helpers/xml.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-matrix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'scen'));
copyFileSync(join(REPO_ROOT, 'models/scenarios/fork-munmap-halves+wpreuse.litmus'), join(dir, 'scen/kirill.litmus'));

function matrix(name: string, body: unknown): string {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return f;
}

const KIRILL = { name: 'kirill', eras: ['andrea-v1', 'v4.6'], bounds: [{ procs: 2, subpages: 2 }] };
const ANDREA = 'kirill/andrea-v1/procs=2,subpages=2';
const V46 = 'kirill/v4.6/procs=2,subpages=2';
const SCEN = ['v4.5', 'andrea-v1', 'v4.6', 'v5.19'].map((e) => `scenario/scen/kirill.litmus/${e}`);

describe('run --matrix', () => {
  it('writes matrix.json and JUnit that parses; an expected violation passes (exit 0)', () => {
    const f = matrix('ok', { name: 'nightly-test', checks: [{ ...KIRILL, expect: { 'andrea-v1': { 'rmap-integrity': 'violated' } } }], scenarios: ['scen/*.litmus'] });
    const out = join(dir, 'out-ok');
    const r = mmcheck('run', '--matrix', f, '--out', out);
    expect(r.status).toBe(0);
    expect(lines(r.stdout).at(-1)).toBe('result: all 6 cells pass (6 exhaustive, 0 bounded)');
    // progress per cell on stderr
    expect(r.stderr).toContain(`mmcheck: [1/6] ${ANDREA}: pass, exhaustive, 802 states`);
    expect(r.stderr).toContain(`mmcheck: [6/6] ${SCEN[3]}: pass, exhaustive, 9 states`);
    const json = JSON.parse(readFileSync(join(out, 'matrix.json'), 'utf8'));
    expect(json.cells.map((c: any) => [c.id, c.verdict, c.distinct, c.transitions, c.depth, c.pass])).toEqual([
      [ANDREA, 'exhaustive', 802, 4231, 9, true],
      [V46, 'exhaustive', 727, 3867, 9, true],
      [SCEN[0], 'exhaustive', 9, 10, 6, true],
      [SCEN[1], 'exhaustive', 10, 10, 6, true],
      [SCEN[2], 'exhaustive', 10, 10, 6, true],
      [SCEN[3], 'exhaustive', 9, 10, 6, true],
    ]);
    const rmap = json.cells[0].properties.find((p: any) => p.name === 'rmap-integrity');
    expect(rmap).toMatchObject({ status: 'violated', expected: 'violated', pass: true });
    expect(rmap.trace.steps.length).toBeGreaterThan(3);
    expect(json.cells[1].properties.every((p: any) => p.status === 'holds' || p.kind === 'sometimes')).toBe(true);
    expect(json.cells[3].properties.map((p: any) => [p.name, p.status])).toEqual([
      ['rmap-integrity', 'violated'],
      ['condition', 'Sometimes'],
    ]);
    expect(json).toMatchObject({ matrix: 'nightly-test', passed: 6, failed: 0, exhaustive: 6, bounded: 0 });

    const xml = parseXml(readFileSync(join(out, 'matrix.junit.xml'), 'utf8'));
    expect(xml.name).toBe('testsuites');
    const suites = findAll(xml, 'testsuite');
    expect(suites).toHaveLength(1);
    const cases = findAll(xml, 'testcase');
    const nProps = json.cells.reduce((n: number, c: any) => n + c.properties.length, 0);
    expect(cases).toHaveLength(nProps);
    expect(suites[0]!.attrs).toMatchObject({ name: 'nightly-test', tests: String(nProps), failures: '0' });
    expect(findAll(xml, 'failure')).toHaveLength(0);
    expect(cases.filter((c) => c.attrs.classname === ANDREA).map((c) => c.attrs.name)).toContain('rmap-integrity');
    const props = Object.fromEntries(findAll(xml, 'property').map((p) => [p.attrs.name, p.attrs.value]));
    expect(props[V46]).toMatch(/^exhaustive, 727 states, 3867 transitions, depth 9, /);
    // a finished run leaves no checkpoint behind
    expect(existsSync(join(out, 'checkpoint'))).toBe(false);
  });

  it('an unexpected violation fails: exit 1, a line naming the cell, era and property, a JUnit failure with the steps', () => {
    const f = matrix('fail', { name: 'nightly-test', checks: [KIRILL] });
    const junit = join(dir, 'fail.xml');
    const r = mmcheck('run', '-q', '--matrix', f, '--junit', junit);
    expect(r.status).toBe(1);
    const line = `cell ${ANDREA}: era andrea-v1, property rmap-integrity: expected holds, observed violated`;
    expect(r.stdout).toContain(`FAIL ${line}\n`);
    expect(r.stdout).toMatch(/^ {2}counterexample for rmap-integrity, \d+ steps:$/m);
    expect(lines(r.stdout).at(-1)).toBe(`result: 1 of 2 cells FAILED: ${ANDREA}`);
    const xml = parseXml(readFileSync(junit, 'utf8'));
    const failures = findAll(xml, 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.attrs.message).toBe(line);
    expect(failures[0]!.text).toMatch(/^cell .*\n\d+ steps:\n {2}1\. write\(/);
    expect(xml.attrs.failures).toBe('1');
  });

  it('a bounded cell passes and says so; with requireExhaustive it fails (exit 3: a cut, not a regression)', () => {
    const cut = { model: 'counters', bounds: [{ procs: 3 }], maxStates: 100, expect: { 'not-all-max': 'any' } };
    const f = matrix('bounded', { name: 'b', checks: [{ ...cut, name: 'loose' }, { ...cut, name: 'strict', requireExhaustive: true }] });
    const junit = join(dir, 'bounded.xml');
    const r = mmcheck('run', '-q', '--matrix', f, '--junit', junit);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^pass {2}loose\/procs=3 +bounded +100 /m);
    expect(r.stdout).toContain('FAIL cell strict/procs=3: search not exhaustive: state bound reached (--max-states 100)\n');
    expect(lines(r.stdout).at(-1)).toBe('result: 1 of 2 cells FAILED: strict/procs=3');
    const failures = findAll(parseXml(readFileSync(junit, 'utf8')), 'testcase').filter((c) => c.children.some((x) => x.name === 'failure'));
    expect(failures.map((c) => [c.attrs.classname, c.attrs.name])).toEqual([['strict/procs=3', 'exhaustive']]);
  });

  it('bad input: one line naming the file and the problem, exit 2', () => {
    const cases: [unknown, string][] = [
      ['{"name": "x",', 'malformed JSON: '],
      [{ name: 'x', chekcs: [] }, "unknown key 'chekcs' (known: name, description, checkpointEvery, checks, scenarios)"],
      [{ checks: [{ eras: ['v9.9'] }] }, "checks[0] (thp), era v9.9, bounds default: unknown era 'v9.9'"],
      [{ checks: [{ eras: ['v4.6'], bound: [] }] }, "unknown key 'bound' in checks[0]"],
      [{ checks: [{ eras: ['v4.6'], bounds: [{ ops: ['frok'] }] }] }, "unknown operation 'frok'"],
      [{ checks: [{ eras: ['v4.6'], properties: ['rmap'] }] }, "checks[0] (thp): unknown property 'rmap' for model thp"],
      [{ checks: [{ eras: ['v4.6'], expect: { 'rmap-integrity': 'broken' } }] }, 'expected one of holds, violated, reached, unreached, any, got "broken"'],
      [{ scenarios: ['nothing/*.litmus'] }, "scenario glob 'nothing/*.litmus' matches no file"],
    ];
    cases.forEach(([body, msg], i) => {
      const f = matrix(`bad${i}`, body);
      const line = usageErrorLine(mmcheck('run', '--matrix', f));
      expect(line.startsWith(`mmcheck: ${f}: `), line).toBe(true);
      expect(line).toContain(msg);
    });
    expect(usageErrorLine(mmcheck('run', '--matrix', join(dir, 'none.json')))).toBe(`mmcheck: ${join(dir, 'none.json')}: cannot read: ENOENT`);
    expect(usageErrorLine(mmcheck('run', '--resume', 'x.litmus'))).toBe('mmcheck: --resume needs --matrix');
  });

  it('killed in a long cell and resumed: the same cells, counts, verdicts and traces as an uninterrupted run', async () => {
    // cell 1 (counters, 1,000,000 states over 54 levels) takes about a second; checkpoints every 0.2 s
    const body = {
      name: 'resume-test',
      checks: [{ model: 'counters', bounds: [{ procs: 3 }, { procs: 6 }], expect: { 'not-all-max': 'violated' } }],
      scenarios: ['scen/*.litmus'],
    };
    const f = matrix('resume', body);
    const strip = (j: any) => j.cells.map((c: any) => ({ ...c, seconds: 0 }));
    const ref = mmcheck('run', '-q', '--matrix', f, '--out', join(dir, 'out-ref'));
    expect(ref.status).toBe(0);
    const want = strip(JSON.parse(readFileSync(join(dir, 'out-ref/matrix.json'), 'utf8')));
    expect(want.map((c: any) => [c.id, c.distinct, c.depth])).toEqual([
      ['counters/procs=3', 1000, 27],
      ['counters/procs=6', 1000000, 54],
      ...SCEN.map((id, i) => [id, [9, 10, 10, 9][i], 6]),
    ]);

    const out = join(dir, 'out-resume');
    const ckpt = join(out, 'checkpoint/cell-1.ckpt');
    const killed = await runAndSignal(['run', '--matrix', f, '--out', out, '--checkpoint-every', '0.2'], fileExists(ckpt));
    expect(killed.signalled).toBe(true);
    expect(killed.status).toBe(143);
    expect(killed.stdout).toBe('');
    expect(lines(killed.stderr).at(-1)).toMatch(
      /^mmcheck: matrix resume-test in cell counters\/procs=6 \(1 of 6 cells done\) interrupted by SIGTERM; checkpoint \S+cell-1\.ckpt at depth \d+ \([\d,]+ states stored\); continue with the same command and --resume$/,
    );
    expect(existsSync(join(out, 'checkpoint/results.json'))).toBe(true);
    // an interrupted run writes no report (and removed the earlier run's)
    expect(existsSync(join(out, 'matrix.json'))).toBe(false);
    expect(existsSync(join(out, 'matrix.junit.xml'))).toBe(false);

    // another matrix in the same directory is refused, and leaves the checkpoint alone
    const other = matrix('resume-other', { ...body, name: 'other' });
    expect(usageErrorLine(mmcheck('run', '--matrix', other, '--out', out, '--resume'))).toBe(`mmcheck: checkpoint ${join(out, 'checkpoint')} was written for a different configuration`);

    const resumed = mmcheck('run', '--matrix', f, '--out', out, '--resume');
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain('mmcheck: [1/6] counters/procs=3: done before the interruption (pass)');
    expect(resumed.stderr).toContain(`mmcheck: resuming counters/procs=6 from ${ckpt}`);
    expect(strip(JSON.parse(readFileSync(join(out, 'matrix.json'), 'utf8')))).toEqual(want);
    expect(existsSync(join(out, 'checkpoint'))).toBe(false);
  });
});
