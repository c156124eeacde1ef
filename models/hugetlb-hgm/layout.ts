/**
 * The hugetlb-hgm model's packed state: per process its VMAs' page tables
 * over the one hugetlb page H (a three-level tree scaled down: the
 * hstate-level entry, two PMD-sized halves, R PAGE_SIZE pieces) and, with
 * two-step guards, the operation it has in flight; per counter bank H's
 * refcount and mapcounts as W-bit two's-complement words; the GUP
 * references held.
 */
import { Layout } from '../../src/state/layout.js';
import type { HgmConfig, Policy } from './config.js';

export const MM_UNUSED = 0;
export const MM_ALIVE = 1;
export const MM_EXITED = 2;
/** a child slot reserved by a fork that passed its guard check and has not copied yet (two steps) */
export const MM_FORKING = 3;

/** An entry of the hstate level (`pud`) or of a PMD-sized half (`pmd`): none, a leaf mapping H's part, or a lower table. */
export const ENT_NONE = 0;
export const ENT_LEAF = 1;
export const ENT_TABLE = 2;

/** Leaf sizes. */
export const PUD = 0;
export const PMD = 1;
export const PTE = 2;
export const LEVEL_NAMES = ['hstate-level', 'PMD-sized', 'PAGE_SIZE'] as const;

/** The operation a process has between its guard check and its add (two steps). */
export const INFLIGHT_NONE = 0;
export const INFLIGHT_FAULT = 1;
export const INFLIGHT_CONTINUE = 2;
export const INFLIGHT_FORK = 3;
export const INFLIGHT_COLLAPSE = 4;
export const INFLIGHT_NAMES = ['-', 'fault', 'uffdio_continue', 'fork', 'collapse'];

/** H's counters under one policy: the refcount (bank 0 only) and the mapcounts that policy keeps. */
export interface Bank {
  policy: Policy;
  /** compound_mapcount (raw, -1 based): A, C every mapping; B, D hstate-level ones */
  COMPOUND: number;
  /** first of R per-page _mapcount words (raw): B, D only, else -1 */
  MAPCOUNT: number;
}

export interface Offsets {
  P: number;
  K: number;
  R: number;
  mm: number;
  mmStride: number;
  STATE: number;
  /** -1 with one-step guards */
  INFLIGHT: number;
  INFLIGHT_ARG: number;
  /** first VMA record within an mm record */
  VMA: number;
  vmaStride: number;
  PUD: number;
  PMD: number;
  PTE: number;
  REF: number;
  GUP: number;
  banks: Bank[];
}

export const perPage = (p: Policy): boolean => p === 'B' || p === 'D';

/** W-bit two's complement: the signed value of a stored word. */
export function signedOf(v: number, bits: number): number {
  return v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}

export function buildLayout(c: HgmConfig): { layout: Layout; o: Offsets } {
  const L = new Layout();
  const R = c.pieces;
  const signed = (v: number) => String(signedOf(v, c.bits));
  const ent = (v: number) => ['none', 'leaf', 'table'][v] ?? String(v);
  const bits = (v: number) => Array.from({ length: R }, (_, i) => ((v >> i) & 1 ? '1' : '0')).join('');
  const o = { P: c.procs, K: c.vmas, R, banks: [] as Bank[] } as Offsets;
  for (let p = 0; p < c.procs; p++) {
    const at = L.fieldCount;
    const rel = (off: number) => off - at;
    o.STATE = rel(L.u8(`mm${p}.state`, 'unused / alive / exited / forking (a child slot a two-step fork reserved)', (v) => ['unused', 'alive', 'exited', 'forking'][v] ?? String(v)));
    o.INFLIGHT = o.INFLIGHT_ARG = -1;
    if (c.twoStep) {
      o.INFLIGHT = rel(L.u8(`mm${p}.inflight`, 'operation past its guard check whose add is still to come', (v) => INFLIGHT_NAMES[v] ?? String(v)));
      o.INFLIGHT_ARG = rel(L.u8(`mm${p}.inflight.arg`, 'its address (fault, uffdio_continue), the child slot (fork) or the VMA (collapse)'));
    }
    for (let v = 0; v < c.vmas; v++) {
      const vb = L.fieldCount;
      const V = `mm${p}.vma${v}.`;
      const pud = L.u8(`${V}pud`, 'hstate-level entry: none, a leaf mapping all of H, or an HGM sub-tree', ent);
      L.array(`${V}pmd[]`, 2, 'u8', 'PMD-sized half of the sub-tree: none, a leaf, or a PTE table', ent);
      L.u8(`${V}pte`, 'PAGE_SIZE leaves, one bit per piece (under a PMD that is a table)', bits);
      if (v === 0) {
        o.VMA = rel(vb);
        o.PUD = pud - vb;
        o.PMD = o.PUD + 1;
        o.PTE = o.PUD + 3;
      }
      o.vmaStride = L.fieldCount - vb;
    }
    if (p === 0) o.mm = at;
    o.mmStride = L.fieldCount - at;
  }
  o.REF = L.u8('H._refcount', `folio refcount: a ${c.bits}-bit signed counter (page cache 1, each mapping reference, each GUP reference)`, signed);
  const bank = (prefix: string, policy: Policy, doc: string): Bank => {
    const COMPOUND = L.u8(`${prefix}compound_mapcount`, `${doc}compound (entire) mapcount, raw -1 based, ${c.bits}-bit`, signed);
    const MAPCOUNT = perPage(policy) ? L.array(`${prefix}_mapcount[]`, R, 'u8', `${doc}per-page _mapcount, raw -1 based`, signed) : -1;
    return { policy, COMPOUND, MAPCOUNT };
  };
  o.banks.push(bank('H.', c.policy, ''));
  o.GUP = L.u8('H.gup_refs', 'GUP references held (get_user_pages, not yet put)');
  if (c.compare) o.banks.push(bank('vs.', c.compare, `mmcheck compare side B (policy ${c.compare}): `));
  return { layout: L, o };
}
