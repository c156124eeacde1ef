/**
 * `mmcheck run` through the real binary: the whole corpus passes, a wrong
 * expectation fails naming the file, era and property, the JUnit XML is
 * well formed (parsed here) and counts what ran, --json, and bad input is
 * one line with exit 2. Needs `npx tsc -p .` first.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderJUnit, xmlEscape } from '../../src/report/junit.js';
import { lines, mmcheck, REPO_ROOT, usageErrorLine } from '../helpers/cli.js';
import { findAll, parseXml } from '../helpers/xml.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CORPUS_DIR = 'models/scenarios';
const corpus = readdirSync(join(REPO_ROOT, CORPUS_DIR))
  .filter((f) => f.endsWith('.litmus'))
  .sort()
  .map((f) => `${CORPUS_DIR}/${f}`);
const KIRILL = `${CORPUS_DIR}/fork-munmap-halves+wpreuse.litmus`;

/** A copy of a corpus file in the temp dir with its header's Result lines replaced. */
function withResults(src: string, name: string, results: string[]): string {
  const text = readFileSync(join(REPO_ROOT, src), 'utf8');
  const kept = text.split('\n').filter((l) => !/^ \* Result:/.test(l));
  kept.splice(2, 0, ...results.map((r) => ` * Result: ${r}`));
  const file = join(dir, name);
  writeFileSync(file, kept.join('\n'));
  return file;
}

describe('the corpus', () => {
  it('has the known cases, each with its source in the header and a README entry', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(5);
    const readme = readFileSync(join(REPO_ROOT, CORPUS_DIR, 'README'), 'utf8');
    for (const f of corpus) {
      const text = readFileSync(join(REPO_ROOT, f), 'utf8');
      expect(text, f).toMatch(/^ \* (Source|Link|Fixes): \S/m);
      expect(readme, f).toContain(f.slice(CORPUS_DIR.length + 1));
    }
  });

  it('mmcheck run models/scenarios/*.litmus: every expectation holds, exit 0', () => {
    const r = mmcheck('run', '-q', ...corpus);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^result: all \d+ expectations hold \(\d+ files\)$/m);
    expect(r.stdout).not.toMatch(/^FAIL/m);
    expect(r.stdout).not.toContain('note:');
    for (const f of corpus) expect(r.stdout).toContain(f);
  });

  it('pins the per-era verdicts of the known cases (--json)', () => {
    const r = mmcheck('run', '--json', ...corpus);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const verdicts: Record<string, Record<string, string>> = {};
    for (const f of out.files)
      for (const c of f.checks) {
        const key = `${f.file.slice(CORPUS_DIR.length + 1)} ${c.check}`;
        (verdicts[key] ??= {})[c.era] = c.observed;
        expect(c.pass).toBe(true);
        expect(c.exhaustive).toBe(true);
      }
    expect(verdicts['fork-munmap-halves+wpreuse.litmus rmap-integrity']).toEqual({ 'v4.5': 'holds', 'andrea-v1': 'violated', 'v4.6': 'holds', 'v5.19': 'holds' });
    expect(verdicts['fork-munmap-halves+wpreuse.litmus condition']).toEqual({ 'v4.5': 'Never', 'andrea-v1': 'Sometimes', 'v4.6': 'Never', 'v5.19': 'Never' });
    expect(verdicts['vfio-pin-mprotect+wpcopy.litmus pin-coherence']).toEqual({ 'v4.5': 'violated', 'v4.6': 'holds', 'v5.9': 'violated', 'v5.18': 'violated', 'v5.19': 'holds' });
    const allHold = (k: string) => Object.values(verdicts[k]!).every((v) => v === 'holds');
    expect(allHold('cow-fork+parent-write.litmus private-isolation')).toBe(true);
    expect(allHold('cow-fork+mprotect+parent-write.litmus private-isolation')).toBe(true);
    expect(Object.keys(verdicts['cow-fork+parent-write.litmus private-isolation']!)).toHaveLength(8);
    expect(verdicts['vmsplice-child-unmap+parent-write.litmus private-isolation']).toEqual({
      'v4.5': 'violated', 'v4.6': 'violated', 'v5.8': 'holds', 'v5.9': 'holds', 'v5.18': 'holds', 'v5.19': 'holds', 'v6.2': 'holds',
    });
    expect(verdicts['vmsplice-child-unmap+thp.litmus private-isolation']).toEqual({
      'v4.5': 'holds', 'v4.6': 'violated', 'v5.8': 'holds', 'v5.9': 'violated', 'v5.18': 'holds', 'v5.19': 'holds', 'v6.2': 'holds',
    });
    expect(out.failed).toBe(0);
    expect(out.passed).toBe(out.files.reduce((n: number, f: any) => n + f.checks.length, 0));
    expect(out.files[0]).toMatchObject({ model: 'thp', trailers: expect.any(Array), eras: expect.any(Array) });
  });

  it('gives the same verdicts and state counts with 2 workers', () => {
    // one file: each era's search starts its own worker pool
    const strip = (s: string) => JSON.parse(s).files.flatMap((f: any) => f.checks.map((c: any) => [f.file, c.era, c.check, c.observed, c.states, c.transitions]));
    const one = mmcheck('run', '--json', KIRILL);
    const two = mmcheck('run', '--json', '--workers', '2', KIRILL);
    expect(two.status).toBe(0);
    expect(strip(two.stdout)).toEqual(strip(one.stdout));
  });
});

