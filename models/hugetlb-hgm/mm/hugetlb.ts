/**
 * The hugetlb paths of the HGM series that map, unmap and copy H, and the
 * guard the thread proposes. One leaf at a time goes through mapLeaf /
 * unmapLeaf, which count it in every counter bank and take or drop its
 * reference under the driving policy.
 */
import { CV } from '../coverage.js';
import type { Kern } from '../kern.js';
import { ENT_NONE, ENT_TABLE, MM_ALIVE, MM_EXITED, PMD, PTE, PUD } from '../layout.js';
import { hugetlb_add_file_rmap, hugetlb_remove_rmap, takesReference } from './rmap.js';

const ZAP_POINT = [CV.zapPud, CV.zapPmd, CV.zapPte];

/**
 * Harness: set_huge_pte_at of one leaf with its rmap and reference, as
 * hugetlb_no_page, hugetlb_mcopy_atomic_pte, hugetlb_collapse and
 * copy_hugetlb_page_range do it (tables above the leaf allocated first,
 * hugetlb_full_walk_alloc). `held`: the caller's page-cache lookup already
 * holds the reference the leaf keeps (dropped if the policy takes none for
 * this leaf); otherwise get_page here. Policy C's logical mapping is taken
 * when the VMA goes from holding none to holding one.
 */
export function mapLeaf(k: Kern, p: number, v: number, level: number, idx: number, held = false): void {
  const before = k.holdsLogical(p, v);
  k.writeLeaf(p, v, level, idx, true);
  const logical = !before && k.holdsLogical(p, v);
  for (const b of k.o.banks) hugetlb_add_file_rmap(k, b, level, idx, logical);
  const keep = takesReference(k.bank(0), logical);
  if (keep && !held) k.refAdd(1);
  else if (!keep && held) k.refSub();
}

/**
 * Harness: huge_ptep_get_and_clear of one leaf and its rmap; its reference
 * is put here, or (deferPut) returned for the caller's tlb_finish_mmu.
 */
export function unmapLeaf(k: Kern, p: number, v: number, level: number, idx: number, deferPut = false): number {
  const before = k.holdsLogical(p, v);
  k.writeLeaf(p, v, level, idx, false);
  const logical = before && !k.holdsLogical(p, v);
  k.cover(ZAP_POINT[level]!);
  for (const b of k.o.banks) hugetlb_remove_rmap(k, b, level, idx, logical);
  if (!takesReference(k.bank(0), logical)) return 0;
  if (deferPut) return 1;
  k.refSub();
  return 0;
}

/**
 * Kernel: mm/filemap.c filemap_lock_folio / filemap_get_folio, as
 *   hugetlb_no_page, hugetlb_mcopy_atomic_pte (MCOPY_ATOMIC_CONTINUE) and
 *   hugetlb_collapse (HGM v2) call it to find H in the page cache.
 * Modelled: the lookup's reference, taken before anything can read H's
 *   count: the guard's check sees it, and a refused operation puts it back.
 *   It wraps the counter like any other add.
 * Abstracted: the folio lock; H is always in the page cache.
 */
export function filemap_lock_folio(k: Kern): void {
  k.refAdd(1);
}

/** Kernel: mm/swap.c folio_put of the lookup's reference on a path the guard refused. Modelled: the put. Abstracted: —. */
export function folio_put(k: Kern): void {
  k.refSub();
}

/** Harness: free_pgtables of a VMA's HGM sub-tree (its leaves already zapped): where policy C with c_release=page_tables lets go. */
export function freeSubtree(k: Kern, p: number, v: number): void {
  if (k.pud(p, v) !== ENT_TABLE) return;
  const before = k.holdsLogical(p, v);
  k.clearTables(p, v);
  k.cover(CV.freeSubtree);
  if (before && !k.holdsLogical(p, v)) {
    // only policy C counts page tables; the others counted the leaves as they went
    for (const b of k.o.banks) if (b.policy === 'C') hugetlb_remove_rmap(k, b, PUD, 0, true);
    if (k.bank(0).policy === 'C') k.refSub();
  }
}

