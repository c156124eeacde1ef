/**
 * Kernel eras as presets over feature flags (spec §10). The era is
 * configuration, never state. Each decision point can be overridden on its
 * own with `--set <point>=<variant>` without writing a new era.
 */
import { UsageError } from '../../src/model.js';

/** PTE-path COW reuse rule in do_wp_page (spec §4.2.1, §6.2). */
export const REUSE = ['R45', 'R46', 'R_andrea_draft', 'R59', 'R519', 'R65'] as const;
/** PMD-path COW reuse rule in do_huge_pmd_wp_page (spec §4.2.2, §6.3). */
export const PMD_REUSE = ['P45', 'P46', 'P518', 'P519'] as const;
/** What do_huge_pmd_wp_page does when it cannot reuse. */
export const PMD_COW = ['copy', 'split'] as const;
/** Whether the PMD reuse path calls page_move_anon_rmap (5.18+ does; 4.6 did not). */
export const PMD_REUSE_RMAP = ['keep', 'move'] as const;
/** fork's handling of pinned anon pages (spec §4.3). */
export const FORK_COW = ['none', 'pinned', 'ae'] as const;
/** GUP's COW-breaking rule for read references (spec §4.7). */
export const GUP_COW = ['none', 'force', 'unshare'] as const;
/** Counter scheme of a large folio (spec §2). */
export const MAPCOUNT = ['doublemap', 'entire'] as const;
/** Whether FOLL_PIN exists (pin_user_pages, pincount), 5.7+. */
export const FOLL_PIN = ['no', 'yes'] as const;
/**
 * Atomicity of the split of an anon huge PMD and of the PMD COW's
 * page_trans_huge_mapcount() read (spec §5, §8): one step each, or the
 * kernel's three writes and three reads as separate steps, so that a split
 * in one mm interleaves with a COW decision in another (CVE-2020-29368).
 */
export const SPLIT_STEPS = ['atomic', 'stepwise'] as const;
/** Whether an anon PMD split takes the page lock (c444eb564fb1, 5.8; dropped again by 7f7609175ff2 in 5.18). */
export const SPLIT_PAGE_LOCK = ['no', 'yes'] as const;
/** Whether shmem/file THP exists (dd78fedde4b9 "rmap: support file thp", 4.8). */
export const FILE_THP = ['no', 'yes'] as const;
/**
 * KVM's "may this be mapped 2M in the EPT" test, transparent_hugepage_adjust (spec §4.8, §6.1):
 * built-in variants; `--predicate kvm_huge=FILE` plugs in a user's own.
 */
export const KVM_HUGE = ['TC', 'TCM_orig', 'TCM_yang_v1', 'TCM_hugh', 'HOSTWALK'] as const;

export interface Flags {
  reuse: (typeof REUSE)[number];
  pmd_reuse: (typeof PMD_REUSE)[number];
  pmd_cow: (typeof PMD_COW)[number];
  pmd_reuse_rmap: (typeof PMD_REUSE_RMAP)[number];
  fork_cow: (typeof FORK_COW)[number];
  gup_cow: (typeof GUP_COW)[number];
  mapcount: (typeof MAPCOUNT)[number];
  foll_pin: (typeof FOLL_PIN)[number];
  file_thp: (typeof FILE_THP)[number];
  split_steps: (typeof SPLIT_STEPS)[number];
  split_page_lock: (typeof SPLIT_PAGE_LOCK)[number];
  kvm_huge: (typeof KVM_HUGE)[number];
}

