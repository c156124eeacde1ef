/**
 * The four mapcount policies of the 2023 HGM thread (lore: Peter Xu,
 * 2023-01-18, "Re: [PATCH 21/46] hugetlb: use struct hugetlb_pte for
 * walk_hugetlb_range", quoting David Hildenbrand and James Houghton), as
 * the rmap functions that count one leaf entry and the reads the consumers
 * make. HGM was never merged: A and B are the two postings' code, C and D
 * exist only as mails.
 */
import type { Kern } from '../kern.js';
import { PUD, PMD, type Bank } from '../layout.js';

/** The PAGE_SIZE pages a leaf maps: [first, count]. */
function span(k: Kern, level: number, idx: number): [number, number] {
  if (level === PUD) return [0, k.c.pieces];
  if (level === PMD) return [idx * k.half, k.half];
  return [idx, 1];
}

/**
 * Kernel: mm/hugetlb.c hugetlb_add_file_rmap() of HGM v2 22/46
 *   (20230218002819.1486479-23-jthoughton@google.com) for B; HGM v1
 *   (20230105101844.1893104-*-jthoughton@google.com) calls
 *   page_add_file_rmap(hpage, vma, true) for an entry of any size (A).
 * Modelled: one new leaf in one bank. A: compound_mapcount + 1. B, D: an
 *   hstate-level leaf adds to compound_mapcount, a smaller one adds 1 to the
 *   _mapcount of each PAGE_SIZE page it maps. C (David Hildenbrand's mail):
 *   compound_mapcount + 1 only when the VMA's sub-tree takes its one logical
 *   mapping (`logical`), whatever the leaf.
 * Abstracted: NR_FILE_MAPPED and the other counters page_add_file_rmap
 *   keeps; mlock; the HPageVmemmapOptimized check.
 */
export function hugetlb_add_file_rmap(k: Kern, bank: Bank, level: number, idx: number, logical: boolean): void {
  const pol = bank.policy;
  if (pol === 'C') {
    if (logical) k.mapcountAdd(bank.COMPOUND, 1);
    return;
  }
  if (pol === 'A' || level === PUD) {
    k.mapcountAdd(bank.COMPOUND, 1);
    return;
  }
  const [first, n] = span(k, level, idx);
  for (let i = first; i < first + n; i++) k.mapcountAdd(bank.MAPCOUNT + i, 1);
}

/**
 * Kernel: mm/hugetlb.c hugetlb_remove_rmap() of HGM v2 (the counterpart of
 *   hugetlb_add_file_rmap; v1: page_remove_rmap(hpage, vma, true)).
 * Modelled: the reverse of hugetlb_add_file_rmap for one leaf; a raw
 *   mapcount going below -1 is the kernel assertion.
 * Abstracted: as hugetlb_add_file_rmap.
 */
export function hugetlb_remove_rmap(k: Kern, bank: Bank, level: number, idx: number, logical: boolean): void {
  const pol = bank.policy;
  if (pol === 'C') {
    if (logical) k.mapcountSub(bank.COMPOUND);
    return;
  }
  if (pol === 'A' || level === PUD) {
    k.mapcountSub(bank.COMPOUND);
    return;
  }
  const [first, n] = span(k, level, idx);
  for (let i = first; i < first + n; i++) k.mapcountSub(bank.MAPCOUNT + i);
}

/**
 * The references a new leaf takes under the bank-0 policy: one per leaf
 * (A, B, D: get_page per entry in hugetlb_no_page and, HGM v2 22/46, in
 * copy_hugetlb_page_range: "the reference count will be incremented by
 * 512" for a PMD-mapped 1G page), or one per logical mapping (C).
 * Harness: the decision the rmap functions' callers make.
 */
export function takesReference(bank: Bank, logical: boolean): boolean {
  return bank.policy !== 'C' || logical;
}

/**
 * Kernel: include/linux/mm.h page_mapcount() (6.2: the page's _mapcount + 1
 *   plus, for a compound page, compound_mapcount + 1).
 * Modelled: A, C keep only compound_mapcount, so every page of H reads it
 *   (HGM v1: "page_mapcount() returns the total number of page table
 *   references for the compound page"); B, D add the page's own count.
 * Abstracted: —
 */
export function page_mapcount(k: Kern, bank: Bank, page: number): number {
  const compound = k.signed(bank.COMPOUND) + 1;
  if (bank.MAPCOUNT < 0) return compound;
  return compound + k.signed(bank.MAPCOUNT + page) + 1;
}

/**
 * Kernel: include/linux/mm.h page_mapped() / folio_mapped() of 6.2, with
 *   HGM v2 5/46 "mm: rmap: make hugetlb pages participate in
 *   _nr_pages_mapped" (reposted as its own series 2023-03-06) for B.
 * Modelled: mapped iff compound_mapcount >= 0 or, where per-page counts
 *   exist, some page's _mapcount >= 0 (what _nr_pages_mapped > 0 says).
 * Abstracted: _nr_pages_mapped itself (derived, exact here).
 */
export function folio_mapped(k: Kern, bank: Bank): boolean {
  if (k.signed(bank.COMPOUND) >= 0) return true;
  if (bank.MAPCOUNT < 0) return false;
  for (let i = 0; i < k.c.pieces; i++) if (k.signed(bank.MAPCOUNT + i) >= 0) return true;
  return false;
}
