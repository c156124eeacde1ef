/**
 * arch/x86/kvm/mmu/mmu.c (the TDP fault path): after hva_to_pfn, take
 * mmu_lock, give up if mmu_notifier_retry, let transparent_hugepage_adjust
 * pick the level, install the EPT leaf.
 */
import { UsageError } from '../../../../src/model.js';
import { PredicateCallError, PredicateInterrupted } from '../../../../src/predicate/sandbox.js';
import { CV } from '../../coverage.js';
import type { Kern, PageRef } from '../../kern.js';
import { PMD_HUGE, PMD_TABLE, ZERO_PAGE_ID } from '../../layout.js';
import { dropFault } from './kvm_main.js';
import { oneLine, PageViewImpl, type PredicateSource } from './predicates.js';

/** How the model decides kvm_huge: one predicate, or (mmcheck compare) the ground truth with two predicates scored. */
export interface KvmDecision {
  drive: PredicateSource | null;
  compare: [PredicateSource, PredicateSource] | null;
  /** transition properties for the compare classes, [side][agree, fp, fn, fn with no PTE mapping the folio] */
  classProps: number[][];
}

/**
 * Ground truth for "may this be mapped 2M": the VM's mm maps the page's whole
 * folio through one huge PMD (then every gfn of the 2M leaf has its host page
 * under it, with the PMD's write bit).
 */
export function mapsWholeFolioByPmd(k: Kern, pg: PageRef): boolean {
  return pg.thp && k.pmd(0) === PMD_HUGE && k.pmdFolio(0) === pg.idx;
}

/** Some mm maps a subpage of folio f by a PTE. */
function pteMappedAnywhere(k: Kern, f: number): boolean {
  for (let q = 0; q < k.c.procs; q++) if (k.pmd(q) === PMD_TABLE) for (let i = 0; i < k.N; i++) if (k.pte(q, i) === 1 + f) return true;
  return false;
}

export class KvmMmu {
  private readonly view: PageViewImpl;
  constructor(
    private readonly k: Kern,
    private readonly d: KvmDecision,
  ) {
    this.view = new PageViewImpl(k);
  }

  private ask(src: PredicateSource, pg: PageRef): boolean {
    PageViewImpl.at(this.view, pg);
    let v: unknown;
    try {
      v = src.fn(this.view);
    } catch (e) {
      if (e instanceof PredicateInterrupted) throw e;
      if (e instanceof PredicateCallError) throw new PredicateThrew(e.describe(`--predicate kvm_huge=${src.file ?? src.name}`, pageLabel(pg)));
      throw new PredicateThrew(`--predicate kvm_huge=${src.file ?? src.name} threw on ${pageLabel(pg)}: ${oneLine(e)}`);
    }
    if (typeof v !== 'boolean') throw new PredicateThrew(`--predicate kvm_huge=${src.file ?? src.name} returned ${JSON.stringify(v) ?? String(v)} on ${pageLabel(pg)}, not a boolean`);
    return v;
  }

  /**
   * Kernel: arch/x86/kvm/mmu/mmu.c direct_page_fault (tail) ->
   * mmu_notifier_retry, transparent_hugepage_adjust (kvm_is_transparent_hugepage
   * / PageTransCompoundMap in 4.6-5.5, host_pfn_mapping_level later), __direct_map.
   * Eras: the kvm_huge predicate. Modelled: retry drops the page and ends the
   * fault (the vCPU faults again later); a 2M leaf maps gfn j to subpage j of
   * the folio (gfn and pfn aligned down) and replaces the 4K leaves under it;
   * a 4K leaf replaces a 2M one over it; writable iff hva_to_pfn got the page
   * writable; then kvm_release_pfn_clean drops the reference.
   * Abstracted: the level walk (one level of tables), dirty logging, NX huge pages.
   */
  kvm_map(): void {
    const k = this.k;
    const o = k.o;
    const s = k.s;
    if (s[o.KVM_SEQ_MOVED] === 1) {
      k.cover(CV.kvm_map_retry);
      dropFault(k);
      return;
    }
    const gfn = s[o.KVM_GFN]!;
    const writable = s[o.KVM_PFN_W]!;
    if (s[o.KVM_PFN] === ZERO_PAGE_ID) {
      // a reserved pfn: transparent_hugepage_adjust does not look at it
      this.install4K(gfn, ZERO_PAGE_ID, 0);
      dropFault(k);
      return;
    }
    const pg = k.pageOfId(s[o.KVM_PFN]!);
    let huge: boolean;
    if (this.d.compare) {
      const truth = mapsWholeFolioByPmd(k, pg);
      this.d.compare.forEach((src, side) => {
        const v = this.ask(src, pg);
        const cls = v === truth ? 0 : v ? 1 : 2;
        k.cover(CV.compare_A_agree + side * 3 + cls);
        k.ctx.fail(this.d.classProps[side]![cls]!);
        // a miss no current mapping explains: the predicate reads history (e.g. a sticky PageDoubleMap)
        if (cls === 2 && pg.thp && !pteMappedAnywhere(k, pg.idx)) {
          k.cover(CV.compare_A_fn_stale + side);
          k.ctx.fail(this.d.classProps[side]![3]!);
        }
      });
      huge = truth;
    } else huge = this.ask(this.d.drive!, pg);
    if (huge && pg.thp) {
      k.cover(CV.kvm_map_2M);
      for (let i = 0; i < k.N; i++) s[o.EPT_PTE + i] = 0;
      s[o.EPT_PTE_W] = 0;
      s[o.EPT_HUGE] = 1 + pg.idx;
      s[o.EPT_HUGE_W] = writable;
    } else this.install4K(gfn, k.pageId(pg), writable);
    dropFault(k);
  }

  /** A 4K leaf for gfn; it replaces a 2M leaf over it. */
  private install4K(gfn: number, id: number, writable: number): void {
    const k = this.k;
    const o = k.o;
    const s = k.s;
    k.cover(CV.kvm_map_4K);
    s[o.EPT_HUGE] = 0;
    s[o.EPT_HUGE_W] = 0;
    s[o.EPT_PTE + gfn] = id;
    if (writable) s[o.EPT_PTE_W]! |= 1 << gfn;
    else s[o.EPT_PTE_W]! &= ~(1 << gfn);
  }
}

/** A predicate failed while the model ran: a user error (exit 2), not a model bug. */
export class PredicateThrew extends UsageError {}

function pageLabel(pg: PageRef): string {
  return pg.thp ? `F${pg.idx}[${pg.sub}]` : `S${pg.idx}`;
}