export const DECISIONS: Record<keyof Flags, { variants: readonly string[]; doc: string }> = {
  reuse: { variants: REUSE, doc: 'do_wp_page reuse rule for anon pages (spec §6.2)' },
  pmd_reuse: { variants: PMD_REUSE, doc: 'do_huge_pmd_wp_page reuse rule (spec §6.3)' },
  pmd_cow: { variants: PMD_COW, doc: 'PMD COW when not reusable: copy a new THP (<=5.7) or split and fall back (5.8+)' },
  pmd_reuse_rmap: { variants: PMD_REUSE_RMAP, doc: 'PMD reuse moves the anon_vma (5.18+) or keeps it (<=5.17)' },
  fork_cow: { variants: FORK_COW, doc: 'fork copies pinned pages early: never, if maybe-pinned (5.9), if exclusive and maybe-pinned (5.19)' },
  gup_cow: { variants: GUP_COW, doc: 'read GUP on a COW mapping: no COW break, forced break (5.8), unshare non-exclusive pins (5.19)' },
  mapcount: { variants: MAPCOUNT, doc: 'large-folio counters: compound_mapcount + PageDoubleMap (<=6.1) or entire_mapcount + nr_pages_mapped (6.2+)' },
  foll_pin: { variants: FOLL_PIN, doc: 'FOLL_PIN and the folio pincount exist (5.7+); before, pins are plain references' },
  split_steps: {
    variants: SPLIT_STEPS,
    doc: 'explicit split_huge_pmd and the P46 PMD COW read: one step each (default) or stepwise, so they interleave (CVE-2020-29368)',
  },
  split_page_lock: { variants: SPLIT_PAGE_LOCK, doc: 'anon PMD split takes the page lock, serialising it with the PMD COW (c444eb564fb1, 5.8-5.17)' },
  file_thp: { variants: FILE_THP, doc: 'shmem/file THP exists (4.8+, dd78fedde4b9): needed by --profile shmem' },
  kvm_huge: {
    variants: KVM_HUGE,
    doc: 'KVM maps a THP 2M in the EPT if: TC PageTransCompound (<=4.5), TCM_orig PageTransCompoundMap 127393fbe597 (4.6), TCM_yang_v1 (Yang Shi v1, seed 000), TCM_hugh 169226f7e0d2 (5.4), HOSTWALK host page-table walk db5432165e9b (x86 5.6+); or --predicate kvm_huge=FILE.ts',
  },
};

export interface Era {
  id: string;
  kernels: string;
  commits: string;
  flags: Flags;
}

const B: Flags = {
  reuse: 'R46', pmd_reuse: 'P46', pmd_cow: 'copy', pmd_reuse_rmap: 'keep',
  fork_cow: 'none', gup_cow: 'none', mapcount: 'doublemap', foll_pin: 'no', file_thp: 'no', kvm_huge: 'TCM_orig',
  split_steps: 'atomic', split_page_lock: 'no',
};
/** What 4.8 (file THP) and 5.4 (169226f7e0d2) add to B; x86 walks the host page table from about 5.6 (db5432165e9b). */
const B48: Flags = { ...B, file_thp: 'yes' };
const LATER: Partial<Flags> = { file_thp: 'yes', kvm_huge: 'HOSTWALK' };

