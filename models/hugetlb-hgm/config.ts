/**
 * The hugetlb-hgm model's configuration: bounds, decision points and the
 * operations to explore. Every value is validated here: a bad one is a
 * one-line UsageError (exit 2), never a silently different run.
 */
import { UsageError } from '../../src/model.js';

/** The thread's mapcount proposals, lettered as in the spec (the thread does not letter them). */
export const POLICIES = ['A', 'B', 'C', 'D'] as const;
export type Policy = (typeof POLICIES)[number];

export const GUARDS = ['none', 'fault', 'fault+fork', 'all'] as const;
export type Guard = (typeof GUARDS)[number];

/** Decision points (`--set point=variant`, `mmcheck list predicates --model hugetlb-hgm`). */
export const DECISIONS: Record<string, { doc: string; variants: readonly string[]; dflt: string }> = {
  mapcount_policy: {
    doc: "how page-table entries count in the refcount and mapcount: A James Houghton's series (v1: every entry is a reference and a mapping of the whole hugepage), B THP-like (HGM v2: entire mapcount for hstate-level entries, per-4K _mapcount for smaller ones), C David Hildenbrand's one logical mapping per VMA sub-tree, D Peter Xu's THP counting with only full-size or PAGE_SIZE entries",
    variants: POLICIES,
    dflt: 'A',
  },
  c_release: {
    doc: 'policy C: the sub-tree drops its reference and mapping with its last leaf entry (last_piece) or only when its page tables are freed (page_tables, David\'s "or simpler")',
    variants: ['last_piece', 'page_tables'],
    dflt: 'last_piece',
  },
  guard: {
    doc: "refuse to take a reference when page_ref_count > INT_MAX/2: nowhere, on faults and UFFDIO_CONTINUE (James, Peter), there and in fork (David), or on every path that takes one (all: also MADV_COLLAPSE and GUP's try_grab_page, Peter's \"similar check in page_ref_add, page_ref_inc\")",
    variants: GUARDS,
    dflt: 'none',
  },
  guard_steps: {
    doc: 'the guard check and the reference add as one atomic step, or as two steps between which other processes run (faults, UFFDIO_CONTINUE, fork, MADV_COLLAPSE; GUP stays one step)',
    variants: ['one', 'two'],
    dflt: 'one',
  },
  refcount_bits: {
    doc: "width W of the refcount and mapcount counters: wrap-around W-bit signed integers, INT_MAX' = 2^(W-1)-1 (the kernel's 32, scaled down)",
    variants: ['3', '4', '5', '6', '7', '8'],
    dflt: '4',
  },
};

/** Operations a user can enable with --ops (mmcheck list ops --model hugetlb-hgm). */
export const OPS: Record<string, string> = {
  fault: 'hugetlb_fault at an address: maps the leaf its page-table walk ends at (the whole page if nothing is mapped, a PMD-sized part or a PAGE_SIZE piece inside an HGM sub-tree)',
  uffdio_continue: 'UFFDIO_CONTINUE of one PAGE_SIZE piece: the high-granularity mapping that resolves a userfaultfd minor fault',
  madvise_dontneed: "zap the leaf entry that maps an address (MADV_DONTNEED over that entry's range); page tables stay",
  collapse: "MADV_COLLAPSE of a VMA: its HGM sub-tree is replaced by one hstate-level entry",
  fork: 'fork(): copy_hugetlb_page_range copies every entry of every VMA (uffd-wp makes fork copy MAP_SHARED page tables); the child takes the next process slot',
  exit: 'process exit: exit_mmap zaps every entry and frees the page tables; GUP references stay with their holder',
  get_user_pages: 'get_user_pages(FOLL_GET) of a mapped address: try_grab_page, which refuses only a refcount <= 0',
  put: 'put_page of a held GUP reference',
  smaps: 'read /proc/PID/smaps: smaps_hugetlb_range calls each entry Shared_Hugetlb iff page_mapcount() >= 2 (observes only)',
  mbind: 'mbind(MPOL_MF_MOVE) of a VMA: queue_pages_hugetlb isolates the page iff page_mapcount(head) == 1 (observes only)',
  memory_failure: 'memory_failure() of the page: try_to_unmap of every mapping, then !page_mapped() says the unmap succeeded (observes only: the state is left as it was)',
};

export const DEFAULT_OPS = Object.keys(OPS);

export interface HgmConfig {
  procs: number;
  /** R: PAGE_SIZE pieces per hugepage (two PMD-sized halves of R/2) */
  pieces: number;
  /** K: VMAs per process, each mapping the whole hugepage */
  vmas: number;
  /** GUP reference bound */
  refs: number;
  /** W */
  bits: number;
  policy: Policy;
  cRelease: 'last_piece' | 'page_tables';
  guard: Guard;
  twoStep: boolean;
  ops: Set<string>;
  /** mmcheck compare: side B's policy (side A is `policy`); its counters are kept alongside */
  compare: Policy | null;
  /** decisions the user set (for the summary) */
  set: Record<string, string>;
}

