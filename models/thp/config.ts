/**
 * The THP model's configuration: era flags, bounds and the operations to
 * explore. Everything here is validated up front: a bad value is a one-line
 * UsageError (exit 2), never a silently different run.
 */
import { SYMMETRIES } from './symmetry.js';
import { UsageError } from '../../src/model.js';
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
};

/** Operation groups: a group name in --ops enables each of its steps; a step name enables just that one. */
export const OP_STEPS: Record<string, string[]> = {
  mprotect: ['mprotect_ro', 'mprotect_rw'],
  gup: ['get_user_pages', 'get_user_pages_w'],
  pin: ['pin_user_pages', 'pin_user_pages_w', 'pin_user_pages_lt', 'pin_user_pages_lt_w'],
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
};

export const DEFAULT_OPS = ['write', 'fork', 'munmap', 'split_huge_pmd'];
export const SPIN_OPS = ['fork', 'munmap', 'split_huge_pmd', 'write'];

export const PROFILES: Record<string, string> = {
  full: 'an empty private anonymous VMA in process 0; THPs come from faults (default)',
  'thp-core': "the SPIN reference model's world (../shared/bench/thp_core.pml): a writable PMD-mapped THP in process 0, ops fork/munmap(half|all)/split_huge_pmd/write, no content tokens, small-page rmap not tracked",
};

export type RangeSet = 'basic' | 'all' | 'halves';

export interface ThpConfig {
  era: string;
  flags: Flags;
  profile: 'full' | 'thp-core';
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

const KEYS = ['era', 'procs', 'subpages', 'ops', 'set', 'profile', 'bounds', 'symmetry'];

function posInt(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return v;
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
  if (!(profile in PROFILES)) throw new UsageError(`unknown profile '${profile}' (known: ${Object.keys(PROFILES).join(', ')})`);
  const eraId = (raw.era as string | undefined) ?? DEFAULT_ERA;
  const era = findEra(eraId);
  const set = (raw.set as Record<string, string> | undefined) ?? {};
  // thp_core.pml splits on PMD COW and moves the anon_vma on PMD reuse in every era
  const base = profile === 'thp-core' ? { ...era.flags, pmd_cow: 'split' as const, pmd_reuse_rmap: 'move' as const } : era.flags;
  const flags = applyOverrides(base, set);
  const procs = posInt(raw.procs ?? 2, '--procs', 1, 6);
  const subpages = posInt(raw.subpages ?? 4, '--subpages', 2, 8);
  const core = profile === 'thp-core';
  const opsList = (raw.ops as string[] | undefined) ?? (core ? SPIN_OPS : DEFAULT_OPS);
  if (!Array.isArray(opsList) || opsList.length === 0) throw new UsageError('--ops needs at least one operation');
  const ops = new Set<string>();
  for (const o of opsList) {
    if (o in OP_STEPS) for (const st of OP_STEPS[o]!) ops.add(st);
    else if (o in OPS || o in STEP_DOCS) ops.add(o);
    else throw new UsageError(`unknown operation '${o}' in --ops (known: ${[...Object.keys(OPS), ...Object.keys(STEP_DOCS)].join(', ')})`);
  }
  const ranges = (set.ranges ?? 'halves') as RangeSet;
  if (!['basic', 'all', 'halves'].includes(ranges)) throw new UsageError(`unknown variant '${ranges}' for --set ranges (known: basic, all, halves)`);
  if (ranges === 'halves' && subpages % 2 !== 0) throw new UsageError(`--set ranges=halves needs an even --subpages, got ${subpages}`);
  const b = (raw.bounds as Record<string, string> | undefined) ?? {};
  for (const k of Object.keys(b)) if (!['thps', 'smalls', 'refs'].includes(k)) throw new UsageError(`unknown bound '${k}' (known: thps, smalls, refs)`);
  const bound = (k: string, dflt: number, min: number, max: number) =>
    b[k] === undefined ? dflt : posInt(/^\d+$/.test(b[k]!) ? Number(b[k]) : b[k], `--bound ${k}`, min, max);
  const thps = bound('thps', core ? 1 : 2, 1, 4);
  const smalls = bound('smalls', procs * subpages, 0, 32);
  const refs = bound('refs', 2, 0, 4);
  if (hasGup(ops) && refs === 0) throw new UsageError('GUP operations in --ops need --bound refs=1 or more');
  const tokens = !core && (ops.has('read') || ops.has('read_ref'));
  const symmetry = (raw.symmetry as string[] | undefined) ?? [];
  if (!Array.isArray(symmetry)) throw new UsageError('--symmetry needs a comma-separated list');
  for (const y of symmetry) if (!(SYMMETRIES as readonly string[]).includes(y)) throw new UsageError(`unknown symmetry '${y}' for the thp model (known: ${SYMMETRIES.join(', ')})`);
  return { era: era.id, flags, profile: profile as ThpConfig['profile'], procs, subpages, ops, ranges, thps, smalls, refs, tokens, smallRmap: !core, keepFreedMapping: core, symmetry: [...new Set(symmetry)].sort() };
}
