/**
 * A deliberately wrong kvm_huge predicate, the README's worked example:
 * "map 2M if some PMD maps the THP". compound_mapcount is global across
 * mms: it cannot tell whether the VM's own mm still maps the whole THP.
 *
 *   mmcheck check --era v4.6 --ops write,fork,munmap,kvm \
 *     --predicate kvm_huge=models/thp/predicates/pmd_mapped_somewhere.ts
 */
import type { PageView } from '../virt/kvm/predicates.js';

export default function kvm_huge(page: PageView): boolean {
  return page.PageTransCompound() && page.compound_mapcount() > 0;
}