describe('a wrong expectation', () => {
  it('fails with exit 1 and a line naming the file, era and property, with the counterexample', () => {
    // andrea-v1 really violates rmap-integrity; this file claims it holds everywhere
    const f = withResults(KIRILL, 'wrong.litmus', ['Never']);
    const r = mmcheck('run', '-q', f);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +\S*wrong\.litmus +andrea-v1 +rmap-integrity +holds +violated /m);
    expect(r.stdout).toContain(
      `FAIL ${f} (FORK-SPLIT-MUNMAP+wpreuse): era andrea-v1, property rmap-integrity: expected holds, observed violated (Result line 3)`,
    );
    expect(r.stdout).toContain('  counterexample for rmap-integrity (always), 6 steps:');
    expect(r.stdout).toMatch(/=> violates rmap-integrity: mm0 maps F0\[0\] at subpage 0, but its mapping = av1 is not on mm0's anon_vma chain/);
    // the condition is wrong too, with the witness of a final state that satisfies it
    expect(r.stdout).toContain(`era andrea-v1, condition exists (F0.mapping = av1 /\\ P0.pte[0] = F0): expected Never, observed Sometimes`);
    expect(r.stdout).toContain('  witness for condition (sometimes), 6 steps:');
    expect(r.stdout).toMatch(/^result: 2 of \d+ expectations FAILED: .*wrong\.litmus \[andrea-v1 rmap-integrity\], .*wrong\.litmus \[andrea-v1 condition\]$/m);
    // the other eras still pass
    expect(r.stdout).toMatch(/^pass +\S*wrong\.litmus +v4\.6 +rmap-integrity +holds +holds /m);
  });

  it('an expected violation that does not happen fails too (no trace to show)', () => {
    const f = withResults(KIRILL, 'wrong2.litmus', ['Never', 'Sometimes era=andrea-v1', 'violated era=v4.6 property=rmap-integrity']);
    const r = mmcheck('run', '-q', f);
    expect(r.status).toBe(1);
    const fails = lines(r.stdout).filter((l) => l.startsWith('FAIL '));
    expect(fails).toEqual([
      expect.stringMatching(/^FAIL +\S*wrong2\.litmus +v4\.6 +rmap-integrity +violated +holds /),
      `FAIL ${f} (FORK-SPLIT-MUNMAP+wpreuse): era v4.6, property rmap-integrity: expected violated, observed holds (Result line 5)`,
    ]);
  });

  it('a scenario that never completes fails instead of passing vacuously', () => {
    const f = join(dir, 'stuck.litmus');
    writeFileSync(f, 'MM STUCK\n(*\n * Result: Never\n *)\nP0 { write(0); fork(P1); }\nP1 { munmap(0..3); write(0); }\nera v4.6\ncheck rmap-integrity\n');
    const r = mmcheck('run', '-q', f);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('era v4.6, property rmap-integrity: expected holds, observed blocked: no interleaving runs every process to the end (first blocked state: P1 at write(0))');
  });
});

