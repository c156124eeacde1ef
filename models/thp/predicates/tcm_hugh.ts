/**
 * Hugh Dickins' PageTransCompoundMap (seed 000; upstream 169226f7e0d2) as
 * a user's predicate file: the same formula as the built-in TCM_hugh, so
 * the two give the same counts and verdicts.
 */
import type { PageView } from '../virt/kvm/predicates.js';

export default function kvm_huge(page: PageView): boolean {
  if (!page.PageTransCompound()) return false;
  if (page.PageAnon()) return page._mapcount < 0;
  // shmem: every subpage's _mapcount counts PMD maps too; equal means no PTE maps this subpage
  return page._mapcount === page.compound_mapcount_raw;
}
