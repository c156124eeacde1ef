/**
 * --symmetry smalls / procs (models/thp/symmetry.ts): every property has the
 * same value on a state and on its representative; the reduced search visits
 * exactly the representatives of the states the unreduced search visits, with
 * the same verdicts and counterexample lengths, and its counterexamples replay.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import type { Model } from '../../src/model.js';
import { isStateProperty } from '../../src/property.js';
import { search } from '../../src/checker/search.js';
import { buildTrace, traceReproduces } from '../../src/checker/trace.js';
import { parseConfig, type ThpConfig } from '../../models/thp/config.js';
import { buildLayout, ZERO_PAGE_ID, ZERO_PTE, type Offsets } from '../../models/thp/layout.js';
import { smallsCanonicalizer } from '../../models/thp/symmetry.js';
import { reachable } from '../helpers/thp.js';

const CASES: Record<string, unknown>[] = [
  { profile: 'thp-core', era: 'v4.6', procs: 2, subpages: 2 },
  { profile: 'thp-core', era: 'v4.5', procs: 3, subpages: 2 },
  { profile: 'thp-core', era: 'andrea-v1', procs: 2, subpages: 4 },
  { era: 'v5.19', procs: 2, subpages: 2 },
  { era: 'v5.19', procs: 2, subpages: 2, ops: ['write', 'fork', 'pin_user_pages_lt_w', 'put', 'munmap'], bounds: { refs: '1' } },
  { era: 'v5.8', procs: 2, subpages: 2, ops: ['read', 'write', 'fork'] },
  { era: 'v5.8', procs: 2, subpages: 2, ops: ['write', 'fork', 'get_user_pages', 'put', 'munmap'], bounds: { refs: '1' } },
  // KVM's EPT leaves and in-flight pfn name small pages too (the zero page is no slot)
  { era: 'v4.6', procs: 1, subpages: 2, ops: ['write', 'madvise_dontneed', 'kvm'], set: { ranges: 'basic' } },
];

const RUNS = [
  ...CASES.map((cfg) => ({ cfg, symmetry: ['smalls'] })),
  ...[CASES[0]!, CASES[1]!, CASES[3]!, CASES[4]!, CASES[5]!].map((cfg) => ({ cfg, symmetry: ['smalls', 'procs'] })),
  { cfg: CASES[1]!, symmetry: ['procs'] },
  // with KVM, mm0 (the memslot's) keeps its name: only the other mms are renamed
  { cfg: { profile: 'shmem', era: 'v5.4', procs: 3, subpages: 2 }, symmetry: ['procs'] },
];

describe.each(RUNS)('--symmetry $symmetry on $cfg', ({ cfg, symmetry }) => {
  it('visits exactly the canonical images of the unreduced states, with the same verdicts', async () => {
    const plain = createModel('thp', cfg);
    const sym = createModel('thp', { ...cfg, symmetry });
    expect(sym.canonicalize).toBeDefined();
    const images = new Set<string>();
    const props = plain.properties.filter(isStateProperty);
    const values = (st: Uint8Array) => {
      plain.prepare?.(st);
      return props.map((p) => p.check(st)).join();
    };
    let changed = 0;
    for (const s of reachable(plain)) {
      const c = Uint8Array.from(s);
      sym.canonicalize!(c);
      images.add(Buffer.from(c).toString('latin1'));
      // the representative is indistinguishable from the state by every property
      if (values(c) !== values(s)) changed++;
    }
    expect(changed).toBe(0);
    const a = await search(plain, { fullState: true });
    const b = await search(sym, { fullState: true });
    expect(a.exhaustive && b.exhaustive).toBe(true);
    expect(b.distinct).toBe(images.size);
    expect(b.distinct).toBeLessThanOrEqual(a.distinct);
    const verdict = (r: typeof a, m: Model) => m.properties.map((p, i) => `${p.name}:${r.findings[i] === null ? 'no' : 'yes'}`);
    expect(verdict(b, sym)).toEqual(verdict(a, plain));
    // first findings are at the same depth (BFS over a quotient keeps distances) and replay
    sym.properties.forEach((p, i) => {
      const fa = a.findings[i];
      const fb = b.findings[i];
      if (!fa || !fb) return;
      expect(fb.actions.length).toBe(fa.actions.length);
      if (isStateProperty(p)) expect(traceReproduces(sym, buildTrace(sym, { ...cfg, symmetry }, p.name, fb)).ok).toBe(true);
    });
  });
});

/**
 * Rename the small-page slots of s by pi (old slot -> new slot): records move, and the PTEs, GUP
 * references and KVM ids that name small pages follow. Written here from the layout, apart from
 * symmetry.ts, so that a canonicaliser shortcut that skips a renaming shows as two representatives.
 */