describe('--junit', () => {
  it('writes well-formed JUnit XML: one testsuite per file, one testcase per era and check, failures with their message', () => {
    const wrong = withResults(KIRILL, 'junit-wrong.litmus', ['Never']);
    const xmlFile = join(dir, 'out.xml');
    const r = mmcheck('run', '-q', '--junit', xmlFile, ...corpus, wrong);
    expect(r.status).toBe(1);
    const json = JSON.parse(mmcheck('run', '--json', ...corpus, wrong).stdout);
    const total = json.files.reduce((n: number, f: any) => n + f.checks.length, 0);

    const root = parseXml(readFileSync(xmlFile, 'utf8'));
    expect(root.name).toBe('testsuites');
    expect(Number(root.attrs.tests)).toBe(total);
    expect(Number(root.attrs.failures)).toBe(2);
    const suites = findAll(root, 'testsuite');
    expect(suites.map((s) => s.attrs.file)).toEqual([...corpus, wrong]);
    for (const [i, s] of suites.entries()) {
      expect(s.attrs.name).toBe(json.files[i].name);
      const cases = findAll(s, 'testcase');
      expect(cases).toHaveLength(Number(s.attrs.tests));
      expect(cases.map((c) => c.attrs.name)).toEqual(json.files[i].checks.map((c: any) => `${c.era} ${c.kind === 'condition' ? c.condition : c.check}`));
      expect(findAll(s, 'failure')).toHaveLength(Number(s.attrs.failures));
      expect(Number.isFinite(Number(s.attrs.time))).toBe(true);
    }
    const failures = findAll(suites[suites.length - 1]!, 'failure');
    expect(failures.map((f) => f.attrs.message)).toEqual([
      'era andrea-v1, property rmap-integrity: expected holds, observed violated (Result line 3)',
      'era andrea-v1, condition exists (F0.mapping = av1 /\\ P0.pte[0] = F0): expected Never, observed Sometimes (Result line 3)',
    ]);
    // the failure text carries the trace, escaped and decoded back intact
    expect(failures[0]!.text).toContain('mm0.pmd: none -> huge');
    // the case names keep the condition's /\ and the Source trailer's quotes
    expect(findAll(suites[0]!, 'property').length).toBeGreaterThan(0);
  });

  it('escapes what XML cannot carry raw', () => {
    const xml = renderJUnit([
      {
        name: 'A<B>&"C\'',
        file: 'x&y.litmus',
        time: 0.5,
        properties: [{ name: 'Link', value: 'a "quoted" <b>\nnext' }],
        cases: [
          { name: 'v4.6 exists (F0._refcount <> 3)', classname: 'A<B>', time: 0.1 },
          { name: 'bad\u0001char', classname: 'c', time: 0, failure: { message: 'x < y & z', type: 'expectation', text: 'line1\n  a -> b <c> & "d"\u0007' } },
        ],
      },
    ]);
    const root = parseXml(xml);
    const s = findAll(root, 'testsuite')[0]!;
    expect(s.attrs.name).toBe('A<B>&"C\'');
    expect(s.attrs.file).toBe('x&y.litmus');
    expect(findAll(root, 'property')[0]!.attrs.value).toBe('a "quoted" <b>\nnext');
    const [c1, c2] = findAll(root, 'testcase');
    expect(c1!.attrs.name).toBe('v4.6 exists (F0._refcount <> 3)');
    expect(c2!.attrs.name).toBe('badchar');
    expect(findAll(c2!, 'failure')[0]!.attrs.message).toBe('x < y & z');
    expect(findAll(c2!, 'failure')[0]!.text).toBe('line1\n  a -> b <c> & "d"');
    expect(xmlEscape('<&>"\'')).toBe('&lt;&amp;&gt;&quot;&apos;');
  });

  it('the XML checker rejects what is not well formed', () => {
    for (const bad of ['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&nope;</a>', '<a>x < y</a>', '<a/><b/>', '<a x=1/>', '<a>'])
      expect(() => parseXml(bad), bad).toThrow(/XML error/);
  });
});

