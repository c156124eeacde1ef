/**
 * mm/gup.c: get_user_pages / pin_user_pages of one subpage, and the release.
 */
import { CV } from '../coverage.js';
import type { Kern, PageRef } from '../kern.js';
import { PMD_HUGE, PMD_TABLE, REF_LONGTERM, REF_PIN, REF_USED, REF_WRITE, ZERO_PTE } from '../layout.js';
import { handle_mm_fault } from './memory.js';

export interface GupFlags {
  write: boolean;
  pin: boolean;
  longterm: boolean;
}

/**
 * Kernel: mm/gup.c __get_user_pages -> follow_page_mask (follow_trans_huge_pmd
 * / follow_page_pte) with faultin_page on failure, then try_grab_page.
 * Modelled: an empty entry is faulted in; FOLL_WRITE on a read-only entry
 * breaks COW first (write fault, retried until the entry is writable); 5.8
 * breaks COW for read GUP too (17839856fd58); 5.19+ unshares a read-only
 * FOLL_PIN of a non-exclusive anon page (FAULT_FLAG_UNSHARE). The reference
 * is taken on the subpage GUP returns (a tail page: the folio's refcount, and
 * for FOLL_PIN the folio's pincount and MMF_HAS_PINNED; before 5.7 a pin is a
 * plain reference). Returns false if the step cannot happen (VM_WRITE missing
 * for FOLL_WRITE, no reference slot, pool full, the zero page).
 * Abstracted: GUP-fast, FOLL_SPLIT_PMD, the retry loop's lock drops.
 */
export function gupOne(k: Kern, p: number, addr: number, fl: GupFlags): boolean {
  const pin = fl.pin && k.c.flags.foll_pin === 'yes';
  if (fl.write && !k.vmWrite(p, addr)) return false;
  let slot = -1;
  for (let g = 0; g < k.o.R; g++) if (!k.refUsed(g)) { slot = g; break; }
  if (slot < 0) {
    k.cover(CV.bound_no_free_GUP_reference_slot);
    return false;
  }
  const pg = faultInPage(k, p, addr, fl.write, pin);
  if (pg === 'blocked' || pg === 'none' || pg === 'zero') return false; // GUP of the zero page: not modelled for holders
  takeRef(k, slot, p, addr, pg, fl, pin);
  return true;
}

/**
 * Kernel: mm/gup.c the __get_user_pages loop for one address: follow_page_mask,
 * and faultin_page while the entry does not satisfy the flags (empty; FOLL_WRITE
 * on a read-only entry; 5.8 forced COW break; 5.19+ unshare of a read-only
 * FOLL_PIN on a non-exclusive anon page). Returns the page to take a reference
 * on, 'zero' for the shared zero page (read GUP of an untouched anon
 * address), 'none' for a loop that does not settle, 'blocked' when a fault
 * cannot complete within the bounds.
 */
export function faultInPage(k: Kern, p: number, addr: number, write: boolean, pin: boolean): PageRef | 'zero' | 'none' | 'blocked' {
  for (let tries = 0; tries < 4; tries++) {
    if (k.entryNone(p, addr)) {
      if (handle_mm_fault(k, p, addr, write) === 'blocked') return 'blocked';
      continue;
    }
    if (k.pmd(p) === PMD_TABLE && k.pte(p, addr) === ZERO_PTE && !write) return 'zero';
    const writable = k.entryWritable(p, addr);
    if (write && !writable) {
      k.cover(CV.gup_break_COW_FOLL_WRITE);
      if (handle_mm_fault(k, p, addr, true) === 'blocked') return 'blocked';
      continue;
    }
    if (!write && !writable && k.c.flags.gup_cow === 'force' && k.vmWrite(p, addr)) {
      k.cover(CV.gup_forced_COW_break_on_read_5_8);
      if (handle_mm_fault(k, p, addr, true) === 'blocked') return 'blocked';
      continue;
    }
    const pg = k.pageAt(p, addr)!;
    if (!write && !writable && pin && k.c.flags.gup_cow === 'unshare' && k.PageAnon(pg) && !exclusiveAt(k, p, pg)) {
      if (handle_mm_fault(k, p, addr, false, true) === 'blocked') return 'blocked';
      continue;
    }
    return pg;
  }
  return 'none';
}

/** PageAnonExclusive as GUP reads it: through a huge PMD, the head's bit (follow_trans_huge_pmd). */
function exclusiveAt(k: Kern, p: number, pg: PageRef): boolean {
  return k.pmd(p) === PMD_HUGE ? k.aeThp(pg.idx, 0) : k.PageAnonExclusive(pg);
}

function takeRef(k: Kern, g: number, p: number, addr: number, pg: PageRef, fl: GupFlags, pin: boolean): void {
  k.cover(CV.follow_page_take_reference);
  // 5.19+ follow_page_pte / follow_trans_huge_pmd: VM_BUG_ON_PAGE(FOLL_PIN on a non-exclusive anon page)
  if (pin && k.o.ANON_EXCLUSIVE >= 0 && k.PageAnon(pg) && !exclusiveAt(k, p, pg)) k.bug();
  k.get_page(pg);
  if (pin) {
    k.pinAdd(pg, 1);
    if (k.o.HAS_PINNED >= 0) k.s[k.mm(p) + k.o.HAS_PINNED] = 1;
  }
  const b = k.G(g);
  k.s[b + k.o.R_KIND] = REF_USED | (pin ? REF_PIN : 0) | (fl.write ? REF_WRITE : 0) | (fl.longterm ? REF_LONGTERM : 0);
  k.s[b + k.o.R_MM] = p;
  k.s[b + k.o.R_PAGE] = k.pageId(pg);
  k.s[b + k.o.R_ADDR] = addr;
  k.s[b + k.o.R_VALID] = 1;
  if (k.o.R_EXPECT >= 0) k.s[b + k.o.R_EXPECT] = k.content(pg);
}

/** Kernel: mm/gup.c unpin_user_page / mm/swap.c put_page: drop the reference (and the pin). */
export function putRef(k: Kern, g: number): void {
  k.cover(CV.put_page_unpin_user_page);
  const pg = k.refPage(g);
  if (k.refIsPin(g)) k.pinAdd(pg, -1);
  k.s.fill(0, k.G(g), k.G(g) + k.o.refStride);
  k.put_page(pg);
}
