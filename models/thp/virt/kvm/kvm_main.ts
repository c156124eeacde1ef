/**
 * virt/kvm/kvm_main.c: the mmu notifier callbacks KVM registers on the VM's
 * mm, and hva_to_pfn. The memslot maps gfn i onto mm0's subpage i: one
 * 2 MiB-aligned range, gfn and hva congruent, so a 2M leaf is allowed by the
 * slot; no dirty logging.
 */
import { CV } from '../../coverage.js';
import type { Kern, PageRef } from '../../kern.js';
import { KVM_IDLE, KVM_PFN_HELD, KVM_SEQ_READ, PMD_HUGE, PMD_TABLE, ZERO_PAGE_ID, ZERO_PTE } from '../../layout.js';
import { faultInPage } from '../../mm/gup.js';

/**
 * Kernel: virt/kvm/kvm_main.c kvm_mmu_notifier_invalidate_range_start then
 * _end (one call: host steps are atomic with their notifications, spec §7 S4).
 * start: mmu_notifier_count++ and zap every EPT leaf whose host range meets
 * `mask` (a 2M leaf if any of its 4K pieces does). end: mmu_notifier_seq++,
 * count--. Modelled: of mmu_notifier_seq, the one fact mmu_notifier_retry
 * reads: whether it moved since the in-flight fault read it; count is 0 at
 * every step boundary. Abstracted: the 5.13+ range-based retry (any
 * invalidation retries), TLB flushes, the mmu_lock (steps are atomic).
 */
export function mmu_notifier_invalidate_range(k: Kern, mask: number): void {
  const o = k.o;
  const s = k.s;
  if (s[o.EPT_HUGE] !== 0) {
    k.cover(CV.kvm_zap);
    s[o.EPT_HUGE] = 0;
    s[o.EPT_HUGE_W] = 0;
  }
  for (let i = 0; i < k.N; i++)
    if ((mask >> i) & 1 && s[o.EPT_PTE + i] !== 0) {
      k.cover(CV.kvm_zap);
      s[o.EPT_PTE + i] = 0;
    }
  s[o.EPT_PTE_W]! &= ~mask;
  if (s[o.KVM_FAULT] !== KVM_IDLE && s[o.KVM_SEQ_MOVED] === 0) {
    k.cover(CV.kvm_seq_moved);
    s[o.KVM_SEQ_MOVED] = 1;
  }
}

/**
 * Kernel: virt/kvm/kvm_main.c kvm_mmu_notifier_release (exit_mmap of the VM's
 * mm): every EPT leaf goes; an in-flight fault drops its page and gives up.
 */
export function mmu_notifier_release(k: Kern): void {
  k.cover(CV.kvm_release);
  mmu_notifier_invalidate_range(k, k.ALL);
  dropFault(k);
}

/** Harness: end the in-flight fault, dropping the page hva_to_pfn took (kvm_release_pfn_clean). */
export function dropFault(k: Kern): void {
  const o = k.o;
  if (k.s[o.KVM_FAULT] === KVM_PFN_HELD && k.s[o.KVM_PFN] !== ZERO_PAGE_ID) k.put_page(k.pageOfId(k.s[o.KVM_PFN]!));
  for (const f of [o.KVM_FAULT, o.KVM_GFN, o.KVM_WRITE, o.KVM_PFN, o.KVM_PFN_W, o.KVM_SEQ_MOVED]) k.s[f] = 0;
}

/**
 * Kernel: virt/kvm/kvm_main.c __gfn_to_pfn_memslot -> hva_to_pfn
 * (hva_to_pfn_fast / hva_to_pfn_slow): GUP the page at hva(gfn) of mm0 with
 * FOLL_GET, FOLL_WRITE for a write fault (which breaks COW first). A read
 * fault still gets the page writable when the host entry already is (the
 * fast write attempt succeeds). Returns false when the step cannot be taken
 * within the model's bounds; a missing mapping drops the fault (-EFAULT),
 * which is a step. The shared zero page comes back as a reserved pfn (no
 * reference taken), mapped read-only.
 * Abstracted: async page faults.
 */
export function hva_to_pfn(k: Kern): boolean {
  const o = k.o;
  const gfn = k.s[o.KVM_GFN]!;
  const write = k.s[o.KVM_WRITE] === 1;
  const dead = (): boolean => {
    k.cover(CV.hva_to_pfn_fault);
    dropFault(k);
    return true;
  };
  if (!k.vmaCovers(0, gfn) || (write && !k.vmWrite(0, gfn))) return dead();
  const r = faultInPage(k, 0, gfn, write, false);
  if (r === 'blocked') return false;
  if (r === 'none') return dead();
  k.cover(CV.hva_to_pfn);
  k.s[o.KVM_FAULT] = KVM_PFN_HELD;
  if (r === 'zero') {
    // the zero page is a reserved pfn: no reference, and mapped read-only
    k.s[o.KVM_PFN] = ZERO_PAGE_ID;
    k.s[o.KVM_PFN_W] = 0;
    return true;
  }
  const pg: PageRef = r;
  k.get_page(pg);
  k.s[o.KVM_PFN] = k.pageId(pg);
  k.s[o.KVM_PFN_W] = k.entryWritable(0, gfn) ? 1 : 0;
  return true;
}

/** The page mm0's page table maps at hva(gfn), as a page id (0: none; ZERO_PAGE_ID: the zero page). */
export function hostPageId(k: Kern, gfn: number): number {
  const pmd = k.pmd(0);
  if (pmd === PMD_TABLE && k.pte(0, gfn) === ZERO_PTE) return ZERO_PAGE_ID;
  if (pmd !== PMD_HUGE && pmd !== PMD_TABLE) return 0;
  const pg = k.pageAt(0, gfn);
  return pg ? k.pageId(pg) : 0;
}

/** The kvm_page_fault step may start: an idle vCPU touching a gfn its EPT does not map (writable, for a write). */
export function kvmFaultEnabled(k: Kern, gfn: number, write: boolean): boolean {
  const o = k.o;
  const s = k.s;
  if (!k.alive(0) || s[o.KVM_FAULT] !== KVM_IDLE || !k.vmaCovers(0, gfn)) return false;
  if (write && !k.vmWrite(0, gfn)) return false;
  const mapped = s[o.EPT_HUGE] !== 0 || s[o.EPT_PTE + gfn] !== 0;
  const writable = s[o.EPT_HUGE] !== 0 ? s[o.EPT_HUGE_W] === 1 : ((s[o.EPT_PTE_W]! >> gfn) & 1) === 1;
  return write ? !writable : !mapped;
}

/** Harness for the kvm_page_fault step: mmu_seq = kvm->mmu_notifier_seq (the fault remembers it unmoved). */
export function kvmFaultStart(k: Kern, gfn: number, write: boolean): void {
  k.cover(CV.kvm_page_fault);
  const o = k.o;
  k.s[o.KVM_FAULT] = KVM_SEQ_READ;
  k.s[o.KVM_GFN] = gfn;
  k.s[o.KVM_WRITE] = write ? 1 : 0;
  k.s[o.KVM_SEQ_MOVED] = 0;
}