describe('bad input: one line, exit 2', () => {
  const bad = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const BASE = 'MM T\n(*\n * Result: Never\n *)\nP0 { write(0); fork(P1); }\nP1 { write(1); }\nera v4.6\ncheck rmap-integrity\n';

  it.each([
    ['unknown operation', BASE.replace('write(1)', 'wrte(1)'), ':6:6: unknown operation \'wrte\''],
    ['unknown process', BASE.replace('fork(P1)', 'fork(P2)'), ":5:21: unknown process 'P2' (processes: P0, P1)"],
    ['unknown era', BASE.replace('era v4.6', 'era v4.7'), ":7:5: unknown era 'v4.7' (known: "],
    ['unknown property', BASE.replace('check rmap-integrity', 'check rmap'), ":8:7: unknown property 'rmap' (model thp in era v4.6; "],
    ['syntax', BASE.replace('write(1);', 'write(1)'), ":6:15: expected ';' after write(1), found '}'"],
  ])('%s', (_what, text, msg) => {
    const f = bad(`${_what.replace(/ /g, '-')}.litmus`, text);
    const line = usageErrorLine(mmcheck('run', f));
    expect(line.startsWith(`${f}${msg}`)).toBe(true);
  });

  it('a bad file stops the run before anything runs, even after good files', () => {
    const f = bad('late.litmus', BASE.replace('era v4.6', 'era v9'));
    const r = mmcheck('run', KIRILL, f);
    expect(usageErrorLine(r)).toBe(`${f}:7:5: unknown era 'v9' (known: v4.5, andrea-v1, v4.6, v4.8, v5.4, v5.8, v5.9, v5.18, v5.19, v6.2)`);
  });

  it('a missing file', () => {
    expect(usageErrorLine(mmcheck('run', join(dir, 'missing.litmus')))).toMatch(/^mmcheck: cannot read scenario file .*missing\.litmus: ENOENT$/);
  });

  it('no file', () => {
    expect(usageErrorLine(mmcheck('run'))).toContain("missing required argument 'files'");
  });

  it('an unwritable JUnit file, before anything runs', () => {
    expect(usageErrorLine(mmcheck('run', '-q', '--junit', join(dir, 'no/such/dir.xml'), KIRILL))).toMatch(/^mmcheck: cannot write JUnit file .*dir\.xml: ENOENT$/);
  });
});

describe('a scenario with its own kvm_huge predicate file', () => {
  it('predicate.kvm_huge=FILE resolves next to the scenario and replaces the era\'s variant', () => {
    const sub = mkdtempSync(join(dir, 'pred-'));
    writeFileSync(join(sub, 'hugh.ts'), readFileSync(join(REPO_ROOT, 'models/thp/predicates/tcm_hugh.ts'), 'utf8'));
    const src = readFileSync(join(REPO_ROOT, CORPUS_DIR, 'shmem-pmd+kvm-ept2M.litmus'), 'utf8')
      .replace('{ profile=shmem; subpages=4; }', '{ profile=shmem; subpages=4; predicate.kvm_huge=hugh.ts; }')
      .replace(' * Result: Never property=ept-huge-reachable era=v4.8\n', '');
    const f = join(sub, 'mine.litmus');
    writeFileSync(f, src);
    const r = mmcheck('run', '-q', f);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^pass +\S+mine\.litmus +v4\.8 +ept-huge-reachable +reached +reached /m);
    const missing = join(sub, 'gone.litmus');
    writeFileSync(missing, src.replace('hugh.ts', 'nope.ts'));
    expect(usageErrorLine(mmcheck('run', missing))).toContain(`--predicate kvm_huge=${join(sub, 'nope.ts')}: cannot read it (ENOENT)`);
  });
});
