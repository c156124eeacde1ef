/** kernel/fork.c dup_mm / dup_mmap for the model's one private anon VMA. */
import type { Kern } from '../kern.js';
import { MM_ALIVE, PMD_HUGE, PMD_TABLE } from '../layout.js';
import { copy_huge_pmd } from '../mm/huge_memory.js';
import { copy_present_pte } from '../mm/memory.js';

/**
 * Kernel: kernel/fork.c dup_mmap -> anon_vma_fork + mm/memory.c
 * copy_page_range -> copy_pmd_range (copy_huge_pmd) / copy_pte_range
 * (copy_present_pte). The child takes the next process slot. A VMA without an
 * anon_vma is copied without page tables (the child faults its zero pages
 * again). The child's view of memory is the parent's (it sees the same data).
 * A copied COW VMA runs inside an mmu notifier range on the parent.
 * Abstracted: write_protect_seq, rss of the
 * parent (unchanged), MMF flags (the child starts without MMF_HAS_PINNED).
 * Returns false if the small-page pool runs out (early COW copies).
 */
export function dup_mmap(k: Kern, parent: number, child: number): boolean {
  const pb = k.mm(parent);
  const cb = k.mm(child);
  const o = k.o;
  k.s[cb + o.MM_STATE] = MM_ALIVE;
  k.s[cb + o.VMA] = k.s[pb + o.VMA]!;
  k.s[cb + o.VMA_WRITE] = k.s[pb + o.VMA_WRITE]!;
  if (o.EXPECT >= 0) for (let i = 0; i < k.N; i++) k.setExpect(child, i, k.expect(parent, i));
  if (!k.hasAnonVma(parent)) return true;
  k.notify(parent, k.ALL); // copy_page_range of a COW mapping: MMU_NOTIFY_PROTECTION_PAGE over the VMA
  // anon_vma_fork: the child's chain is the parent's plus its own node
  k.s[cb + o.ANON_VMA_CHAIN] = k.chain(parent) | (1 << child);
  if (k.pmd(parent) === PMD_HUGE && copy_huge_pmd(k, parent, child) === 'shared') return true;
  if (k.pmd(parent) !== PMD_TABLE) return true;
  k.setPmd(child, PMD_TABLE);
  for (let i = 0; i < k.N; i++) if (!copy_present_pte(k, parent, child, i)) return false;
  return true;
}
