/**
 * The kvm_huge decision point: "may KVM map this page 2M in the EPT"
 * (transparent_hugepage_adjust; spec §4.8, §6.1). Built-in variants and a
 * user's own are all functions over one read-only page view with the
 * kernel's accessor names, evaluated where KVM evaluates the test: under
 * mmu_lock, after mmu_notifier_retry said no invalidation ran since the
 * fault read mmu_notifier_seq.
 */
import { UsageError } from '../../../../src/model.js';
import { loadPredicate, type HookSpec } from '../../../../src/predicate/sandbox.js';
import type { Kern, PageRef } from '../../kern.js';
import { PMD_HUGE } from '../../layout.js';
import { page_mapcount, total_mapcount } from '../../mm/rmap.js';

/** What a predicate sees of the page hva_to_pfn returned (a tail page of a THP, or a small page). */
export interface PageView {
  /** subpage index within its folio (0 = the head; 0 for a small page) */
  readonly index: number;
  /** HPAGE_PMD_NR as scaled down in this run (--subpages) */
  readonly HPAGE_PMD_NR: number;
  /** raw page->_mapcount of this subpage (-1 based) */
  readonly _mapcount: number;
  /** raw compound_mapcount of the folio (4.5-6.1; _entire_mapcount in 6.2+), -1 based; -1 for a small page */
  readonly compound_mapcount_raw: number;
  PageTransCompound(): boolean;
  PageAnon(): boolean;
  /** PageDoubleMap(compound_head(page)); false in eras without it (6.2+) */
  PageDoubleMap(): boolean;
  /** compound_mapcount(page): PMD mappings of the folio (raw + 1) */
  compound_mapcount(): number;
  /** raw _mapcount of subpage j of the same folio */
  subpage_mapcount(j: number): number;
  page_mapcount(): number;
  total_mapcount(): number;
  page_count(): number;
  /** the VM's mm maps hva with a PMD leaf (what host_pfn_mapping_level / lookup_address_in_mm see) */
  host_pmd_mapped(): boolean;
}

export type KvmHugePredicate = (page: PageView) => boolean;

export const BUILTIN: Record<string, KvmHugePredicate> = {
  // <= 4.5: any compound page
  TC: (p) => p.PageTransCompound(),
  // 127393fbe597 (4.6): no PTE maps this subpage
  TCM_orig: (p) => p.PageTransCompound() && p._mapcount < 0,
  // Yang Shi's v1 (seed 000): file pages by _mapcount >= 0 and !PageDoubleMap
  TCM_yang_v1: (p) => p.PageTransCompound() && (p.PageAnon() ? p._mapcount < 0 : p._mapcount >= 0 && !p.PageDoubleMap()),
  // Hugh Dickins' patch = 169226f7e0d2 (5.4): file pages by _mapcount == compound_mapcount
  TCM_hugh: (p) => p.PageTransCompound() && (p.PageAnon() ? p._mapcount < 0 : p._mapcount === p.compound_mapcount_raw),
  // db5432165e9b (x86 5.6): walk the host page table
  HOSTWALK: (p) => p.host_pmd_mapped(),
};

/** A predicate as configured: built-in name or a user's file. */
export interface PredicateSource {
  name: string;
  fn: KvmHugePredicate;
  file?: string;
}

/** Resolve `name` (a built-in variant) or `file` (a --predicate module). */
export function resolvePredicate(spec: string, isFile: boolean): PredicateSource {
  if (!isFile) {
    const fn = Object.hasOwn(BUILTIN, spec) ? BUILTIN[spec] : undefined;
    if (!fn) throw new UsageError(`unknown kvm_huge predicate '${spec}' (built-in: ${Object.keys(BUILTIN).join(', ')}; or --predicate kvm_huge=FILE.ts)`);
    return { name: spec, fn };
  }
  return { name: spec, fn: loadPredicateFile(spec), file: spec };
}

/**
 * The PageView as the sandbox sees it (src/predicate/sandbox.ts): its values
 * as numbers, in this order, then subpage_mapcount(j) for every j of a THP.
 */
function encodePageView(p: PageView): string {
  const thp = p.PageTransCompound();
  let key = `${thp ? 1 : 0},${p.index},${p.HPAGE_PMD_NR},${p._mapcount},${p.compound_mapcount_raw},${p.PageAnon() ? 1 : 0},${p.PageDoubleMap() ? 1 : 0},${p.page_mapcount()},${p.total_mapcount()},${p.page_count()},${p.host_pmd_mapped() ? 1 : 0}`;
  if (thp) for (let j = 0; j < p.HPAGE_PMD_NR; j++) key += `,${p.subpage_mapcount(j)}`;
  return key;
}

