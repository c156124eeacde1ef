/**
 * The THP model: builds the action alphabet for a configuration and applies
 * one action. Each action is one atomic step of one mm (or of the kernel on a
 * folio / a held reference), named after the syscall or kernel entry point.
 */
import { CV } from './coverage.js';
import { immutable } from '../../src/state/immutable.js';
import type { ActionInfo, Model, StepContext } from '../../src/model.js';
import { isStateProperty } from '../../src/property.js';
import { coverPointNames } from './coverage.js';
import type { ThpConfig } from './config.js';
import { entryNoneAt, entryWritableAt, Kern, type PropIds } from './kern.js';
import { exit_mmap } from './kernel/exit.js';
import { dup_mmap } from './kernel/fork.js';
import { buildLayout, stepInFlight, KVM_IDLE, KVM_PFN_HELD, KVM_SEQ_READ, MAPPING_FILE, MM_ALIVE, MM_UNUSED, PMD_HUGE, PMD_TABLE, TOKEN_NONE } from './layout.js';
import { gupOne, putRef, type GupFlags } from './mm/gup.js';
import { __split_huge_pmd, split_huge_page, split_huge_pmd_stepwise, wp_huge_pmd_stepwise } from './mm/huge_memory.js';
import { madvise_dontneed } from './mm/madvise.js';
import { handle_mm_fault } from './mm/memory.js';
import { do_munmap } from './mm/mmap.js';
import { mprotect_readonly, mprotect_readwrite } from './mm/mprotect.js';
import { page_add_new_anon_rmap_thp } from './mm/rmap.js';
import { thpProperties } from './properties.js';
import { SHMEM_FOLIO } from './mm/shmem.js';
import { hva_to_pfn, kvmFaultEnabled, kvmFaultStart } from './virt/kvm/kvm_main.js';
import { KvmMmu, type KvmDecision } from './virt/kvm/mmu.js';
import { resolvePredicate, BUILTIN, type PredicateSource } from './virt/kvm/predicates.js';
import type { Property } from '../../src/property.js';
import { wordCopier } from '../../src/state/words.js';

/** The kvm_huge decision: the era's variant, a --set or --predicate override, or compare's two sides. */
function kvmDecision(c: ThpConfig, properties: readonly Property[]): KvmDecision {
  // a built-in name, else a file if it looks like a path (else the unknown-name error)
  const side = (v: string): PredicateSource => resolvePredicate(v, !(v in BUILTIN) && /[/\\.]/.test(v));
  if (c.compare) {
    const id = (n: string) => properties.findIndex((p) => p.name === n);
    return {
      drive: null,
      compare: [side(c.compare.a), side(c.compare.b)],
      classProps: ['a', 'b'].map((x) => ['agree', 'false-positive', 'false-negative', 'false-negative-stale'].map((cls) => id(`compare-${x}-${cls}`))),
    };
  }
  const file = c.predicates.kvm_huge;
  return { drive: file ? resolvePredicate(file, true) : resolvePredicate(c.flags.kvm_huge, false), compare: null, classProps: [] };
}
import { procsCanonicalizer, smallsCanonicalizer } from './symmetry.js';

type Op =
  | 'read' | 'write' | 'fork' | 'munmap' | 'madvise_dontneed' | 'mprotect_ro' | 'mprotect_rw' | 'split_huge_pmd'
  | 'get_user_pages' | 'get_user_pages_w' | 'pin_user_pages' | 'pin_user_pages_w' | 'pin_user_pages_lt' | 'pin_user_pages_lt_w'
  | 'exit' | 'split_huge_page' | 'put' | 'read_ref'
  | 'kvm_page_fault' | 'kvm_page_fault_w' | 'hva_to_pfn' | 'kvm_map';

const OP_CODES: Op[] = [
  'read', 'write', 'fork', 'munmap', 'madvise_dontneed', 'mprotect_ro', 'mprotect_rw', 'split_huge_pmd',
  'get_user_pages', 'get_user_pages_w', 'pin_user_pages', 'pin_user_pages_w', 'pin_user_pages_lt', 'pin_user_pages_lt_w',
  'exit', 'split_huge_page', 'put', 'read_ref',
  'kvm_page_fault', 'kvm_page_fault_w', 'hva_to_pfn', 'kvm_map',
];
const READ = 0, WRITE = 1, FORK = 2, MUNMAP = 3, MADVISE = 4, MPROTECT_RO = 5, MPROTECT_RW = 6, SPLIT_PMD = 7;
const GUP_FIRST = 8, EXIT = 14, SPLIT_PAGE = 15, PUT = 16, READ_REF = 17;
const KVM_FAULT_R = 18, KVM_FAULT_W = 19, HVA_TO_PFN = 20, KVM_MAP = 21;

