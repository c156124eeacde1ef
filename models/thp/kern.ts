/**
 * The kernel state as the model functions see it: typed accessors over the
 * packed vector with the kernel's names, so mm/*.ts reads like the C it
 * mirrors. Harness helpers (no kernel counterpart) are camelCase.
 */
import { CV } from './coverage.js';
import type { StepContext } from '../../src/model.js';
import type { ThpConfig } from './config.js';

import { mmu_notifier_invalidate_range, mmu_notifier_release } from './virt/kvm/kvm_main.js';
import {
  MAPPING_FILE, MM_ALIVE, PMD_HUGE, PMD_NONE, PMD_TABLE, PTE_NONE, REF_PIN, REF_USED, TOKEN_NONE, TOKEN_ZERO, ZERO_PTE, type Offsets,
} from './layout.js';

/** A physical page as the model names it: a THP subpage (f, i) or small page k. */
export interface PageRef {
  thp: boolean;
  /** THP slot or small slot */
  idx: number;
  /** subpage index (THP only) */
  sub: number;
}

export interface PropIds {
  vm_bug_on: number;
  cow_no_steal: number;
  private_isolation: number;
  reuse_thp_subpage: number;
  read_checked: number;
  pin_ae: number;
}

/** Kern.entryWritable on the mm record at b of s: for the guards, which run on every state and action. */
export function entryWritableAt(s: Uint8Array, o: Offsets, b: number, addr: number): boolean {
  const pmd = s[b + o.PMD];
  if (pmd === PMD_HUGE) return s[b + o.PMD_WRITE] === 1;
  if (pmd === PMD_TABLE) return s[b + o.PTE + addr] !== PTE_NONE && ((s[b + o.PTE_WRITE]! >> addr) & 1) === 1;
  return false;
}

/** Kern.entryNone on the mm record at b of s. */
export function entryNoneAt(s: Uint8Array, o: Offsets, b: number, addr: number): boolean {
  const pmd = s[b + o.PMD];
  return pmd === PMD_NONE || (pmd === PMD_TABLE && s[b + o.PTE + addr] === PTE_NONE);
}

export class Kern {
  s!: Uint8Array;
  ctx!: StepContext;
  /** ctx.counts, when the context has it: cover() increments it directly */
  counts: Float64Array | null = null;
  /** set when a step cannot complete within the model's bounds */
  blocked = false;
  readonly N: number;
  readonly ALL: number;
  /** a PageRef hot paths fill instead of allocating one; only ever live within one loop iteration */
  readonly scratch: PageRef = { thp: false, idx: 0, sub: 0 };
  /** the page do_wp_page faults on, and the one newAnonPage returns: reused, so a write fault allocates nothing */
  readonly faultPage: PageRef = { thp: false, idx: 0, sub: 0 };
  readonly newPage: PageRef = { thp: false, idx: 0, sub: 0 };

  // record bases and strides as own fields: one load each instead of two through `o` (every accessor uses one)
  private readonly mmAt: number;
  private readonly mmStride: number;
  private readonly thpAt: number;
  private readonly thpStride: number;
  private readonly smallAt: number;
  private readonly smallStride: number;

  constructor(readonly c: ThpConfig, readonly o: Offsets, readonly P: PropIds) {
    this.N = c.subpages;
    this.ALL = (1 << c.subpages) - 1;
    this.mmAt = o.mm;
    this.mmStride = o.mmStride;
    this.thpAt = o.thp;
    this.thpStride = o.thpStride;
    this.smallAt = o.small;
    this.smallStride = o.smallStride;
  }

  cover(point: number): void {
    const c = this.counts;
    if (c !== null) c[point]!++;
    else this.ctx.cover(point);
  }

  /** VM_BUG_ON stand-in: the step is reported and its successor not explored. */
  bug(): void {
    this.ctx.fail(this.P.vm_bug_on);
  }

