/**
 * Matrix files in process: the shipped example parses into the cells the
 * README describes, expectations per era, and the glob resolves relative to
 * the matrix file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { loadScenario } from '../../src/cli/run.js';
import { glob } from '../../src/matrix/glob.js';
import { boundLabel, parseMatrix, type ModelCell } from '../../src/matrix/spec.js';
import { REPO_ROOT } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const deps = { createModel, loadScenario };

describe('matrix files', () => {
  it('docs/nightly.json: 8 eras x 2 bounds of thp, KVM over shmem (4 eras) and anon (3), the split race (3), the hugetlb-hgm guards and policies (31), then a cell per scenario file x era', () => {
    const m = parseMatrix(join(REPO_ROOT, 'docs/nightly.json'), deps);
    expect(m.name).toBe('nightly');
    expect(m.checkpointEvery).toBe(60);
    const model = m.cells.filter((c): c is ModelCell => c.kind === 'model');
    expect(model).toHaveLength(26 + 31);
    expect(model[16]!.id).toBe('kvm-shmem/v4.8/profile=shmem,procs=2,subpages=4');
    expect(model[16]!.expect['ept-huge-reachable']).toBe('unreached');
    expect(model[20]!.expect['ept-coherence']).toBe('violated');
    expect(model[23]!.expect['cow-no-steal']).toBe('violated');
    expect(model[0]!.id).toBe('thp/v4.5/procs=2,subpages=2');
    expect(model[3]!.id).toBe('thp/andrea-v1/procs=2,subpages=4,ops=write+fork+munmap+split_huge_pmd');
    expect(model[2]!.expect['rmap-integrity']).toBe('violated');
    expect(model[4]!.expect['rmap-integrity']).toBe('holds');
    expect(model[0]!.expect['thp-shared']).toBe('any');
    expect(model[0]!.search).toEqual({ timeoutSec: 1800 });
    // hugetlb-hgm: the thread's guards let the count wrap; the check on every path (guard=all) does not
    expect(model[26]!.id).toBe('hgm-overflow/set.mapcount_policy=A,set.guard=none');
    expect(model[28]!.expect['refcount-no-overflow']).toBe('violated');
    const allA = model.find((c) => c.id === 'hgm-policy-A/set.mapcount_policy=A,set.guard=all')!;
    expect([allA.expect['refcount-no-overflow'], allA.expect['smaps-shared-false-positive'], allA.expect['mpol-move-false-positive'], allA.requireExhaustive]).toEqual(['holds', 'reached', 'unreached', true]);
    const scen = m.cells.filter((c) => c.kind === 'scenario');
    expect(scen.length).toBeGreaterThanOrEqual(30);
    expect(scen.map((c) => c.id)).toContain('scenario/models/scenarios/fork-munmap-halves+wpreuse.litmus/andrea-v1');
    expect(new Set(m.cells.map((c) => c.id)).size).toBe(m.cells.length);
  });

  it('boundLabel: keys in order, lists joined with +, nested objects as key.sub', () => {
    expect(boundLabel({})).toBe('default');
    expect(boundLabel({ procs: 1, ops: ['write', 'pin'], bounds: { refs: 1 } })).toBe('procs=1,ops=write+pin,bounds.refs=1');
  });

  it('glob: * and ? within a segment, ** across folders, relative to a base, sorted, files only', () => {
    mkdirSync(join(dir, 'a/b/c'), { recursive: true });
    for (const f of ['a/x1.litmus', 'a/x2.litmus', 'a/y.txt', 'a/b/z.litmus', 'a/b/c/w.litmus']) writeFileSync(join(dir, f), '');
    const rel = (fs: string[]) => fs.map((f) => f.slice(dir.length + 1));
    expect(rel(glob(dir, 'a/*.litmus'))).toEqual(['a/x1.litmus', 'a/x2.litmus']);
    expect(rel(glob(dir, 'a/x?.litmus'))).toEqual(['a/x1.litmus', 'a/x2.litmus']);
    expect(rel(glob(dir, 'a/**/*.litmus'))).toEqual(['a/b/c/w.litmus', 'a/b/z.litmus', 'a/x1.litmus', 'a/x2.litmus']);
    expect(rel(glob(join(dir, 'a/b'), '../y.txt'))).toEqual(['a/y.txt']);
    expect(glob(dir, 'a/b')).toEqual([]);
    expect(glob(dir, 'nope/*')).toEqual([]);
  });
});

describe('a matrix cell with a predicate file', () => {
  it('resolves predicate.<hook> relative to the matrix file', () => {
    const sub = mkdtempSync(join(dir, 'pred-'));
    writeFileSync(join(sub, 'h.ts'), readFileSync(join(REPO_ROOT, 'models/thp/predicates/tcm_hugh.ts'), 'utf8'));
    const f = join(sub, 'm.json');
    writeFileSync(f, JSON.stringify({ name: 'p', checks: [{ eras: ['v4.8'], bounds: [{ profile: 'shmem', predicate: { kvm_huge: 'h.ts' } }] }] }));
    const m = parseMatrix(f, deps);
    expect((m.cells[0] as ModelCell).config.predicate).toEqual({ kvm_huge: join(sub, 'h.ts') });
  });
});
