/**
 * The hugetlb-hgm model: one hugetlb page H of a hugetlbfs file, mapped
 * MAP_SHARED by K VMAs in each of P processes, at high granularity (HGM:
 * James Houghton's series, 2022 RFC, v1 January 2023, v2 February 2023,
 * never merged). Builds the action alphabet for a configuration and applies
 * one action; each action is one atomic step of one process (or of the
 * kernel on H), named after the syscall or kernel entry point. With
 * guard_steps=two a guarded operation is two steps of the same action: the
 * check, then (the statement run again) the add.
 */
import { immutable } from '../../src/state/immutable.js';
import type { ActionInfo, Model, StepContext } from '../../src/model.js';
import type { HgmConfig } from './config.js';
import { CLASSES, CONSUMERS, comparePoint, coverPoints, CV, scorePoint, type ConsumerId } from './coverage.js';
import { Kern, type PropIds } from './kern.js';
import { buildLayout, ENT_TABLE, INFLIGHT_COLLAPSE, INFLIGHT_CONTINUE, INFLIGHT_FAULT, INFLIGHT_FORK, INFLIGHT_NONE, MM_ALIVE, MM_FORKING, MM_UNUSED } from './layout.js';
import { hwpoison_user_mappings, queue_pages_hugetlb, smaps_hugetlb_range } from './mm/consumers.js';
import {
  continuable, copy_hugetlb_page_range, exit_mmap, faultable, filemap_lock_folio, folio_put, hugetlb_collapse, hugetlb_fault,
  hugetlb_mcopy_atomic_pte, refcountGuardPasses, put_page, try_grab_page, __unmap_hugepage_range,
} from './mm/hugetlb.js';
import { Census, compareProperty, countersInRange, hgmProperties } from './properties.js';

const OP_NAMES = ['fault', 'uffdio_continue', 'madvise_dontneed', 'collapse', 'fork', 'exit', 'get_user_pages', 'smaps', 'mbind', 'put', 'memory_failure'] as const;
type OpName = (typeof OP_NAMES)[number];
const [FAULT, CONTINUE, DONTNEED, COLLAPSE, FORK, EXIT, GUP, SMAPS, MBIND, PUT, MEMORY_FAILURE] = OP_NAMES.map((_, i) => i) as number[] as [
  number, number, number, number, number, number, number, number, number, number, number,
];

const KERNEL: Record<OpName, string> = {
  fault: 'mm/hugetlb.c hugetlb_fault -> hugetlb_no_page (HGM walk to the first none entry)',
  uffdio_continue: 'mm/userfaultfd.c mfill_atomic_hugetlb -> hugetlb_mcopy_atomic_pte (MCOPY_ATOMIC_CONTINUE)',
  madvise_dontneed: 'mm/madvise.c madvise_dontneed_single_vma -> __unmap_hugepage_range',
  collapse: 'mm/madvise.c MADV_COLLAPSE -> hugetlb_collapse',
  fork: 'kernel/fork.c dup_mmap -> copy_page_range -> copy_hugetlb_page_range',
  exit: 'kernel/exit.c do_exit -> exit_mmap',
  get_user_pages: 'mm/gup.c __get_user_pages -> follow_hugetlb_page -> try_grab_page',
  smaps: 'fs/proc/task_mmu.c show_smap -> smaps_hugetlb_range (reads only)',
  mbind: 'mm/mempolicy.c do_mbind(MPOL_MF_MOVE) -> queue_pages_hugetlb (reads only)',
  put: 'mm/swap.c put_page',
  memory_failure: 'mm/memory-failure.c memory_failure -> hwpoison_user_mappings (reads only: try_to_unmap runs on a copy)',
};

/** The action that goes on with each in-flight kind. */
const INFLIGHT_OP = [-1, FAULT, CONTINUE, FORK, COLLAPSE];

interface Act {
  op: OpName;
  code: number;
  p: number;
  v: number;
  j: number;
  /** the argument describe() shows: an address (v * R + j) or a VMA */
  arg: number;
}