interface Act {
  op: Op;
  /** OP_CODES index: guards switch on numbers */
  code: number;
  /** mm, or folio / reference slot for the global ops */
  who: number;
  /** subpage address, or range mask */
  arg: number;
  /** offset of mm `who`'s record (mm ops): the guards read it for every state */
  mmBase: number;
}

const GUP: Partial<Record<Op, GupFlags>> = {
  get_user_pages: { write: false, pin: false, longterm: false },
  get_user_pages_w: { write: true, pin: false, longterm: false },
  pin_user_pages: { write: false, pin: true, longterm: false },
  pin_user_pages_w: { write: true, pin: true, longterm: false },
  pin_user_pages_lt: { write: false, pin: true, longterm: true },
  pin_user_pages_lt_w: { write: true, pin: true, longterm: true },
};

/** GUP flags by op code - GUP_FIRST (OP_CODES order) */
const gupFlags: GupFlags[] = OP_CODES.slice(GUP_FIRST, EXIT).map((op) => GUP[op]!);

const KERNEL: Record<Op, string> = {
  read: 'handle_mm_fault(read) on an empty entry, then the load',
  write: 'the store, after handle_mm_fault(FAULT_FLAG_WRITE) if the entry is not writable',
  fork: 'kernel/fork.c dup_mmap -> anon_vma_fork, copy_page_range',
  munmap: 'mm/mmap.c __do_munmap -> unmap_vmas -> zap_pmd_range; free_pgtables',
  madvise_dontneed: 'mm/madvise.c madvise_dontneed_single_vma -> zap_page_range',
  mprotect_ro: 'mm/mprotect.c mprotect(PROT_READ) -> change_protection',
  mprotect_rw: 'mm/mprotect.c mprotect(PROT_READ|PROT_WRITE)',
  split_huge_pmd: 'mm/huge_memory.c split_huge_pmd -> __split_huge_pmd_locked',
  get_user_pages: 'mm/gup.c get_user_pages(FOLL_GET)',
  get_user_pages_w: 'mm/gup.c get_user_pages(FOLL_GET|FOLL_WRITE)',
  pin_user_pages: 'mm/gup.c pin_user_pages(FOLL_PIN)',
  pin_user_pages_w: 'mm/gup.c pin_user_pages(FOLL_PIN|FOLL_WRITE)',
  pin_user_pages_lt: 'mm/gup.c pin_user_pages(FOLL_PIN|FOLL_LONGTERM)',
  pin_user_pages_lt_w: 'mm/gup.c pin_user_pages(FOLL_PIN|FOLL_WRITE|FOLL_LONGTERM) (vfio)',
  exit: 'kernel/exit.c do_exit -> exit_mmap',
  split_huge_page: 'mm/huge_memory.c split_huge_page_to_list (deferred split shrinker, migration)',
  put: 'mm/gup.c unpin_user_page / put_page',
  read_ref: 'a load through a held GUP reference (O_DIRECT, vmsplice pipe)',
  kvm_page_fault: 'arch/x86/kvm/mmu/mmu.c kvm_tdp_page_fault -> direct_page_fault: mmu_seq = kvm->mmu_notifier_seq',
  kvm_page_fault_w: 'arch/x86/kvm/mmu/mmu.c kvm_tdp_page_fault (write) -> direct_page_fault: mmu_seq = kvm->mmu_notifier_seq',
  hva_to_pfn: 'virt/kvm/kvm_main.c __gfn_to_pfn_memslot -> hva_to_pfn (get_user_pages)',
  kvm_map: 'arch/x86/kvm/mmu/mmu.c direct_page_fault: mmu_lock, mmu_notifier_retry, transparent_hugepage_adjust, __direct_map',
};

function omitKey<T extends object>(o: T, k: keyof T): Partial<T> {
  const out = { ...o };
  delete out[k];
  return out;
}