export const ERAS: readonly Era[] = [
  {
    id: 'v4.5',
    kernels: '4.5',
    commits: 'REDESIGN 53f9263baba6 ddc58f27f9ee e9b61f19858a (PTE-mapped THP; a THP subpage is never reused on COW)',
    flags: { ...B, reuse: 'R45', pmd_reuse: 'P45', kvm_huge: 'TC' },
  },
  {
    id: 'andrea-v1',
    kernels: '4.6-rc draft',
    commits: "seed 004's first posting of 6d0a07edd17c: reuse by page_trans_huge_mapcount(), page_move_anon_rmap of the whole THP unconditionally",
    flags: { ...B, reuse: 'R_andrea_draft' },
  },
  {
    id: 'v4.6',
    kernels: '4.6-5.7',
    commits: '+THP_MAPCOUNT_COW 6d0a07edd17c (rmap move only if total_mapcount()==1), KVM_TCM 127393fbe597',
    flags: { ...B },
  },
  {
    id: 'v4.8',
    kernels: '4.8-5.3',
    commits: '+FILE_THP dd78fedde4b9 (shmem THP; file _mapcount counts PMD maps on every subpage; PageTransCompoundMap still tests _mapcount < 0)',
    flags: { ...B48 },
  },
  {
    id: 'v5.4',
    kernels: '5.4-5.5 (x86), 5.4-5.14 (arm64)',
    commits: '+KVM_TCM_FILE 169226f7e0d2 (PageTransCompoundMap compares a file subpage\'s _mapcount with compound_mapcount; Hugh Dickins\' patch, seed 000)',
    flags: { ...B48, kvm_huge: 'TCM_hugh' },
  },
  {
    id: 'v5.8',
    kernels: '5.8',
    commits: '+KVM_HOSTWALK_X86 db5432165e9b (5.6), FOLL_PIN (5.7), THP_COW_SPLIT 3917c80280c9, SPLIT_PAGE_LOCK c444eb564fb1, GUP_FORCE_COW 17839856fd58',
    flags: { ...B, pmd_cow: 'split', gup_cow: 'force', foll_pin: 'yes', split_page_lock: 'yes', ...LATER },
  },
  {
    id: 'v5.9',
    kernels: '5.9-5.17',
    commits: '+WP_PAGECOUNT 09854ba94c6a, FORK_EARLY_COW 008cfe4418b3 70e806e4e645 d042035eaf5f, -GUP_FORCE_COW a308c71bf1e6',
    flags: { ...B, reuse: 'R59', pmd_cow: 'split', fork_cow: 'pinned', foll_pin: 'yes', split_page_lock: 'yes', ...LATER },
  },
  {
    id: 'v5.18',
    kernels: '5.18',
    commits: '+PMD_PAGECOUNT 3bff7e3f1f16 (PMD COW by refcount, page_move_anon_rmap on reuse)',
    flags: { ...B, reuse: 'R59', pmd_reuse: 'P518', pmd_reuse_rmap: 'move', pmd_cow: 'split', fork_cow: 'pinned', foll_pin: 'yes', ...LATER },
  },
  {
    id: 'v5.19',
    kernels: '5.19-6.1',
    commits: '+ANON_EXCLUSIVE 6c287605fd56 fb3d824d1a46 6c54dc6c7437 (PageAnonExclusive, GUP unshare)',
    flags: { ...B, reuse: 'R519', pmd_reuse: 'P519', pmd_reuse_rmap: 'move', pmd_cow: 'split', fork_cow: 'ae', gup_cow: 'unshare', foll_pin: 'yes', ...LATER },
  },
  {
    id: 'v6.2',
    kernels: '6.2-6.4',
    commits: "+NO_DOUBLEMAP (Hugh Dickins' mm,thp,rmap series: entire_mapcount, nr_pages_mapped), UNSHARE_NONANON",
    flags: { ...B, reuse: 'R519', pmd_reuse: 'P519', pmd_reuse_rmap: 'move', pmd_cow: 'split', fork_cow: 'ae', gup_cow: 'unshare', mapcount: 'entire', foll_pin: 'yes', ...LATER },
  },
];

export const DEFAULT_ERA = 'v6.2';

export function findEra(id: string): Era {
  const e = ERAS.find((x) => x.id === id);
  if (!e) throw new UsageError(`unknown era '${id}' (known: ${ERAS.map((x) => x.id).join(', ')})`);
  return e;
}

/** Apply `--set point=variant` overrides to an era's flags. */
export function applyOverrides(flags: Flags, set: Record<string, string>): Flags {
  const out: Flags = { ...flags };
  for (const [k, v] of Object.entries(set)) {
    if (k === 'ranges') continue; // a model bound, handled by the config
    // an own key only: `constructor` or `__proto__` from a file or a flag is an unknown point, not Object's
    const d = Object.hasOwn(DECISIONS, k) ? DECISIONS[k as keyof Flags] : undefined;
    if (!d) throw new UsageError(`unknown decision point '${k}' in --set (known: ${[...Object.keys(DECISIONS), 'ranges'].join(', ')})`);
    if (!d.variants.includes(v)) throw new UsageError(`unknown variant '${v}' for --set ${k} (known: ${d.variants.join(', ')})`);
    (out as unknown as Record<string, string>)[k] = v;
  }
  return out;
}
