/**
 * What the hugetlb-hgm model checks. The counters are compared with a
 * census of the page tables and references, never with themselves; the
 * consumers' answers are scored against the VMAs that really map H.
 */
import type { Property, StateProperty, TransitionProperty } from '../../src/property.js';
import type { HgmConfig } from './config.js';
import { CLASSES, CONSUMERS } from './coverage.js';
import type { Kern } from './kern.js';
import { ENT_LEAF, INFLIGHT_FORK, INFLIGHT_NONE, MM_ALIVE, PMD, PTE, PUD, type Bank } from './layout.js';

/** Which observer operation scores which consumer. */
export const CONSUMER_OP: Record<string, string> = { 'smaps-shared': 'smaps', 'mpol-move': 'mbind', 'hwpoison-unmap': 'memory_failure' };

/**
 * Harness: what the page tables hold, counted once per state (the model's
 * prepare hook invalidates; the properties of one state share one count:
 * same vector object).
 */
export class Census {
  /** leaves by level, over live processes */
  readonly leaves = [0, 0, 0];
  /** (process, VMA) pairs holding policy C's logical mapping */
  logical = 0;
  /** page-cache lookup references held by operations between their guard check and their work (two steps) */
  lookups = 0;
  /** per PAGE_SIZE page: PMD-sized and PAGE_SIZE leaves mapping it */
  readonly perPage: number[];
  private last: Uint8Array | null = null;

  constructor(private readonly k: Kern) {
    this.perPage = new Array<number>(k.c.pieces).fill(0);
  }

  invalidate(): void {
    this.last = null;
  }

  take(s: Uint8Array): this {
    const k = this.k;
    k.s = s;
    if (s === this.last) return this;
    this.last = s;
    this.leaves[0] = this.leaves[1] = this.leaves[2] = 0;
    this.logical = 0;
    this.lookups = 0;
    this.perPage.fill(0);
    for (let p = 0; p < k.o.P; p++) {
      if (k.state(p) !== MM_ALIVE) continue;
      const f = k.inflight(p);
      if (f !== INFLIGHT_NONE && f !== INFLIGHT_FORK) this.lookups++;
      for (let v = 0; v < k.o.K; v++) {
        if (k.holdsLogical(p, v)) this.logical++;
        for (const [level, idx] of k.leaves(p, v)) {
          this.leaves[level]!++;
          if (level === PMD) for (let i = idx * k.half; i < (idx + 1) * k.half; i++) this.perPage[i]!++;
          if (level === PTE) this.perPage[idx]!++;
        }
      }
    }
    return this;
  }
}

/** The references the mappings hold under a policy. */
export function mappingRefs(policy: Bank['policy'], n: Census): number {
  return policy === 'C' ? n.logical : n.leaves[0]! + n.leaves[1]! + n.leaves[2]!;
}

/** The counters the page tables call for are all within W bits (no wrap has garbled them): the states consumers are scored in. */
export function countersInRange(k: Kern, n: Census): boolean {
  if (1 + k.gupRefs() + n.lookups + mappingRefs(k.c.policy, n) > k.INT_MAX) return false;
  for (const b of k.o.banks) for (const [, want] of expectedWords(k, b, n, '')) if (want > k.INT_MAX) return false;
  return true;
}

/** The raw mapcount words a bank should hold: [offset, expected raw value, field name]. */
function expectedWords(k: Kern, bank: Bank, n: Census, prefix: string): [number, number, string][] {
  const all = n.leaves[0]! + n.leaves[1]! + n.leaves[2]!;
  if (bank.policy === 'A') return [[bank.COMPOUND, all - 1, `${prefix}compound_mapcount`]];
  if (bank.policy === 'C') return [[bank.COMPOUND, n.logical - 1, `${prefix}compound_mapcount`]];
  const out: [number, number, string][] = [[bank.COMPOUND, n.leaves[PUD]! - 1, `${prefix}compound_mapcount`]];
  for (let i = 0; i < k.c.pieces; i++) out.push([bank.MAPCOUNT + i, n.perPage[i]! - 1, `${prefix}_mapcount[${i}]`]);
  return out;
}

