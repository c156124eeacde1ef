/**
 * Typed access to the packed state (harness: no kernel counterpart) and the
 * W-bit counter arithmetic the kernel's atomic_t gets for free: an add past
 * INT_MAX' wraps, a decrement of a zero count is the VM_BUG_ON the kernel
 * would hit.
 */
import type { StepContext } from '../../src/model.js';
import { guardThreshold, intMax, type HgmConfig } from './config.js';
import { CV } from './coverage.js';
import { ENT_LEAF, ENT_NONE, ENT_TABLE, MM_ALIVE, PMD, PTE, PUD, type Bank, type Offsets } from './layout.js';

/** Property ids the kernel functions report through. */
export interface PropIds {
  noOverflow: number;
  vmBugOn: number;
  guardRefused: number;
}

export class Kern {
  s!: Uint8Array;
  ctx!: StepContext;
  /** PAGE_SIZE pieces per PMD-sized half */
  readonly half: number;
  readonly mask: number;
  private readonly signBit: number;
  private readonly mod: number;
  readonly INT_MAX: number;
  /** the guard's INT_MAX'/2 */
  readonly T: number;
  /** faults never create PMD-sized leaves (policy D on either side of a comparison) */
  readonly pageOnly: boolean;
  /** some counter bank follows policy C (the only one that counts logical mappings) */
  private readonly anyC: boolean;

  constructor(
    readonly c: HgmConfig,
    readonly o: Offsets,
    readonly ids: PropIds,
  ) {
    this.half = c.pieces / 2;
    this.mask = 2 ** c.bits - 1;
    this.signBit = 2 ** (c.bits - 1);
    this.mod = 2 ** c.bits;
    this.INT_MAX = intMax(c.bits);
    this.T = guardThreshold(c.bits);
    this.pageOnly = c.policy === 'D' || c.compare === 'D';
    this.anyC = c.policy === 'C' || c.compare === 'C';
  }

  /** count a modelled branch (an id of CV) */
  cover(point: number): void {
    this.ctx.cover(point);
  }

  // --- processes and page tables ---
  mmBase(p: number): number {
    return this.o.mm + p * this.o.mmStride;
  }
  state(p: number): number {
    return this.s[this.mmBase(p) + this.o.STATE]!;
  }
  setState(p: number, v: number): void {
    this.s[this.mmBase(p) + this.o.STATE] = v;
  }
  inflight(p: number): number {
    return this.o.INFLIGHT < 0 ? 0 : this.s[this.mmBase(p) + this.o.INFLIGHT]!;
  }
  inflightArg(p: number): number {
    return this.s[this.mmBase(p) + this.o.INFLIGHT_ARG]!;
  }
  setInflight(p: number, kind: number, arg: number): void {
    this.s[this.mmBase(p) + this.o.INFLIGHT] = kind;
    this.s[this.mmBase(p) + this.o.INFLIGHT_ARG] = arg;
  }
  vmaBase(p: number, v: number): number {
    return this.mmBase(p) + this.o.VMA + v * this.o.vmaStride;
  }
  pud(p: number, v: number): number {
    return this.s[this.vmaBase(p, v) + this.o.PUD]!;
  }
  pmd(p: number, v: number, m: number): number {
    return this.s[this.vmaBase(p, v) + this.o.PMD + m]!;
  }
  ptes(p: number, v: number): number {
    return this.s[this.vmaBase(p, v) + this.o.PTE]!;
  }
  halfOf(j: number): number {
    return j >= this.half ? 1 : 0;
  }

  /** The leaf that maps piece j in (p, v), as [level, index], or null. */
  leafAt(p: number, v: number, j: number): [number, number] | null {
    const pud = this.pud(p, v);
    if (pud === ENT_LEAF) return [PUD, 0];
    if (pud !== ENT_TABLE) return null;
    const m = this.halfOf(j);
    const pmd = this.pmd(p, v, m);
    if (pmd === ENT_LEAF) return [PMD, m];
    if (pmd === ENT_TABLE && (this.ptes(p, v) >> j) & 1) return [PTE, j];
    return null;
  }

  /** A VMA's page-table shape as one number (the four entry words). */
  private shape(p: number, v: number): number {
    const b = this.vmaBase(p, v);
    const o = this.o;
    return ((this.s[b + o.PTE]! * 3 + this.s[b + o.PMD + 1]!) * 3 + this.s[b + o.PMD]!) * 3 + this.s[b + o.PUD]!;
  }
  /** Leaves per shape, computed once per shape (the engine asks for them on every step). */
  private readonly leafTable: ([number, number][] | undefined)[] = [];

