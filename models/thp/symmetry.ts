/**
 * Symmetry reduction for the THP model (opt-in: `--symmetry smalls`).
 *
 * Small pages are COW copies and fresh anonymous pages: which pool slot holds
 * one carries no meaning (allocation takes the lowest free slot only to be
 * deterministic; no operation names a slot). So a state is rewritten to the
 * representative where the used small slots are numbered in order of first
 * reference: page tables mm by mm, subpage by subpage (every PTE byte), then
 * GUP references in slot order, then KVM's EPT leaves and in-flight pfn; used slots nobody references follow in slot
 * order, then the free (all-zero) slots. The PTE values and GUP page ids that
 * name small slots are renamed with them; each record (refcount, mapcount,
 * mapping, pins, PageAnonExclusive, content token) moves whole.
 *
 * Any renaming keeps the state equivalent (every property only compares
 * counters with the page tables that reach the page), so the reduction is
 * sound; equivalent states get the same representative, except for the
 * unreferenced-used case (a lost reduction, never a lost state). Actions name
 * mms, addresses, folios and reference slots, never small slots, so a trace
 * replays from the initial state by re-applying its actions and
 * canonicalising after each step (what traces and `mmcheck replay` do).
 */
import type { ThpConfig } from './config.js';
import { REF_USED, ZERO_PAGE_ID, ZERO_PTE, type Offsets } from './layout.js';
import { wordCopier } from '../../src/state/words.js';

export const SYMMETRIES = ['smalls', 'procs'] as const;

export function smallsCanonicalizer(c: ThpConfig, o: Offsets): ((s: Uint8Array) => void) | undefined {
  const S = c.smalls;
  if (S < 2) return undefined;
  const T = c.thps;
  const N = c.subpages;
  const rank = new Int32Array(S); // old slot -> new slot
  const order = new Int32Array(S); // new slot -> old slot
  const tmp = new Uint8Array(S * o.smallStride);
  const refSmallBase = 1 + T * N; // stored R_PAGE of small k = refSmallBase + k
  const kvmIds = Int32Array.from(c.kvm ? [...Array.from({ length: N }, (_, i) => o.EPT_PTE + i), o.KVM_PFN] : []);
  // it runs on every successor: offsets hoisted, and loops rather than fill/set/subarray (a builtin call
  // or a view per slot cost more than the few bytes they move: the canonicalizer was 39% of a thread's
  // time on thp-core P3 N4 --symmetry smalls)
  const P = c.procs;
  const R = o.R;
  const { mm, mmStride, PTE, ref, refStride, R_PAGE, small, smallStride: st, S_REF } = o;
  const K = kvmIds.length;
  /** the small slots a state's PTEs, GUP references and KVM ids name, in that order (repeats kept) */
  const named = new Int32Array(P * N + R + K);
  const scan = (s: Uint8Array): number => {
    let n = 0;
    for (let p = 0; p < P; p++) {
      const b = mm + p * mmStride + PTE;
      for (let i = 0; i < N; i++) {
        const v = s[b + i]!;
        if (v > T && v !== ZERO_PTE) named[n++] = v - 1 - T;
      }
    }
    for (let g = 0; g < R; g++) {
      const v = s[ref + g * refStride + R_PAGE]!;
      if (v >= refSmallBase) named[n++] = v - refSmallBase;
    }
    // KVM's EPT leaves and the page its in-flight fault holds name pages by the same ids as GUP references
    for (let x = 0; x < K; x++) {
      const v = s[kvmIds[x]!]!;
      if (v >= refSmallBase && v !== ZERO_PAGE_ID) named[n++] = v - refSmallBase;
    }
    return n;
  };
  /**
   * s is its own representative: slots are first named in slot order (one below `next` was named
   * before), then come the used unnamed ones, then the free ones. Half the successors of thp-core P3 N4
   * are (a canonical parent's step often allocates or frees no small page): they are left after one
   * scan, with no ranks computed and no record moved.
   */
  const canonical = (s: Uint8Array, refs: number): boolean => {
    let next = 0;
    for (let j = 0; j < refs; j++) {
      const k = named[j]!;
      if (k === next) next++;
      else if (k > next) return false;
    }
    let free = false;
    for (let k = next; k < S; k++) {
      const used = s[small + k * st + S_REF] !== 0;
      if (used && free) return false;
      if (!used) free = true;
    }
    return true;
  };
  return (s: Uint8Array): void => {
    const refs = scan(s);
    if (canonical(s, refs)) return;
    for (let k = 0; k < S; k++) rank[k] = -1;
    let next = 0;
    for (let j = 0; j < refs; j++) {
      const k = named[j]!;
      if (rank[k]! < 0) {
        rank[k] = next;
        order[next++] = k;
      }
    }
    for (let k = 0; k < S; k++)
      if (rank[k]! < 0 && s[small + k * st + S_REF] !== 0) {
        rank[k] = next;
        order[next++] = k;
      }
    // (not the identity: canonical() said so)
    for (let k = 0; k < S; k++)
      if (rank[k]! < 0) {
        rank[k] = next;
        order[next++] = k;
      }
    for (let x = 0, end = S * st; x < end; x++) tmp[x] = s[small + x]!;
    for (let j = 0; j < S; j++) {
      const from = order[j]! * st;
      const to = small + j * st;
      for (let x = 0; x < st; x++) s[to + x] = tmp[from + x]!;
    }
    for (let p = 0; p < P; p++) {
      const b = mm + p * mmStride + PTE;
      for (let i = 0; i < N; i++) {
        const v = s[b + i]!;
        if (v > T && v !== ZERO_PTE) s[b + i] = 1 + T + rank[v - 1 - T]!;
      }
    }
    for (let g = 0; g < R; g++) {
      const at = ref + g * refStride + R_PAGE;
      const v = s[at]!;
      if (v >= refSmallBase) s[at] = refSmallBase + rank[v - refSmallBase]!;
    }
    for (let x = 0; x < K; x++) {
      const at = kvmIds[x]!;
      const v = s[at]!;
      if (v >= refSmallBase && v !== ZERO_PAGE_ID) s[at] = refSmallBase + rank[v - refSmallBase]!;
    }
  };
}

