/**
 * The THP model's packed state: per-mm page tables and VMA, per-folio struct
 * page counters (kernel names, raw -1-based values), small pages, GUP
 * references. Field names mirror the kernel; fields an era does not have are
 * left out of the vector (offset -1), so traces show only what that kernel has.
 */
import { Layout } from '../../src/state/layout.js';
import { hasGup, type ThpConfig } from './config.js';

export const MM_UNUSED = 0;
export const MM_ALIVE = 1;
export const MM_EXITED = 2;

export const PMD_NONE = 0;
export const PMD_HUGE = 1;
export const PMD_TABLE = 2;

/** PTE encoding: 0 none; 1+f: subpage (f, addr) of THP slot f; 1+thps+k: small page k; ZERO_PTE: the shared zero page. */
export const PTE_NONE = 0;
export const ZERO_PTE = 255;

/** GUP reference kind bits */
export const REF_USED = 1;
export const REF_PIN = 2;
export const REF_WRITE = 4;
export const REF_LONGTERM = 8;

/** page->mapping of a page-cache folio: the shmem file's address_space (not an anon_vma). */
export const MAPPING_FILE = 255;

/** The in-flight KVM fault's phase: none, mmu_notifier_seq read, page held by hva_to_pfn. */
export const KVM_IDLE = 0;
export const KVM_SEQ_READ = 1;
export const KVM_PFN_HELD = 2;

/** Content tokens: 0 = no expectation, 1 = zero-filled, 2.. = written data. */
export const TOKEN_NONE = 0;
export const TOKEN_ZERO = 1;

export interface Offsets {
  N: number;
  P: number;
  T: number; // THP slots
  S: number; // small slots
  R: number; // ref slots
  // per mm p: base + p * mmStride
  mm: number;
  mmStride: number;
  MM_STATE: number;
  VMA: number;
  VMA_WRITE: number;
  ANON_VMA_CHAIN: number;
  PMD: number;
  PMD_FOLIO: number;
  PMD_WRITE: number;
  DEPOSIT: number;
  PTE: number; // N entries
  PTE_WRITE: number;
  RSS_ANON: number;
  HAS_PINNED: number; // -1 before 5.9
  EXPECT: number; // N tokens, -1 without tokens
  SPLIT_PHASE: number; // stepwise split: 0 none, 1 after step 1, 2 after step 2; -1 when atomic
  WP_PHASE: number; // stepwise PMD COW read: 0 none, 1 subpages read, 2 PageDoubleMap read
  WP_ADDR: number;
  WP_MAX: number; // max_i(_mapcount[i] + 1) as read
  WP_DM: number; // PageDoubleMap as read
  // per THP slot f: base + f * thpStride
  thp: number;
  thpStride: number;
  REF: number;
  COMPOUND_MAPCOUNT: number; // raw; entire_mapcount in 6.2+
  MAPCOUNT: number; // N raw
  DOUBLE_MAP: number; // -1 in 6.2+
  NR_PAGES_MAPPED: number; // -1 before 6.2
  MAPPING: number; // anon_vma node + 1, 0 = none
  PINCOUNT: number; // -1 without FOLL_PIN
  PG_LOCKED: number; // -1 unless stepwise with the split's page lock
  ANON_EXCLUSIVE: number; // bitmask, -1 before 5.19
  CONTENT: number; // N tokens, -1 without tokens
  // per small slot k
  small: number;
  smallStride: number;
  S_REF: number;
  S_MAPCOUNT: number;
  S_MAPPING: number; // -1 when small rmap is not tracked
  S_PINCOUNT: number;
  S_ANON_EXCLUSIVE: number;
  S_CONTENT: number;
  // per ref slot g
  ref: number;
  refStride: number;
  R_KIND: number;
  R_MM: number;
  R_PAGE: number; // 1 + f*N + i, or 1 + T*N + k
  R_ADDR: number;
  R_VALID: number;
  R_EXPECT: number;
  // KVM (absolute offsets; -1 without KVM ops)
  EPT_HUGE: number; // 0, or 1 + folio of a 2M leaf over gfns 0..N-1
  EPT_HUGE_W: number;
  EPT_PTE: number; // N entries: 0, or the page id (as R_PAGE) of a 4K leaf
  EPT_PTE_W: number; // bitmask
  KVM_FAULT: number; // KVM_IDLE / KVM_SEQ_READ / KVM_PFN_HELD
  KVM_GFN: number;
  KVM_WRITE: number; // the fault is a write (FOLL_WRITE)
  KVM_PFN: number; // page id held by hva_to_pfn
  KVM_PFN_W: number; // hva_to_pfn got a writable mapping
  KVM_SEQ_MOVED: number; // mmu_notifier_seq moved since the fault read it
}