  /** Every leaf of (p, v), as [level, index] pairs, in address order (a shared array: do not change it). */
  leaves(p: number, v: number): readonly (readonly [number, number])[] {
    const key = this.shape(p, v);
    let l = this.leafTable[key];
    if (l === undefined) {
      l = [];
      const pud = this.pud(p, v);
      if (pud === ENT_LEAF) l.push([PUD, 0]);
      else if (pud === ENT_TABLE) {
        const ptes = this.ptes(p, v);
        for (let m = 0; m < 2; m++) {
          const pmd = this.pmd(p, v, m);
          if (pmd === ENT_LEAF) l.push([PMD, m]);
          else if (pmd === ENT_TABLE) for (let j = m * this.half; j < (m + 1) * this.half; j++) if ((ptes >> j) & 1) l.push([PTE, j]);
        }
      }
      this.leafTable[key] = l;
    }
    return l;
  }

  hasLeaf(p: number, v: number): boolean {
    return this.leaves(p, v).length > 0;
  }

  /** Set (or clear) one leaf, allocating the tables above it; page-table bits only. */
  writeLeaf(p: number, v: number, level: number, idx: number, on: boolean): void {
    const b = this.vmaBase(p, v);
    const o = this.o;
    if (level === PUD) {
      this.s[b + o.PUD] = on ? ENT_LEAF : ENT_NONE;
      return;
    }
    if (on && this.s[b + o.PUD] !== ENT_TABLE) {
      this.s[b + o.PUD] = ENT_TABLE;
      this.s[b + o.PMD] = this.s[b + o.PMD + 1] = ENT_NONE;
      this.s[b + o.PTE] = 0;
    }
    if (level === PMD) {
      this.s[b + o.PMD + idx] = on ? ENT_LEAF : ENT_NONE;
      return;
    }
    const m = this.halfOf(idx);
    if (on && this.s[b + o.PMD + m] !== ENT_TABLE) this.s[b + o.PMD + m] = ENT_TABLE;
    this.s[b + o.PTE] = on ? this.s[b + o.PTE]! | (1 << idx) : this.s[b + o.PTE]! & ~(1 << idx);
  }

  /** free_pgtables of (p, v)'s sub-tree (the leaves are gone already). */
  clearTables(p: number, v: number): void {
    const b = this.vmaBase(p, v);
    if (this.s[b + this.o.PUD] === ENT_TABLE) this.s[b + this.o.PUD] = ENT_NONE;
    this.s[b + this.o.PMD] = this.s[b + this.o.PMD + 1] = ENT_NONE;
    this.s[b + this.o.PTE] = 0;
  }

  /**
   * Policy C's logical mapping: (p, v) holds one reference and one mapping
   * while it has a leaf (c_release=last_piece), or while its hstate-level
   * entry is a leaf or a sub-tree not yet freed (c_release=page_tables).
   */
  holdsLogical(p: number, v: number): boolean {
    if (!this.anyC) return false;
    if (this.c.cRelease === 'last_piece') return this.hasLeaf(p, v);
    return this.pud(p, v) !== ENT_NONE;
  }

  // --- counters ---
  signed(off: number): number {
    const v = this.s[off]!;
    return v >= this.signBit ? v - this.mod : v;
  }
  refcount(): number {
    return this.signed(this.o.REF);
  }
  gupRefs(): number {
    return this.s[this.o.GUP]!;
  }
  /** The add itself: a W-bit atomic_add that wraps past INT_MAX'. */
  refAdd(n: number): void {
    const now = this.refcount() + n;
    if (now > this.INT_MAX) {
      this.cover(CV.wrapped);
      this.ctx.fail(this.ids.noOverflow);
    }
    this.s[this.o.REF] = now & this.mask;
  }
  /** put_page_testzero: VM_BUG_ON_PAGE(page_ref_count(page) == 0) before the decrement. */
  refSub(): void {
    const was = this.refcount();
    if (was === 0) this.ctx.fail(this.ids.vmBugOn);
    this.s[this.o.REF] = (was - 1) & this.mask;
  }
  mapcountAdd(off: number, n: number): void {
    this.s[off] = (this.signed(off) + n) & this.mask;
  }
  /** A raw mapcount below -1: the underflow DEBUG_VM catches (VM_BUG_ON_PAGE stand-in). */
  mapcountSub(off: number): void {
    const was = this.signed(off);
    if (was === -1) this.ctx.fail(this.ids.vmBugOn);
    this.s[off] = (was - 1) & this.mask;
  }

  // --- census (harness: the ground truth the properties compare with) ---
  alive(p: number): boolean {
    return this.state(p) === MM_ALIVE;
  }
  /** VMAs (of live processes) with a leaf mapping H. */
  vmasMapping(): number {
    let n = 0;
    for (let p = 0; p < this.o.P; p++) if (this.alive(p)) for (let v = 0; v < this.o.K; v++) if (this.hasLeaf(p, v)) n++;
    return n;
  }
  /** The bank a policy's counters live in. */
  bank(i: number): Bank {
    return this.o.banks[i]!;
  }
}