  // ---- mm_struct / VMA / page tables -------------------------------------------------
  mm(p: number): number {
    return this.mmAt + p * this.mmStride;
  }
  mmState(p: number): number {
    return this.s[this.mm(p) + this.o.MM_STATE]!;
  }
  alive(p: number): boolean {
    return this.s[this.mm(p) + this.o.MM_STATE] === MM_ALIVE;
  }
  vma(p: number): number {
    return this.s[this.mm(p) + this.o.VMA]!;
  }
  vmaCovers(p: number, i: number): boolean {
    return ((this.s[this.mm(p) + this.o.VMA]! >> i) & 1) === 1;
  }
  vmWrite(p: number, i: number): boolean {
    return ((this.s[this.mm(p) + this.o.VMA_WRITE]! >> i) & 1) === 1;
  }
  chain(p: number): number {
    return this.s[this.mm(p) + this.o.ANON_VMA_CHAIN]!;
  }
  /** vma->anon_vma: this model gives mm p's VMA the node av<p> */
  hasAnonVma(p: number): boolean {
    return ((this.chain(p) >> p) & 1) === 1;
  }
  /** anon_vma_prepare(): give the VMA its own anon_vma on its first anon fault */
  anon_vma_prepare(p: number): void {
    this.s[this.mm(p) + this.o.ANON_VMA_CHAIN]! |= 1 << p;
  }
  pmd(p: number): number {
    return this.s[this.mm(p) + this.o.PMD]!;
  }
  pmdFolio(p: number): number {
    return this.s[this.mm(p) + this.o.PMD_FOLIO]!;
  }
  pmdWrite(p: number): boolean {
    return this.s[this.mm(p) + this.o.PMD_WRITE] === 1;
  }
  setPmd(p: number, kind: number, folio = 0, write = false): void {
    const b = this.mm(p);
    this.s[b + this.o.PMD] = kind;
    this.s[b + this.o.PMD_FOLIO] = kind === PMD_HUGE ? folio : 0;
    this.s[b + this.o.PMD_WRITE] = kind === PMD_HUGE && write ? 1 : 0;
  }
  setPmdWrite(p: number, w: boolean): void {
    this.s[this.mm(p) + this.o.PMD_WRITE] = w ? 1 : 0;
  }
  pte(p: number, i: number): number {
    return this.s[this.mm(p) + this.o.PTE + i]!;
  }
  pteWrite(p: number, i: number): boolean {
    return ((this.s[this.mm(p) + this.o.PTE_WRITE]! >> i) & 1) === 1;
  }
  setPte(p: number, i: number, v: number, write: boolean): void {
    const b = this.mm(p);
    this.s[b + this.o.PTE + i] = v;
    if (write && v !== PTE_NONE) this.s[b + this.o.PTE_WRITE]! |= 1 << i;
    else this.s[b + this.o.PTE_WRITE]! &= ~(1 << i);
  }
  addRss(p: number, d: number): void {
    const o = this.mm(p) + this.o.RSS_ANON;
    const v = this.s[o]! + d;
    if (v < 0) this.bug();
    this.s[o] = Math.max(0, v);
  }
  deposit(p: number, d: number): void {
    const o = this.mm(p) + this.o.DEPOSIT;
    const v = this.s[o]! + d;
    if (v < 0) this.bug();
    this.s[o] = Math.max(0, v);
  }

  /** PTE value for a page */
  pteOf(pg: PageRef): number {
    return pg.thp ? 1 + pg.idx : 1 + this.c.thps + pg.idx;
  }
  /** The page a PTE value maps (null for none / zero page). */
  pageOfPte(v: number, addr: number): PageRef | null {
    if (v === PTE_NONE || v === ZERO_PTE) return null;
    const pg: PageRef = { thp: false, idx: 0, sub: 0 };
    this.pageOfPteInto(v, addr, pg);
    return pg;
  }
  /** pageOfPte() for a present, non-zero PTE, written into `pg` (a hot path's reused scratch). */
  pageOfPteInto(v: number, addr: number, pg: PageRef): void {
    pg.thp = v <= this.c.thps;
    pg.idx = pg.thp ? v - 1 : v - 1 - this.c.thps;
    pg.sub = pg.thp ? addr : 0;
  }
  /** The page mm p maps at addr (huge PMD or PTE), null if none or the zero page. */
  pageAt(p: number, addr: number): PageRef | null {
    const k = this.pmd(p);
    if (k === PMD_HUGE) return { thp: true, idx: this.pmdFolio(p), sub: addr };
    if (k === PMD_TABLE) return this.pageOfPte(this.pte(p, addr), addr);
    return null;
  }
  entryWritable(p: number, addr: number): boolean {
    return entryWritableAt(this.s, this.o, this.mm(p), addr);
  }
  entryNone(p: number, addr: number): boolean {
    return entryNoneAt(this.s, this.o, this.mm(p), addr);
  }

