/**
 * The THP model's properties (spec §7), each `always` with the cover that
 * shows the situation it constrains is reachable. Accounting is checked
 * against a census of the page tables and GUP references (the ground truth),
 * never against the counters themselves.
 */
import type { Property } from '../../src/property.js';
import { hasGup, hasPin, type ThpConfig } from './config.js';
import type { Kern } from './kern.js';
import { hasAnonExclusive, stepInFlight, KVM_PFN_HELD, MAPPING_FILE, ZERO_PAGE_ID, MM_ALIVE, PMD_HUGE, PMD_TABLE, PTE_NONE, REF_LONGTERM, ZERO_PTE } from './layout.js';
import { SHMEM_FOLIO } from './mm/shmem.js';
import { hostPageId } from './virt/kvm/kvm_main.js';

/**
 * Ground truth counted from the page tables and reference slots. The one walk
 * over the page tables also finds the first mm that breaks each per-mm
 * invariant (rss, deposit, rmap), so those properties walk nothing themselves.
 */
class Census {
  pmdMaps: Int32Array;
  pteMaps: Int32Array; // f*N + i
  smallMaps: Int32Array;
  /** mms mapping folio f by a PMD or any PTE */
  mms: Int32Array;
  thpRefs: Int32Array;
  thpPins: Int32Array;
  smallRefs: Int32Array;
  smallPins: Int32Array;
  /** first mm whose rss counter is not the number of pages it maps (rssMapped), -1 if none */
  rssBad = -1;
  rssMapped = 0;
  /** first mm whose deposit does not match its anon huge PMD, -1 if none */
  depositBad = -1;
  /** first live mm mapping a page whose anon_vma is not on its chain, -1 if none; at subpage rmapBadAt (-1: its huge PMD) */
  rmapBad = -1;
  rmapBadAt = -1;
  /** first small page whose _mapcount / _refcount (or pins) disagree with the count, -1 if none */
  smallMapBad = -1;
  smallRefBad = -1;
  /** all counts, the mapping counts first: views into it, cleared by one loop (a fill() per array costs more) */
  private readonly all: Int32Array;
  /** how much of `all` a state can change: without references, KVM or a page cache the rest stays 0 */
  private readonly used: number;
  constructor(private readonly k: Kern) {
    const c = k.c;
    const T = c.thps;
    const S = c.smalls;
    const maps = T + T * c.subpages + S + T;
    this.all = new Int32Array(maps + 2 * T + 2 * S);
    let at = 0;
    const view = (n: number) => this.all.subarray(at, (at += n));
    this.pmdMaps = view(T);
    this.pteMaps = view(T * c.subpages);
    this.smallMaps = view(S);
    this.mms = view(T);
    this.thpRefs = view(T);
    this.thpPins = view(T);
    this.smallRefs = view(S);
    this.smallPins = view(S);
    this.used = k.o.R === 0 && !c.kvm && !c.shmem ? maps : this.all.length;
  }
  private last: Uint8Array | null = null;
  /** Force the next take() to recount (the model's prepare hook: one count per evaluated state). */
  invalidate(): void {
    this.last = null;
  }
  /** Count for state s; the properties of one state share one count (same vector object). */
  take(s: Uint8Array): this {
    const k = this.k;
    if (k.s !== s) k.s = s; // (a pointer store costs a write barrier)
    if (s === this.last) return this;
    this.last = s;
    const all = this.all;
    for (let i = 0; i < this.used; i++) all[i] = 0;
    const N = k.N;
    const T = k.c.thps;
    const o = k.o;
    const { PMD, PMD_FOLIO, PTE, MM_STATE, ANON_VMA_CHAIN, RSS_ANON, DEPOSIT, mmStride, thpStride, smallStride } = o;
    const smallRmap = k.c.smallRmap;
    const pmdMaps = this.pmdMaps;
    const pteMaps = this.pteMaps;
    const smallMaps = this.smallMaps;
    const mms = this.mms;
    this.rssBad = this.depositBad = this.rmapBad = this.rmapBadAt = -1;
    // page->mapping of folio f / small page q (0 = NULL, else anon_vma node + 1, or the file)
    const fMapping = o.thp + o.MAPPING;
    const qMapping = o.small + o.S_MAPPING;
    for (let p = 0; p < k.c.procs; p++) {
      const b = o.mm + p * mmStride;
      const pmd = s[b + PMD];
      // rmap: only a live mm's mappings must be on its chain (onChain)
      const alive = s[b + MM_STATE] === MM_ALIVE;
      const chain = s[b + ANON_VMA_CHAIN]!;
      let mapped = 0;
      let folios = 0;
      let anonPmd = false;
      if (pmd === PMD_HUGE) {
        const f = s[b + PMD_FOLIO]!;
        pmdMaps[f]!++;
        mapped = N;
        folios = 1 << f;
        const m = s[fMapping + f * thpStride]!;
        anonPmd = m !== MAPPING_FILE;
        if (anonPmd && alive && this.rmapBad < 0 && !onChain(chain, m)) this.rmapBad = p;
      } else if (pmd === PMD_TABLE)
        for (let i = 0; i < N; i++) {
          const v = s[b + PTE + i]!;
          if (v === PTE_NONE || v === ZERO_PTE) continue;
          mapped++;
          let m: number;
          if (v <= T) {
            pteMaps[(v - 1) * N + i]!++;
            folios |= 1 << (v - 1);
            m = s[fMapping + (v - 1) * thpStride]!;
            if (m === MAPPING_FILE) continue; // file pages are found through i_mmap
          } else {
            smallMaps[v - 1 - T]!++;
            if (!smallRmap) continue;
            m = s[qMapping + (v - 1 - T) * smallStride]!;
          }
          if (alive && this.rmapBad < 0 && !onChain(chain, m)) {
            this.rmapBad = p;
            this.rmapBadAt = i;
          }
        }
      if (this.rssBad < 0 && s[b + RSS_ANON] !== mapped) {
        this.rssBad = p;
        this.rssMapped = mapped;
      }
      if (this.depositBad < 0 && s[b + DEPOSIT] !== (anonPmd ? 1 : 0)) this.depositBad = p;
      for (let f = 0; folios !== 0; f++, folios >>= 1) if (folios & 1) mms[f]!++;
    }
    if (this.used !== pmdMaps.length + pteMaps.length + smallMaps.length + mms.length) this.countRefs(s);
    // the small pages' mapcount and refcount accounting in one pass over the slots (stored _mapcount = raw + 1)
    const { small, S_REF, S_MAPCOUNT, S_PINCOUNT } = o;
    const { smallRefs, smallPins } = this;
    this.smallMapBad = this.smallRefBad = -1;
    for (let q = 0; q < k.c.smalls; q++) {
      const b = small + q * smallStride;
      const ref = s[b + S_REF]!;
      const maps = smallMaps[q]!;
      if (this.smallMapBad < 0 && (ref === 0 ? maps > 0 : s[b + S_MAPCOUNT] !== maps)) this.smallMapBad = q;
      if (this.smallRefBad < 0 && (ref !== maps + smallRefs[q]! || (S_PINCOUNT >= 0 && s[b + S_PINCOUNT] !== smallPins[q]!))) this.smallRefBad = q;
    }
    return this;
  }

