/**
 * Coverage points: one per modelled kernel branch (traces print the ones a
 * step took), then the consumer scores. Ids are positions in the list.
 */
import type { Policy } from './config.js';

/** The consumers the thread names, each a read of the mapcount at one kernel site. */
export const CONSUMERS = [
  {
    id: 'smaps-shared',
    title: '/proc/PID/smaps Shared_Hugetlb (smaps_hugetlb_range: page_mapcount(page) >= 2)',
    positive: 'shared',
    truth: 'two or more VMAs map H',
    fp: 'calls an entry Shared_Hugetlb although no other VMA maps H',
    fn: 'calls an entry Private_Hugetlb although another VMA maps H too',
  },
  {
    id: 'mpol-move',
    title: 'mbind MPOL_MF_MOVE (queue_pages_hugetlb: page_mapcount(head) == 1)',
    positive: 'move',
    truth: 'exactly one VMA maps H',
    fp: 'isolates H for migration although another VMA maps it too',
    fn: 'leaves H although only this VMA maps it',
  },
  {
    id: 'hwpoison-unmap',
    title: 'memory_failure (hwpoison_user_mappings: !page_mapped(hpage) after try_to_unmap)',
    positive: 'unmapped',
    truth: 'no VMA maps H (always so after try_to_unmap)',
    fp: 'says the unmap succeeded although a mapping is left',
    fn: 'says the unmap failed although try_to_unmap removed every mapping',
  },
] as const;
export type ConsumerId = (typeof CONSUMERS)[number]['id'];

export const CLASSES = ['agree', 'false-positive', 'false-negative'] as const;
export type ScoreClass = (typeof CLASSES)[number];

/** Coverage points of the modelled kernel branches, by key; `CV.key` is the point's id. */
export const POINT = {
  faultPud: 'hugetlb_no_page: hstate-level leaf',
  faultPmd: 'hugetlb_no_page: PMD-sized leaf in an HGM sub-tree',
  faultPte: 'hugetlb_no_page: PAGE_SIZE leaf',
  faultPteOnly: 'hugetlb_no_page: PAGE_SIZE leaf where the walk ends at a PMD (only full or PAGE_SIZE sizes)',
  continuePte: 'hugetlb_mcopy_atomic_pte: UFFDIO_CONTINUE maps a PAGE_SIZE leaf',
  refusedFault: 'guard: refused a fault (VM_FAULT_SIGBUS)',
  refusedContinue: 'guard: refused UFFDIO_CONTINUE (-ENOMEM)',
  refusedFork: 'guard: refused fork (-ENOMEM)',
  refusedCollapse: 'guard: refused MADV_COLLAPSE (-ENOMEM)',
  refusedGup: 'guard: refused GUP (-ENOMEM)',
  checkPassed: 'guard: check passed, the add is a later step',
  addAfterCheck: 'guard: the add after a passed check',
  zapPud: 'zap: hstate-level leaf',
  zapPmd: 'zap: PMD-sized leaf',
  zapPte: 'zap: PAGE_SIZE leaf',
  freeSubtree: 'free_pgtables: HGM sub-tree freed',
  collapse: 'hugetlb_collapse: sub-tree replaced by one hstate-level leaf',
  forkCopy: 'copy_hugetlb_page_range: child gets every entry',
  exit: 'exit_mmap',
  gupTaken: 'try_grab_page: reference taken',
  gupRefused: 'try_grab_page: refcount <= 0, refused (-ENOMEM)',
  lookup: 'filemap_lock_folio: the lookup takes a reference',
  lookupPut: 'folio_put: a refused path drops its lookup reference',
  put: 'put_page: GUP reference dropped',
  wrapped: 'folio_ref_add: wrapped past INT_MAX',
  notScored: 'consumers: not scored, a counter has wrapped',
} as const;

export const CV = Object.fromEntries(Object.keys(POINT).map((k, i) => [k, i])) as Record<keyof typeof POINT, number>;

/** The retry point of a two-step guard: the statement that passed the check runs again to add. */
export const CHECK_PASSED = POINT.checkPassed;

const KERNEL_POINTS: string[] = Object.values(POINT);

/** `compare A smaps-shared: agree` (the names mmcheck compare reads back) */
export function comparePoint(side: 'a' | 'b', consumer: string, cls: string): string {
  return `compare ${side.toUpperCase()} ${consumer}: ${cls}`;
}

/** `smaps-shared: false-positive` in check runs (policy A's scores) */
export function scorePoint(consumer: string, cls: string): string {
  return `${consumer}: ${cls}`;
}

export function coverPoints(compare: Policy | null): string[] {
  const scores: string[] = [];
  for (const c of CONSUMERS)
    for (const cls of CLASSES) {
      if (compare) scores.push(comparePoint('a', c.id, cls), comparePoint('b', c.id, cls));
      else scores.push(scorePoint(c.id, cls));
    }
  return [...KERNEL_POINTS, ...scores];
}