export function hgmProperties(c: HgmConfig, k: Kern): { list: Property[]; prepare: (s: Uint8Array) => void; census: Census } {
  const mask = k.mask;
  const census = new Census(k);
  const cen = (s: Uint8Array) => census.take(s);
  const prefixes = ['H.', 'vs.'];
  const refNeed = (n: Census) => 1 + k.gupRefs() + n.lookups + mappingRefs(c.policy, n);
  const list: Property[] = [
    {
      name: 'refcount-no-overflow',
      kind: 'action',
      description: "no step takes H's refcount past INT_MAX' (a W-bit atomic_t wraps to negative; page refcounts do not saturate)",
      cover: 'refcount-above-guard',
    },
    {
      name: 'refcount-covers-mappings',
      kind: 'always',
      description: "H's refcount >= the page cache's reference + one per mapping reference the policy takes + the GUP references",
      cover: 'hgm-pte-mapped',
      check: (s: Uint8Array) => k.refcount() >= refNeed(cen(s)),
      explain: (s: Uint8Array) => {
        census.invalidate();
        const n = cen(s);
        const inflight = n.lookups ? `, ${n.lookups} in-flight lookup reference(s)` : '';
        return `_refcount = ${k.refcount()}, but the page cache, ${mappingRefs(c.policy, n)} mapping reference(s)${inflight} and ${k.gupRefs()} GUP reference(s) need ${refNeed(n)}`;
      },
    } satisfies StateProperty,
    {
      name: 'mapcount-accounting',
      kind: 'always',
      description: "H's mapcounts (W-bit, wrapping) are what the policy's rule gives for the leaves in the page tables",
      cover: 'hgm-pte-mapped',
      check: (s: Uint8Array) => {
        const n = cen(s);
        return k.o.banks.every((b, i) => expectedWords(k, b, n, prefixes[i]!).every(([off, want]) => s[off] === (want & mask)));
      },
      explain: (s: Uint8Array) => {
        census.invalidate();
        const n = cen(s);
        for (let i = 0; i < k.o.banks.length; i++)
          for (const [off, want, name] of expectedWords(k, k.bank(i), n, prefixes[i]!))
            if (s[off] !== (want & mask)) return `${name} = ${k.signed(off)}, but the page tables give ${want} under policy ${k.bank(i).policy}`;
        return null;
      },
    } satisfies StateProperty,
    {
      name: 'vm-bug-on',
      kind: 'kernel-assertion',
      description: 'put_page of a zero refcount (put_page_testzero) or a mapcount going below its -1 base',
    },
    {
      name: 'hgm-pte-mapped',
      kind: 'sometimes',
      description: 'a PAGE_SIZE leaf maps part of H (a high-granularity mapping)',
      check: (s: Uint8Array) => cen(s).leaves[PTE]! > 0,
    } satisfies StateProperty,
    {
      name: 'hgm-pmd-mapped',
      kind: 'sometimes',
      description: 'a PMD-sized leaf maps part of H (an intermediate size; never under policy D)',
      check: (s: Uint8Array) => cen(s).leaves[PMD]! > 0,
    } satisfies StateProperty,
    {
      name: 'hgm-forked',
      kind: 'sometimes',
      description: 'two processes map H, one of them at high granularity (fork copied an HGM sub-tree)',
      check: (s: Uint8Array) => {
        k.s = s;
        let mms = 0;
        let hgm = false;
        for (let p = 0; p < k.o.P; p++) {
          if (!k.alive(p)) continue;
          let maps = false;
          for (let v = 0; v < k.o.K; v++) {
            if (k.hasLeaf(p, v)) maps = true;
            if (k.hasLeaf(p, v) && k.pud(p, v) !== ENT_LEAF) hgm = true;
          }
          if (maps) mms++;
        }
        return mms >= 2 && hgm;
      },
    } satisfies StateProperty,
    {
      name: 'refcount-above-guard',
      kind: 'sometimes',
      description: "H's refcount exceeds INT_MAX'/2, the guard's threshold",
      check: (s: Uint8Array) => {
        k.s = s;
        return k.refcount() > k.T;
      },
    } satisfies StateProperty,
  ];
  if (c.guard !== 'none')
    list.push({ name: 'guard-refused', kind: 'sometimes', transition: true, description: 'the guard refused an operation (VM_FAULT_SIGBUS or -ENOMEM)' } satisfies TransitionProperty);
  if (c.guard !== 'none')
    list.push({
      name: 'guard-passed-together',
      kind: 'sometimes',
      description: 'two processes are past the guard check with their adds still to come (guard_steps=two only)',
      check: (s: Uint8Array) => {
        k.s = s;
        let n = 0;
        for (let p = 0; p < k.o.P; p++) if (k.inflight(p) !== 0) n++;
        return n >= 2;
      },
    } satisfies StateProperty);
  for (const con of CONSUMERS) {
    if (!c.ops.has(CONSUMER_OP[con.id]!)) continue;
    if (c.compare) {
      for (const side of ['a', 'b'] as const)
        for (const cls of CLASSES)
          list.push({
            name: compareProperty(side, con.id, cls),
            kind: 'sometimes',
            transition: true,
            description: `mmcheck compare: ${con.title} under side ${side.toUpperCase()}'s policy ${cls === 'agree' ? 'agrees with' : `is a ${cls} against`} the truth (${con.truth})`,
          } satisfies TransitionProperty);
      continue;
    }
    for (const cls of CLASSES.slice(1))
      list.push({
        name: `${con.id}-${cls}`,
        kind: 'sometimes',
        transition: true,
        description: `policy ${c.policy}: ${con.title} ${cls === 'false-positive' ? con.fp : con.fn}`,
      } satisfies TransitionProperty);
  }
  const prepare = (s: Uint8Array) => {
    census.invalidate();
    census.take(s);
  };
  return { list, prepare, census };
}

export function compareProperty(side: 'a' | 'b', consumer: string, cls: string): string {
  return `compare-${side}-${consumer}-${cls}`;
}
