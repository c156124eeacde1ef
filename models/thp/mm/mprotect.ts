/** mm/mprotect.c. */
import { CV } from '../coverage.js';
import type { Kern } from '../kern.js';
import { PMD_HUGE, PMD_TABLE, PTE_NONE } from '../layout.js';
import { __split_huge_pmd } from './huge_memory.js';

/**
 * Kernel: mm/mprotect.c mprotect_fixup -> change_protection, PROT_READ over
 * `mask`: a partly covered huge PMD is split first (VMA boundary,
 * vma_adjust_trans_huge); entries in range lose their write bit.
 */
export function mprotect_readonly(k: Kern, p: number, mask: number): void {
  k.cover(CV.mprotect_write_protect);
  k.notify(p, mask); // change_protection: MMU_NOTIFY_PROTECTION_VMA
  if (k.pmd(p) === PMD_HUGE) {
    if ((mask & k.vma(p)) === k.ALL) k.setPmdWrite(p, false);
    else __split_huge_pmd(k, p);
  }
  if (k.pmd(p) === PMD_TABLE)
    for (let i = 0; i < k.N; i++) if ((mask >> i) & 1 && k.pte(p, i) !== PTE_NONE) k.setPte(p, i, k.pte(p, i), false);
  k.s[k.mm(p) + k.o.VMA_WRITE]! &= ~mask;
}

/**
 * Kernel: mm/mprotect.c, PROT_READ|PROT_WRITE over `mask`: a partly covered
 * huge PMD is split at the new VMA boundary; VM_WRITE comes back, the entries
 * stay read-only, so the next write faults (before ~6.0 the
 * kernel did not restore the write bit on private mappings; cow.c relies on
 * this to reach read-only but exclusive entries).
 */
export function mprotect_readwrite(k: Kern, p: number, mask: number): void {
  k.cover(CV.mprotect_allow_write);
  k.notify(p, mask & k.vma(p));
  if (k.pmd(p) === PMD_HUGE && (mask & k.vma(p)) !== k.ALL) __split_huge_pmd(k, p); // VMA boundary inside the PMD
  k.s[k.mm(p) + k.o.VMA_WRITE]! |= mask & k.vma(p);
}
