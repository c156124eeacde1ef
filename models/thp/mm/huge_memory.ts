/**
 * mm/huge_memory.c: THP faults, PMD COW, fork of a huge PMD, zap, PMD split
 * and folio split.
 */
import { CV } from '../coverage.js';
import type { Kern, PageRef } from '../kern.js';
import { PMD_HUGE, PMD_TABLE, TOKEN_ZERO } from '../layout.js';
import type { FaultResult } from './memory.js';
import { checkNoSteal, newAnonPage } from './memory.js';
import {
  page_add_new_anon_rmap_thp, page_dup_rmap_pmd, page_mapcount, page_move_anon_rmap,
  page_remove_rmap_pmd, page_trans_huge_mapcount, total_mapcount,
} from './rmap.js';

/**
 * Kernel: mm/huge_memory.c do_huge_pmd_anonymous_page (+ __do_huge_pmd_anonymous_page).
 * Modelled: a new THP (refcount 1, new anon rmap, exclusive in 5.19+), a
 * deposited PTE table, a PMD writable iff VM_WRITE, MM_ANONPAGES + N; no
 * mmu notifier (filling an empty slot never notifies). Returns false when no
 * THP can be had (the fault falls back to PTEs).
 * Abstracted: the huge zero page (a read fault allocates a THP, as with
 * use_zero_page=0), memcg, allocation failure other than the slot bound.
 */
export function do_huge_pmd_anonymous_page(k: Kern, p: number, addr: number, _write: boolean): boolean {
  const f = k.allocThp();
  if (f < 0) {
    k.cover(CV.bound_no_free_THP_slot_fault_falls_back_to_PTEs);
    return false;
  }
  k.cover(CV.do_huge_pmd_anonymous_page);
  k.anon_vma_prepare(p);
  k.get_page({ thp: true, idx: f, sub: 0 });
  page_add_new_anon_rmap_thp(k, f, p);
  for (let i = 0; i < k.N; i++) k.setContent({ thp: true, idx: f, sub: i }, TOKEN_ZERO);
  k.deposit(p, 1);
  k.setPmd(p, PMD_HUGE, f, k.vmWrite(p, addr));
  k.addRss(p, k.N);
  return true;
}

/**
 * Kernel: mm/huge_memory.c do_huge_pmd_wp_page.
 * Eras (spec §4.2.2): P45 reuses if page_mapcount(head) == 1 and page_count
 * == 1; P46 if page_trans_huge_mapcount() == 1 (no anon_vma move, no page
 * lock in 4.6-4.13); P518 if page_count == 1, then page_move_anon_rmap; P519
 * if the head is PageAnonExclusive, else as P518. Not reusable: <=5.7 copies
 * into a new THP (or, with none to be had, into N small pages:
 * do_huge_pmd_wp_page_fallback), 5.8+ splits the PMD and returns
 * VM_FAULT_FALLBACK (3917c80280c9).
 */
export function do_huge_pmd_wp_page(k: Kern, p: number, addr: number, unshare: boolean): FaultResult {
  const f = k.pmdFolio(p);
  const head: PageRef = { thp: true, idx: f, sub: 0 };
  const fl = k.c.flags;
  let reuse: boolean;
  if (fl.pmd_reuse === 'P45') reuse = page_mapcount(k, head) === 1 && k.page_count(f) === 1;
  else if (fl.pmd_reuse === 'P46') reuse = page_trans_huge_mapcount(k, f) === 1;
  else if (fl.pmd_reuse === 'P518') reuse = k.page_count(f) === 1;
  else reuse = k.aeThp(f, 0) || k.page_count(f) === 1;
  return wpHugePmdDecided(k, p, addr, f, reuse, unshare);
}