function renameSmalls(s: Uint8Array, c: ThpConfig, o: Offsets, pi: number[]): Uint8Array {
  const T = c.thps;
  const N = c.subpages;
  const refSmall = 1 + T * N;
  const out = Uint8Array.from(s);
  for (let k = 0; k < c.smalls; k++)
    for (let x = 0; x < o.smallStride; x++) out[o.small + pi[k]! * o.smallStride + x] = s[o.small + k * o.smallStride + x]!;
  for (let p = 0; p < c.procs; p++)
    for (let i = 0; i < N; i++) {
      const at = o.mm + p * o.mmStride + o.PTE + i;
      if (s[at]! > T && s[at] !== ZERO_PTE) out[at] = 1 + T + pi[s[at]! - 1 - T]!;
    }
  const ids = [...Array.from({ length: o.R }, (_, g) => o.ref + g * o.refStride + o.R_PAGE), ...(c.kvm ? [...Array.from({ length: N }, (_, i) => o.EPT_PTE + i), o.KVM_PFN] : [])];
  for (const at of ids) if (s[at]! >= refSmall && s[at] !== ZERO_PAGE_ID) out[at] = refSmall + pi[s[at]! - refSmall]!;
  return out;
}

describe('smallsCanonicalizer', () => {
  it.each([CASES[0]!, CASES[4]!, CASES[6]!, CASES[7]!])('gives every renaming of a state its representative, and leaves that representative as it is ($era)', (cfg) => {
    const m = createModel('thp', cfg);
    const c = parseConfig(cfg);
    const { o } = buildLayout(c);
    const canon = smallsCanonicalizer(c, o)!;
    const of = (s: Uint8Array) => {
      const x = Uint8Array.from(s);
      canon(x);
      return x;
    };
    // a fixed pseudo-random sequence of permutations
    let seed = 12345;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const perm = () => {
      const pi = [...Array(c.smalls).keys()];
      for (let i = pi.length - 1; i > 0; i--) {
        const j = rnd(i + 1);
        [pi[i], pi[j]] = [pi[j]!, pi[i]!];
      }
      return pi;
    };
    let checked = 0;
    let renamed = 0;
    for (const s of reachable(m)) {
      const rep = of(s);
      expect(Buffer.from(of(rep)).equals(Buffer.from(rep))).toBe(true);
      // a used slot that nothing references is ordered by its slot number (a reduction given up, never a
      // wrong one): only states without one must have one representative for every renaming
      let unreferencedUsed = false;
      for (let k = 0; k < c.smalls; k++) {
        const used = rep[o.small + k * o.smallStride + o.S_REF] !== 0;
        if (used && !referenced(rep, c, o, k)) unreferencedUsed = true;
      }
      if (unreferencedUsed) continue;
      for (let t = 0; t < 3; t++) {
        const v = renameSmalls(s, c, o, perm());
        if (!Buffer.from(v).equals(Buffer.from(s))) renamed++;
        expect(Buffer.from(of(v)).equals(Buffer.from(rep))).toBe(true);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    expect(renamed).toBeGreaterThan(0);
  });
});

/** small slot k is named by a PTE, a GUP reference or a KVM id of s */
function referenced(s: Uint8Array, c: ThpConfig, o: Offsets, k: number): boolean {
  const T = c.thps;
  const N = c.subpages;
  for (let p = 0; p < c.procs; p++) for (let i = 0; i < N; i++) if (s[o.mm + p * o.mmStride + o.PTE + i] === 1 + T + k) return true;
  const ids = [...Array.from({ length: o.R }, (_, g) => o.ref + g * o.refStride + o.R_PAGE), ...(c.kvm ? [...Array.from({ length: N }, (_, i) => o.EPT_PTE + i), o.KVM_PFN] : [])];
  return ids.some((at) => s[at] === 1 + T * N + k);
}

describe('--symmetry on the command line', () => {
  it('an unknown reduction is one line and exit 2; a check with it prints the reduction in its config and replays its trace', async () => {
    const { mmcheck, usageErrorLine } = await import('../helpers/cli.js');
    expect(usageErrorLine(mmcheck('check', '--symmetry', 'bogus'))).toBe("mmcheck: unknown symmetry 'bogus' for the thp model (known: smalls, procs)");
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'mmcheck-sym-')), 't.json');
    const r = mmcheck('check', '--era', 'andrea-v1', '--symmetry', 'smalls', '-q', '--json', '--trace', file);
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.config.symmetry).toEqual(['smalls']);
    expect(j.violated).toEqual(['rmap-integrity']);
    const rep = mmcheck('replay', file);
    expect(rep.status).toBe(0); // it reproduces
    expect(rep.stderr).toMatch(/reproduces rmap-integrity in 5 steps/);
  });
});
