/**
 * mm/memory.c: the PTE-level fault paths (do_anonymous_page, do_wp_page,
 * wp_page_copy), fork's copy_present_pte and the zap of a PTE range, plus
 * handle_mm_fault's dispatch between the PMD and PTE handlers.
 */
import { CV } from '../coverage.js';
import type { Kern, PageRef } from '../kern.js';
import { PMD_HUGE, PMD_NONE, PMD_TABLE, PTE_NONE, TOKEN_ZERO, ZERO_PTE } from '../layout.js';
import { do_huge_pmd_anonymous_page, do_huge_pmd_wp_page } from './huge_memory.js';
import { shmem_fault } from './shmem.js';
import { page_add_new_anon_rmap_small, page_dup_rmap_pte, page_mapcount, page_move_anon_rmap, page_remove_rmap_pte, page_trans_huge_mapcount, total_mapcount } from './rmap.js';

export type FaultResult = 'done' | 'fallback' | 'blocked';

/**
 * Kernel: mm/memory.c handle_mm_fault -> __handle_mm_fault -> create_huge_pmd /
 * wp_huge_pmd / handle_pte_fault. Modelled: which handler runs for the entry at
 * addr; a THP fault needs an empty PMD over a range the VMA covers whole with
 * one protection. `unshare` is FAULT_FLAG_UNSHARE (5.19+). Abstracted: the
 * retry after VM_FAULT_FALLBACK is left to the caller (the split and the
 * retried PTE fault are separate steps, as they are under separate locks).
 */
export function handle_mm_fault(k: Kern, p: number, addr: number, write: boolean, unshare = false): FaultResult {
  if (k.c.shmem) return shmem_fault(k, p, addr, write);
  const pmd = k.pmd(p);
  if (pmd === PMD_NONE) {
    if (thpEligible(k, p) && do_huge_pmd_anonymous_page(k, p, addr, write)) return 'done';
    k.setPmd(p, PMD_TABLE); // __pte_alloc
  }
  if (k.pmd(p) === PMD_HUGE) {
    if ((write && !k.pmdWrite(p)) || unshare) return do_huge_pmd_wp_page(k, p, addr, unshare);
    return 'done';
  }
  const e = k.pte(p, addr);
  if (e === PTE_NONE) return do_anonymous_page(k, p, addr, write) ? 'done' : 'blocked';
  if ((write && !k.pteWrite(p, addr)) || unshare) return do_wp_page(k, p, addr, unshare);
  return 'done';
}

/** Harness: transhuge_vma_suitable + an empty aligned range wholly inside one VMA with one protection. */
function thpEligible(k: Kern, p: number): boolean {
  const w = k.s[k.mm(p) + k.o.VMA_WRITE]!;
  return k.vma(p) === k.ALL && (w === 0 || w === k.ALL);
}

/**
 * Kernel: mm/memory.c do_anonymous_page. Read fault: the shared zero page,
 * read-only (no rmap, no refcount, no rss). Write fault: a new small anon page,
 * exclusive (5.19+), writable iff VM_WRITE, MM_ANONPAGES + 1.
 * Abstracted: the huge zero page, memcg, uffd, mTHP (6.8+).
 */
export function do_anonymous_page(k: Kern, p: number, addr: number, write: boolean): boolean {
  if (!write) {
    k.cover(CV.do_anonymous_page_zero_page);
    k.setPte(p, addr, ZERO_PTE, false);
    return true;
  }
  k.anon_vma_prepare(p);
  const pg = newAnonPage(k, p, TOKEN_ZERO);
  if (!pg) return false;
  k.cover(CV.do_anonymous_page_new_page);
  k.setPte(p, addr, k.pteOf(pg), k.vmWrite(p, addr));
  k.addRss(p, 1);
  return true;
}

/**
 * Kernel: mm/memory.c do_wp_page (+ reuse_swap_page / wp_can_reuse_anon_folio).
 * Eras (spec §4.2.1, §6.2): R45 never reuses a THP subpage; R46 reuses when
 * page_trans_huge_mapcount() <= 1 and moves the anon_vma only if
 * total_mapcount() == 1; R_andrea_draft moves it always (seed 004); R59 needs
 * page_count == 1 on the head; R519 reuses PageAnonExclusive pages at once,
 * else page_count == 1 then page_move_anon_rmap; R65 never reuses a
 * non-exclusive subpage of a large folio. FAULT_FLAG_UNSHARE: reuse only marks
 * the page exclusive and keeps the entry read-only.
 * Abstracted: swap cache, KSM, the page lock (the step is atomic).
 */