/** do_huge_pmd_wp_page once the reuse decision is made: reuse, or split and fall back (5.8+), or copy (<= 5.7). */
function wpHugePmdDecided(k: Kern, p: number, addr: number, f: number, reuse: boolean, unshare: boolean): FaultResult {
  const head: PageRef = { thp: true, idx: f, sub: 0 };
  const fl = k.c.flags;
  if (reuse) {
    k.cover(CV.do_huge_pmd_wp_page_reuse);
    checkNoSteal(k, p, head, true);
    if (fl.pmd_reuse_rmap === 'move' && !k.aeThp(f, 0)) page_move_anon_rmap(k, head, p);
    if (unshare) {
      k.cover(CV.fault_unshare_FAULT_FLAG_UNSHARE);
      k.setAeThp(f, 0, true);
    } else k.setPmdWrite(p, k.vmWrite(p, addr));
    return 'done';
  }
  if (fl.pmd_cow === 'split') {
    k.cover(CV.do_huge_pmd_wp_page_split_PMD_and_fall_back);
    __split_huge_pmd(k, p);
    return 'fallback';
  }
  // <= 5.7: copy the whole THP
  const g = k.allocThp();
  if (g >= 0) {
    k.cover(CV.do_huge_pmd_wp_page_copy_to_a_new_THP);
    k.notify(p, k.ALL);
    k.get_page({ thp: true, idx: g, sub: 0 });
    page_add_new_anon_rmap_thp(k, g, p);
    for (let i = 0; i < k.N; i++) k.setContent({ thp: true, idx: g, sub: i }, k.content({ thp: true, idx: f, sub: i }));
    k.setPmd(p, PMD_HUGE, g, k.vmWrite(p, addr));
    page_remove_rmap_pmd(k, f);
    k.put_page(head);
    return 'done';
  }
  return do_huge_pmd_wp_page_fallback(k, p, f) ? 'done' : 'blocked';
}

/**
 * Kernel: mm/huge_memory.c do_huge_pmd_wp_page_fallback (<= 4.x): no THP to
 * copy into, so copy every subpage into a new small page mapped by a PTE
 * (all writable, private copies), using the deposited table.
 */
function do_huge_pmd_wp_page_fallback(k: Kern, p: number, f: number): boolean {
  if (k.freeSmallSlots() < k.N) {
    k.cover(CV.bound_small_page_pool_full_step_not_taken);
    k.blocked = true;
    return false;
  }
  k.cover(CV.do_huge_pmd_wp_page_fallback_copy_to_small_pages);
  k.notify(p, k.ALL);
  k.setPmd(p, PMD_TABLE);
  k.deposit(p, -1);
  for (let i = 0; i < k.N; i++) {
    const q = newAnonPage(k, p, k.content({ thp: true, idx: f, sub: i }))!; // slots checked above
    k.setPte(p, i, k.pteOf(q), k.vmWrite(p, i));
  }
  page_remove_rmap_pmd(k, f);
  k.put_page({ thp: true, idx: f, sub: 0 });
  return true;
}

/**
 * Kernel: mm/huge_memory.c copy_huge_pmd (fork of one anon huge PMD).
 * Eras: <=5.8 always shares; 5.9-5.18 (d042035eaf5f) splits the parent's PMD
 * and has the range copied at PTE level when the parent mm has pinned and the
 * folio may be pinned; 5.19+ does so only if the head is also exclusive, and
 * clears the head's exclusive bit when it shares. Sharing: refcount + 1,
 * compound mapcount + 1, both PMDs write-protected, the child deposits a table.
 * Returns 'split' when the caller must copy PTEs instead.
 */
export function copy_huge_pmd(k: Kern, parent: number, child: number): 'shared' | 'split' {
  const f = k.pmdFolio(parent);
  const head: PageRef = { thp: true, idx: f, sub: 0 };
  const fc = k.c.flags.fork_cow;
  const hasPinned = k.o.HAS_PINNED >= 0 && k.s[k.mm(parent) + k.o.HAS_PINNED] === 1;
  if (hasPinned && k.page_maybe_dma_pinned(head) && (fc === 'pinned' || (fc === 'ae' && k.aeThp(f, 0)))) {
    k.cover(CV.copy_huge_pmd_maybe_pinned_split_and_copy_PTEs);
    __split_huge_pmd(k, parent);
    return 'split';
  }
  k.cover(CV.copy_huge_pmd);
  if (fc === 'ae') k.setAeThp(f, 0, false);
  k.get_page(head);
  page_dup_rmap_pmd(k, f);
  k.setPmdWrite(parent, false);
  k.setPmd(child, PMD_HUGE, f, false);
  k.deposit(child, 1);
  k.addRss(child, k.N);
  return 'shared';
}