export function hasAnonExclusive(c: ThpConfig): boolean {
  if (c.shmem) return false; // no anon pages in the shmem world
  return c.flags.reuse === 'R519' || c.flags.reuse === 'R65' || c.flags.pmd_reuse === 'P519' || c.flags.fork_cow === 'ae' || c.flags.gup_cow === 'unshare';
}

const pteName = (c: ThpConfig) => (v: number): string => {
  if (v === PTE_NONE) return 'none';
  if (v === ZERO_PTE) return 'zero-page';
  if (v <= c.thps) return `F${v - 1}`;
  return `S${v - 1 - c.thps}`;
};

export function buildLayout(c: ThpConfig): { layout: Layout; o: Offsets } {
  const L = new Layout();
  const N = c.subpages;
  const bits = (v: number) => (Array.from({ length: N }, (_, i) => ((v >> i) & 1 ? '1' : '0')).join(''));
  const chain = (v: number) => (v === 0 ? '{}' : `{${Array.from({ length: 8 }, (_, i) => i).filter((i) => (v >> i) & 1).map((i) => `av${i}`).join(',')}}`);
  const ae = hasAnonExclusive(c);
  const pin = c.flags.foll_pin === 'yes';
  const o = { N, P: c.procs, T: c.thps, S: c.smalls, R: hasGup(c.ops) ? c.refs : 0 } as Offsets;
  let first = -1;
  const mark = (off: number) => {
    if (first < 0) first = off;
    return off - first;
  };
  const field = (p: string, name: string, doc: string, fmt?: (v: number) => string) => L.u8(`${p}${name}`, doc, fmt);
  for (let p = 0; p < c.procs; p++) {
    const P = `mm${p}.`;
    first = -1;
    const base = L.fieldCount;
    o.MM_STATE = mark(field(P, 'state', 'unused / alive / exited', (v) => ['unused', 'alive', 'exited'][v] ?? String(v)));
    o.VMA = mark(field(P, 'vma', 'subpages covered by the private anon VMA', bits));
    o.VMA_WRITE = mark(field(P, 'vm_write', 'VM_WRITE per subpage', bits));
    o.ANON_VMA_CHAIN = mark(field(P, 'anon_vma_chain', 'anon_vma nodes on the VMA chain (own node = av<mm>)', chain));
    o.PMD = mark(field(P, 'pmd', 'none / huge / table', (v) => ['none', 'huge', 'table'][v] ?? String(v)));
    o.PMD_FOLIO = mark(field(P, 'pmd.folio', 'THP slot a huge PMD maps', (v) => `F${v}`));
    o.PMD_WRITE = mark(field(P, 'pmd.write', 'huge PMD write bit'));
    o.DEPOSIT = mark(field(P, 'deposited', 'pre-allocated PTE tables deposited with huge PMDs'));
    o.PTE = mark(L.array(`${P}pte[]`, N, 'u8', 'PTE: which page', pteName(c)));
    o.PTE_WRITE = mark(field(P, 'pte.write', 'PTE write bits', bits));
    o.RSS_ANON = mark(field(P, c.shmem ? 'rss[MM_SHMEMPAGES]' : 'rss[MM_ANONPAGES]', c.shmem ? 'shmem rss counter' : 'anon rss counter'));
    o.HAS_PINNED = c.flags.fork_cow !== 'none' ? mark(field(P, 'MMF_HAS_PINNED', 'mm ever took a FOLL_PIN')) : -1;
    o.EXPECT = c.tokens ? mark(L.array(`${P}sees[]`, N, 'u8', 'content token this mm last read or wrote at the address', tok)) : -1;
    o.SPLIT_PHASE = o.WP_PHASE = o.WP_ADDR = o.WP_MAX = o.WP_DM = -1;
    if (c.stepwise) {
      o.SPLIT_PHASE = mark(field(P, 'split_huge_pmd', 'stepwise split in progress: done steps (PMD lock held)', (v) => ['-', 'step 1 done', 'step 2 done'][v] ?? String(v)));
      o.WP_PHASE = mark(field(P, 'wp_huge_pmd', 'stepwise PMD COW in progress: reads done', (v) => ['-', 'subpages read', 'PageDoubleMap read'][v] ?? String(v)));
      o.WP_ADDR = mark(field(P, 'wp_huge_pmd.addr', 'address of the write fault'));
      o.WP_MAX = mark(field(P, 'wp_huge_pmd.max', 'max over subpages of _mapcount + 1, as read'));
      o.WP_DM = mark(field(P, 'wp_huge_pmd.doublemap', 'PageDoubleMap as read'));
    }
    if (p === 0) o.mm = base;
    o.mmStride = L.fieldCount - base;
  }
  if (c.smalls === 0) o.small = L.fieldCount;
  if (o.R === 0) o.ref = L.fieldCount;
  for (let f = 0; f < c.thps; f++) {
    const F = `F${f}.`;
    first = -1;
    const base = L.fieldCount;
    o.REF = mark(field(F, '_refcount', 'folio refcount (page_count of the head)'));
    o.COMPOUND_MAPCOUNT = mark(L.raw(`${F}${c.flags.mapcount === 'doublemap' ? 'compound_mapcount' : '_entire_mapcount'}`, 'PMD mappings - 1'));
    o.MAPCOUNT = mark(L.array(`${F}_mapcount[]`, N, 'raw', 'per-subpage _mapcount (raw, -1 based)'));
    o.DOUBLE_MAP = c.flags.mapcount === 'doublemap' ? mark(field(F, 'PageDoubleMap', 'PG_double_map on the head')) : -1;
    o.NR_PAGES_MAPPED = c.flags.mapcount === 'entire' ? mark(field(F, '_nr_pages_mapped', 'PTE-mapped subpages (ENTIRELY_MAPPED bias shown by _entire_mapcount)')) : -1;
    o.MAPPING = mark(field(F, 'mapping', 'anon_vma (or, for shmem, the file) the head points at', (v) => (v === 0 ? 'NULL' : v === MAPPING_FILE ? 'shmem-file' : `av${v - 1}`)));
    o.PINCOUNT = pin ? mark(field(F, '_pincount', 'FOLL_PIN count of the folio')) : -1;
    o.PG_LOCKED = c.stepwise && c.flags.split_page_lock === 'yes' ? mark(field(F, 'PG_locked', 'page lock (held by a stepwise split or PMD COW)')) : -1;
    o.ANON_EXCLUSIVE = ae ? mark(field(F, 'PageAnonExclusive', 'PG_anon_exclusive per subpage (head only while PMD-mapped)', bits)) : -1;
    o.CONTENT = c.tokens ? mark(L.array(`${F}data[]`, N, 'u8', 'content token per subpage', tok)) : -1;
    if (f === 0) o.thp = base;
    o.thpStride = L.fieldCount - base;
  }
  for (let k = 0; k < c.smalls; k++) {
    const S = `S${k}.`;
    first = -1;
    const base = L.fieldCount;
    o.S_REF = mark(field(S, '_refcount', 'page refcount'));
    o.S_MAPCOUNT = mark(L.raw(`${S}_mapcount`, 'PTE mappings - 1'));
    o.S_MAPPING = c.smallRmap ? mark(field(S, 'mapping', 'anon_vma', (v) => (v === 0 ? 'NULL' : `av${v - 1}`))) : -1;
    o.S_PINCOUNT = pin ? mark(field(S, 'pins', 'FOLL_PIN count (the kernel folds it into _refcount with GUP_PIN_COUNTING_BIAS)')) : -1;
    o.S_ANON_EXCLUSIVE = ae ? mark(field(S, 'PageAnonExclusive', 'PG_anon_exclusive')) : -1;
    o.S_CONTENT = c.tokens ? mark(field(S, 'data', 'content token', tok)) : -1;
    if (k === 0) o.small = base;
    o.smallStride = L.fieldCount - base;
  }
  for (let g = 0; g < o.R; g++) {
    const R = `gup${g}.`;
    first = -1;
    const base = L.fieldCount;
    o.R_KIND = mark(field(R, 'flags', 'reference kind', refKind));
    o.R_MM = mark(field(R, 'mm', 'mm that took it', (v) => `mm${v}`));
    o.R_PAGE = mark(field(R, 'page', 'page it holds', (v) => pageName(c, v)));
    o.R_ADDR = mark(field(R, 'addr', 'subpage address it was taken at'));
    o.R_VALID = mark(field(R, 'mapped', '1 while the holder has not unmapped or remapped the address'));
    o.R_EXPECT = c.tokens ? mark(field(R, 'sees', 'content token the holder expects to read', tok)) : -1;
    if (g === 0) o.ref = base;
    o.refStride = L.fieldCount - base;
  }
  const none = -1;
  o.EPT_HUGE = o.EPT_HUGE_W = o.EPT_PTE = o.EPT_PTE_W = o.KVM_FAULT = o.KVM_GFN = o.KVM_WRITE = o.KVM_PFN = o.KVM_PFN_W = o.KVM_SEQ_MOVED = none;
  if (c.kvm) {
    const pg = (v: number) => pageName(c, v);
    o.EPT_HUGE = L.u8('kvm.ept.2M', '2M EPT leaf over gfns 0..N-1 (the folio it maps)', (v) => (v === 0 ? 'none' : `F${v - 1}`));
    o.EPT_HUGE_W = L.u8('kvm.ept.2M.write', '2M leaf writable');
    o.EPT_PTE = L.array('kvm.ept[]', N, 'u8', '4K EPT leaf per gfn: the page it maps', pg);
    o.EPT_PTE_W = L.u8('kvm.ept.write', '4K leaf write bits per gfn', bits);
    o.KVM_FAULT = L.u8('kvm.fault', 'in-flight EPT fault: idle / mmu_seq read / pfn held', (v) => ['idle', 'mmu_seq read', 'pfn held'][v] ?? String(v));
    o.KVM_GFN = L.u8('kvm.fault.gfn', 'gfn of the in-flight fault (hva = mm0 subpage gfn)');
    o.KVM_WRITE = L.u8('kvm.fault.write', 'the fault is a guest write (FOLL_WRITE)');
    o.KVM_PFN = L.u8('kvm.fault.pfn', 'page hva_to_pfn returned (a FOLL_GET reference)', pg);
    o.KVM_PFN_W = L.u8('kvm.fault.writable', 'hva_to_pfn got the page writable');
    o.KVM_SEQ_MOVED = L.u8('kvm.mmu_notifier_seq_moved', 'mmu_notifier_seq != the mmu_seq the fault read (an invalidation ended since)');
  }
  return { layout: L, o };
}

