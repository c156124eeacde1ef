/**
 * The three readers of H's mapcount the thread names ("i. Smaps ... ii.
 * Migration with MPOL_MF_MOVE ... iv. The hwpoison handling code"; iii,
 * COW, needs MAP_PRIVATE, which HGM does not support). Each reads the
 * counters of one bank at the kernel site and reports its answer with the
 * ground truth, counted from the page tables, to `score`.
 */
import type { ConsumerId } from '../coverage.js';
import type { Kern } from '../kern.js';
import { PMD, PUD, type Bank } from '../layout.js';
import { folio_mapped, page_mapcount } from './rmap.js';
import { unmapLeaf } from './hugetlb.js';

export type Score = (consumer: ConsumerId, read: boolean, truth: boolean) => void;

/** The first PAGE_SIZE page a leaf maps: what pte_page() of its entry gives. */
function firstPage(k: Kern, level: number, idx: number): number {
  if (level === PUD) return 0;
  if (level === PMD) return idx * k.half;
  return idx;
}

/**
 * Kernel: fs/proc/task_mmu.c smaps_hugetlb_range (6.2: Shared_Hugetlb iff
 *   page_mapcount(page) >= 2 || hugetlb_pmd_shared(pte); HGM v1 adds
 *   hugetlb_pte_size(hpte) for each entry it walks).
 * Modelled: each leaf of each of p's VMAs: page_mapcount(pte_page) >= 2
 *   says shared; the truth is "two or more VMAs map H" (James Houghton:
 *   "Really both of the above are checking how many VMAs are mapping our
 *   hugepage").
 * Abstracted: shared PMDs; the sizes smaps adds up.
 */
export function smaps_hugetlb_range(k: Kern, p: number, bank: Bank, score: Score): void {
  const truth = k.vmasMapping() >= 2;
  for (let v = 0; v < k.o.K; v++)
    for (const [level, idx] of k.leaves(p, v)) score('smaps-shared', page_mapcount(k, bank, firstPage(k, level, idx)) >= 2, truth);
}

/**
 * Kernel: mm/mempolicy.c queue_pages_hugetlb, HGM v1 30/46
 *   (20230105101844.1893104-31-jthoughton@google.com): page =
 *   compound_head(pte_page(entry)), queued once (last_page), iff
 *   MPOL_MF_MOVE_ALL or MPOL_MF_MOVE and page_mapcount(page) == 1.
 * Modelled: one read of page_mapcount(head) for VMA v; the truth is "only
 *   this VMA maps H" (MPOL_MF_MOVE moves pages that are not shared).
 * Abstracted: the migration itself; MPOL_MF_STRICT; shared PMDs.
 */
export function queue_pages_hugetlb(k: Kern, bank: Bank, score: Score): void {
  score('mpol-move', page_mapcount(k, bank, 0) === 1, k.vmasMapping() === 1);
}

/**
 * Kernel: mm/memory-failure.c hwpoison_user_mappings (6.2): try_to_unmap
 *   of every mapping of hpage, then unmap_success = !page_mapped(hpage).
 * Modelled: `scratch` (a copy of the state) has every leaf of every live
 *   process zapped, as try_to_unmap's rmap walk does; then each bank's
 *   page_mapped() is read there. Nothing maps H afterwards, so the truth is
 *   always "unmapped" (the thread: "hwpoison will unmap all the mappings
 *   for the hugepage").
 * Abstracted: the poisoned page's fate afterwards (the model's state is left
 *   as it was: this step only observes), 4K-granular poisoning.
 */
export function hwpoison_user_mappings(scratch: Kern, score: (bank: number, read: boolean, truth: boolean) => void): void {
  for (let p = 0; p < scratch.o.P; p++) {
    if (!scratch.alive(p)) continue;
    for (let v = 0; v < scratch.o.K; v++) for (const [level, idx] of scratch.leaves(p, v)) unmapLeaf(scratch, p, v, level, idx);
  }
  const truth = scratch.vmasMapping() === 0;
  scratch.o.banks.forEach((b, i) => score(i, !folio_mapped(scratch, b), truth));
}
