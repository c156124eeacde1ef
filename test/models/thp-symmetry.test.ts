/**
 * --symmetry smalls / procs (models/thp/symmetry.ts): every property has the
 * same value on a state and on its representative; the reduced search visits
 * exactly the representatives of the states the unreduced search visits, with
 * the same verdicts and counterexample lengths, and its counterexamples replay.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import type { Model, StepContext } from '../../src/model.js';
import { isStateProperty } from '../../src/property.js';
import { search } from '../../src/checker/search.js';
import { buildTrace, traceReproduces } from '../../src/checker/trace.js';

/** Plain BFS over raw vectors (no engine code): every reachable state, kernel-assertion successors dropped. */
function reachable(m: Model): Uint8Array[] {
  let bug = false;
  const ctx: StepContext = { cover() {}, fail: (p) => void (m.properties[p]!.kind === 'kernel-assertion' && (bug = true)) };
  const key = (s: Uint8Array) => Buffer.from(s).toString('latin1');
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const s0 of m.initStates()) if (!seen.has(key(s0))) (seen.add(key(s0)), out.push(Uint8Array.from(s0)));
  for (let h = 0; h < out.length; h++)
    for (let a = 0; a < m.actionCount; a++) {
      const d = new Uint8Array(m.stateBytes);
      bug = false;
      if (!m.apply(out[h]!, a, d, ctx) || bug) continue;
      const k = key(d);
      if (!seen.has(k)) (seen.add(k), out.push(d));
    }
  return out;
}

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