  // ---- struct page: THP folios ----------------------------------------------------------
  F(f: number): number {
    return this.thpAt + f * this.thpStride;
  }
  page_count(f: number): number {
    return this.s[this.F(f) + this.o.REF]!;
  }
  /** raw compound_mapcount (_entire_mapcount in 6.2+) */
  compound_mapcount_raw(f: number): number {
    return this.s[this.F(f) + this.o.COMPOUND_MAPCOUNT]! - 1;
  }
  setCompoundRaw(f: number, v: number): void {
    if (v < -1) return this.bug();
    this.s[this.F(f) + this.o.COMPOUND_MAPCOUNT] = v + 1;
  }
  /** raw page[i]._mapcount */
  mapcount_raw(f: number, i: number): number {
    return this.s[this.F(f) + this.o.MAPCOUNT + i]! - 1;
  }
  setMapcountRaw(f: number, i: number, v: number): void {
    if (v < -1) return this.bug();
    this.s[this.F(f) + this.o.MAPCOUNT + i] = v + 1;
  }
  /** setMapcountRaw(f, i, mapcount_raw(f, i) + d), computing the offset once; returns the new raw value */
  mapcountAdd(f: number, i: number, d: number): number {
    const o = this.F(f) + this.o.MAPCOUNT + i;
    const v = this.s[o]! + d;
    if (v < 0) this.bug();
    else this.s[o] = v;
    return v - 1;
  }
  PageDoubleMap(f: number): boolean {
    return this.o.DOUBLE_MAP >= 0 && this.s[this.F(f) + this.o.DOUBLE_MAP] === 1;
  }
  setDoubleMap(f: number, v: boolean): void {
    this.s[this.F(f) + this.o.DOUBLE_MAP] = v ? 1 : 0;
  }
  nrPagesMappedAdd(f: number, d: number): void {
    if (this.o.NR_PAGES_MAPPED < 0) return;
    const o = this.F(f) + this.o.NR_PAGES_MAPPED;
    if (this.s[o]! + d < 0) return this.bug();
    this.s[o] = this.s[o]! + d;
  }
  mapping(f: number): number {
    return this.s[this.F(f) + this.o.MAPPING]!;
  }
  setMapping(f: number, node: number): void {
    this.s[this.F(f) + this.o.MAPPING] = node + 1;
  }
  /** !PageAnon: a page-cache (shmem) folio, whose mapping is the file */
  isFile(f: number): boolean {
    return this.s[this.F(f) + this.o.MAPPING] === MAPPING_FILE;
  }
  PageAnon(pg: PageRef): boolean {
    return !pg.thp || !this.isFile(pg.idx);
  }
  pincount(f: number): number {
    return this.o.PINCOUNT < 0 ? 0 : this.s[this.F(f) + this.o.PINCOUNT]!;
  }
  /** PageAnonExclusive(page): for a PMD mapping only the head's bit counts */
  aeThp(f: number, i: number): boolean {
    return this.o.ANON_EXCLUSIVE >= 0 && ((this.s[this.F(f) + this.o.ANON_EXCLUSIVE]! >> i) & 1) === 1;
  }
  setAeThp(f: number, i: number, v: boolean): void {
    if (this.o.ANON_EXCLUSIVE < 0) return;
    const o = this.F(f) + this.o.ANON_EXCLUSIVE;
    this.s[o] = v ? this.s[o]! | (1 << i) : this.s[o]! & ~(1 << i);
  }
  setAeThpAll(f: number, v: boolean): void {
    if (this.o.ANON_EXCLUSIVE >= 0) this.s[this.F(f) + this.o.ANON_EXCLUSIVE] = v ? this.ALL : 0;
  }

  // ---- small pages ---------------------------------------------------------------------------
  S(k: number): number {
    return this.smallAt + k * this.smallStride;
  }
  smallRef(k: number): number {
    return this.s[this.S(k) + this.o.S_REF]!;
  }
  smallMapRaw(k: number): number {
    return this.s[this.S(k) + this.o.S_MAPCOUNT]! - 1;
  }
  setSmallMapRaw(k: number, v: number): void {
    if (v < -1) return this.bug();
    this.s[this.S(k) + this.o.S_MAPCOUNT] = v + 1;
  }
  /** setSmallMapRaw(k, smallMapRaw(k) + d), computing the offset once */
  smallMapAdd(k: number, d: number): void {
    const o = this.S(k) + this.o.S_MAPCOUNT;
    const v = this.s[o]! + d;
    if (v < 0) return this.bug();
    this.s[o] = v;
  }
  smallMapping(k: number): number {
    return this.o.S_MAPPING < 0 ? 0 : this.s[this.S(k) + this.o.S_MAPPING]!;
  }
  setSmallMapping(k: number, node: number): void {
    if (this.o.S_MAPPING >= 0) this.s[this.S(k) + this.o.S_MAPPING] = node + 1;
  }
  aeSmall(k: number): boolean {
    return this.o.S_ANON_EXCLUSIVE >= 0 && this.s[this.S(k) + this.o.S_ANON_EXCLUSIVE] === 1;
  }
  setAeSmall(k: number, v: boolean): void {
    if (this.o.S_ANON_EXCLUSIVE >= 0) this.s[this.S(k) + this.o.S_ANON_EXCLUSIVE] = v ? 1 : 0;
  }