/** Piece j of (p, v) is mapped by no leaf: a fault there finds a none entry. */
export function faultable(k: Kern, p: number, v: number, j: number): boolean {
  return k.leafAt(p, v, j) === null;
}

/**
 * Kernel: mm/hugetlb.c hugetlb_fault -> hugetlb_no_page, HGM v2 24/46
 *   (20230218002819.1486479-25-jthoughton@google.com).
 * Modelled: the walk stops at the first none entry and maps a leaf of that
 *   size: the whole page where nothing is mapped, a PMD-sized leaf where the
 *   sub-tree has none for that half, a PAGE_SIZE leaf under a PTE table
 *   ("Unless high-granularity mappings are created via UFFDIO_CONTINUE, it
 *   is impossible for hugetlb_fault to create high-granularity mappings").
 *   Policy D allows no intermediate size: there the fault maps PAGE_SIZE.
 *   The page-cache lookup's reference (filemap_lock_folio, taken before)
 *   becomes the leaf's.
 * Abstracted: reservations,
 *   uffd-wp markers, hugetlb_wp (MAP_SHARED only), the retry on a racing
 *   split (steps are atomic).
 */
export function hugetlb_fault(k: Kern, p: number, v: number, j: number): void {
  if (k.pud(p, v) === ENT_NONE) {
    k.cover(CV.faultPud);
    mapLeaf(k, p, v, PUD, 0, true);
    return;
  }
  const m = k.halfOf(j);
  if (k.pmd(p, v, m) === ENT_NONE) {
    if (k.pageOnly) {
      k.cover(CV.faultPteOnly);
      mapLeaf(k, p, v, PTE, j, true);
      return;
    }
    k.cover(CV.faultPmd);
    mapLeaf(k, p, v, PMD, m, true);
    return;
  }
  k.cover(CV.faultPte);
  mapLeaf(k, p, v, PTE, j, true);
}

/** UFFDIO_CONTINUE can map piece j: no leaf covers it (-EEXIST otherwise). */
export function continuable(k: Kern, p: number, v: number, j: number): boolean {
  return k.leafAt(p, v, j) === null;
}

/**
 * Kernel: mm/userfaultfd.c mfill_atomic_hugetlb -> mm/hugetlb.c
 *   hugetlb_mcopy_atomic_pte (MCOPY_ATOMIC_CONTINUE), HGM v1/v2.
 * Modelled: one PAGE_SIZE leaf for the piece, its sub-tree and PTE table
 *   allocated as needed; the lookup's reference becomes the leaf's.
 * Abstracted: ranges longer than a piece (hugetlb_alloc_largest_pte would
 *   pick larger leaves), the uffd-wp flag.
 */
export function hugetlb_mcopy_atomic_pte(k: Kern, p: number, v: number, j: number): void {
  k.cover(CV.continuePte);
  mapLeaf(k, p, v, PTE, j, true);
}

/**
 * Harness: the guard of the thread, which has no kernel code (hence no
 * kernel name). James Houghton: "check if refcount is > INT_MAX/2 (similar
 * to try_get_page()), and if it is, stop the operation"; placed where the
 * path has H (after its page-cache lookup); with guard=fault+fork also in
 * fork (David Hildenbrand: "make sure that fork() won't do the same"); with
 * guard=all also in MADV_COLLAPSE and GUP (Peter Xu: "similar check in
 * page_ref_add, page_ref_inc ..."). page_ref_count(H) > INT_MAX'/2 refuses;
 * a negative (wrapped) count passes, as the C comparison would.
 */
export function refcountGuardPasses(k: Kern): boolean {
  return k.refcount() <= k.T;
}

/**
 * Kernel: mm/hugetlb.c __unmap_hugepage_range (MADV_DONTNEED, HGM v1/v2),
 *   over the range of the leaf that maps piece j.
 * Modelled: that leaf is zapped whole; page tables stay.
 * Abstracted: splitting a larger leaf to zap only the piece
 *   (hugetlb_split_to_shift, posted later for 4K hwpoison), the
 *   alignment checks of madvise.
 */
export function __unmap_hugepage_range(k: Kern, p: number, v: number, j: number): void {
  const at = k.leafAt(p, v, j);
  if (at) unmapLeaf(k, p, v, at[0], at[1]);
}

