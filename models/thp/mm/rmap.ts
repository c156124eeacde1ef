/**
 * mm/rmap.c: what mapping and unmapping do to the struct page counters
 * (spec §3), and the derived counts predicates are written over (spec §2).
 * Two counter schemes: compound_mapcount + PageDoubleMap (4.5-6.1) and
 * _entire_mapcount + _nr_pages_mapped (6.2+), chosen by the era's `mapcount`.
 */
import { CV } from '../coverage.js';
import type { Kern, PageRef } from '../kern.js';

/**
 * Kernel: mm/rmap.c page_add_new_anon_rmap (compound) / folio_add_new_anon_rmap.
 * Eras: 5.19+ sets PageAnonExclusive on the head. Modelled: a new THP mapped by
 * one PMD of mm p. Abstracted: LRU, memcg, NR_ANON_THPS.
 */
export function page_add_new_anon_rmap_thp(k: Kern, f: number, p: number): void {
  k.setCompoundRaw(f, 0);
  k.setMapping(f, p);
  k.setAeThp(f, 0, true);
}

/** Kernel: mm/rmap.c page_add_new_anon_rmap (small). Modelled: _mapcount 0, mapping, 5.19+ exclusive. */
export function page_add_new_anon_rmap_small(k: Kern, s: number, p: number): void {
  k.setSmallMapRaw(s, 0);
  k.setSmallMapping(s, p);
  k.setAeSmall(s, true);
}

/**
 * Kernel: mm/rmap.c page_dup_rmap / page_add_anon_rmap, compound (fork's copy_huge_pmd).
 * Eras: identical in both schemes (6.2: _entire_mapcount). Abstracted: the
 * ENTIRELY_MAPPED bias of _nr_pages_mapped (derivable from _entire_mapcount).
 */
export function page_dup_rmap_pmd(k: Kern, f: number): void {
  k.setCompoundRaw(f, k.compound_mapcount_raw(f) + 1);
}

/** Kernel: mm/rmap.c page_dup_rmap / page_add_anon_rmap of one PTE. 6.2+: _nr_pages_mapped on the -1 -> 0 edge. */
export function page_dup_rmap_pte(k: Kern, pg: PageRef): void {
  if (!pg.thp) return k.smallMapAdd(pg.idx, 1);
  if (k.mapcountAdd(pg.idx, pg.sub, 1) === 0) k.nrPagesMappedAdd(pg.idx, 1);
}

/**
 * Kernel: mm/rmap.c page_remove_rmap(page, compound=true) -> page_remove_anon_compound_rmap.
 * Eras: 4.5-6.1 clears PageDoubleMap (and its +1 on every subpage) when the last
 * PMD mapping goes. Abstracted: deferred split queueing.
 */
export function page_remove_rmap_pmd(k: Kern, f: number): void {
  if (k.isFile(f)) return page_remove_file_rmap_pmd(k, f);
  const v = k.compound_mapcount_raw(f) - 1;
  k.setCompoundRaw(f, v);
  if (v === -1 && k.PageDoubleMap(f)) {
    k.setDoubleMap(f, false);
    for (let i = 0; i < k.N; i++) k.setMapcountRaw(f, i, k.mapcount_raw(f, i) - 1);
    k.cover(CV.split_huge_pmd_clear_PageDoubleMap);
  }
}

/** Kernel: mm/rmap.c page_remove_rmap(page, compound=false). 6.2+: _nr_pages_mapped on the 0 -> -1 edge. */
export function page_remove_rmap_pte(k: Kern, pg: PageRef): void {
  if (!pg.thp) return k.smallMapAdd(pg.idx, -1);
  if (k.isFile(pg.idx)) return page_remove_file_rmap_pte(k, pg.idx, pg.sub);
  if (k.mapcountAdd(pg.idx, pg.sub, -1) === -1) k.nrPagesMappedAdd(pg.idx, -1);
}

/**
 * Kernel: mm/rmap.c page_move_anon_rmap: point the head's mapping at the
 * faulting VMA's anon_vma (the whole folio moves). 5.19+ also sets
 * PageAnonExclusive on the page. Sound only if every mapping of every
 * subpage is in that VMA (seed 004).
 */
export function page_move_anon_rmap(k: Kern, pg: PageRef, p: number): void {
  k.cover(CV.page_move_anon_rmap);
  if (pg.thp) k.setMapping(pg.idx, p);
  else k.setSmallMapping(pg.idx, p);
  k.setAnonExclusive(pg, true);
}

