/**
 * The THP model's configuration: era flags, bounds and the operations to
 * explore. Everything here is validated up front: a bad value is a one-line
 * UsageError (exit 2), never a silently different run.
 */
import { SYMMETRIES } from './symmetry.js';
import { UsageError } from '../../src/model.js';
import { brief } from '../../src/report/printable.js';
import { applyOverrides, DEFAULT_ERA, findEra, type Flags } from './eras.js';

/** Operations a user can enable with --ops (mmcheck list ops). */
export const OPS: Record<string, string> = {
  read: 'read a subpage through the mapping (read fault on an empty entry: THP or zero page)',
  write: 'write a subpage: fault on an empty entry, COW on a write-protected one (do_wp_page / do_huge_pmd_wp_page)',
  fork: 'fork(): copy_page_range, copy_huge_pmd, anon_vma_fork; the child takes the next process slot',
  munmap: 'munmap() of a subpage range: split a partly covered huge PMD, zap, shrink the VMA',
  madvise_dontneed: 'MADV_DONTNEED of a subpage range: zap but keep the VMA (later faults refill)',
  mprotect: 'mprotect() PROT_READ then PROT_READ|PROT_WRITE of a range (two ops; the write bit is not restored)',
  split_huge_pmd: 'split_huge_pmd(): PMD -> PTE table, the folio stays large',
  split_huge_page: 'split_huge_page(): break a THP into small pages (fails with extra references)',
  gup: 'get_user_pages (FOLL_GET) R/O and R/W',
  pin: 'pin_user_pages (FOLL_PIN) R/O and R/W, and FOLL_LONGTERM R/W (vfio); before 5.7, plain long-term references',
  put: 'put_page / unpin_user_page of a held GUP reference',
  read_ref: 'read a subpage through a held GUP reference (O_DIRECT, vmsplice)',
  exit: 'process exit: exit_mmap zaps every mapping; held GUP references stay with their holder',
  kvm: 'KVM on a memslot over mm0\'s range: an EPT fault in three steps (kvm_page_fault reads mmu_notifier_seq, hva_to_pfn GUPs the page, kvm_map retries or installs a 4K or 2M leaf)',
};

/** Operation groups: a group name in --ops enables each of its steps; a step name enables just that one. */
export const OP_STEPS: Record<string, string[]> = {
  mprotect: ['mprotect_ro', 'mprotect_rw'],
  gup: ['get_user_pages', 'get_user_pages_w'],
  pin: ['pin_user_pages', 'pin_user_pages_w', 'pin_user_pages_lt', 'pin_user_pages_lt_w'],
  kvm: ['kvm_page_fault', 'kvm_page_fault_w', 'hva_to_pfn', 'kvm_map'],
};

export const STEP_DOCS: Record<string, string> = {
  mprotect_ro: 'mprotect(PROT_READ) of a range',
  mprotect_rw: 'mprotect(PROT_READ|PROT_WRITE) of a range',
  get_user_pages: 'get_user_pages(FOLL_GET), read-only',
  get_user_pages_w: 'get_user_pages(FOLL_GET|FOLL_WRITE)',
  pin_user_pages: 'pin_user_pages(FOLL_PIN), read-only',
  pin_user_pages_w: 'pin_user_pages(FOLL_PIN|FOLL_WRITE)',
  pin_user_pages_lt: 'pin_user_pages(FOLL_PIN|FOLL_LONGTERM), read-only (io_uring fixed buffer)',
  pin_user_pages_lt_w: 'pin_user_pages(FOLL_PIN|FOLL_WRITE|FOLL_LONGTERM) (vfio); before 5.7 a long-term get_user_pages',
  kvm_page_fault: 'a guest read of a gfn the EPT does not map: the vCPU exits and KVM reads mmu_notifier_seq',
  kvm_page_fault_w: 'a guest write of a gfn the EPT does not map writable: as kvm_page_fault, with FOLL_WRITE',
  hva_to_pfn: 'the in-flight KVM fault GUPs the page at hva(gfn) (FOLL_GET; FOLL_WRITE for a write fault, which breaks COW)',
  kvm_map: 'under mmu_lock: mmu_notifier_retry (drop the page and give up if an invalidation ran), transparent_hugepage_adjust (the kvm_huge predicate), install the EPT leaf',
};