  /** The references that are not mappings: GUP slots, KVM's in-flight fault, the page cache. */
  private countRefs(s: Uint8Array): void {
    const k = this.k;
    const o = k.o;
    const N = k.N;
    if (o.KVM_FAULT >= 0 && s[o.KVM_FAULT] === KVM_PFN_HELD && s[o.KVM_PFN] !== ZERO_PAGE_ID) {
      const pg = k.pageOfId(s[o.KVM_PFN]!);
      if (pg.thp) this.thpRefs[pg.idx]!++;
      else this.smallRefs[pg.idx]!++;
    }
    // the page cache's references: one per subpage of a cached THP (spec §1.4)
    if (k.c.shmem) this.thpRefs[SHMEM_FOLIO]! += N;
    for (let g = 0; g < k.o.R; g++) {
      if (!k.refUsed(g)) continue;
      const pg = k.refPage(g);
      const pin = k.refIsPin(g) ? 1 : 0;
      if (pg.thp) {
        this.thpRefs[pg.idx]!++;
        this.thpPins[pg.idx]! += pin;
      } else {
        this.smallRefs[pg.idx]!++;
        this.smallPins[pg.idx]! += pin;
      }
    }
  }
}

/** m (page->mapping: anon_vma node + 1, 0 = NULL) is on the anon_vma chain `chain` */
const onChain = (chain: number, m: number) => m !== 0 && ((chain >> (m - 1)) & 1) === 1;