/**
 * Kernel: include/linux/mm.h page_mapcount(page): the subpage's own mappings
 * plus every PMD mapping of its folio (4.5-6.1: minus the PageDoubleMap offset).
 */
export function page_mapcount(k: Kern, pg: PageRef): number {
  if (!pg.thp) return k.smallMapRaw(pg.idx) + 1;
  const f = pg.idx;
  if (k.isFile(f) && k.c.flags.mapcount === 'doublemap') return k.mapcount_raw(f, pg.sub) + 1; // PMD maps are in every _mapcount
  return k.mapcount_raw(f, pg.sub) + 1 + k.compound_mapcount_raw(f) + 1 - (k.PageDoubleMap(f) ? 1 : 0);
}

/** Kernel: mm/huge_memory.c total_mapcount (folio_mapcount in 6.x): every PMD and PTE mapping of the folio. */
export function total_mapcount(k: Kern, f: number): number {
  let r = k.compound_mapcount_raw(f) + 1;
  for (let i = 0; i < k.N; i++) r += k.mapcount_raw(f, i) + 1;
  if (k.isFile(f) && k.c.flags.mapcount === 'doublemap') r -= k.N * (k.compound_mapcount_raw(f) + 1);
  else if (k.PageDoubleMap(f)) r -= k.N;
  return r;
}

/**
 * Kernel: mm/huge_memory.c page_trans_huge_mapcount (4.6-5.17): the highest
 * mapcount any one subpage has (max of raw+1, minus the DoubleMap offset, plus
 * the compound mapcount) - seed 004.
 */
export function page_trans_huge_mapcount(k: Kern, f: number): number {
  let r = 0;
  for (let i = 0; i < k.N; i++) r = Math.max(r, k.mapcount_raw(f, i) + 1);
  if (k.PageDoubleMap(f)) r -= 1;
  return r + k.compound_mapcount_raw(f) + 1;
}

/**
 * Kernel: mm/rmap.c page_add_file_rmap(page, compound=true) (do_set_pmd).
 * Eras (spec §2.2, §3.1): 4.8-6.1 add 1 to every subpage's _mapcount, then
 * to compound_mapcount (keeping NR_FILE_MAPPED single-counted); 6.2+ only
 * _entire_mapcount. Abstracted: NR_SHMEM_PMDMAPPED, memcg stats.
 */
export function page_add_file_rmap_pmd(k: Kern, f: number): void {
  if (k.c.flags.mapcount === 'doublemap') for (let i = 0; i < k.N; i++) k.setMapcountRaw(f, i, k.mapcount_raw(f, i) + 1);
  k.setCompoundRaw(f, k.compound_mapcount_raw(f) + 1);
}

/**
 * Kernel: mm/rmap.c page_add_file_rmap(page, compound=false). 4.8-6.1: a PTE
 * map of any subpage of a file THP sets PageDoubleMap on the head, and
 * nothing on the file side ever clears it while the page lives (Hugh
 * Dickins in seed 000: "sometimes gets set, but never cleared"); no +1 offset.
 * 6.2+: _nr_pages_mapped on the -1 -> 0 edge.
 */
export function page_add_file_rmap_pte(k: Kern, f: number, i: number): void {
  if (k.c.flags.mapcount === 'doublemap') k.setDoubleMap(f, true);
  const v = k.mapcount_raw(f, i) + 1;
  k.setMapcountRaw(f, i, v);
  if (v === 0) k.nrPagesMappedAdd(f, 1);
}

/** Kernel: mm/rmap.c page_remove_file_rmap(page, compound=true): the reverse of page_add_file_rmap_pmd; PageDoubleMap stays. */
function page_remove_file_rmap_pmd(k: Kern, f: number): void {
  if (k.c.flags.mapcount === 'doublemap') for (let i = 0; i < k.N; i++) k.setMapcountRaw(f, i, k.mapcount_raw(f, i) - 1);
  k.setCompoundRaw(f, k.compound_mapcount_raw(f) - 1);
}

/** Kernel: mm/rmap.c page_remove_file_rmap(page, compound=false). */
function page_remove_file_rmap_pte(k: Kern, f: number, i: number): void {
  const v = k.mapcount_raw(f, i) - 1;
  k.setMapcountRaw(f, i, v);
  if (v === -1) k.nrPagesMappedAdd(f, -1);
}
