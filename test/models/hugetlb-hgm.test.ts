/**
 * The hugetlb-hgm model (issue 29): pinned state counts at small bounds,
 * the pinned shortest overflows (through fork with guard=fault; past the
 * fork guard by GUP and by MADV_COLLAPSE's hole filling), the complete
 * guard holding exhaustively at the default bounds, the mapcount policies'
 * disagreements with the VMAs that map the page, the same results with two
 * workers, and bad configurations as one-line errors.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { search, type SearchOptions } from '../../src/checker/search.js';
import { UsageError } from '../../src/model.js';
import { finding, pathLabels } from '../helpers/paths.js';

const ID = 'hugetlb-hgm';

async function run(config: Record<string, unknown>, opts: SearchOptions = {}) {
  const m = createModel(ID, config);
  const r = await search(m, { strategy: 'bfs', ...opts, ...(opts.workers && opts.workers > 1 ? { spec: { modelId: ID, config } } : {}) });
  const status = (name: string) => (finding(m, r.findings, name) ? 'found' : 'none');
  const labels = (name: string) => pathLabels(m, finding(m, r.findings, name));
  return { m, r, status, labels };
}

const SAFETY = ['refcount-no-overflow', 'refcount-covers-mappings', 'mapcount-accounting', 'vm-bug-on'];

describe('state counts at small bounds (procs 2)', () => {
  it.each([
    ['A, no guard', {}, 4_200, 96_102],
    ['A, guard=fault', { set: { guard: 'fault' } }, 3_705, 84_518],
    ['A, guard=all', { set: { guard: 'all' } }, 1_175, 25_468],
    ['D (no PMD-sized leaves)', { set: { mapcount_policy: 'D' } }, 2_268, 51_268],
    ['A, guard=fault+fork in two steps', { set: { guard: 'fault+fork', guard_steps: 'two' } }, 29_479, 322_229],
  ])('%s', async (_name, cfg, distinct, transitions) => {
    const { r } = await run({ procs: 2, ...cfg });
    expect(r.exhaustive).toBe(true);
    expect([r.distinct, r.transitions]).toEqual([distinct, transitions]);
  });
});

describe('the guard (default bounds: procs 3, subpages 4, refcount_bits 4, refs 2)', () => {
  it('guard=fault: the shortest overflow goes through two forks, then a fault\'s page-cache lookup wraps the count', async () => {
    const { labels } = await run({ set: { guard: 'fault' } }, { properties: ['refcount-no-overflow'], failFast: true });
    expect(labels('refcount-no-overflow')).toEqual(['uffdio_continue(0,0)', 'fault(0,1)', 'fork(0)', 'fork(0)', 'fault(0,2)']);
  });

  it('guard=fault+fork: still overflows, by GUP references taken past the threshold after a fork', async () => {
    const { labels } = await run({ set: { guard: 'fault+fork' } }, { properties: ['refcount-no-overflow'], failFast: true });
    expect(labels('refcount-no-overflow')).toEqual([
      'uffdio_continue(0,0)', 'fault(0,1)', 'fork(0)', 'get_user_pages(0,0)', 'get_user_pages(0,0)', 'fault(0,2)',
    ]);
  });

  it('guard=fault+fork with one GUP reference: MADV_COLLAPSE refills an emptied sub-tree without a check', async () => {
    const { labels } = await run({ set: { guard: 'fault+fork' }, bounds: { refs: '1' } }, { properties: ['refcount-no-overflow'], failFast: true });
    const trace = labels('refcount-no-overflow')!;
    expect(trace).toEqual([
      'uffdio_continue(0,0)', 'fork(0)', 'madvise_dontneed(0,0)', 'fault(1,1)', 'fork(1)', 'collapse(0,0)', 'get_user_pages(0,0)', 'fault(1,2)',
    ]);
  });

  it('guard=fault+fork holds where nothing else takes a reference (no GUP, no MADV_COLLAPSE), exhaustively', async () => {
    const { r, status } = await run({
      set: { guard: 'fault+fork' },
      ops: ['fault', 'uffdio_continue', 'madvise_dontneed', 'fork', 'exit'],
    });
    expect(r.exhaustive).toBe(true);
    expect(r.distinct).toBe(6_474);
    for (const p of SAFETY) expect(status(p), p).toBe('none');
  });

  it('guard=all (the check on every path that takes a reference) holds exhaustively at the default bounds, one step or two', async () => {
    const one = await run({ set: { guard: 'all' } });
    expect(one.r.exhaustive).toBe(true);
    expect(one.r.distinct).toBe(13_739);
    for (const p of SAFETY) expect(one.status(p), p).toBe('none');
    expect(one.status('guard-refused')).toBe('found');
    expect(one.status('refcount-above-guard')).toBe('found');
    const two = await run({ set: { guard: 'all', guard_steps: 'two' } });
    expect(two.r.exhaustive).toBe(true);
    expect(two.r.distinct).toBe(76_349);
    for (const p of SAFETY) expect(two.status(p), p).toBe('none');
    // two forks past the check at once: the race exists, and stays below INT_MAX'
    expect(two.status('guard-passed-together')).toBe('found');
  });

  it('policy C needs no guard where there are fewer VMAs than INT_MAX\' (one reference per VMA; procs 2)', async () => {
    const { r, status } = await run({ procs: 2, set: { mapcount_policy: 'C' } }, { properties: SAFETY });
    expect(r.distinct).toBe(4_200);
    for (const p of SAFETY) expect(status(p), p).toBe('none');
  });
});

describe('the consumers against the VMAs that map the page (procs 2, guard=all)', () => {
  const covers = ['smaps-shared-false-positive', 'smaps-shared-false-negative', 'mpol-move-false-positive', 'mpol-move-false-negative', 'hwpoison-unmap-false-positive', 'hwpoison-unmap-false-negative'];
  it.each([
    ['A', {}, ['smaps-shared-false-positive', 'mpol-move-false-negative']],
    ['B', {}, ['smaps-shared-false-negative', 'mpol-move-false-positive', 'mpol-move-false-negative']],
    ['C', {}, []],
    ['C', { c_release: 'page_tables' }, ['smaps-shared-false-positive', 'mpol-move-false-negative', 'hwpoison-unmap-false-negative']],
    ['D', {}, ['smaps-shared-false-negative', 'mpol-move-false-positive', 'mpol-move-false-negative']],
  ])('policy %s %j', async (policy, extra, reached) => {
    const { status } = await run({ procs: 2, set: { guard: 'all', mapcount_policy: policy, ...extra } });
    expect(covers.filter((c) => status(c) === 'found')).toEqual(reached);
  });

  it('A: one VMA mapping two pieces reads as shared (the thread\'s smaps point), shortest example', async () => {
    const { labels } = await run({ procs: 2, set: { guard: 'all' } }, { properties: ['smaps-shared-false-positive'] });
    expect(labels('smaps-shared-false-positive')).toEqual(['uffdio_continue(0,0)', 'fault(0,1)', 'smaps(0)']);
  });

  it('B: two processes mapping different parts read as private', async () => {
    const { labels } = await run({ procs: 2, set: { guard: 'all', mapcount_policy: 'B' } }, { properties: ['smaps-shared-false-negative'] });
    // P0 maps the whole page, P1 a piece: page_mapcount(head) counts only P0's entry
    expect(labels('smaps-shared-false-negative')).toEqual(['fork(0)', 'fault(0,0)', 'uffdio_continue(1,1)', 'smaps(0)']);
  });
});

describe('determinism', () => {
  it('two workers give the counts, findings and traces of one', async () => {
    const cfg = { procs: 2, set: { guard: 'fault' } };
    const one = await run(cfg, { workers: 1 });
    const two = await run(cfg, { workers: 2, sliceStates: 64, phasedFrom: 0 });
    expect([two.r.distinct, two.r.transitions, two.r.depth]).toEqual([one.r.distinct, one.r.transitions, one.r.depth]);
    for (const p of [...SAFETY, 'guard-passed-together', 'smaps-shared-false-positive']) expect(two.labels(p), p).toEqual(one.labels(p));
    expect(two.r.coverage).toEqual(one.r.coverage);
  });
});

describe('configuration errors', () => {
  it.each([
    [{ procs: 5 }, "--procs must be a whole number from 1 to 4 for the hugetlb-hgm model, got 5"],
    [{ subpages: 5 }, '--subpages must be even for the hugetlb-hgm model (two PMD-sized halves), got 5'],
    [{ subpages: 10 }, '--subpages (PAGE_SIZE pieces per hugepage) must be a whole number from 4 to 8 for the hugetlb-hgm model, got 10'],
    [{ set: { refcount_bits: '9' } }, "unknown variant '9' for --set refcount_bits (known: 3, 4, 5, 6, 7, 8)"],
    [{ set: { mapcount_policy: 'E' } }, "unknown variant 'E' for --set mapcount_policy (known: A, B, C, D)"],
    [{ set: { reuse: 'R46' } }, "unknown decision point 'reuse' for the hugetlb-hgm model (known: mapcount_policy, c_release, guard, guard_steps, refcount_bits)"],
    [{ set: { guard_steps: 'two' } }, '--set guard_steps=two needs a guard (--set guard=fault, fault+fork or all)'],
    [{ bounds: { thps: '1' } }, "unknown bound 'thps' for the hugetlb-hgm model (known: vmas, refs)"],
    [{ bounds: { vmas: '4' } }, '--bound vmas must be a whole number from 1 to 3 for the hugetlb-hgm model, got "4"'],
    [{ ops: ['write'] }, "unknown operation 'write' in --ops for the hugetlb-hgm model (known: fault, uffdio_continue, madvise_dontneed, collapse, fork, exit, get_user_pages, put, smaps, mbind, memory_failure)"],
    [{ ops: ['get_user_pages'], bounds: { refs: '0' } }, 'get_user_pages in --ops needs --bound refs=1 or more'],
    [{ era: 'v4.6' }, "model 'hugetlb-hgm' has no option 'era' (--era does not apply to it)"],
  ])('%j', (cfg, msg) => {
    expect(() => createModel(ID, cfg)).toThrow(UsageError);
    expect(() => createModel(ID, cfg)).toThrow(msg);
  });
});