/** munmap/madvise/mprotect ranges as subpage masks. */
export function rangeMasks(c: ThpConfig): number[] {
  const N = c.subpages;
  const all = (1 << N) - 1;
  const out: number[] = [];
  const add = (m: number) => {
    if (!out.includes(m)) out.push(m);
  };
  const span = (a: number, b: number) => ((1 << b) - 1) & ~((1 << a) - 1);
  if (c.ranges === 'all') {
    for (let len = 1; len <= N; len++) for (let a = 0; a + len <= N; a++) add(span(a, a + len));
    return out;
  }
  if (c.ranges === 'basic') for (let i = 0; i < N; i++) add(1 << i);
  if (N % 2 === 0) {
    add(span(0, N / 2));
    add(span(N / 2, N));
  }
  add(all);
  return out;
}

export function rangeName(mask: number, N: number): string {
  let a = 0;
  while (a < N && !((mask >> a) & 1)) a++;
  let b = a;
  while (b < N && (mask >> b) & 1) b++;
  return b - a === 1 ? `[${a}]` : `[${a}..${b - 1}]`;
}

export function createThpModel(c: ThpConfig): Model {
  const { layout, o } = buildLayout(c);
  const acts: Act[] = [];
  const push = (op: Op, who: number, arg: number) => acts.push({ op, code: OP_CODES.indexOf(op), who, arg, mmBase: o.mm + who * o.mmStride });
  const ranges = rangeMasks(c);
  const N = c.subpages;
  for (let p = 0; p < c.procs; p++) {
    if (c.ops.has('read')) for (let a = 0; a < N; a++) push('read', p, a);
    if (c.ops.has('write')) for (let a = 0; a < N; a++) push('write', p, a);
    if (c.ops.has('fork')) push('fork', p, 0);
    if (c.ops.has('munmap')) for (const m of ranges) push('munmap', p, m);
    if (c.ops.has('madvise_dontneed')) for (const m of ranges) push('madvise_dontneed', p, m);
    for (const op of ['mprotect_ro', 'mprotect_rw'] as Op[]) if (c.ops.has(op)) for (const m of ranges) push(op, p, m);
    if (c.ops.has('split_huge_pmd')) push('split_huge_pmd', p, 0);
    for (const op of Object.keys(GUP) as Op[]) if (c.ops.has(op)) for (let a = 0; a < N; a++) push(op, p, a);
    if (c.ops.has('exit')) push('exit', p, 0);
  }
  if (c.ops.has('split_huge_page')) for (let f = 0; f < c.thps; f++) push('split_huge_page', f, 0);
  if (c.ops.has('put')) for (let g = 0; g < o.R; g++) push('put', g, 0);
  if (c.ops.has('read_ref') && c.tokens) for (let g = 0; g < o.R; g++) push('read_ref', g, 0);
  if (c.ops.has('kvm_page_fault')) for (let a = 0; a < N; a++) push('kvm_page_fault', 0, a);
  if (c.ops.has('kvm_page_fault_w')) for (let a = 0; a < N; a++) push('kvm_page_fault_w', 0, a);
  if (c.ops.has('hva_to_pfn')) push('hva_to_pfn', 0, 0);
  if (c.ops.has('kvm_map')) push('kvm_map', 0, 0);

  // Property ids are known only once the list exists; kernels report through them.
  const ids: PropIds = { vm_bug_on: -1, cow_no_steal: -1, private_isolation: -1, reuse_thp_subpage: -1, read_checked: -1, pin_ae: -1 };
  const kr = new Kern(c, o, ids); // guards read src
  const kw = new Kern(c, o, ids); // steps write dst
  const kp = new Kern(c, o, ids); // properties read
  const { list: properties, prepare } = thpProperties(c, kp);
  const idx = (n: string) => properties.findIndex((p) => p.name === n);
  ids.vm_bug_on = idx('vm-bug-on');
  ids.cow_no_steal = idx('cow-no-steal');
  ids.private_isolation = idx('private-isolation');
  ids.reuse_thp_subpage = idx('cow-reuse-thp-subpage');
  ids.read_checked = idx('read-checked');
  ids.pin_ae = ids.vm_bug_on;
  const nullCtx: StepContext = { cover() {}, fail() {} };
  kr.ctx = nullCtx;
  kp.ctx = nullCtx;
  const mmu = c.kvm ? new KvmMmu(kw, kvmDecision(c, properties)) : null;

  const initial = (): Uint8Array => {
    const s = new Uint8Array(layout.bytes);
    const k = new Kern(c, o, ids);
    k.s = s;
    k.ctx = nullCtx;
    const b = k.mm(0);
    s[b + o.MM_STATE] = MM_ALIVE;
    s[b + o.VMA] = k.ALL;
    s[b + o.VMA_WRITE] = k.ALL;
    if (c.shmem) {
      // the shmem file's page cache holds one THP: one reference per subpage, mapping = the file
      s[k.F(SHMEM_FOLIO) + o.REF] = N;
      s[k.F(SHMEM_FOLIO) + o.MAPPING] = MAPPING_FILE;
    }
    if (c.profile === 'thp-core') {
      // thp_core.pml's start: a writable PMD-mapped THP in process 0
      k.anon_vma_prepare(0);
      k.get_page({ thp: true, idx: 0, sub: 0 });
      page_add_new_anon_rmap_thp(k, 0, 0);
      k.deposit(0, 1);
      k.setPmd(0, PMD_HUGE, 0, true);
      k.addRss(0, N);
    }
    return s;
  };

  // The guards run for every state and action (most say no), so the config and offsets they read are hoisted.
  const { stepwise, tokens, procs } = c;
  const { MM_STATE, VMA, VMA_WRITE, PMD, SPLIT_PHASE, WP_PHASE, WP_ADDR, KVM_FAULT } = o;

  /** Cheap guards on the source state: false = the step cannot start. */
  const enabled = (s: Uint8Array, act: Act): boolean => {
    const p = act.who;
    const code = act.code;
    if (code >= SPLIT_PAGE) {
      kr.s = s;
      if (code === SPLIT_PAGE) return kr.page_count(p) > 0 && !stepInFlight(c, o, s);
      if (code === PUT || code === READ_REF) return kr.refUsed(p);
      if (code === KVM_FAULT_R || code === KVM_FAULT_W) return kvmFaultEnabled(kr, act.arg, code === KVM_FAULT_W);
      if (code === HVA_TO_PFN) return s[KVM_FAULT] === KVM_SEQ_READ;
      return s[KVM_FAULT] === KVM_PFN_HELD; // KVM_MAP
    }
    const b = act.mmBase;
    if (s[b + MM_STATE] !== MM_ALIVE) return false;
    if (stepwise) {
      // an mm inside a stepwise split or PMD COW holds its PMD lock: only that operation goes on
      if (s[b + SPLIT_PHASE] !== 0) return code === SPLIT_PMD;
      if (s[b + WP_PHASE] !== 0) return code === WRITE && act.arg === s[b + WP_ADDR];
    }
    const vma = s[b + VMA]!;
    switch (code) {
      case READ:
        if (((vma >> act.arg) & 1) === 0) return false;
        return tokens || entryNoneAt(s, o, b, act.arg);
      case WRITE:
        if ((((vma & s[b + VMA_WRITE]!) >> act.arg) & 1) === 0) return false;
        return tokens || !entryWritableAt(s, o, b, act.arg);
      case FORK:
        for (let q = 0; q < procs; q++) if (s[o.mm + q * o.mmStride + MM_STATE] === MM_UNUSED) return true;
        return false;
      case MUNMAP:
      case MADVISE:
        return (vma & act.arg) !== 0;
      case MPROTECT_RO:
        return (vma & act.arg & s[b + VMA_WRITE]!) !== 0;
      case MPROTECT_RW:
        return (vma & act.arg & ~s[b + VMA_WRITE]!) !== 0;
      case SPLIT_PMD:
        return s[b + PMD] === PMD_HUGE;
      case EXIT:
        return true;
      default:
        return ((vma >> act.arg) & 1) === 1; // GUP
    }
  };

  /** The step itself, on dst (a copy of src); false if it could not complete within the bounds. */
  const step = (k: Kern, act: Act): boolean => {
    const p = act.who;
    const a = act.arg;
    switch (act.code) {
      case READ: {
        if (k.entryNone(p, a) && handle_mm_fault(k, p, a, false) === 'blocked') return false;
        if (tokens) readData(k, p, a);
        return true;
      }
      case WRITE: {
        if (stepwise && (k.s[k.mm(p) + o.WP_PHASE] !== 0 || (k.pmd(p) === PMD_HUGE && !k.pmdWrite(p) && c.flags.pmd_reuse === 'P46'))) {
          const r = wp_huge_pmd_stepwise(k, p, a);
          if (r === 'wait' || r === 'blocked') return false;
          if (r === 'step' || r === 'fallback') return true;
          if (tokens && k.entryWritable(p, a)) writeData(k, p, a);
          return true;
        }
        if (!k.entryWritable(p, a)) {
          const r = handle_mm_fault(k, p, a, true);
          if (r === 'blocked') return false;
          if (r === 'fallback') return true; // VM_FAULT_FALLBACK: the PMD was split, the store retries later
        }
        if (tokens && k.entryWritable(p, a)) writeData(k, p, a);
        return true;
      }
      case FORK: {
        let child = 0;
        while (k.mmState(child) !== MM_UNUSED) child++;
        return dup_mmap(k, p, child);
      }
      case MUNMAP:
        do_munmap(k, p, a & k.vma(p));
        return true;
      case MADVISE:
        madvise_dontneed(k, p, a & k.vma(p));
        return true;
      case MPROTECT_RO:
        mprotect_readonly(k, p, a & k.vma(p));
        return true;
      case MPROTECT_RW:
        mprotect_readwrite(k, p, a);
        return true;
      case SPLIT_PMD:
        if (stepwise) return split_huge_pmd_stepwise(k, p);
        __split_huge_pmd(k, p);
        return true;
      case EXIT:
        exit_mmap(k, p);
        return true;
      case SPLIT_PAGE:
        return split_huge_page(k, p);
      case PUT:
        putRef(k, p);
        return true;
      case KVM_FAULT_R:
      case KVM_FAULT_W:
        kvmFaultStart(k, a, act.code === KVM_FAULT_W);
        return true;
      case HVA_TO_PFN:
        return hva_to_pfn(k);
      case KVM_MAP:
        mmu!.kvm_map();
        return true;
      case READ_REF: {
        k.cover(CV.read_through_a_GUP_reference);
        const exp = k.s[k.G(p) + o.R_EXPECT]!;
        const now = k.content(k.refPage(p));
        if (exp !== TOKEN_NONE) {
          k.ctx.fail(ids.read_checked);
          if (exp !== now) k.ctx.fail(ids.private_isolation);
        }
        k.s[k.G(p) + o.R_EXPECT] = now;
        return true;
      }
      default:
        return gupOne(k, p, a, gupFlags[act.code - GUP_FIRST]!);
    }
  };

  const readData = (k: Kern, p: number, a: number) => {
    k.cover(CV.read_through_a_mapping);
    const now = k.content(k.pageAt(p, a));
    const exp = k.expect(p, a);
    if (exp !== TOKEN_NONE) {
      k.ctx.fail(ids.read_checked);
      if (exp !== now) k.ctx.fail(ids.private_isolation);
    }
    k.setExpect(p, a, now);
  };

  const writeData = (k: Kern, p: number, a: number) => {
    k.cover(CV.write_to_a_writable_entry);
    const pg = k.pageAt(p, a)!;
    const t = k.freshToken();
    k.setContent(pg, t);
    k.setExpect(p, a, t);
    // the writer's own GUP references on this page see its write
    for (let g = 0; g < o.R; g++) if (k.refUsed(g) && k.refMm(g) === p && k.samePage(k.refPage(g), pg)) k.s[k.G(g) + o.R_EXPECT] = t;
  };

  const describe = (i: number): ActionInfo => {
    const act = acts[i]!;
    const args: Record<string, number | string> = {};
    if (act.op === 'split_huge_page') args.folio = `F${act.who}`;
    else if (act.op === 'kvm_page_fault' || act.op === 'kvm_page_fault_w') args.gfn = act.arg;
    else if (act.op === 'hva_to_pfn' || act.op === 'kvm_map') {
      // the in-flight fault's: no arguments of its own
    }
    else if (act.op === 'put' || act.op === 'read_ref') args.ref = `gup${act.who}`;
    else {
      args.mm = act.who;
      if (['munmap', 'madvise_dontneed', 'mprotect_ro', 'mprotect_rw'].includes(act.op)) args.range = rangeName(act.arg, N);
      else if (act.op !== 'fork' && act.op !== 'split_huge_pmd' && act.op !== 'exit') args.addr = act.arg;
    }
    return { name: act.op, args, kernel: KERNEL[act.op] };
  };

  const decode = (s: Uint8Array) => {
    kr.s = s;
    const live = (off: number): boolean => {
      if (c.kvm && off >= o.EPT_HUGE) return off < o.KVM_GFN || s[o.KVM_FAULT] !== KVM_IDLE;
      if (off >= o.ref && o.R > 0) return kr.refUsed(Math.floor((off - o.ref) / o.refStride));
      if (off >= o.small && c.smalls > 0) return kr.smallRef(Math.floor((off - o.small) / o.smallStride)) > 0;
      if (off >= o.thp) return kr.page_count(Math.floor((off - o.thp) / o.thpStride)) > 0;
      return kr.mmState(Math.floor((off - o.mm) / o.mmStride)) !== MM_UNUSED;
    };
    // fields that mean nothing in this state are left out, so diffs show only what the kernel would
    const meaningless = (off: number): boolean => {
      if (off < o.mm || off >= o.thp) return false;
      const p = Math.floor((off - o.mm) / o.mmStride);
      const r = off - o.mm - p * o.mmStride;
      const pmd = kr.pmd(p);
      if (r === o.PMD_FOLIO || r === o.PMD_WRITE) return pmd !== PMD_HUGE;
      if ((r >= o.PTE && r < o.PTE + N) || r === o.PTE_WRITE) return pmd !== PMD_TABLE;
      return false;
    };
    return immutable().OrderedMap<string, number | string>().withMutations((m) => {
      for (const f of layout.table) {
        if (!live(f.offset) || meaningless(f.offset)) continue;
        const v = layout.value(s, f);
        m.set(f.name, f.format ? f.format(v) : v);
      }
    });
  };

  // dst = src for every enabled step: by words through views kept while the engine passes the same
  // buffers (its parent and scratch vectors), rather than a TypedArray.set call per step, with a copy
  // written out for this length (a word loop cost twice TypedArray.set at 92 bytes)
  const words = layout.bytes >>> 2;
  const copyWords = wordCopier(words);
  let srcObj: Uint8Array | null = null;
  let srcW: Uint32Array | null = null;
  let dstObj: Uint8Array | null = null;
  let dstW: Uint32Array | null = null;
  const wordView = (v: Uint8Array): Uint32Array | null => (v.byteOffset % 4 === 0 && v.length === layout.bytes ? new Uint32Array(v.buffer, v.byteOffset, words) : null);
  const copyState = (src: Uint8Array, dst: Uint8Array): void => {
    if (src !== srcObj) {
      srcObj = src;
      srcW = wordView(src);
    }
    if (dst !== dstObj) {
      dstObj = dst;
      dstW = wordView(dst);
    }
    if (srcW === null || dstW === null) {
      dst.set(src);
      return;
    }
    copyWords(dstW, 0, srcW, 0);
  };

  return {
    id: 'thp',
    layout,
    stateBytes: layout.bytes,
    actionCount: acts.length,
    properties,
    coverPoints: coverPointNames(c.kvm, c.shmem, c.compare !== null, c.stepwise),
    summary: {
      era: c.era,
      profile: c.profile,
      procs: c.procs,
      subpages: N,
      ops: [...c.ops],
      ranges: c.ranges,
      thps: c.thps,
      smalls: c.smalls,
      refs: o.R,
      // a --predicate file or compare decides kvm_huge, not the era's variant: the flags do not name one
      flags: c.kvm && (c.compare || c.predicates.kvm_huge) ? omitKey(c.flags, 'kvm_huge') : { ...c.flags },
      ...(c.kvm ? { kvm_huge: c.compare ? `compare ${c.compare.a} vs ${c.compare.b} (the EPT follows the ground truth)` : (c.predicates.kvm_huge ?? c.flags.kvm_huge) } : {}),
      ...(c.symmetry.length > 0 ? { symmetry: c.symmetry } : {}),
    },
    canonicalize: c.symmetry.includes('procs')
      ? procsCanonicalizer(c, o, layout.bytes, c.symmetry.includes('smalls') ? smallsCanonicalizer(c, o) : undefined)
      : c.symmetry.includes('smalls') ? smallsCanonicalizer(c, o) : undefined,
    initStates: () => [initial()],
    prepare,
    apply(src: Uint8Array, a: number, dst: Uint8Array, ctx: StepContext): boolean {
      const act = acts[a]!;
      if (!enabled(src, act)) return false;
      copyState(src, dst);
      // the same buffer and context on nearly every call: a pointer store costs a write barrier even so
      if (kw.s !== dst) kw.s = dst;
      if (kw.ctx !== ctx) kw.ctx = ctx;
      const counts = ctx.counts ?? null;
      if (kw.counts !== counts) kw.counts = counts;
      kw.blocked = false;
      return step(kw, act) && !kw.blocked;
    },
    describe,
    decode,
  };
}

export { isStateProperty };