/**
 * Process symmetry (`--symmetry procs`, usually with smalls): mm slots are
 * interchangeable too. Nothing names an mm but its own actions, fork takes the
 * lowest unused slot (unused records are all zero, so any would do) and every
 * property quantifies over all mms. A renaming pi of the mms moves each mm's
 * record to slot pi(p) and renames, with it, what points at mms: the anon_vma
 * nodes (av<p> is mm p's own; chain bits and page->mapping values), and the
 * holder mm of each GUP reference; the fork tree and the anon_vma chains are
 * kept as relations, only their names change. The representative is the least
 * vector over every renaming (after the small-page renaming, when on).
 */
export function procsCanonicalizer(c: ThpConfig, o: Offsets, bytes: number, smalls?: (s: Uint8Array) => void): ((s: Uint8Array) => void) | undefined {
  const P = c.procs;
  if (P < 2) return smalls;
  const perms: number[][] = [];
  const gen = (pre: number[], rest: number[]) => {
    if (rest.length === 0) perms.push(pre);
    for (let i = 0; i < rest.length; i++) gen([...pre, rest[i]!], [...rest.slice(0, i), ...rest.slice(i + 1)]);
  };
  gen([], [...Array(P).keys()]);
  // KVM's memslot is mm0's: only renamings that keep mm0 where it is
  if (c.kvm) for (let i = perms.length - 1; i >= 0; i--) if (perms[i]![0] !== 0) perms.splice(i, 1);
  const orig = new Uint8Array(bytes);
  const cand = new Uint8Array(bytes);
  const best = new Uint8Array(bytes);
  const cw = new Uint32Array(cand.buffer);
  const bw = new Uint32Array(best.buffer);
  const words = bytes >>> 2;
  const copyWords = wordCopier(words);
  const node = (pi: number[], v: number) => (v === 0 || v - 1 >= P ? v : pi[v - 1]! + 1); // mapping = av node + 1
  const chain = (pi: number[], v: number) => {
    let r = v & ~((1 << P) - 1);
    for (let b = 0; b < P; b++) if ((v >> b) & 1) r |= 1 << pi[b]!;
    return r;
  };
  const ow = new Uint32Array(orig.buffer);
  const { mm, mmStride, ANON_VMA_CHAIN } = o;
  // per renaming: whole states by the generated word copy, mm records by byte loops, not set()/subarray()
  // (a builtin call or a view per mm record cost more than the bytes they move, as in smallsCanonicalizer)
  return (s: Uint8Array): void => {
    orig.set(s);
    let have = false;
    for (const pi of perms) {
      copyWords(cw, 0, ow, 0);
      for (let p = 0; p < P; p++) {
        const from = mm + p * mmStride;
        const to = mm + pi[p]! * mmStride;
        for (let x = 0; x < mmStride; x++) cand[to + x] = orig[from + x]!;
        cand[to + ANON_VMA_CHAIN] = chain(pi, orig[from + ANON_VMA_CHAIN]!);
      }
      for (let f = 0; f < c.thps; f++) {
        const at = o.thp + f * o.thpStride + o.MAPPING;
        cand[at] = node(pi, orig[at]!);
      }
      if (o.S_MAPPING >= 0)
        for (let k = 0; k < c.smalls; k++) {
          const at = o.small + k * o.smallStride + o.S_MAPPING;
          cand[at] = node(pi, orig[at]!);
        }
      for (let g = 0; g < o.R; g++) {
        const b = o.ref + g * o.refStride;
        if (orig[b + o.R_KIND]! & REF_USED) cand[b + o.R_MM] = pi[orig[b + o.R_MM]!]!;
      }
      smalls?.(cand);
      let less = !have;
      if (have)
        for (let w = 0; w < words; w++) {
          if (cw[w] !== bw[w]) {
            less = cw[w]! < bw[w]!;
            break;
          }
        }
      if (less) {
        copyWords(bw, 0, cw, 0);
        have = true;
      }
    }
    s.set(best);
  };
}