export function tok(v: number): string {
  return v === TOKEN_NONE ? '-' : v === TOKEN_ZERO ? 'zero' : `d${v - 1}`;
}

export function refKind(v: number): string {
  if (!(v & REF_USED)) return 'free';
  return [v & REF_PIN ? 'FOLL_PIN' : 'FOLL_GET', v & REF_WRITE ? 'FOLL_WRITE' : '', v & REF_LONGTERM ? 'FOLL_LONGTERM' : ''].filter(Boolean).join('|');
}

/** Page id of the shared zero page, where KVM holds or maps it (a reserved pfn: no refcount, no mapcount). */
export const ZERO_PAGE_ID = 255;

export function pageName(c: ThpConfig, id: number): string {
  if (id === 0) return '-';
  if (id === ZERO_PAGE_ID) return 'zero-page';
  const N = c.subpages;
  if (id <= c.thps * N) return `F${Math.floor((id - 1) / N)}[${(id - 1) % N}]`;
  return `S${id - 1 - c.thps * N}`;
}

/** Some mm is inside a stepwise split or PMD COW (its PMD lock held between steps): the state is not quiescent. */
export function stepInFlight(c: ThpConfig, o: Offsets, s: Uint8Array): boolean {
  if (!c.stepwise) return false;
  for (let p = 0; p < c.procs; p++) {
    const b = o.mm + p * o.mmStride;
    if (s[b + o.SPLIT_PHASE] !== 0 || s[b + o.WP_PHASE] !== 0) return true;
  }
  return false;
}