export const DEFAULT_OPS = ['write', 'fork', 'munmap', 'split_huge_pmd'];
export const SPIN_OPS = ['fork', 'munmap', 'split_huge_pmd', 'write'];

export const PROFILES: Record<string, string> = {
  full: 'an empty private anonymous VMA in process 0; THPs come from faults (default)',
  shmem: 'a MAP_SHARED mapping of a shmem (tmpfs, memfd) file whose page cache holds one THP (F0), in process 0 (4.8+: --era v4.8 or later); faults map it by PMD or PTE, a PMD split zaps',
  'thp-core': "the SPIN reference model's world (../shared/bench/thp_core.pml): a writable PMD-mapped THP in process 0, ops fork/munmap(half|all)/split_huge_pmd/write, no content tokens, small-page rmap not tracked",
};

export type RangeSet = 'basic' | 'all' | 'halves';

export interface ThpConfig {
  era: string;
  flags: Flags;
  profile: 'full' | 'thp-core' | 'shmem';
  /** the VMA is a MAP_SHARED shmem mapping of a page-cache THP (slot 0), not private anon */
  shmem: boolean;
  /** KVM steps are explored (memslot over mm0's range, EPT, the in-flight fault) */
  kvm: boolean;
  /** --predicate hooks: decision point -> path of the user's module */
  predicates: Record<string, string>;
  /** split_huge_pmd and the P46 PMD COW read run as several steps (--set split_steps=stepwise) */
  stepwise: boolean;
  /** mmcheck compare: two kvm_huge predicates (built-in names or files) scored against the ground truth, which drives the EPT */
  compare: { a: string; b: string } | null;
  procs: number;
  subpages: number;
  ops: Set<string>;
  /** munmap/madvise/mprotect ranges: basic = single subpages, halves and whole; all = every contiguous range; halves = halves and whole */
  ranges: RangeSet;
  /** THP folio slots, small-page slots, GUP reference slots */
  thps: number;
  smalls: number;
  refs: number;
  /** content tokens are tracked only when something reads them */
  tokens: boolean;
  /** small pages carry their anon_vma (page->mapping) */
  smallRmap: boolean;
  /** a freed THP keeps its mapping field (thp_core.pml's abstraction; the kernel clears it) */
  keepFreedMapping: boolean;
  /** opt-in symmetry reductions (models/thp/symmetry.ts) */
  symmetry: string[];
}

const KEYS = ['era', 'procs', 'subpages', 'ops', 'set', 'profile', 'bounds', 'predicate', 'compare', 'symmetry'];

/** Decision points a --predicate file can replace. */
export const PREDICATE_HOOKS = ['kvm_huge'];

export const SHMEM_OPS = ['read', 'write', 'fork', 'munmap', 'madvise_dontneed', 'split_huge_pmd', 'kvm'];

/**
 * One rule for every count (--procs, --subpages, --bound ...), from the CLI, a matrix file or a scenario:
 * a whole number, as a number or as a string of digits, within the model's range.
 */
