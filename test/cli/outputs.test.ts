/**
 * CI outputs (issue 25 item 5): every JSON output carries tool, version and
 * schema and validates against the schema shipped in schemas/ (real outputs,
 * checked with ajv); `run --tap` and `run --matrix --tap` print TAP 13 as
 * kselftest does.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { lines } from '../helpers/cli.js';
import { mmcheckIn } from '../helpers/main.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-out-'));
const ANDREA = ['check', '--era', 'andrea-v1', '--procs', '2', '--subpages', '2', '-q'];
const KIRILL = 'models/scenarios/fork-munmap-halves+wpreuse.litmus';

const ajv = new Ajv2020.default({ allErrors: true, strict: true, allowUnionTypes: true });
for (const f of readdirSync('schemas')) ajv.addSchema(JSON.parse(readFileSync(join('schemas', f), 'utf8')));
/** The schema's complaints about `doc` (empty: valid), read from the schema named by its own `schema` field. */
function complaints(doc: { schema?: string }): string[] {
  const validate = ajv.getSchema(doc.schema ?? '');
  if (!validate) return [`no schema ${doc.schema}`];
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** A scenario that fails (expects Never where andrea-v1 reaches it): its outputs carry a trace. */
function failing(): string {
  const f = join(dir, 'fails.litmus');
  writeFileSync(f, readFileSync(KIRILL, 'utf8').replace(' * Result: Sometimes era=andrea-v1\n', ''));
  return f;
}

describe('JSON outputs: tool, version, schema, and the shipped schemas accept them', () => {
  it('check --json (with a counterexample)', async () => {
    const r = await mmcheckIn(...ANDREA, '--json');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect([doc.tool, doc.version, doc.schema]).toEqual(['mmcheck', VERSION, 'urn:mmcheck:check-report:1']);
    expect(doc.properties.some((p: { trace?: unknown }) => p.trace)).toBe(true);
    expect(complaints(doc)).toEqual([]);
  });

  it('a saved trace', async () => {
    const t = join(dir, 't.json');
    expect((await mmcheckIn(...ANDREA, '--trace', t)).status).toBe(1);
    const doc = JSON.parse(readFileSync(t, 'utf8'));
    expect(doc.schema).toBe('urn:mmcheck:trace:2');
    expect(complaints(doc)).toEqual([]);
  });

  it('run --json (a pass and a failure with its trace)', async () => {
    const r = await mmcheckIn('run', '-q', '--json', KIRILL, failing());
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect([doc.tool, doc.version, doc.schema]).toEqual(['mmcheck', VERSION, 'urn:mmcheck:run-report:1']);
    expect(complaints(doc)).toEqual([]);
  });

  it('the matrix report (matrix.json and --json are the same object)', async () => {
    const m = join(dir, 'm.json');
    writeFileSync(m, JSON.stringify({ checks: [{ eras: ['v4.6', 'andrea-v1'], bounds: [{ procs: 2, subpages: 2 }] }], scenarios: ['fails.litmus'] }));
    failing();
    const out = join(dir, 'out');
    const r = await mmcheckIn('run', '-q', '--json', '--matrix', m, '--out', out);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect([doc.tool, doc.version, doc.schema]).toEqual(['mmcheck', VERSION, 'urn:mmcheck:matrix-report:1']);
    expect(complaints(doc)).toEqual([]);
    expect(JSON.parse(readFileSync(join(out, 'matrix.json'), 'utf8'))).toEqual(doc);
  });

  it('the schemas are not vacuous: a report without its tool, or with a wrong status, is refused', async () => {
    const doc = JSON.parse((await mmcheckIn(...ANDREA, '--json')).stdout);
    delete doc.tool;
    doc.properties[0].status = 'maybe';
    expect(complaints(doc)).toEqual([" must have required property 'tool'", '/properties/0/status must be equal to one of the allowed values']);
  });
});

describe('--tap', () => {
  const FILES = readdirSync('models/scenarios')
    .filter((f) => f.endsWith('.litmus'))
    .map((f) => `models/scenarios/${f}`);
  let corpus: Awaited<ReturnType<typeof mmcheckIn>>;
  let expectations = 0;
  beforeAll(async () => {
    corpus = await mmcheckIn('run', '-q', '--tap', ...FILES);
    const json = JSON.parse((await mmcheckIn('run', '-q', '--json', ...FILES)).stdout);
    expectations = json.passed + json.failed;
  });

  it('run --tap models/scenarios/*.litmus: the version, the plan, one ok line per expectation (as run --json counts them), the totals', () => {
    expect(corpus.status).toBe(0);
    expect(expectations).toBeGreaterThanOrEqual(101);
    const out = lines(corpus.stdout);
    expect(out.slice(0, 2)).toEqual(['TAP version 13', `1..${expectations}`]);
    const results = out.filter((l) => /^(not )?ok \d+ /.test(l));
    expect(results).toHaveLength(expectations);
    expect(results.every((l, i) => l.startsWith(`ok ${i + 1} models/scenarios/`))).toBe(true);
    // Kirill's case: andrea-v1 violates rmap-integrity, as the file expects: an expected failure
    expect(results).toContain(`ok ${results.findIndex((l) => l.includes('wpreuse.litmus andrea-v1 rmap-integrity')) + 1} ${KIRILL} andrea-v1 rmap-integrity # XFAIL violated, as the Result line expects`);
    expect(results.find((l) => l.includes('wpreuse.litmus v4.6 rmap-integrity'))).toMatch(/^ok \d+ \S+ v4\.6 rmap-integrity$/);
    const xfail = results.filter((l) => l.includes(' # XFAIL ')).length;
    expect(out.at(-1)).toBe(`# Totals: pass:${expectations - xfail} fail:0 xfail:${xfail} xpass:0 skip:0 error:0`);
  });

  it('a failure: not ok, with why and its trace as # lines before it; exit 1', async () => {
    const r = await mmcheckIn('run', '-q', '--tap', failing());
    expect(r.status).toBe(1);
    const out = lines(r.stdout);
    // without its `Sometimes era=andrea-v1` line, the file expects Never there: both checks fail
    const bad = out.filter((l) => l.startsWith('not ok '));
    expect(bad).toEqual([
      expect.stringMatching(/^not ok 3 \S+fails\.litmus andrea-v1 rmap-integrity$/),
      expect.stringMatching(/^not ok 4 \S+fails\.litmus andrea-v1 exists \(F0\.mapping = av1 \/\\ P0\.pte\[0\] = F0\)$/),
    ]);
    const third = out.indexOf(bad[0]!);
    const ok2 = out.findIndex((l) => l.startsWith('ok 2 '));
    expect(out.slice(ok2 + 1, third).filter((l) => l.startsWith('# FAIL '))).toHaveLength(1);
    expect(out[third - 1]).toMatch(/^# {5}=> violates rmap-integrity: /);
    expect(out.at(-1)).toMatch(/^# Totals: pass:\d+ fail:2 /);
  });

  it('run --matrix --tap: a cell per property, SKIP where nothing is expected, a cut that was required is not ok', async () => {
    const m = join(dir, 'tap.json');
    const cut = { model: 'counters', bounds: [{ procs: 3 }], maxStates: 100 };
    writeFileSync(m, JSON.stringify({ checks: [{ ...cut, name: 'loose' }, { ...cut, name: 'strict', requireExhaustive: true, expect: { 'not-all-max': 'holds' } }] }));
    const r = await mmcheckIn('run', '-q', '--tap', '--matrix', m);
    expect(r.status).toBe(3);
    const out = lines(r.stdout).filter((l) => !l.startsWith('# ') || l.startsWith('# Totals'));
    expect(out).toEqual([
      'TAP version 13',
      '1..5',
      'ok 1 loose/procs=3 not-all-max',
      'ok 2 loose/procs=3 half-way # SKIP no expectation (observed reached)',
      'ok 3 strict/procs=3 not-all-max',
      'ok 4 strict/procs=3 half-way # SKIP no expectation (observed reached)',
      'not ok 5 strict/procs=3 exhaustive',
      '# Totals: pass:2 fail:1 xfail:0 xpass:0 skip:2 error:0',
    ]);
  });

  it('--json and --tap together are refused', async () => {
    const r = await mmcheckIn('run', '--json', '--tap', KIRILL);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('mmcheck: give --json or --tap, not both\n');
  });
});
