/**
 * ../shared/bench/thp_core.pml, the SPIN reference model, ported statement by
 * statement onto the Model interface. It is not a kernel model (models/thp is,
 * and its thp-core profile explores the same world through the kernel
 * functions): it is the model SPIN runs, so that
 *  - `bench` can set mmcheck's engine against SPIN's `pan` on equal terms, one
 *    model as lean as the Promela on both sides, apart from the kernel model's
 *    own cost (the thp-core rows);
 *  - the tests hold this port to SPIN's table (../shared/bench/README.md), and
 *    the thp model's thp-core profile to the port's reachable states, one for
 *    one (test/models/thp-core-vs-pml.test.ts).
 * Names follow the Promela (pr[p].pte, submap, dmap, smap), one action per
 * guarded `d_step` alternative, with the same guards (MUNMAP_ALL's and
 * WP_PTE's pairs, whose guards exclude each other, one action each: the same
 * transitions). SPIN counts one state and two transitions more: its init
 * `d_step` from the all-zero state.
 */
import type { Model, StepContext } from '../../src/model.js';
import { UsageError } from '../../src/model.js';
import type { StateProperty, TransitionProperty } from '../../src/property.js';
import { Layout } from '../../src/state/layout.js';
import { decodeLayout } from '../../src/state/decode.js';

/** The Promela's ERA: 1 v4.5, 2 andrea-v1, 3 v4.6 final (its header says what each reuses). */
export const PML_ERAS: Readonly<Record<string, number>> = { 'v4.5': 1, 'andrea-v1': 2, 'v4.6': 3 };

/** `mmcheck list eras --model thp-core-pml`: the Promela header's words for each ERA. */
export const PML_ERA_ROWS = [
  { name: 'v4.5', description: 'ERA 1: a PTE-mapped THP subpage is never reused; a huge PMD only if page_count() == 1' },
  { name: 'andrea-v1', description: 'ERA 2: reuse iff page_trans_huge_mapcount() == 1, then page_move_anon_rmap of the whole THP' },
  { name: 'v4.6', description: 'ERA 3 (default): as ERA 2, but the anon_vma moves only if total_mapcount() == 1' },
];

export interface PmlConfig {
  era?: string;
  procs?: number;
  subpages?: number;
}

const PMD_NONE = 0, PMD_HUGE = 1, PMD_TABLE = 2;
const E_NONE = 0, E_THP = 1, E_SMALL = 2;
const OP_NAMES = ['fork', 'munmap', 'munmap', 'munmap', 'split_huge_pmd', 'wp_pmd'];
/** the Promela macro each action is one alternative of */
const MACROS = ['FORK(p)', 'MUNMAP_HALF(p, 0)', 'MUNMAP_HALF(p, 1)', 'MUNMAP_ALL(p)', 'SPLIT(p)', 'WP_PMD(p)'];
const COVERS = ['fork', 'munmap_half', 'munmap_all', 'split_pmd', 'page_table_freed', 'double_map', 'wp_pmd_reuse', 'wp_pmd_split', 'wp_pte_reuse', 'wp_pte_copy', 'wp_small_reuse', 'wp_small_copy'];
const CV_FORK = 0, CV_HALF = 1, CV_ALL = 2, CV_SPLIT = 3, CV_FREED = 4, CV_DMAP = 5, CV_PMD_REUSE = 6, CV_PMD_SPLIT = 7;
const CV_PTE_REUSE = 8, CV_PTE_COPY = 9, CV_SMALL_REUSE = 10, CV_SMALL_COPY = 11;