/**
 * Kernel: mm/hugetlb.c __hugetlb_collapse (HGM v2, MADV_COLLAPSE; "Any
 *   holes in the mapping will be filled").
 * Modelled: in the kernel's order: the page-cache lookup's reference (the
 *   caller took it: filemap_get_folio), the sub-tree's leaves zapped with
 *   their rmap (__unmap_hugepage_range), its tables freed, the hstate-level
 *   leaf's rmap and entry, and last the zapped leaves' puts
 *   (tlb_finish_mmu). A sub-tree with no leaf left gains a reference.
 * Abstracted: the VMA lock and i_mmap_rwsem (steps are atomic), hwpoisoned
 *   and migrating folios.
 */
export function hugetlb_collapse(k: Kern, p: number, v: number): void {
  k.cover(CV.collapse);
  let puts = 0;
  for (const [level, idx] of k.leaves(p, v)) puts += unmapLeaf(k, p, v, level, idx, true);
  freeSubtree(k, p, v);
  mapLeaf(k, p, v, PUD, 0, true);
  for (; puts > 0; puts--) k.refSub();
}

/**
 * Kernel: mm/hugetlb.c copy_hugetlb_page_range, HGM v2 22/46: "The page
 *   table structure is copied such that partially mapped regions will
 *   remain partially mapped in the same way for the new process"; one
 *   reference per copied entry (get_page(hpage)) and hugetlb_add_file_rmap.
 * Modelled: each leaf of each of the parent's VMAs, in address order, into
 *   the child's VMA of the same index (uffd-wp makes fork copy MAP_SHARED
 *   hugetlb page tables: David Hildenbrand in the thread).
 * Abstracted: shared PMDs (hugetlb_pmd_shared; HGM does not share them),
 *   the anon/COW path (HGM is MAP_SHARED only).
 */
export function copy_hugetlb_page_range(k: Kern, parent: number, child: number): void {
  k.cover(CV.forkCopy);
  k.setState(child, MM_ALIVE);
  for (let v = 0; v < k.o.K; v++) for (const [level, idx] of k.leaves(parent, v)) mapLeaf(k, child, v, level, idx);
}

/**
 * Kernel: mm/mmap.c exit_mmap -> unmap_vmas (__unmap_hugepage_range),
 *   free_pgtables.
 * Modelled: every leaf zapped, then every sub-tree freed.
 * Abstracted: GUP references stay with their holder (put is its own step).
 */
export function exit_mmap(k: Kern, p: number): void {
  k.cover(CV.exit);
  for (let v = 0; v < k.o.K; v++) {
    for (const [level, idx] of k.leaves(p, v)) unmapLeaf(k, p, v, level, idx);
    freeSubtree(k, p, v);
  }
  k.setState(p, MM_EXITED);
}

/**
 * Kernel: mm/gup.c try_grab_page (6.2: "if (WARN_ON_ONCE(folio_ref_count
 *   (folio) <= 0)) return -ENOMEM"), from follow_hugetlb_page (HGM v1 17/26
 *   of the 2022 RFC walks to the PAGE_SIZE leaf).
 * Modelled: the only check GUP has: a count <= 0 (already wrapped) is
 *   refused; anything else takes one reference, past INT_MAX' too.
 * Abstracted: FOLL_PIN (one reference plus _pincount for a large folio:
 *   the same here), GUP-fast, faulting the page in (fault is its own step).
 */
export function try_grab_page(k: Kern): boolean {
  if (k.refcount() <= 0) {
    k.cover(CV.gupRefused);
    return false;
  }
  k.cover(CV.gupTaken);
  k.refAdd(1);
  k.s[k.o.GUP]!++;
  return true;
}

/**
 * Kernel: mm/swap.c put_page of a GUP reference (put_page_testzero's
 *   VM_BUG_ON_PAGE on a zero count).
 * Modelled: one reference dropped.
 * Abstracted: freeing H when the count reaches 0 (the page cache's
 *   reference keeps it above 0 unless the count wrapped).
 */
export function put_page(k: Kern): void {
  k.cover(CV.put);
  k.s[k.o.GUP]!--;
  k.refSub();
}
