/**
 * mm/mmap.c munmap (and the shared zap used by MADV_DONTNEED and exit).
 */
import { CV } from '../coverage.js';
import type { Kern } from '../kern.js';
import { PMD_HUGE, PMD_NONE, PMD_TABLE, TOKEN_NONE } from '../layout.js';
import { __split_huge_pmd, zap_huge_pmd } from './huge_memory.js';
import { zap_pte_range } from './memory.js';

/**
 * Kernel: mm/memory.c zap_pmd_range / unmap_page_range over the subpages in
 * `mask`: a huge PMD wholly inside goes by zap_huge_pmd, one only partly
 * inside is split first (__split_huge_pmd), then the PTEs in range are zapped,
 * all inside one mmu notifier range.
 * The mm's view of the range is forgotten (its data there is gone) and its
 * GUP references there no longer promise a mapping.
 */
export function zapRange(k: Kern, p: number, mask: number): void {
  k.notify(p, mask); // unmap_vmas / zap_page_range: the whole range, present or not
  if (k.pmd(p) === PMD_HUGE) {
    if (mask === k.ALL) zap_huge_pmd(k, p);
    else __split_huge_pmd(k, p);
  }
  if (k.pmd(p) === PMD_TABLE) zap_pte_range(k, p, mask);
  if (k.c.tokens) for (let i = 0; i < k.N; i++) if ((mask >> i) & 1) k.setExpect(p, i, TOKEN_NONE);
  k.invalidateRefs(p, mask);
}

/**
 * Kernel: mm/mmap.c __do_munmap: vma_adjust_trans_huge splits a huge PMD at a
 * VMA boundary inside it, unmap_vmas zaps, then free_pgtables frees the PTE
 * table once no VMA covers its range. Modelled as one step (seed 001's race
 * between zap and free_pgtables is not modelled). The VMA shrinks.
 */
export function do_munmap(k: Kern, p: number, mask: number): void {
  zapRange(k, p, mask);
  const b = k.mm(p);
  k.s[b + k.o.VMA]! &= ~mask;
  k.s[b + k.o.VMA_WRITE]! &= ~mask;
  if (k.vma(p) === 0 && k.pmd(p) === PMD_TABLE) {
    k.cover(CV.free_pgtables);
    k.setPmd(p, PMD_NONE);
  }
}