export function createThpCorePml(cfg: PmlConfig = {}): Model {
  const eraName = cfg.era ?? 'v4.6';
  const ERA = PML_ERAS[eraName];
  if (ERA === undefined) throw new UsageError(`unknown era '${eraName}' for thp-core-pml (known: ${Object.keys(PML_ERAS).join(', ')}: thp_core.pml's ERA 1, 2, 3)`);
  const P = cfg.procs ?? 2;
  const N = cfg.subpages ?? 4;
  if (!Number.isInteger(P) || P < 1 || P > 4) throw new UsageError(`--procs must be 1..4 for thp-core-pml (thp_core.pml's P), got ${P}`);
  if (!Number.isInteger(N) || N < 2 || N > 8 || N % 2 !== 0) throw new UsageError(`--subpages must be 2, 4, 6 or 8 for thp-core-pml (munmap takes halves), got ${N}`);
  const H = N / 2;
  const NSMALL = P * N;

  const L = new Layout();
  const pmdName = (v: number) => ['none', 'huge', 'table'][v] ?? `?${v}`;
  const pteName = (v: number) => (v === E_NONE ? 'none' : v === E_THP ? 'thp' : `small ${v - E_SMALL}`);
  const bits = (v: number) => v.toString(2).padStart(N, '0');
  const pr = [...Array(P).keys()].map((p) => ({
    alive: L.u8(`pr[${p}].alive`),
    pmd: L.u8(`pr[${p}].pmd`, '', pmdName),
    pmdw: L.u8(`pr[${p}].pmdw`),
    /** bitmask of the anon_vmas on this process's chain */
    chain: L.u8(`pr[${p}].chain`, '', bits),
    /** the Promela's bit ptew[N], as a bitmask (bit i = ptew[i]) */
    ptew: L.u8(`pr[${p}].ptew`, '', bits),
    pte: L.array(`pr[${p}].pte[]`, N, 'u8', '', pteName),
  }));
  const NPROC = L.u8('nproc');
  const REF = L.u8('ref', 'references held by mappings');
  const CMAP = L.u8('cmap', 'compound_mapcount');
  const SUB = L.array('submap[]', N, 'u8', 'per-subpage _mapcount + 1');
  const DMAP = L.u8('dmap', 'PageDoubleMap');
  const AV = L.u8('av', 'the anon_vma the THP maps to');
  const SMAP = L.array('smap[]', NSMALL, 'u8', 'small page mapcount (0 = free)');
  const OPS = 6 + N; // FORK, MUNMAP_HALF x2, MUNMAP_ALL, SPLIT, WP_PMD, WP_PTE(a) per subpage

  /** check_accounting(): compound_mapcount, each _mapcount and the references against the page tables. */
  const accounting = (s: Uint8Array): boolean => {
    let cnt = 0;
    for (let q = 0; q < P; q++) if (s[pr[q]!.alive] === 1 && s[pr[q]!.pmd] === PMD_HUGE) cnt++;
    if (cnt !== s[CMAP]) return false;
    let tot = cnt;
    for (let i = 0; i < N; i++) {
      cnt = 0;
      for (let q = 0; q < P; q++) {
        const r = pr[q]!;
        if (s[r.alive] === 1 && s[r.pmd] === PMD_TABLE && s[r.pte + i] === E_THP) cnt++;
      }
      if (s[SUB + i] !== cnt + s[DMAP]!) return false;
      tot += cnt;
    }
    return s[REF] === tot;
  };
  /** check_rmap's mapsthp: process r maps the THP, by its huge PMD or a PTE */
  const mapsThp = (s: Uint8Array, r: (typeof pr)[number]): boolean => {
    if (s[r.pmd] === PMD_HUGE) return true;
    if (s[r.pmd] === PMD_TABLE) for (let i = 0; i < N; i++) if (s[r.pte + i] === E_THP) return true;
    return false;
  };
  /** check_rmap(): every live mapper of the THP has its anon_vma on its chain. */
  const rmap = (s: Uint8Array): boolean => {
    const av = 1 << s[AV]!;
    for (const r of pr) if (s[r.alive] === 1 && (s[r.chain]! & av) === 0 && mapsThp(s, r)) return false;
    return true;
  };
  const mappers = (s: Uint8Array): number => {
    let n = 0;
    for (const r of pr) if (s[r.alive] === 1 && mapsThp(s, r)) n++;
    return n;
  };
  const properties: (StateProperty | TransitionProperty)[] = [
    { name: 'rmap-integrity', kind: 'always', description: "every live process mapping the THP has the THP's anon_vma on its chain (check_rmap)", check: rmap, cover: 'thp-shared' },
    { name: 'accounting', kind: 'always', description: 'compound_mapcount, each subpage _mapcount and the refcount match the page tables (check_accounting)', check: accounting, cover: 'double-map' },
    { name: 'cow-isolation', kind: 'action', description: "a reuse never makes writable a subpage another process maps (WP_PTE's assert)" },
    { name: 'small-pool', kind: 'kernel-assertion', description: 'a COW copy finds a free small page (alloc_small\'s assert)' },
    { name: 'thp-shared', kind: 'sometimes', description: 'two live processes map the THP', check: (s: Uint8Array) => mappers(s) >= 2 },
    { name: 'double-map', kind: 'sometimes', description: 'PageDoubleMap is set', check: (s: Uint8Array) => s[DMAP] === 1 },
  ];
  const COW_ISOLATION = 2, SMALL_POOL = 3;

  // The model's steps work on dst (a copy of src), as the d_step bodies do on the one state.
  let d: Uint8Array = new Uint8Array(L.bytes);
  let ctx: StepContext = { cover() {}, fail() {} };
  const cover = (point: number): void => {
    const c = ctx.counts;
    if (c !== undefined) c[point]!++;
    else ctx.cover(point);
  };
  /** split_pmd(p) */
  const split_pmd = (r: (typeof pr)[number]): void => {
    d[r.pmd] = PMD_TABLE;
    for (let i = 0; i < N; i++) {
      d[r.pte + i] = E_THP;
      d[SUB + i]!++;
    }
    d[r.ptew] = d[r.pmdw] === 1 ? (1 << N) - 1 : 0;
    d[r.pmdw] = 0;
    d[REF]! += N - 1;
    if (d[CMAP]! > 1 && d[DMAP] === 0) {
      cover(CV_DMAP);
      d[DMAP] = 1;
      for (let i = 0; i < N; i++) d[SUB + i]!++;
    }
    d[CMAP]!--;
    if (d[CMAP] === 0 && d[DMAP] === 1) {
      d[DMAP] = 0;
      for (let i = 0; i < N; i++) d[SUB + i]!--;
    }
  };
  /** zap_pte(p, i) */
  const zap_pte = (r: (typeof pr)[number], i: number): void => {
    const e = d[r.pte + i]!;
    if (e === E_THP) {
      d[SUB + i]!--;
      d[REF]!--;
    } else if (e >= E_SMALL) d[SMAP + e - E_SMALL]!--;
    d[r.pte + i] = E_NONE;
    d[r.ptew]! &= ~(1 << i);
  };
  /** normalize(p): a page table whose entries are all none is freed */
  const normalize = (r: (typeof pr)[number]): void => {
    if (d[r.pmd] !== PMD_TABLE) return;
    for (let i = 0; i < N; i++) if (d[r.pte + i] !== E_NONE) return;
    cover(CV_FREED);
    d[r.pmd] = PMD_NONE;
  };
  /** thp_mapcount(r): page_trans_huge_mapcount() */
  const thp_mapcount = (): number => {
    let m = 0;
    for (let i = 0; i < N; i++) if (d[SUB + i]! > m) m = d[SUB + i]!;
    return m - d[DMAP]! + d[CMAP]!;
  };
  /** total_mapcount(r) */
  const total_mapcount = (): number => {
    let m = d[CMAP]!;
    for (let i = 0; i < N; i++) m += d[SUB + i]!;
    return d[DMAP] === 1 ? m - N : m;
  };
  /** alloc_small(k): the lowest free small page; the pool running out is the Promela's assert */
  const alloc_small = (): number => {
    let k = 0;
    while (k < NSMALL && d[SMAP + k] !== 0) k++;
    if (k === NSMALL) {
      ctx.fail(SMALL_POOL);
      return -1;
    }
    return k;
  };

  /** The guard of each alternative, on the source state. */
  const enabled = (s: Uint8Array, r: (typeof pr)[number], op: number): boolean => {
    if (s[r.alive] !== 1) return false;
    const pmd = s[r.pmd];
    switch (op) {
      case 0:
        return s[NPROC]! < P;
      case 1:
      case 2:
      case 3:
        return pmd !== PMD_NONE; // MUNMAP_ALL: its two alternatives, huge and table, as one action
      case 4:
        return pmd === PMD_HUGE;
      case 5:
        return pmd === PMD_HUGE && s[r.pmdw] === 0;
      default: {
        const i = op - 6; // WP_PTE(p, i): its two alternatives, THP and small page, as one action
        return pmd === PMD_TABLE && s[r.pte + i] !== E_NONE && ((s[r.ptew]! >> i) & 1) === 0;
      }
    }
  };

  const step = (p: number, r: (typeof pr)[number], op: number): boolean => {
    const pmd = d[r.pmd]!;
    switch (op) {
      case 0: {
        cover(CV_FORK);
        const c = d[NPROC]!++;
        const rc = pr[c]!;
        d[rc.alive] = 1;
        d[rc.chain] = d[r.chain]! | (1 << c);
        d[rc.pmd] = pmd;
        if (pmd === PMD_HUGE) {
          d[r.pmdw] = 0;
          d[CMAP]!++;
          d[REF]!++;
        } else if (pmd === PMD_TABLE) {
          for (let i = 0; i < N; i++) {
            const e = d[r.pte + i]!;
            d[rc.pte + i] = e;
            if (e === E_THP) {
              d[SUB + i]!++;
              d[REF]!++;
            } else if (e >= E_SMALL) d[SMAP + e - E_SMALL]!++;
          }
          d[r.ptew] = 0;
        }
        return true;
      }
      case 1:
      case 2: {
        cover(CV_HALF);
        if (pmd === PMD_HUGE) split_pmd(r);
        const from = (op - 1) * H;
        for (let i = from; i < from + H; i++) zap_pte(r, i);
        normalize(r);
        return true;
      }
      case 3:
        cover(CV_ALL);
        if (pmd === PMD_HUGE) {
          d[CMAP]!--;
          d[REF]!--;
          if (d[CMAP] === 0 && d[DMAP] === 1) {
            d[DMAP] = 0;
            for (let i = 0; i < N; i++) d[SUB + i]!--;
          }
          d[r.pmdw] = 0;
        } else for (let i = 0; i < N; i++) zap_pte(r, i);
        d[r.pmd] = PMD_NONE;
        return true;
      case 4:
        cover(CV_SPLIT);
        split_pmd(r);
        return true;
      case 5:
        if (ERA === 1 ? d[REF] === 1 : thp_mapcount() === 1) {
          cover(CV_PMD_REUSE);
          d[r.pmdw] = 1;
          d[AV] = p;
        } else {
          cover(CV_PMD_SPLIT);
          split_pmd(r);
        }
        return true;
      default: {
        const i = op - 6;
        const e = d[r.pte + i]!;
        if (e === E_THP) {
          if (ERA !== 1 && thp_mapcount() === 1) {
            cover(CV_PTE_REUSE);
            for (let q = 0; q < P; q++) {
              const rq = pr[q]!;
              if (q !== p && d[rq.alive] === 1 && d[rq.pmd] !== PMD_NONE && !(d[rq.pmd] === PMD_TABLE && d[rq.pte + i] !== E_THP)) ctx.fail(COW_ISOLATION);
            }
            d[r.ptew]! |= 1 << i;
            if (ERA === 2 || (ERA === 3 && total_mapcount() === 1)) d[AV] = p;
          } else {
            cover(CV_PTE_COPY);
            const k = alloc_small();
            if (k < 0) return false;
            d[SMAP + k] = 1;
            d[SUB + i]!--;
            d[REF]!--;
            d[r.pte + i] = E_SMALL + k;
            d[r.ptew]! |= 1 << i;
          }
          return true;
        }
        const k = e - E_SMALL;
        if (d[SMAP + k] === 1) {
          cover(CV_SMALL_REUSE);
          d[r.ptew]! |= 1 << i;
          return true;
        }
        cover(CV_SMALL_COPY);
        d[SMAP + k]!--;
        const c = alloc_small();
        if (c < 0) return false;
        d[SMAP + c] = 1;
        d[r.pte + i] = E_SMALL + c;
        d[r.ptew]! |= 1 << i;
        return true;
      }
    }
  };

  const init = new Uint8Array(L.bytes);
  init[NPROC] = 1;
  init[pr[0]!.alive] = 1;
  init[pr[0]!.pmd] = PMD_HUGE;
  init[pr[0]!.pmdw] = 1;
  init[pr[0]!.chain] = 1;
  init[REF] = 1;
  init[CMAP] = 1;

  return {
    id: 'thp-core-pml',
    layout: L,
    stateBytes: L.bytes,
    actionCount: P * OPS,
    properties,
    coverPoints: COVERS,
    summary: { era: eraName, ERA, procs: P, subpages: N, source: '../shared/bench/thp_core.pml' },
    initStates: () => [init.slice()],
    apply(src: Uint8Array, a: number, dst: Uint8Array, c: StepContext): boolean {
      const p = (a / OPS) | 0;
      const op = a - p * OPS;
      const r = pr[p]!;
      if (!enabled(src, r, op)) return false;
      dst.set(src);
      if (d !== dst) d = dst; // the same buffer and context on nearly every call: skip the pointer stores
      if (ctx !== c) ctx = c;
      return step(p, r, op);
    },
    describe(a: number) {
      const p = (a / OPS) | 0;
      const op = a % OPS;
      if (op >= 6) return { name: 'wp_pte', args: { mm: p, addr: op - 6 }, kernel: `thp_core.pml WP_PTE(${p}, ${op - 6})` };
      const args: Record<string, number | string> = { mm: p };
      if (op >= 1 && op <= 3) args.range = op === 3 ? `[0..${N - 1}]` : `[${(op - 1) * H}..${op * H - 1}]`;
      return { name: OP_NAMES[op]!, args, kernel: `thp_core.pml ${MACROS[op]!.replace('p', String(p))}` };
    },
    decode: (s) => decodeLayout(L, s),
  };
}
