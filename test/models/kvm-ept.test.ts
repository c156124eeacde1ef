/**
 * KVM EPT and shmem THP (issue 4): the KVM corruption fixed by 127393fbe597,
 * seed 000's shmem largepages bug, the kvm_huge predicates per era, and the
 * model's accounting under the new steps. Counts are pinned: a change to the
 * semantics shows here first.
 */
import { describe, expect, it } from 'vitest';
import { labelsOf, runThp, unreached, violated } from '../helpers/thp.js';

const DISTINCT_SPLIT = 105_114;
// two small pages are enough for the refaults and keep the runs short
const KVM_127393 = { ops: ['write', 'madvise_dontneed', 'kvm'], procs: 1, set: { ranges: 'basic' }, bounds: { smalls: '2' } };

describe('127393fbe597: MADV_DONTNEED of one subpage, then a KVM fault on another', () => {
  it('v4.5 (PageTransCompound) maps a 2M EPT leaf over the zapped subpage: ept-coherence violated in 5 steps', async () => {
    const run = await runThp({ ...KVM_127393, era: 'v4.5' }, { properties: ['ept-coherence'] });
    expect(run.r.exhaustive).toBe(true);
    expect(violated(run)).toEqual(['ept-coherence']);
    expect(labelsOf(run, 'ept-coherence')).toEqual(['write(0,0)', 'madvise_dontneed(0,[0])', 'kvm_page_fault(1)', 'hva_to_pfn()', 'kvm_map()']);
  });

  it.each([
    ['v4.6', 135_355],
    ['v5.19', 135_691],
  ])('%s (PageTransCompoundMap / host walk): every property holds, exhaustively (%i states)', async (era, distinct) => {
    const run = await runThp({ ...KVM_127393, era });
    expect(run.r.exhaustive).toBe(true);
    expect(violated(run)).toEqual([]);
    expect(unreached(run)).not.toContain('ept-huge-reachable');
    expect(run.r.distinct).toBe(distinct);
  });
});

describe('seed 000: a PMD-mapped shmem THP behind a memslot', () => {
  const SHMEM = { profile: 'shmem', procs: 2 };
  it.each([
    ['v4.8', {}, true, 6_797],
    ['v5.4', {}, false, 5_257],
    ['v4.8', { kvm_huge: 'HOSTWALK' }, false, 4_907],
    ['v4.8', { kvm_huge: 'TCM_yang_v1' }, false, 6_050],
  ] as const)('%s %j: ept-huge-reachable unreached=%s, every safety property holds (%i states)', async (era, set, none, distinct) => {
    const run = await runThp({ ...SHMEM, era, set });
    expect(run.r.exhaustive).toBe(true);
    expect(violated(run)).toEqual([]);
    expect(unreached(run).includes('ept-huge-reachable')).toBe(none);
    expect(run.r.distinct).toBe(distinct);
  });

  it('TC on shmem maps 2M over a THP another mm PTE-maps: ept-coherence violated', async () => {
    const run = await runThp({ ...SHMEM, era: 'v4.8', set: { kvm_huge: 'TC' } }, { properties: ['ept-coherence'] });
    expect(violated(run)).toEqual(['ept-coherence']);
    expect(labelsOf(run, 'ept-coherence')).toEqual(['munmap(0,[0..1])', 'kvm_page_fault(2)', 'hva_to_pfn()', 'kvm_map()']);
  });

  it('file accounting: PageDoubleMap is set by a PTE map and stays set after the unmap (4.8-6.1)', async () => {
    const run = await runThp({ ...SHMEM, era: 'v5.4' });
    const i = run.m.properties.findIndex((p) => p.name === 'thp-doublemap');
    expect(run.r.findings[i]).not.toBeNull();
    const v62 = await runThp({ ...SHMEM, era: 'v6.2' });
    expect(v62.m.properties.some((p) => p.name === 'thp-doublemap')).toBe(false);
    expect(violated(v62)).toEqual([]);
  });

  it('shmem needs an era with file THP, and refuses unmodelled steps', async () => {
    await expect(runThp({ profile: 'shmem', era: 'v4.6' })).rejects.toThrow("--profile shmem needs shmem THP, which era v4.6 does not have (4.8+: use --era v4.8 or later, or --set file_thp=yes)");
    await expect(runThp({ profile: 'shmem', era: 'v5.4', ops: ['write', 'split_huge_page'] })).rejects.toThrow("operation 'split_huge_page' is not modelled for --profile shmem");
  });
});

describe('KVM fault steps and the mmu notifier protocol', () => {
  it('a split of mm0\'s PMD between hva_to_pfn and kvm_map makes kvm_map retry, and nothing is ever incoherent', async () => {
    const run = await runThp({ era: 'v4.6', ops: ['write', 'split_huge_pmd', 'madvise_dontneed', 'kvm'], procs: 1 });
    expect(run.r.exhaustive).toBe(true);
    expect(violated(run)).toEqual([]);
    const retry = run.m.coverPoints.indexOf('kvm_map: mmu_notifier_retry (invalidated: drop the page, retry later)');
    expect(run.r.coverage[retry]).toBeGreaterThan(0);
    expect(run.r.distinct).toBe(DISTINCT_SPLIT);
  });
});

describe('the zero page as a KVM pfn', () => {
  it('a read fault over an untouched PTE-table address maps the zero page read-only; the host COW of it notifies and zaps the leaf', async () => {
    const { createModel } = await import('../../models/registry.js');
    const { replay } = await import('../../src/checker/trace.js');
    const { actionId } = await import('../helpers/thp.js');
    const m = createModel('thp', { ...KVM_127393, era: 'v4.6' });
    const path = ['write(0,0)', 'madvise_dontneed(0,[1])', 'kvm_page_fault(1)', 'hva_to_pfn()', 'kvm_map()', 'write(0,1)'];
    const r = replay(m, { init: 0, actions: path.map((l) => actionId(m, l)) });
    const at = (k: number) => m.decode(r.states[k]!);
    expect(at(4).get('kvm.fault.pfn')).toBe('zero-page');
    expect(at(5).get('kvm.ept[1]')).toBe('zero-page');
    expect(at(5).get('kvm.ept.write')).toBe('0000');
    expect(at(5).get('F0._refcount')).toBe(3); // no reference on the zero page
    expect(at(6).get('kvm.ept[1]')).toBe('-');
    expect(at(6).get('mm0.pte[1]')).toBe('S0');
  });
});