/**
 * Kernel: mm/huge_memory.c zap_huge_pmd: PMD unmap, free the deposited table
 * (anon only: file huge PMDs deposit none), rss - N, drop the PMD's reference.
 */
export function zap_huge_pmd(k: Kern, p: number): void {
  const f = k.pmdFolio(p);
  k.cover(CV.zap_huge_pmd);
  k.setPmd(p, 0);
  page_remove_rmap_pmd(k, f);
  if (!k.isFile(f)) k.deposit(p, -1);
  k.addRss(p, -k.N);
  k.put_page({ thp: true, idx: f, sub: 0 });
}

/**
 * Kernel: mm/huge_memory.c __split_huge_pmd -> __split_huge_pmd_locked (anon).
 * In order (spec §4.5): refcount + N - 1; withdraw the deposited table and
 * fill PTE i -> subpage i with the PMD's write bit (5.19+: every subpage
 * inherits the head's PageAnonExclusive); _mapcount[i] + 1; 4.5-6.1: if other
 * PMDs still map the folio and PageDoubleMap is clear, set it and add 1 to
 * every _mapcount; compound_mapcount - 1, and if it was the last PMD clear
 * PageDoubleMap (-1 on every _mapcount). 6.2+: _entire_mapcount - 1 and
 * _nr_pages_mapped per newly mapped subpage. rss unchanged.
 * File/shmem (4.8+): the PMD is cleared and no PTEs are installed (later
 * accesses refault): page_remove_file_rmap compound, rss - N, one reference
 * dropped. Both run inside an mmu notifier range over the 2 MiB.
 * Abstracted: the PMD/page locks; the step is atomic.
 */
export function __split_huge_pmd(k: Kern, p: number): void {
  const f = k.pmdFolio(p);
  const write = k.pmdWrite(p);
  k.cover(CV.split_huge_pmd);
  k.notify(p, k.ALL);
  if (k.isFile(f)) {
    k.cover(CV.split_huge_pmd_file);
    k.setPmd(p, 0);
    page_remove_rmap_pmd(k, f);
    k.addRss(p, -k.N);
    k.put_page({ thp: true, idx: f, sub: 0 });
    return;
  }
  split_step1(k, p, f, write);
  split_step2(k, f);
  page_remove_rmap_pmd(k, f);
}

/**
 * __split_huge_pmd_locked, step 1 (spec §4.5 items 1-2): refcount + N - 1,
 * withdraw the deposited table, PTE i -> subpage i with the PMD's write bit
 * (5.19+: every subpage inherits the head's PageAnonExclusive), _mapcount[i] + 1.
 */
function split_step1(k: Kern, p: number, f: number, write: boolean): void {
  const head: PageRef = { thp: true, idx: f, sub: 0 };
  for (let i = 0; i < k.N - 1; i++) k.get_page(head);
  k.deposit(p, -1);
  k.setPmd(p, PMD_TABLE);
  const ae = k.aeThp(f, 0);
  for (let i = 0; i < k.N; i++) {
    k.setPte(p, i, 1 + f, write);
    if (ae) k.setAeThp(f, i, true);
    const v = k.mapcount_raw(f, i) + 1;
    k.setMapcountRaw(f, i, v);
    if (v === 0) k.nrPagesMappedAdd(f, 1);
  }
}