function posInt(v: unknown, name: string, min: number, max: number): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got ${brief(v)}`);
  return n;
}

const own = (o: object, k: string) => Object.hasOwn(o, k);

/** A key -> string object (set, bounds, predicate), or one message naming the type it must have. */
function stringMap(v: unknown, name: string, example: string): Record<string, string> {
  if (v === undefined) return Object.create(null) as Record<string, string>;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new UsageError(`${name} must be an object of ${example}, got ${brief(v)}`);
  const out = Object.create(null) as Record<string, string>;
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new UsageError(`${name}: the value of '${k}' must be a string, got ${brief(x)}`);
    out[k] = x;
  }
  return out;
}

/** A list of names (ops, symmetry), or one message naming the type it must have. */
function nameList(v: unknown, name: string, example: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new UsageError(`${name} must be a list of names such as ${example}, got ${brief(v)}`);
  return v as string[];
}

export function hasGup(ops: Set<string>): boolean {
  return [...OP_STEPS.gup!, ...OP_STEPS.pin!].some((o) => ops.has(o));
}

export function hasPin(ops: Set<string>): boolean {
  return OP_STEPS.pin!.some((o) => ops.has(o));
}

export function parseConfig(raw: Record<string, unknown>): ThpConfig {
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) throw new UsageError(`the thp model has no option '${k}'`);
  const profile = (raw.profile as string | undefined) ?? 'full';
  if (typeof profile !== 'string' || !own(PROFILES, profile)) throw new UsageError(`unknown profile '${profile}' (known: ${Object.keys(PROFILES).join(', ')})`);
  const eraId = raw.era ?? DEFAULT_ERA;
  if (typeof eraId !== 'string') throw new UsageError(`era must be a name such as "v4.6", got ${brief(eraId)}`);
  const era = findEra(eraId);
  const set = stringMap(raw.set, 'set', 'decision point -> variant such as {"reuse": "R45"}');
  // thp_core.pml splits on PMD COW and moves the anon_vma on PMD reuse in every era
  const base = profile === 'thp-core' ? { ...era.flags, pmd_cow: 'split' as const, pmd_reuse_rmap: 'move' as const } : era.flags;
  const flags = applyOverrides(base, set);
  const procs = posInt(raw.procs ?? 2, '--procs', 1, 6);
  const subpages = posInt(raw.subpages ?? 4, '--subpages', 2, 8);
  const core = profile === 'thp-core';
  const shmem = profile === 'shmem';
  if (shmem && flags.file_thp !== 'yes') throw new UsageError(`--profile shmem needs shmem THP, which era ${era.id} does not have (4.8+: use --era v4.8 or later, or --set file_thp=yes)`);
  const opsList = nameList(raw.ops, 'ops', '["write", "fork"]') ?? (core ? SPIN_OPS : shmem ? SHMEM_OPS : DEFAULT_OPS);
  if (opsList.length === 0) throw new UsageError('--ops needs at least one operation');
  const ops = new Set<string>();
  for (const o of opsList) {
    if (own(OP_STEPS, o)) for (const st of OP_STEPS[o]!) ops.add(st);
    else if (own(OPS, o) || own(STEP_DOCS, o)) ops.add(o);
    else throw new UsageError(`unknown operation '${o}' in --ops (known: ${[...Object.keys(OPS), ...Object.keys(STEP_DOCS)].join(', ')})`);
  }
  // an odd --subpages has no halves: its default ranges are single subpages and the whole THP
  const ranges = (set.ranges ?? (subpages % 2 === 0 ? 'halves' : 'basic')) as RangeSet;
  if (!['basic', 'all', 'halves'].includes(ranges)) throw new UsageError(`unknown variant '${ranges}' for --set ranges (known: basic, all, halves)`);
  if (ranges === 'halves' && subpages % 2 !== 0)
    throw new UsageError(`--set ranges=halves needs an even --subpages, got ${subpages} (use --set ranges=basic or ranges=all)`);
  const b = stringMapOrNumbers(raw.bounds);
  for (const k of Object.keys(b)) if (!['thps', 'smalls', 'refs'].includes(k)) throw new UsageError(`unknown bound '${k}' (known: thps, smalls, refs)`);
  const bound = (k: string, dflt: number, min: number, max: number) => (b[k] === undefined ? dflt : posInt(b[k], `--bound ${k}`, min, max));
  const thps = bound('thps', core ? 1 : 2, 1, 4);
  const smalls = bound('smalls', procs * subpages, 0, 32);
  const refs = bound('refs', 2, 0, 4);
  if (hasGup(ops) && refs === 0) throw new UsageError('GUP operations in --ops need --bound refs=1 or more');
  if (shmem) for (const o of ['split_huge_page', 'mprotect_ro', 'mprotect_rw'])
    if (ops.has(o)) throw new UsageError(`operation '${o}' is not modelled for --profile shmem (see models/thp/README.md)`);
  // compare scores kvm_huge: it needs the KVM steps whatever --ops says
  if (raw.compare !== undefined) for (const o of OP_STEPS.kvm!) ops.add(o);
  const kvm = OP_STEPS.kvm!.some((o) => ops.has(o));
  if (core && kvm) throw new UsageError('--profile thp-core has no KVM: the SPIN reference model has none');
  const predicates = parsePredicates(raw.predicate);
  if (predicates.kvm_huge !== undefined && !kvm)
    throw new UsageError(`--predicate kvm_huge=${predicates.kvm_huge} needs the KVM steps in --ops (add kvm): without them the predicate is never asked`);
  for (const k of Object.keys(predicates)) if (own(set, k)) throw new UsageError(`--set ${k} and --predicate ${k} both given: choose one`);
  const stepwise = flags.split_steps === 'stepwise';
  if (stepwise && (core || shmem)) throw new UsageError(`--set split_steps=stepwise is for the anon world (not --profile ${profile}): it interleaves an anon PMD split with a PMD COW`);
  if (stepwise && !ops.has('split_huge_pmd')) throw new UsageError('--set split_steps=stepwise needs split_huge_pmd in --ops (the explicit split is the stepwise one)');
  // Reads make every store and load a step and need tokens; the shmem world has no private data to leak.
  const tokens = !core && !shmem && (ops.has('read') || ops.has('read_ref'));
  const symmetry = nameList(raw.symmetry, 'symmetry', '["smalls"]') ?? [];
  for (const y of symmetry) if (!(SYMMETRIES as readonly string[]).includes(y)) throw new UsageError(`unknown symmetry '${y}' for the thp model (known: ${SYMMETRIES.join(', ')})`);
  return {
    era: era.id, flags, profile: profile as ThpConfig['profile'], procs, subpages, ops, ranges,
    thps: shmem ? 1 : thps, smalls: shmem ? 0 : smalls, refs, tokens, smallRmap: !core, keepFreedMapping: core,
    shmem, kvm, predicates, compare: parseCompare(raw.compare, kvm), stepwise, symmetry: [...new Set(symmetry)].sort(),
  };
}

function parseCompare(v: unknown, kvm: boolean): ThpConfig['compare'] {
  if (v === undefined || v === null) return null;
  const c = v as { a?: unknown; b?: unknown };
  if (typeof v !== 'object' || typeof c.a !== 'string' || typeof c.b !== 'string') throw new UsageError('compare needs two kvm_huge predicates');
  if (!kvm) throw new UsageError('comparing kvm_huge predicates needs the KVM steps in --ops (kvm)');
  return { a: c.a, b: c.b };
}

/** bounds: strings (--bound k=n) or, in a matrix or scenario, numbers; posInt checks each. */
function stringMapOrNumbers(v: unknown): Record<string, unknown> {
  if (v === undefined) return Object.create(null) as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new UsageError(`bounds must be an object of bound -> count such as {"smalls": 2}, got ${brief(v)}`);
  return Object.assign(Object.create(null) as Record<string, unknown>, v);
}

function parsePredicates(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('--predicate takes <hook>=<file>');
  const out: Record<string, string> = Object.create(null);
  for (const [k, f] of Object.entries(v as Record<string, unknown>)) {
    if (!PREDICATE_HOOKS.includes(k)) throw new UsageError(`unknown predicate hook '${k}' in --predicate (known: ${PREDICATE_HOOKS.join(', ')})`);
    if (typeof f !== 'string' || f === '') throw new UsageError(`--predicate ${k} needs a file`);
    out[k] = f;
  }
  return out;
}