export function do_wp_page(k: Kern, p: number, addr: number, unshare = false): FaultResult {
  const e = k.pte(p, addr);
  if (e === ZERO_PTE) {
    k.cover(CV.do_wp_page_copy_the_zero_page);
    return wp_page_copy(k, p, addr, null, unshare) ? 'done' : 'blocked';
  }
  const pg = k.faultPage;
  k.pageOfPteInto(e, addr, pg);
  const rule = k.c.flags.reuse;
  let reuse = false;
  let move = false;
  const small = !pg.thp;
  if (rule === 'R45' || rule === 'R46' || rule === 'R_andrea_draft') {
    if (small) reuse = move = page_mapcount(k, pg) === 1;
    else if (rule !== 'R45') {
      reuse = page_trans_huge_mapcount(k, pg.idx) <= 1;
      move = reuse && (rule === 'R_andrea_draft' || total_mapcount(k, pg.idx) === 1);
    }
  } else if (rule === 'R59') {
    reuse = k.refcount(pg) === 1 && page_mapcount(k, pg) === 1;
  } else {
    // R519 / R65
    if (k.PageAnonExclusive(pg)) reuse = true;
    else if (!(rule === 'R65' && pg.thp) && k.refcount(pg) === 1) reuse = move = true;
  }
  if (!reuse) return wp_page_copy(k, p, addr, pg, unshare) ? 'done' : 'blocked';
  k.cover(pg.thp ? CV.do_wp_page_reuse_THP_subpage : CV.do_wp_page_reuse_small_page);
  if (pg.thp) k.ctx.fail(k.P.reuse_thp_subpage);
  checkNoSteal(k, p, pg, false);
  if (move) page_move_anon_rmap(k, pg, p);
  if (unshare) {
    k.cover(CV.fault_unshare_FAULT_FLAG_UNSHARE);
    k.setAnonExclusive(pg, true);
  } else k.setPte(p, addr, e, true); // wp_page_reuse
  return 'done';
}

/**
 * Kernel: mm/memory.c wp_page_copy. A new small page gets the old data, a new
 * anon rmap (exclusive in 5.19+) and the faulting PTE (read-only for
 * FAULT_FLAG_UNSHARE); the old page loses this mapping and its reference.
 * Zero page -> anon: MM_ANONPAGES + 1. The mmu notifier covers the
 * faulting page. Abstracted: memcg.
 */
export function wp_page_copy(k: Kern, p: number, addr: number, old: PageRef | null, unshare: boolean): boolean {
  k.anon_vma_prepare(p);
  const pg = newAnonPage(k, p, old ? k.content(old) : TOKEN_ZERO);
  if (!pg) return false;
  k.cover(CV.do_wp_page_copy_wp_page_copy);
  k.notify(p, 1 << addr);
  k.setPte(p, addr, k.pteOf(pg), !unshare);
  if (old) {
    page_remove_rmap_pte(k, old);
    k.put_page(old);
  } else k.addRss(p, 1);
  return true;
}

/**
 * Harness for alloc_page + page_add_new_anon_rmap: a new small anon page of mm
 * p holding `data`, with its one reference (null when the pool is full).
 * The PageRef is k.newPage, valid until the next call.
 */
export function newAnonPage(k: Kern, p: number, data: number): PageRef | null {
  const s = k.allocSmall();
  if (s < 0) return null;
  const pg = k.newPage;
  pg.thp = false;
  pg.idx = s;
  pg.sub = 0;
  k.get_page(pg);
  page_add_new_anon_rmap_small(k, s, p);
  k.setContent(pg, data);
  return pg;
}

/**
 * Spec §7 S1, checked where a write fault reuses: no other mm maps the page
 * (for a PMD reuse: any subpage of the folio) and no GUP reference taken by
 * another mm holds it.
 */