  // ---- page-generic helpers ------------------------------------------------------------------
  refcount(pg: PageRef): number {
    return pg.thp ? this.page_count(pg.idx) : this.smallRef(pg.idx);
  }
  /** get_page(): one more reference (on the head for a THP subpage) */
  get_page(pg: PageRef): void {
    const o = pg.thp ? this.F(pg.idx) + this.o.REF : this.S(pg.idx) + this.o.S_REF;
    if (this.s[o] === 255) return this.bug();
    this.s[o] = this.s[o]! + 1;
  }
  /** put_page(): drop a reference; the last one frees the page (its record returns to all-zero) */
  put_page(pg: PageRef): void {
    const s = this.s;
    const thp = pg.thp;
    const base = thp ? this.F(pg.idx) : this.S(pg.idx);
    const o = base + (thp ? this.o.REF : this.o.S_REF);
    const v = s[o]!;
    if (v === 0) return this.bug();
    s[o] = v - 1;
    if (v !== 1) return;
    // free: the record returns to all-zero (page->mapping = NULL in free_pages_prepare); the thp-core
    // profile keeps a freed THP's mapping, as thp_core.pml does, so its counts compare with SPIN's
    // (loops, not TypedArray.fill: a builtin call costs more than clearing a few bytes)
    const end = base + (thp ? this.o.thpStride : this.o.smallStride);
    const keep = thp && this.c.keepFreedMapping ? base + this.o.MAPPING : -1;
    for (let i = base; i < end; i++) if (i !== keep) s[i] = 0;
  }
  pinAdd(pg: PageRef, d: number): void {
    const o = pg.thp ? (this.o.PINCOUNT < 0 ? -1 : this.F(pg.idx) + this.o.PINCOUNT) : this.o.S_PINCOUNT < 0 ? -1 : this.S(pg.idx) + this.o.S_PINCOUNT;
    if (o < 0) return;
    if (this.s[o]! + d < 0) return this.bug();
    this.s[o] = this.s[o]! + d;
  }
  /** page_maybe_dma_pinned(): per folio for a THP (any pinned subpage pins them all) */
  page_maybe_dma_pinned(pg: PageRef): boolean {
    if (pg.thp) return this.pincount(pg.idx) > 0;
    return this.o.S_PINCOUNT >= 0 && this.s[this.S(pg.idx) + this.o.S_PINCOUNT]! > 0;
  }
  PageAnonExclusive(pg: PageRef): boolean {
    return pg.thp ? this.aeThp(pg.idx, pg.sub) : this.aeSmall(pg.idx);
  }
  setAnonExclusive(pg: PageRef, v: boolean): void {
    if (pg.thp) this.setAeThp(pg.idx, pg.sub, v);
    else this.setAeSmall(pg.idx, v);
  }
  /** page->mapping of the head (anon_vma node + 1; 0 = NULL) */
  anonMapping(pg: PageRef): number {
    return pg.thp ? this.mapping(pg.idx) : this.smallMapping(pg.idx);
  }
  sameFolio(a: PageRef, b: PageRef): boolean {
    return a.thp === b.thp && a.idx === b.idx;
  }
  samePage(a: PageRef, b: PageRef): boolean {
    return a.thp === b.thp && a.idx === b.idx && (!a.thp || a.sub === b.sub);
  }

  // ---- allocation (harness: pools with canonical lowest-free allocation) -----------------------
  allocThp(): number {
    for (let f = 0; f < this.c.thps; f++) if (this.page_count(f) === 0) return f;
    return -1;
  }
  allocSmall(): number {
    for (let k = 0; k < this.c.smalls; k++) if (this.smallRef(k) === 0) return k;
    this.cover(CV.bound_small_page_pool_full_step_not_taken);
    this.blocked = true;
    return -1;
  }
  freeSmallSlots(): number {
    let n = 0;
    for (let k = 0; k < this.c.smalls; k++) if (this.smallRef(k) === 0) n++;
    return n;
  }