/** Step 2 (item 3, 4.5-6.1): other PMDs still map the folio and PageDoubleMap is clear: set it, + 1 on every _mapcount. */
function split_step2(k: Kern, f: number): void {
  if (k.c.flags.mapcount === 'doublemap' && k.compound_mapcount_raw(f) > 0 && !k.PageDoubleMap(f)) {
    k.cover(CV.split_huge_pmd_set_PageDoubleMap);
    k.setDoubleMap(f, true);
    for (let i = 0; i < k.N; i++) k.setMapcountRaw(f, i, k.mapcount_raw(f, i) + 1);
  }
}

/**
 * The stepwise split (--set split_steps=stepwise, spec §8): the three writes
 * of __split_huge_pmd_locked as three steps of mm p, which holds its PMD lock
 * (and, with SPLIT_PAGE_LOCK, the page lock) throughout; other mms run in
 * between. Returns false while the page lock is held elsewhere (lock_page waits).
 */
export function split_huge_pmd_stepwise(k: Kern, p: number): boolean {
  const o = k.o;
  const phase = k.s[k.mm(p) + o.SPLIT_PHASE]!;
  if (phase === 0) {
    const f = k.pmdFolio(p);
    if (!lock_page(k, f)) return false;
    k.cover(CV.split_huge_pmd);
    k.cover(CV.split_step1);
    k.notify(p, k.ALL);
    split_step1(k, p, f, k.pmdWrite(p));
    k.s[k.mm(p) + o.SPLIT_PHASE] = 1;
    return true;
  }
  const f = k.pte(p, 0) - 1; // every PTE maps the folio: nothing else of mm p runs meanwhile
  if (phase === 1) {
    k.cover(CV.split_step2);
    split_step2(k, f);
    k.s[k.mm(p) + o.SPLIT_PHASE] = 2;
    return true;
  }
  k.cover(CV.split_step3);
  page_remove_rmap_pmd(k, f);
  unlock_page(k, f);
  k.s[k.mm(p) + o.SPLIT_PHASE] = 0;
  return true;
}

/**
 * The stepwise P46 PMD COW (spec §5: page_trans_huge_mapcount reads the N
 * subpage counts, then PageDoubleMap, then compound_mapcount, not
 * atomically): three steps of mm p under its PMD lock (5.8-5.17: and the
 * page lock). The last one decides as do_huge_pmd_wp_page does. 'step':
 * a read was done; 'wait': lock_page would sleep (the step is not taken).
 */
export function wp_huge_pmd_stepwise(k: Kern, p: number, addr: number): FaultResult | 'step' | 'wait' {
  const o = k.o;
  const b = k.mm(p);
  const f = k.pmdFolio(p);
  const phase = k.s[b + o.WP_PHASE]!;
  if (phase === 0) {
    if (!lock_page(k, f)) return 'wait';
    k.cover(CV.ptmc_r1);
    let max = 0;
    for (let i = 0; i < k.N; i++) max = Math.max(max, k.mapcount_raw(f, i) + 1);
    k.s[b + o.WP_PHASE] = 1;
    k.s[b + o.WP_ADDR] = addr;
    k.s[b + o.WP_MAX] = max;
    return 'step';
  }
  if (phase === 1) {
    k.cover(CV.ptmc_r2);
    k.s[b + o.WP_DM] = k.PageDoubleMap(f) ? 1 : 0;
    k.s[b + o.WP_PHASE] = 2;
    return 'step';
  }
  k.cover(CV.ptmc_r3);
  const mapcount = k.s[b + o.WP_MAX]! - k.s[b + o.WP_DM]! + k.compound_mapcount_raw(f) + 1;
  const at = k.s[b + o.WP_ADDR]!;
  for (const x of [o.WP_PHASE, o.WP_ADDR, o.WP_MAX, o.WP_DM]) k.s[b + x] = 0;
  unlock_page(k, f);
  return wpHugePmdDecided(k, p, at, f, mapcount === 1, false);
}