/** The THP model's properties, and the hook that counts once per evaluated state. */
export function thpProperties(c: ThpConfig, k: Kern): { list: Property[]; prepare: (s: Uint8Array) => void } {
  const census = new Census(k);
  const prepare = (s: Uint8Array) => {
    census.invalidate();
    census.take(s);
  };
  const N = c.subpages;
  const dm = c.flags.mapcount === 'doublemap';
  const ae = hasAnonExclusive(c);
  const gup = hasGup(c.ops);
  const pins = hasPin(c.ops);
  // invariants hold in quiescent states: not while a stepwise split or PMD COW is half done (spec §7)
  // `ok` is why0(s) === null, spelled out per property: a check shared by all of them would call its why0
  // through one megamorphic call site, for every state
  const st = (name: string, description: string, why0: (s: Uint8Array) => string | null, ok: (s: Uint8Array) => boolean, cover?: string): Property => {
    if (!c.stepwise) return { name, kind: 'always', description, cover, check: ok, explain: why0 };
    const why = (s: Uint8Array) => (stepInFlight(c, k.o, s) ? null : why0(s));
    return { name, kind: 'always', description, cover, check: (s: Uint8Array) => why(s) === null, explain: why };
  };
  const node = (m: number) => (m === 0 ? 'NULL' : `av${m - 1}`);
  const chainName = (ch: number) => `{${[...Array(8).keys()].filter((i) => (ch >> i) & 1).map((i) => `av${i}`).join(',')}}`;
  const pageName = (pg: { thp: boolean; idx: number; sub: number }) => (pg.thp ? `F${pg.idx}[${pg.sub}]` : `S${pg.idx}`);
  const cover = (name: string, description: string, check: (s: Uint8Array) => boolean): Property => ({ name, kind: 'sometimes', description, check });

  // mapcount and refcount run for every state: they read the vector through hoisted offsets (stored
  // counters are raw + 1), and the kernel-named accessors only to word a finding
  const { thp, thpStride, REF, COMPOUND_MAPCOUNT, MAPCOUNT, DOUBLE_MAP, NR_PAGES_MAPPED, MAPPING } = k.o;
  const mapcountOk = (s: Uint8Array): string | null => {
    const t = census.take(s);
    const { pmdMaps, pteMaps } = t;
    for (let f = 0; f < c.thps; f++) {
      const F = thp + f * thpStride;
      if (s[F + REF] === 0) {
        if (pmdMaps[f]! > 0) return `a PMD maps freed folio F${f}`;
        for (let i = 0; i < N; i++) if (pteMaps[f * N + i]! > 0) return `a PTE maps subpage ${i} of freed folio F${f}`;
        continue;
      }
      const pmd = pmdMaps[f]!;
      const file = s[F + MAPPING] === MAPPING_FILE;
      // anon: PageDoubleMap adds 1 to every subpage; file (4.8-6.1): every PMD map is in every _mapcount, PageDoubleMap adds nothing
      const d = file ? 0 : DOUBLE_MAP >= 0 && s[F + DOUBLE_MAP] === 1 ? 1 : 0;
      const perPmd = file && dm ? pmd : 0;
      if (s[F + COMPOUND_MAPCOUNT] !== pmd) return `F${f}.compound_mapcount = ${k.compound_mapcount_raw(f)}, but ${pmd} PMDs map it (expected ${pmd - 1})`;
      if (d && pmd < 1) return `F${f} has PageDoubleMap set but no PMD maps it`;
      let mapped = 0;
      for (let i = 0; i < N; i++) {
        const pte = pteMaps[f * N + i]!;
        if (pte > 0) mapped++;
        const want = pte + d + perPmd - 1;
        if (s[F + MAPCOUNT + i]! - 1 !== want) return `F${f}._mapcount[${i}] = ${k.mapcount_raw(f, i)}, but ${pte} PTEs map subpage ${i}${d ? ' and PageDoubleMap adds 1' : ''}${perPmd ? ` and ${pmd} PMD maps count on every subpage of a file THP` : ''} (expected ${want})`;
      }
      if (!dm && s[F + NR_PAGES_MAPPED] !== mapped) return `F${f}._nr_pages_mapped = ${s[F + NR_PAGES_MAPPED]}, but ${mapped} subpages are PTE-mapped`;
    }
    const q = t.smallMapBad;
    if (q < 0) return null;
    if (k.smallRef(q) === 0) return `a PTE maps freed page S${q}`;
    return `S${q}._mapcount = ${k.smallMapRaw(q)}, but ${t.smallMaps[q]} PTEs map it`;
  };

  const refcountOk = (s: Uint8Array): string | null => {
    const t = census.take(s);
    const { pmdMaps, pteMaps, thpRefs } = t;
    for (let f = 0; f < c.thps; f++) {
      let maps = pmdMaps[f]!;
      for (let i = 0; i < N; i++) maps += pteMaps[f * N + i]!;
      if (s[thp + f * thpStride + REF] !== maps + thpRefs[f]!) return `F${f}._refcount = ${k.page_count(f)}, but it has ${maps} mappings and ${thpRefs[f]} other references (GUP, KVM, page cache)`;
      if (k.o.PINCOUNT >= 0 && k.pincount(f) !== t.thpPins[f]!) return `F${f}._pincount = ${k.pincount(f)}, but ${t.thpPins[f]} pins are held`;
    }
    const q = t.smallRefBad;
    if (q < 0) return null;
    if (k.smallRef(q) !== t.smallMaps[q]! + t.smallRefs[q]!) return `S${q}._refcount = ${k.smallRef(q)}, but it has ${t.smallMaps[q]} mappings and ${t.smallRefs[q]} GUP references`;
    return `S${q} pin count ${k.s[k.S(q) + k.o.S_PINCOUNT]}, but ${t.smallPins[q]} pins are held`;
  };

  const rssName = c.shmem ? 'rss[MM_SHMEMPAGES]' : 'rss[MM_ANONPAGES]';
  // rss, rmap and deposit: the census walk found the first offending mm; only the message is made here
  const rssOk = (s: Uint8Array): string | null => {
    const p = census.take(s).rssBad;
    if (p < 0) return null;
    return `mm${p} ${rssName} = ${k.s[k.mm(p) + k.o.RSS_ANON]}, but it maps ${census.rssMapped} ${c.shmem ? 'shmem' : 'anon'} pages`;
  };

  const rmapOk = (s: Uint8Array): string | null => {
    const p = census.take(s).rmapBad;
    if (p < 0) return null;
    const chain = k.chain(p);
    const i = census.rmapBadAt;
    if (i < 0) return `mm${p} maps F${k.pmdFolio(p)} by a huge PMD, but F${k.pmdFolio(p)}.mapping = ${node(k.mapping(k.pmdFolio(p)))} is not on mm${p}'s anon_vma chain ${chainName(chain)}: rmap walks miss mm${p}`;
    const pg = k.pageOfPte(k.pte(p, i), i)!;
    return `mm${p} maps ${pageName(pg)} at subpage ${i}, but its mapping = ${node(k.anonMapping(pg))} is not on mm${p}'s anon_vma chain ${chainName(chain)}: rmap walks (migration, reclaim, split) miss mm${p}`;
  };

  const depositOk = (s: Uint8Array): string | null => {
    const p = census.take(s).depositBad;
    if (p < 0) return null;
    const anonPmd = k.pmd(p) === PMD_HUGE && !k.isFile(k.pmdFolio(p));
    return `mm${p} has ${k.s[k.mm(p) + k.o.DEPOSIT]} deposited tables with ${anonPmd ? 'one anon huge PMD' : 'no anon huge PMD'}`;
  };

  // anon-exclusive runs for every state too: the same hoisted reads; a folio or small page with no
  // exclusive bit set can break nothing, so the mapping counts are looked at only when a bit is set
  const { mm, mmStride, PMD, PMD_FOLIO, PMD_WRITE, PTE, PTE_WRITE, small, smallStride, S_REF, ANON_EXCLUSIVE, S_ANON_EXCLUSIVE } = k.o;
  const aeOk = (s: Uint8Array): string | null => {
    const t = census.take(s);
    const T = c.thps;
    for (let p = 0; p < c.procs; p++) {
      const b = mm + p * mmStride;
      const pmd = s[b + PMD];
      if (pmd === PMD_HUGE) {
        if (s[b + PMD_WRITE] === 1 && (s[thp + s[b + PMD_FOLIO]! * thpStride + ANON_EXCLUSIVE]! & 1) === 0) return `mm${p}'s huge PMD is writable but F${k.pmdFolio(p)}'s head is not PageAnonExclusive`;
      } else if (pmd === PMD_TABLE) {
        const w = s[b + PTE_WRITE]!;
        for (let i = 0; i < N; i++) {
          if (((w >> i) & 1) === 0) continue;
          const v = s[b + PTE + i]!;
          if (v === PTE_NONE || v === ZERO_PTE) continue;
          const exclusive = v <= T ? (s[thp + (v - 1) * thpStride + ANON_EXCLUSIVE]! >> i) & 1 : s[small + (v - 1 - T) * smallStride + S_ANON_EXCLUSIVE];
          if (exclusive !== 1) return `mm${p}'s PTE ${i} is writable but ${pageName(k.pageOfPte(v, i)!)} is not PageAnonExclusive`;
        }
      }
    }
    for (let f = 0; f < T; f++) {
      const F = thp + f * thpStride;
      const bits = s[F + ANON_EXCLUSIVE]!;
      if (s[F + REF] === 0 || bits === 0) continue;
      const pmd = t.pmdMaps[f]!;
      if (pmd > 0) {
        if ((bits & 1) === 0) continue;
        let ptes = 0;
        for (let i = 0; i < N; i++) ptes += t.pteMaps[f * N + i]!;
        if (pmd !== 1 || ptes !== 0) return `F${f}'s head is PageAnonExclusive but ${pmd} PMDs and ${ptes} PTEs map the folio`;
      } else for (let i = 0; i < N; i++) if (((bits >> i) & 1) === 1 && t.pteMaps[f * N + i]! > 1) return `F${f}[${i}] is PageAnonExclusive but ${t.pteMaps[f * N + i]} PTEs map it`;
    }
    for (let q = 0; q < c.smalls; q++) {
      const b = small + q * smallStride;
      if (s[b + S_REF] !== 0 && s[b + S_ANON_EXCLUSIVE] === 1 && t.smallMaps[q]! > 1) return `S${q} is PageAnonExclusive but ${t.smallMaps[q]} PTEs map it`;
    }
    return null;
  };

  const pinOk = (s: Uint8Array): string | null => {
    k.s = s;
    for (let g = 0; g < k.o.R; g++) {
      if (!k.refUsed(g) || !(k.refKind(g) & REF_LONGTERM) || !k.refValid(g)) continue;
      const p = k.refMm(g);
      if (k.mmState(p) !== MM_ALIVE) continue;
      const now = k.pageAt(p, k.refAddr(g));
      if (!now || !k.samePage(now, k.refPage(g))) return `mm${p} holds long-term gup${g} on ${pageName(k.refPage(g))} taken at subpage ${k.refAddr(g)}, but its mapping there now ${now ? `maps ${pageName(now)}` : 'is empty'}: the device and the process see different pages`;
    }
    return null;
  };

  const anyThp = (s: Uint8Array, pred: (f: number, t: Census) => boolean): boolean => {
    const t = census.take(s);
    for (let f = 0; f < c.thps; f++) if (k.page_count(f) > 0 && pred(f, t)) return true;
    return false;
  };
  const ptes = (t: Census, f: number) => {
    let n = 0;
    for (let i = 0; i < N; i++) n += t.pteMaps[f * N + i]!;
    return n;
  };
  // the covers' predicates, made once (not a closure per state)
  const pmdMapped = (f: number, t: Census) => t.pmdMaps[f]! > 0;
  const pteMapped = (f: number, t: Census) => ptes(t, f) > 0;
  const shared = (f: number, t: Census) => t.mms[f]! >= 2;
  const doubleMapped = (f: number) => k.PageDoubleMap(f); // k.s: anyThp's census.take set it

  const list: Property[] = [
    st('mapcount-accounting', c.shmem && dm
      ? 'file THP (4.8-6.1): compound_mapcount = PMD maps - 1; _mapcount[i] = PMD maps + PTE maps of i - 1 (PageDoubleMap is only a sticky flag)'
      : dm
      ? 'compound_mapcount = PMD maps - 1; _mapcount[i] = PTE maps of i + PageDoubleMap - 1; PageDoubleMap only while PMD-mapped; small _mapcount = maps - 1'
      : '_entire_mapcount = PMD maps - 1; _mapcount[i] = PTE maps of i - 1; _nr_pages_mapped = PTE-mapped subpages; small _mapcount = maps - 1',
      mapcountOk, (s) => mapcountOk(s) === null, 'thp-pte-mapped'),
    st('refcount-accounting', `every page's _refcount = its PMD and PTE mappings + GUP references held on it${c.kvm ? ' + the page KVM\'s in-flight fault holds' : ''}${c.shmem ? ' + the page cache\'s N' : ''} (and _pincount = pins); no mapping of a freed page`, refcountOk, (s) => refcountOk(s) === null, 'thp-pte-mapped'),
    st('rss-accounting', `each mm's ${c.shmem ? 'MM_SHMEMPAGES' : 'MM_ANONPAGES'} = N per huge PMD + its ${c.shmem ? 'shmem' : 'anon'} PTEs`, rssOk, (s) => rssOk(s) === null, 'thp-pte-mapped'),
    st('rmap-integrity', 'every mm mapping a page has the page\'s anon_vma (page->mapping) in its VMA\'s anon_vma chain, so rmap walks find it', rmapOk, (s) => rmapOk(s) === null, 'thp-shared'),
    st('deposit', 'every anon huge PMD has exactly one deposited page table, and no deposit outlives its PMD', depositOk, (s) => depositOk(s) === null, 'thp-pmd-mapped'),
  ];
  if (ae)
    list.push(st('anon-exclusive', 'a writable anon entry has PageAnonExclusive; an exclusive page (the head, while PMD-mapped) is mapped at most once (zap leaves the bit on an unmapped subpage)', aeOk, (s) => aeOk(s) === null, 'thp-subpage-exclusive'));
  if (pins)
    list.push(st('pin-coherence', 'while an mm holds a long-term GUP reference taken through its own mapping and has not unmapped that address, the mapping still maps the referenced page', pinOk, (s) => pinOk(s) === null, 'longterm-pin-held'));
  list.push(
    ...(c.shmem ? [] : [{ name: 'cow-no-steal', kind: 'action' as const, description: 'a write fault that reuses a page (a PMD: the folio) does so only when no other mm maps it and no other mm holds a GUP reference on it', cover: 'cow-reuse-thp-subpage' }]),
  );
  if (c.tokens)
    list.push({ name: 'private-isolation', kind: 'action', description: 'data an mm reads through its private mapping or its GUP reference changed only by its own writes', cover: 'read-checked' });
  list.push({ name: 'vm-bug-on', kind: 'kernel-assertion', description: 'the model\'s VM_BUG_ON stand-ins: counter underflow, FOLL_PIN of a non-exclusive anon page (5.19+)' });
  // covers
  list.push(
    cover('thp-pmd-mapped', 'a THP is mapped by a huge PMD', (s) => anyThp(s, pmdMapped)),
    cover('thp-pte-mapped', 'a THP subpage is mapped by a PTE', (s) => anyThp(s, pteMapped)),
    cover('thp-shared', 'one THP is mapped by two mms', (s) => anyThp(s, shared)),
  );
  if (dm) list.push(cover('thp-doublemap', 'a THP has PageDoubleMap set (PMD- and PTE-mapped at once)', (s) => anyThp(s, doubleMapped)));
  if (!c.shmem) list.push({ name: 'cow-reuse-thp-subpage', kind: 'sometimes', transition: true, description: 'a write fault reuses a subpage of a PTE-mapped THP' });
  if (ae) list.push(cover('thp-subpage-exclusive', 'a PTE-mapped THP subpage is PageAnonExclusive', (s) => anyThp(s, (f, t) => t.pmdMaps[f] === 0 && k.s[k.F(f) + k.o.ANON_EXCLUSIVE] !== 0)));
  if (gup) list.push(cover('gup-ref-held', 'a GUP reference is held', (s) => { k.s = s; for (let g = 0; g < k.o.R; g++) if (k.refUsed(g)) return true; return false; }));
  if (pins) list.push(cover('longterm-pin-held', 'a long-term GUP reference is held over a still-mapped address', (s) => { k.s = s; for (let g = 0; g < k.o.R; g++) if (k.refUsed(g) && k.refKind(g) & REF_LONGTERM && k.refValid(g)) return true; return false; }));
  if (c.tokens) list.push({ name: 'read-checked', kind: 'sometimes', transition: true, description: 'a read compares data with what the reader saw or wrote before' });
  if (c.kvm) {
    const o = k.o;
    const idName = (id: number) => (id === ZERO_PAGE_ID ? 'the zero page' : pageName(k.pageOfId(id)));
    const eptOk = (s: Uint8Array): string | null => {
      k.s = s;
      if (!k.alive(0)) return null;
      const huge = s[o.EPT_HUGE]!;
      for (let g = 0; g < N; g++) {
        const id = huge ? k.pageId({ thp: true, idx: huge - 1, sub: g }) : s[o.EPT_PTE + g]!;
        if (id === 0) continue;
        const w = huge ? s[o.EPT_HUGE_W] === 1 : ((s[o.EPT_PTE_W]! >> g) & 1) === 1;
        const leaf = huge ? `the 2M EPT leaf over F${huge - 1}` : 'a 4K EPT leaf';
        const host = hostPageId(k, g);
        if (host !== id)
          return `${leaf} maps gfn ${g} to ${idName(id)}, but mm0 maps ${host ? idName(host) : 'nothing'} at hva(gfn ${g}) = subpage ${g}: guest and host see different memory`;
        if (w && !k.entryWritable(0, g)) return `${leaf} lets the guest write gfn ${g} (${idName(id)}), but mm0's entry at subpage ${g} is read-only: guest writes bypass COW and write protection`;
      }
      return null;
    };
    list.splice(list.findIndex((x) => x.name === 'vm-bug-on'), 0,
      st('ept-coherence', 'every EPT leaf maps each gfn it covers to the page mm0 maps at hva(gfn), and a writable leaf only over a writable host entry', eptOk, (s) => eptOk(s) === null, 'ept-huge-reachable'));
    list.push(cover('ept-huge-reachable', 'a 2M EPT leaf maps a THP that mm0 maps by a huge PMD', (s) => {
      k.s = s;
      const huge = s[o.EPT_HUGE]!;
      return huge !== 0 && k.alive(0) && k.pmd(0) === PMD_HUGE && k.pmdFolio(0) === huge - 1;
    }));
    if (c.compare)
      for (const [side, name] of [['a', c.compare.a], ['b', c.compare.b]] as const)
        for (const [cls, what] of [['agree', 'agrees with'], ['false-positive', 'says 2M (unsafe) against'], ['false-negative', 'says 4K (a missed 2M) against'], ['false-negative-stale', 'says 4K while no PTE maps the THP anywhere, against']] as const)
          list.push({ name: `compare-${side}-${cls}`, kind: 'sometimes', transition: true, description: `kvm_huge=${name} ${what} the ground truth (mm0 maps the whole THP by one huge PMD)` });
  }
  return { list, prepare };
}