  // ---- content tokens (harness: detect data leaks, spec §7 S2) ----------------------------------
  contentOff(pg: PageRef): number {
    return pg.thp ? this.F(pg.idx) + this.o.CONTENT + pg.sub : this.S(pg.idx) + this.o.S_CONTENT;
  }
  content(pg: PageRef | null): number {
    if (!this.c.tokens) return TOKEN_NONE;
    return pg ? this.s[this.contentOff(pg)]! : TOKEN_ZERO;
  }
  setContent(pg: PageRef, t: number): void {
    if (this.c.tokens) this.s[this.contentOff(pg)] = t;
  }
  expectOff(p: number, addr: number): number {
    return this.mm(p) + this.o.EXPECT + addr;
  }
  expect(p: number, addr: number): number {
    return this.c.tokens ? this.s[this.expectOff(p, addr)]! : TOKEN_NONE;
  }
  setExpect(p: number, addr: number, t: number): void {
    if (this.c.tokens) this.s[this.expectOff(p, addr)] = t;
  }
  /** The lowest token no page holds and nobody expects: a write's data is new everywhere. */
  freshToken(): number {
    const used = new Uint8Array(256);
    const c = this.c;
    for (let f = 0; f < c.thps; f++) if (this.page_count(f) > 0) for (let i = 0; i < this.N; i++) used[this.s[this.F(f) + this.o.CONTENT + i]!] = 1;
    for (let k = 0; k < c.smalls; k++) if (this.smallRef(k) > 0) used[this.s[this.S(k) + this.o.S_CONTENT]!] = 1;
    for (let p = 0; p < c.procs; p++) for (let i = 0; i < this.N; i++) used[this.s[this.expectOff(p, i)]!] = 1;
    for (let g = 0; g < this.o.R; g++) if (this.refUsed(g)) used[this.s[this.G(g) + this.o.R_EXPECT]!] = 1;
    let t = TOKEN_ZERO + 1;
    while (used[t]) t++;
    return t;
  }

  // ---- GUP references ----------------------------------------------------------------------------
  G(g: number): number {
    return this.o.ref + g * this.o.refStride;
  }
  refKind(g: number): number {
    return this.s[this.G(g) + this.o.R_KIND]!;
  }
  refUsed(g: number): boolean {
    return (this.refKind(g) & REF_USED) !== 0;
  }
  refIsPin(g: number): boolean {
    return (this.refKind(g) & REF_PIN) !== 0;
  }
  refMm(g: number): number {
    return this.s[this.G(g) + this.o.R_MM]!;
  }
  refAddr(g: number): number {
    return this.s[this.G(g) + this.o.R_ADDR]!;
  }
  refValid(g: number): boolean {
    return this.s[this.G(g) + this.o.R_VALID] === 1;
  }
  pageId(pg: PageRef): number {
    return pg.thp ? 1 + pg.idx * this.N + pg.sub : 1 + this.c.thps * this.N + pg.idx;
  }
  refPage(g: number): PageRef {
    return this.pageOfId(this.s[this.G(g) + this.o.R_PAGE]!);
  }
  /** Inverse of pageId(). */
  pageOfId(v: number): PageRef {
    const id = v - 1;
    const tn = this.c.thps * this.N;
    return id < tn ? { thp: true, idx: Math.floor(id / this.N), sub: id % this.N } : { thp: false, idx: id - tn, sub: 0 };
  }
  // ---- mmu notifiers (spec §4.8): the secondary MMU hears of every change to a present entry ----
  /**
   * mmu_notifier_invalidate_range_start + _end over mm p's subpages in `mask`,
   * around a change to present entries. Host steps are atomic, so the pair is
   * one call and mmu_notifier_count is back to 0 at every step boundary.
   */
  notify(p: number, mask: number): void {
    if (this.c.kvm && p === 0 && mask !== 0) mmu_notifier_invalidate_range(this, mask);
  }
  /** exit_mmap -> mmu_notifier_release: the VM's memory is gone. */
  notifyRelease(p: number): void {
    if (this.c.kvm && p === 0) mmu_notifier_release(this);
  }

  /** The holder mm unmapped or remapped addr: its references there no longer promise anything. */
  invalidateRefs(p: number, mask: number): void {
    for (let g = 0; g < this.o.R; g++)
      if (this.refUsed(g) && this.refMm(g) === p && ((mask >> this.refAddr(g)) & 1)) this.s[this.G(g) + this.o.R_VALID] = 0;
  }
}