export function createHgmModel(c: HgmConfig): Model {
  const { layout, o } = buildLayout(c);
  const R = c.pieces;
  const acts: Act[] = [];
  const push = (op: OpName, p: number, v: number, j: number, arg: number) => acts.push({ op, code: OP_NAMES.indexOf(op), p, v, j, arg });
  const addrs = (op: OpName, p: number) => {
    if (c.ops.has(op)) for (let v = 0; v < c.vmas; v++) for (let j = 0; j < R; j++) push(op, p, v, j, v * R + j);
  };
  for (let p = 0; p < c.procs; p++) {
    addrs('fault', p);
    addrs('uffdio_continue', p);
    addrs('madvise_dontneed', p);
    if (c.ops.has('collapse')) for (let v = 0; v < c.vmas; v++) push('collapse', p, v, 0, v);
    if (c.ops.has('fork')) push('fork', p, 0, 0, 0);
    if (c.ops.has('exit')) push('exit', p, 0, 0, 0);
    addrs('get_user_pages', p);
    if (c.ops.has('smaps')) push('smaps', p, 0, 0, 0);
    if (c.ops.has('mbind')) for (let v = 0; v < c.vmas; v++) push('mbind', p, v, 0, v);
  }
  if (c.ops.has('put')) push('put', 0, 0, 0, 0);
  if (c.ops.has('memory_failure')) push('memory_failure', 0, 0, 0, 0);

  const points = coverPoints(c.compare);
  const cv = Object.fromEntries(points.map((n, i) => [n, i]));
  const ids: PropIds = { noOverflow: -1, vmBugOn: -1, guardRefused: -1 };
  const nullCtx: StepContext = { cover() {}, fail() {} };
  const kp = new Kern(c, o, ids); // properties read
  kp.ctx = nullCtx;
  const kr = new Kern(c, o, ids); // guards read src
  kr.ctx = nullCtx;
  const kw = new Kern(c, o, ids); // steps write dst
  const ks = new Kern(c, o, ids); // memory_failure's try_to_unmap, on a copy
  ks.ctx = nullCtx;
  ks.s = new Uint8Array(layout.bytes);
  const { list: properties, prepare } = hgmProperties(c, kp);
  const scoreCensus = new Census(kr);
  const idx = (n: string) => properties.findIndex((p) => p.name === n);
  ids.noOverflow = idx('refcount-no-overflow');
  ids.vmBugOn = idx('vm-bug-on');
  ids.guardRefused = idx('guard-refused');
  // per bank (side), consumer and class: the property to fire (-1: none) and the point to count
  const sides = c.compare ? (['a', 'b'] as const) : (['a'] as const);
  const conIndex = Object.fromEntries(CONSUMERS.map((con, i) => [con.id, i])) as Record<ConsumerId, number>;
  const scoreProp = sides.map((side) => CONSUMERS.map((con) => CLASSES.map((cls) => idx(c.compare ? compareProperty(side, con.id, cls) : `${con.id}-${cls}`))));
  const scoreCv = sides.map((side) => CONSUMERS.map((con) => CLASSES.map((cls) => cv[c.compare ? comparePoint(side, con.id, cls) : scorePoint(con.id, cls)]!)));

  const guardsFaults = c.guard !== 'none';
  const guardsFork = c.guard === 'fault+fork' || c.guard === 'all';
  const guardsRest = c.guard === 'all';
  const twoStep = c.twoStep;

  const initial = (): Uint8Array => {
    const s = new Uint8Array(layout.bytes);
    const k = new Kern(c, o, ids);
    k.s = s;
    k.setState(0, MM_ALIVE);
    s[o.REF] = 1; // the page cache's reference
    for (const b of o.banks) {
      s[b.COMPOUND] = k.mask; // raw -1
      if (b.MAPCOUNT >= 0) for (let i = 0; i < R; i++) s[b.MAPCOUNT + i] = k.mask;
    }
    return s;
  };

  /** Harness: the hugetlb fault mutex (hugetlb_fault_mutex_table, taken by hugetlb_fault and mfill_atomic_hugetlb) is held by another process between its check and its add. */
  const faultMutexBusy = (k: Kern, p: number): boolean => {
    for (let q = 0; q < c.procs; q++) {
      if (q === p) continue;
      const f = k.inflight(q);
      if (f === INFLIGHT_FAULT || f === INFLIGHT_CONTINUE) return true;
    }
    return false;
  };
  const freeSlot = (k: Kern): number => {
    for (let q = 0; q < c.procs; q++) if (k.state(q) === MM_UNUSED) return q;
    return -1;
  };
  const anyLeaf = (k: Kern, p: number): boolean => {
    for (let v = 0; v < c.vmas; v++) if (k.hasLeaf(p, v)) return true;
    return false;
  };

  /** Guards on the source state: false = the step cannot start. */
  const enabled = (k: Kern, a: Act): boolean => {
    if (a.code === PUT) return k.gupRefs() > 0;
    if (a.code === MEMORY_FAILURE) return true;
    const p = a.p;
    if (k.state(p) !== MM_ALIVE) return false;
    const busy = k.inflight(p);
    if (busy !== INFLIGHT_NONE) {
      // the process is inside its guarded operation: only that goes on
      if (busy === INFLIGHT_FORK) return a.code === FORK;
      return a.code === INFLIGHT_OP[busy] && k.inflightArg(p) === a.arg;
    }
    switch (a.code) {
      case FAULT:
        return faultable(k, p, a.v, a.j) && !(twoStep && faultMutexBusy(k, p));
      case CONTINUE:
        return continuable(k, p, a.v, a.j) && !(twoStep && faultMutexBusy(k, p));
      case DONTNEED:
        return k.leafAt(p, a.v, a.j) !== null;
      case COLLAPSE:
        return k.pud(p, a.v) === ENT_TABLE;
      case FORK:
        return freeSlot(k) >= 0;
      case EXIT:
        return true;
      case GUP:
        return k.gupRefs() < c.refs && k.leafAt(p, a.v, a.j) !== null;
      case SMAPS:
        return anyLeaf(k, p);
      case MBIND:
        return k.hasLeaf(p, a.v);
      default:
        return false;
    }
  };

  /** The guard refused: the operation fails (VM_FAULT_SIGBUS, -ENOMEM), its lookup's reference put back. */
  const refuse = (k: Kern, point: number, lookup: boolean) => {
    k.cover(point);
    k.ctx.fail(ids.guardRefused);
    if (lookup) {
      k.cover(CV.lookupPut);
      folio_put(k);
    }
  };

  /**
   * A guarded path that finds H in the page cache first (fault, UFFDIO_CONTINUE, MADV_COLLAPSE): the
   * lookup's reference, the guard's check, then the work; with two steps the work is the statement run
   * again. Returns true when the work is to be done now.
   */
  const lookupAndCheck = (k: Kern, p: number, kind: number, arg: number, guarded: boolean, refused: number): boolean => {
    if (k.inflight(p) === kind) {
      k.setInflight(p, INFLIGHT_NONE, 0);
      k.cover(CV.addAfterCheck);
      return true;
    }
    k.cover(CV.lookup);
    filemap_lock_folio(k);
    if (!guarded) return true;
    if (!refcountGuardPasses(k)) {
      refuse(k, refused, true);
      return false;
    }
    if (!twoStep) return true;
    k.setInflight(p, kind, arg);
    k.cover(CV.checkPassed);
    return false;
  };

  /** Per bank: score one read against the truth, on the step's context (kw's). */
  const scorers = o.banks.map((_, bank) => (consumer: ConsumerId, read: boolean, truth: boolean) => {
    const cls = read === truth ? 0 : read ? 1 : 2; // CLASSES: agree, false-positive, false-negative
    const ci = conIndex[consumer];
    kw.ctx.cover(scoreCv[bank]![ci]![cls]!);
    const prop = scoreProp[bank]![ci]![cls]!;
    if (prop >= 0) kw.ctx.fail(prop);
  });

  /** Consumers are scored only where no counter has wrapped: past a wrap every read is garbage, and refcount-no-overflow says so. */
  const scored = (k: Kern): boolean => {
    scoreCensus.invalidate();
    if (countersInRange(k, scoreCensus.take(k.s))) return true;
    k.cover(CV.notScored);
    return false;
  };

  const step = (k: Kern, a: Act): void => {
    const p = a.p;
    switch (a.code) {
      case FAULT:
        if (lookupAndCheck(k, p, INFLIGHT_FAULT, a.arg, guardsFaults, CV.refusedFault)) hugetlb_fault(k, p, a.v, a.j);
        return;
      case CONTINUE:
        if (lookupAndCheck(k, p, INFLIGHT_CONTINUE, a.arg, guardsFaults, CV.refusedContinue)) hugetlb_mcopy_atomic_pte(k, p, a.v, a.j);
        return;
      case FORK: {
        if (k.inflight(p) === INFLIGHT_FORK) {
          const child = k.inflightArg(p);
          k.setInflight(p, INFLIGHT_NONE, 0);
          k.cover(CV.addAfterCheck);
          copy_hugetlb_page_range(k, p, child);
          return;
        }
        const child = freeSlot(k);
        if (guardsFork) {
          if (!refcountGuardPasses(k)) return refuse(k, CV.refusedFork, false);
          if (twoStep) {
            // copy_process has made the child before dup_mmap checks: its slot is taken
            k.setState(child, MM_FORKING);
            k.setInflight(p, INFLIGHT_FORK, child);
            k.cover(CV.checkPassed);
            return;
          }
        }
        copy_hugetlb_page_range(k, p, child);
        return;
      }
      case DONTNEED:
        __unmap_hugepage_range(k, p, a.v, a.j);
        return;
      case COLLAPSE:
        if (lookupAndCheck(k, p, INFLIGHT_COLLAPSE, a.arg, guardsRest, CV.refusedCollapse)) hugetlb_collapse(k, p, a.v);
        return;
      case EXIT:
        exit_mmap(k, p);
        return;
      case GUP:
        // guard=all: the check joins try_grab_page's own (which refuses only a count <= 0)
        if (guardsRest && !refcountGuardPasses(k)) return refuse(k, CV.refusedGup, false);
        try_grab_page(k);
        return;
      case PUT:
        put_page(k);
        return;
      case SMAPS:
        if (!scored(k)) return;
        for (let i = 0; i < o.banks.length; i++) smaps_hugetlb_range(k, p, o.banks[i]!, scorers[i]!);
        return;
      case MBIND:
        if (!scored(k)) return;
        for (let i = 0; i < o.banks.length; i++) queue_pages_hugetlb(k, o.banks[i]!, scorers[i]!);
        return;
      case MEMORY_FAILURE:
        if (!scored(k)) return;
        ks.s.set(k.s);
        hwpoison_user_mappings(ks, (i, read, truth) => scorers[i]!('hwpoison-unmap', read, truth));
        return;
    }
  };

  const describe = (i: number): ActionInfo => {
    const a = acts[i]!;
    const args: Record<string, number | string> = {};
    if (a.code !== PUT && a.code !== MEMORY_FAILURE) args.mm = a.p;
    if (a.code === COLLAPSE || a.code === MBIND) args.vma = a.v;
    else if (a.code === FAULT || a.code === CONTINUE || a.code === DONTNEED || a.code === GUP) args.addr = a.arg;
    return { name: a.op, args, kernel: KERNEL[a.op] };
  };

  const decode = (s: Uint8Array) => {
    kr.s = s;
    // fields that mean nothing in this state are left out, so diffs show only what the kernel has
    const hidden = (off: number): boolean => {
      if (off >= o.mm + c.procs * o.mmStride) return false;
      const p = Math.floor((off - o.mm) / o.mmStride);
      const r = off - o.mm - p * o.mmStride;
      if (kr.state(p) === MM_UNUSED) return true;
      if (r === o.INFLIGHT_ARG) return kr.inflight(p) === INFLIGHT_NONE;
      if (r < o.VMA) return false;
      const v = Math.floor((r - o.VMA) / o.vmaStride);
      const f = r - o.VMA - v * o.vmaStride;
      return f !== o.PUD && kr.pud(p, v) !== ENT_TABLE;
    };
    return immutable().OrderedMap<string, number | string>().withMutations((m) => {
      for (const f of layout.table) {
        if (hidden(f.offset)) continue;
        const v = layout.value(s, f);
        m.set(f.name, f.format ? f.format(v) : v);
      }
    });
  };

  return {
    id: 'hugetlb-hgm',
    layout,
    stateBytes: layout.bytes,
    actionCount: acts.length,
    properties,
    coverPoints: points,
    summary: {
      procs: c.procs,
      subpages: R,
      vmas: c.vmas,
      refs: c.refs,
      refcount_bits: c.bits,
      INT_MAX: kp.INT_MAX,
      guard_threshold: kp.T,
      mapcount_policy: c.policy,
      ...(c.policy === 'C' || c.compare === 'C' ? { c_release: c.cRelease } : {}),
      guard: c.guard,
      guard_steps: c.twoStep ? 'two' : 'one',
      ops: [...c.ops],
      ...(c.compare ? { compare: `${c.policy} vs ${c.compare}` } : {}),
    },
    initStates: () => [initial()],
    prepare,
    apply(src: Uint8Array, i: number, dst: Uint8Array, ctx: StepContext): boolean {
      const a = acts[i]!;
      kr.s = src;
      if (!enabled(kr, a)) return false;
      dst.set(src);
      kw.s = dst;
      kw.ctx = ctx;
      step(kw, a);
      return true;
    },
    describe,
    decode,
  };
}