/** The same accessors, rebuilt inside the sandbox from encodePageView's key (JavaScript source, run there). */
const PAGE_VIEW_SOURCE = `(key) => {
  const s = key.split(',').map(Number);
  const thp = s[0] === 1, N = s[2], mc = s[3], cmc = s[4];
  return Object.freeze({
    index: s[1], HPAGE_PMD_NR: N, _mapcount: mc, compound_mapcount_raw: cmc,
    PageTransCompound: () => thp,
    PageAnon: () => s[5] === 1,
    PageDoubleMap: () => s[6] === 1,
    compound_mapcount: () => cmc + 1,
    subpage_mapcount: (j) => {
      if (!thp) return j === 0 ? mc : -1;
      if (!Number.isInteger(j) || j < 0 || j >= N) throw new RangeError('subpage_mapcount(' + j + '): no such subpage (HPAGE_PMD_NR is ' + N + ')');
      return s[11 + j];
    },
    page_mapcount: () => s[7],
    total_mapcount: () => s[8],
    page_count: () => s[9],
    host_pmd_mapped: () => s[10] === 1,
  });
}`;

/** The kvm_huge hook for the sandboxed loader. */
export const KVM_HUGE_HOOK: HookSpec<PageView> = { hook: 'kvm_huge', viewName: 'PageView', encode: encodePageView, viewSource: PAGE_VIEW_SOURCE };

/**
 * Load a predicate module (TypeScript or JavaScript; its default export, or
 * an export named kvm_huge, is the function), contained in a sandbox of its
 * own (src/predicate/sandbox.ts says what it can and cannot do). Worker
 * threads load it the same way when they rebuild the model.
 */
export function loadPredicateFile(file: string): KvmHugePredicate {
  return loadPredicate(KVM_HUGE_HOOK, file);
}

export function oneLine(e: unknown): string {
  const m = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  return m.split('\n')[0]!;
}

/**
 * The view over the live state: one object per model, re-pointed at the page
 * before each call (no allocation on the hot path).
 */
export class PageViewImpl implements PageView {
  // #private: a predicate gets this object and must not reach the state through it
  #pg: PageRef = { thp: false, idx: 0, sub: 0 };
  readonly #k: Kern;
  constructor(k: Kern) {
    this.#k = k;
    Object.freeze(this);
  }
  /** Point the view at the page KVM is asking about (the model's side, not the predicate's). */
  static at(v: PageViewImpl, pg: PageRef): void {
    v.#pg = pg;
  }
  get index(): number {
    return this.#pg.thp ? this.#pg.sub : 0;
  }
  get HPAGE_PMD_NR(): number {
    return this.#k.N;
  }
  get _mapcount(): number {
    return this.#pg.thp ? this.#k.mapcount_raw(this.#pg.idx, this.#pg.sub) : this.#k.smallMapRaw(this.#pg.idx);
  }
  get compound_mapcount_raw(): number {
    return this.#pg.thp ? this.#k.compound_mapcount_raw(this.#pg.idx) : -1;
  }
  PageTransCompound(): boolean {
    return this.#pg.thp;
  }
  PageAnon(): boolean {
    return this.#k.PageAnon(this.#pg);
  }
  PageDoubleMap(): boolean {
    return this.#pg.thp && this.#k.PageDoubleMap(this.#pg.idx);
  }
  compound_mapcount(): number {
    return this.compound_mapcount_raw + 1;
  }
  subpage_mapcount(j: number): number {
    if (!this.#pg.thp) return j === 0 ? this._mapcount : -1;
    if (!Number.isInteger(j) || j < 0 || j >= this.#k.N) throw new RangeError(`subpage_mapcount(${j}): no such subpage (HPAGE_PMD_NR is ${this.#k.N})`);
    return this.#k.mapcount_raw(this.#pg.idx, j);
  }
  page_mapcount(): number {
    return page_mapcount(this.#k, this.#pg);
  }
  total_mapcount(): number {
    return this.#pg.thp ? total_mapcount(this.#k, this.#pg.idx) : this._mapcount + 1;
  }
  page_count(): number {
    return this.#k.refcount(this.#pg);
  }
  host_pmd_mapped(): boolean {
    return this.#k.pmd(0) === PMD_HUGE;
  }
}