export function checkNoSteal(k: Kern, p: number, pg: PageRef, wholeFolio: boolean): void {
  // compared as PTE values and page ids (no PageRef decoded): a PTE value names the folio or small page,
  // its index the subpage; a page id names the page, (id - 1) / N the folio
  const v = k.pteOf(pg);
  const anySub = wholeFolio || !pg.thp;
  for (let q = 0; q < k.c.procs; q++) {
    if (q === p || k.mmState(q) === 0) continue;
    const pmd = k.pmd(q);
    if (pmd === PMD_HUGE && pg.thp && k.pmdFolio(q) === pg.idx) return k.ctx.fail(k.P.cow_no_steal);
    if (pmd === PMD_TABLE) for (let i = 0; i < k.N; i++) if (k.pte(q, i) === v && (anySub || i === pg.sub)) return k.ctx.fail(k.P.cow_no_steal);
  }
  if (k.o.R === 0) return;
  const id = k.pageId(pg);
  const folioIds = wholeFolio && pg.thp; // ids 1 + idx*N .. idx*N + N
  for (let g = 0; g < k.o.R; g++) {
    if (!k.refUsed(g) || k.refMm(g) === p) continue;
    const r = k.s[k.G(g) + k.o.R_PAGE]!;
    if (folioIds ? r >= 1 + pg.idx * k.N && r <= (pg.idx + 1) * k.N : r === id) return k.ctx.fail(k.P.cow_no_steal);
  }
}

/**
 * Kernel: mm/memory.c copy_present_pte / copy_present_page (fork, one PTE).
 * Eras: <=5.8 always shares; 5.9-5.18 copies for the child when the parent mm
 * has pinned and the page may be DMA-pinned (folio-wide for a THP); 5.19+ only
 * if the page is also PageAnonExclusive, and clears the bit when it shares.
 * Sharing write-protects both PTEs. Returns false if the pool is full.
 */
export function copy_present_pte(k: Kern, parent: number, child: number, i: number): boolean {
  const e = k.pte(parent, i);
  if (e === PTE_NONE) return true;
  if (e === ZERO_PTE) {
    k.setPte(child, i, ZERO_PTE, false);
    return true;
  }
  const pg = k.pageOfPte(e, i)!;
  const fc = k.c.flags.fork_cow;
  const hasPinned = k.o.HAS_PINNED >= 0 && k.s[k.mm(parent) + k.o.HAS_PINNED] === 1;
  const needsCow = hasPinned && k.page_maybe_dma_pinned(pg) && (fc === 'pinned' || (fc === 'ae' && k.PageAnonExclusive(pg)));
  if (needsCow) {
    const q = newAnonPage(k, child, k.content(pg));
    if (!q) return false;
    k.cover(CV.copy_present_page_early_COW_of_a_maybe_pinned_page);
    k.setPte(child, i, k.pteOf(q), k.vmWrite(child, i));
    k.addRss(child, 1);
    return true;
  }
  k.cover(CV.copy_present_pte);
  if (fc === 'ae') k.setAnonExclusive(pg, false);
  k.get_page(pg);
  page_dup_rmap_pte(k, pg);
  k.setPte(parent, i, e, false);
  k.setPte(child, i, e, false);
  k.addRss(child, 1);
  return true;
}

/**
 * Kernel: mm/memory.c zap_pte_range for the PTEs of mm p in `mask` (inside
 * unmap_vmas' mmu notifier range): unmap and drop the reference per page
 * (zero page: nothing), then rss - the pages unmapped (add_mm_rss_vec). A
 * file page's rmap is the file's.
 * Abstracted: TLB gather batching (the frees happen in the same step).
 */
export function zap_pte_range(k: Kern, p: number, mask: number): void {
  const s = k.s;
  const b = k.mm(p);
  const pte = b + k.o.PTE;
  const pg = k.scratch; // nothing keeps it past the iteration: no PageRef allocated per PTE
  let rss = 0;
  let zapped = 0;
  for (let i = 0; i < k.N; i++) {
    if (!((mask >> i) & 1)) continue;
    const e = s[pte + i]!;
    if (e === PTE_NONE) continue;
    k.cover(CV.zap_pte_range);
    s[pte + i] = PTE_NONE; // its write bit is cleared with the others' after the loop
    zapped |= 1 << i;
    if (e === ZERO_PTE) continue;
    k.pageOfPteInto(e, i, pg);
    page_remove_rmap_pte(k, pg);
    rss++;
    k.put_page(pg);
  }
  if (zapped !== 0) s[b + k.o.PTE_WRITE]! &= ~zapped;
  if (rss !== 0) k.addRss(p, -rss);
}
