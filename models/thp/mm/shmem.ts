/**
 * mm/shmem.c + mm/memory.c: faults on a MAP_SHARED shmem mapping of a file
 * whose page cache holds one THP (slot F0, spec §4.1). No COW, no anon_vma,
 * no deposited tables.
 */
import { CV } from '../coverage.js';
import type { Kern } from '../kern.js';
import { PMD_HUGE, PMD_NONE, PMD_TABLE, PTE_NONE } from '../layout.js';
import type { FaultResult } from './memory.js';
import { page_add_file_rmap_pmd, page_add_file_rmap_pte } from './rmap.js';

/** The page-cache THP of the shmem file. */
export const SHMEM_FOLIO = 0;

/**
 * Kernel: mm/shmem.c shmem_fault -> mm/memory.c finish_fault / do_set_pmd
 * (and do_shared_fault / wp_page_shared for a write). Modelled: the folio is
 * found in the page cache; an empty PMD over a range the VMA covers whole
 * (aligned, congruent with the file offset) gets a huge PMD (do_set_pmd:
 * +1 reference, page_add_file_rmap compound, MM_SHMEMPAGES + N, no deposit);
 * otherwise the subpage gets a PTE (+1 reference, page_add_file_rmap,
 * MM_SHMEMPAGES + 1). Entries are writable iff VM_WRITE: shmem has no
 * write-notify, so there is no COW and a write fault on a read-only shared
 * entry only write-enables it (wp_page_shared). No mmu notifier (filling or
 * write-enabling an entry never notifies).
 * Abstracted: swap, fallocate, the huge= mount policy (always), small pages in the page cache.
 */
export function shmem_fault(k: Kern, p: number, addr: number, write: boolean): FaultResult {
  const f = SHMEM_FOLIO;
  const w = k.vmWrite(p, addr);
  if (k.pmd(p) === PMD_NONE) {
    if (k.vma(p) === k.ALL && (k.s[k.mm(p) + k.o.VMA_WRITE] === 0 || k.s[k.mm(p) + k.o.VMA_WRITE] === k.ALL)) {
      k.cover(CV.shmem_fault_do_set_pmd);
      k.get_page({ thp: true, idx: f, sub: 0 });
      page_add_file_rmap_pmd(k, f);
      k.setPmd(p, PMD_HUGE, f, w);
      k.addRss(p, k.N);
      return 'done';
    }
    k.setPmd(p, PMD_TABLE); // __pte_alloc
  }
  if (k.pmd(p) === PMD_HUGE) {
    if (write && !k.pmdWrite(p) && w) {
      k.cover(CV.wp_page_shared);
      k.setPmdWrite(p, true);
    }
    return 'done';
  }
  const e = k.pte(p, addr);
  if (e === PTE_NONE) {
    k.cover(CV.shmem_fault_pte);
    const pg = { thp: true, idx: f, sub: addr };
    k.get_page(pg);
    page_add_file_rmap_pte(k, f, addr);
    k.setPte(p, addr, k.pteOf(pg), w);
    k.addRss(p, 1);
    return 'done';
  }
  if (write && !k.pteWrite(p, addr) && w) {
    k.cover(CV.wp_page_shared);
    k.setPte(p, addr, e, true);
  }
  return 'done';
}