/** Harness for PG_locked with SPLIT_PAGE_LOCK (trylock_page; false = lock_page would sleep). */
function lock_page(k: Kern, f: number): boolean {
  if (k.o.PG_LOCKED < 0) return true;
  const at = k.F(f) + k.o.PG_LOCKED;
  if (k.s[at] === 1) {
    k.cover(CV.page_lock_wait);
    return false;
  }
  k.s[at] = 1;
  return true;
}

function unlock_page(k: Kern, f: number): void {
  if (k.o.PG_LOCKED >= 0) k.s[k.F(f) + k.o.PG_LOCKED] = 0;
}

/**
 * Kernel: mm/huge_memory.c split_huge_page_to_list (anon). Succeeds only if
 * can_split_huge_page: total_mapcount == page_count - 1 with the caller's own
 * reference, i.e. no GUP reference of any kind; else -EBUSY (step disabled).
 * Effect (spec §4.6): every huge PMD mapping the folio becomes a table of PTEs
 * and every subpage a small page keeping its mappings, data, anon_vma and
 * (5.19+) exclusive bit; unmapped subpages are freed.
 * Abstracted: the migration-entry freeze/unfreeze (atomic here), the caller's
 * reference and lock, LRU and swap cache.
 */
export function split_huge_page(k: Kern, f: number): boolean {
  if (total_mapcount(k, f) !== k.page_count(f)) {
    k.cover(CV.split_huge_page_EBUSY_extra_references);
    return false;
  }
  const N = k.N;
  const maps = new Array<number>(N).fill(0);
  let pmdMapped = false;
  for (let q = 0; q < k.c.procs; q++) {
    if (k.pmd(q) === PMD_HUGE && k.pmdFolio(q) === f) {
      pmdMapped = true;
      for (let i = 0; i < N; i++) maps[i]!++;
    } else if (k.pmd(q) === PMD_TABLE) for (let i = 0; i < N; i++) if (k.pte(q, i) === 1 + f) maps[i]!++;
  }
  const need = maps.filter((m) => m > 0).length;
  if (k.freeSmallSlots() < need) {
    k.cover(CV.bound_small_page_pool_full_step_not_taken);
    return false;
  }
  k.cover(CV.split_huge_page);
  // unmap_page: the rmap walk replaces every mapping with a migration entry, each inside a notifier range
  for (let q = 0; q < k.c.procs; q++) if ((k.pmd(q) === PMD_HUGE && k.pmdFolio(q) === f) || maps.some((_, i) => k.pmd(q) === PMD_TABLE && k.pte(q, i) === 1 + f)) k.notify(q, k.ALL);
  const node = k.mapping(f) - 1;
  const small = new Array<number>(N).fill(-1);
  const old = (i: number): PageRef => ({ thp: true, idx: f, sub: i });
  for (let i = 0; i < N; i++) {
    if (maps[i] === 0) continue;
    const s = k.allocSmall();
    small[i] = s;
    const base = k.S(s);
    k.s[base + k.o.S_REF] = maps[i]!;
    k.setSmallMapRaw(s, maps[i]! - 1);
    k.setSmallMapping(s, node);
    k.setAeSmall(s, pmdMapped ? k.aeThp(f, 0) : k.aeThp(f, i));
    k.setContent({ thp: false, idx: s, sub: 0 }, k.content(old(i)));
  }
  for (let q = 0; q < k.c.procs; q++) {
    if (k.pmd(q) === PMD_HUGE && k.pmdFolio(q) === f) {
      const w = k.pmdWrite(q);
      k.setPmd(q, PMD_TABLE);
      k.deposit(q, -1);
      for (let i = 0; i < N; i++) k.setPte(q, i, 1 + k.c.thps + small[i]!, w);
    } else if (k.pmd(q) === PMD_TABLE) {
      for (let i = 0; i < N; i++) if (k.pte(q, i) === 1 + f) k.setPte(q, i, 1 + k.c.thps + small[i]!, k.pteWrite(q, i));
    }
  }
  k.s.fill(0, k.F(f), k.F(f) + k.o.thpStride);
  return true;
}