const KEYS = ['procs', 'subpages', 'ops', 'set', 'bounds', 'compare'];
const BOUNDS = ['vmas', 'refs'];

function wholeIn(v: unknown, name: string, min: number, max: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max} for the hugetlb-hgm model, got ${JSON.stringify(v)}`);
  return n;
}

export function parseConfig(raw: Record<string, unknown>): HgmConfig {
  for (const k of Object.keys(raw))
    if (!KEYS.includes(k)) throw new UsageError(`the hugetlb-hgm model has no option '${k}' (it has no eras or profiles; see \`mmcheck list predicates --model hugetlb-hgm\`)`);
  const procs = wholeIn(raw.procs ?? 3, '--procs', 1, 4);
  const pieces = wholeIn(raw.subpages ?? 4, '--subpages (PAGE_SIZE pieces per hugepage)', 4, 8);
  if (pieces % 2 !== 0) throw new UsageError(`--subpages must be even for the hugetlb-hgm model (two PMD-sized halves), got ${pieces}`);
  const b = (raw.bounds ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new UsageError('--bound takes <name>=<n>');
  for (const k of Object.keys(b)) if (!BOUNDS.includes(k)) throw new UsageError(`unknown bound '${k}' for the hugetlb-hgm model (known: ${BOUNDS.join(', ')})`);
  const vmas = wholeIn(b.vmas ?? 1, '--bound vmas', 1, 3);
  const refs = wholeIn(b.refs ?? 2, '--bound refs', 0, 4);
  const set = (raw.set ?? {}) as Record<string, string>;
  if (typeof set !== 'object' || set === null || Array.isArray(set)) throw new UsageError('--set takes <point>=<variant>');
  for (const [k, v] of Object.entries(set)) {
    if (!Object.prototype.hasOwnProperty.call(DECISIONS, k))
      throw new UsageError(`unknown decision point '${k}' for the hugetlb-hgm model (known: ${Object.keys(DECISIONS).join(', ')})`);
    if (!DECISIONS[k]!.variants.includes(String(v)))
      throw new UsageError(`unknown variant '${v}' for --set ${k} (known: ${DECISIONS[k]!.variants.join(', ')})`);
  }
  const pick = (k: string) => String(set[k] ?? DECISIONS[k]!.dflt);
  const compare = parseCompare(raw.compare);
  const policy = (compare?.a ?? pick('mapcount_policy')) as Policy;
  // compare scores mapcounts: a wide refcount keeps wrap-around out of its interleavings unless asked for
  const bits = Number(set.refcount_bits ?? (compare ? '8' : DECISIONS.refcount_bits!.dflt));
  // compare scores mapcounts, which GUP references do not touch: it leaves them out unless --ops names them
  const opsList = (raw.ops as string[] | undefined) ?? (compare ? DEFAULT_OPS.filter((op) => op !== 'get_user_pages' && op !== 'put') : DEFAULT_OPS);
  if (!Array.isArray(opsList) || opsList.length === 0) throw new UsageError('--ops needs at least one operation');
  const ops = new Set<string>();
  for (const o of opsList) {
    if (!Object.hasOwn(OPS, o)) throw new UsageError(`unknown operation '${o}' in --ops for the hugetlb-hgm model (known: ${Object.keys(OPS).join(', ')})`);
    ops.add(o);
  }
  if (ops.has('get_user_pages') && refs === 0) throw new UsageError('get_user_pages in --ops needs --bound refs=1 or more');
  const guard = pick('guard') as Guard;
  if (set.guard_steps === 'two' && guard === 'none') throw new UsageError('--set guard_steps=two needs a guard (--set guard=fault, fault+fork or all)');
  return {
    procs, pieces, vmas, refs, bits,
    policy,
    cRelease: pick('c_release') as HgmConfig['cRelease'],
    guard,
    twoStep: pick('guard_steps') === 'two',
    ops,
    compare: compare?.b ?? null,
    set: { ...set },
  };
}

/** mmcheck compare's two sides: A drives the run (its refcount, its fault rule), B's counters are kept alongside. */
function parseCompare(v: unknown): { a: Policy | undefined; b: Policy } | null {
  if (v === undefined || v === null) return null;
  const c = v as { a?: unknown; b?: unknown };
  if (typeof v !== 'object' || typeof c.b !== 'string') throw new UsageError('compare needs two mapcount policies');
  const known = (x: unknown): x is Policy => (POLICIES as readonly unknown[]).includes(x);
  for (const x of [c.a, c.b]) if (x !== undefined && !known(x)) throw new UsageError(`unknown mapcount policy '${String(x)}' (known: ${POLICIES.join(', ')})`);
  return { a: c.a as Policy | undefined, b: c.b as Policy };
}

/** INT_MAX' of a W-bit counter, and the guard's threshold INT_MAX'/2 (C integer division). */
export function intMax(bits: number): number {
  return 2 ** (bits - 1) - 1;
}
export function guardThreshold(bits: number): number {
  return Math.floor(intMax(bits) / 2);
}
