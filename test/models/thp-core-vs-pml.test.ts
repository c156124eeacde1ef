/**
 * The thp model's thp-core profile against the port of SPIN's model, state by
 * state: every state the kernel model reaches, read as thp_core.pml's
 * variables (page tables, write bits, chains, the THP's counters, the small
 * pages' mapcounts; the kernel model's VMA, rss and deposit have no Promela
 * counterpart), is a state the port reaches, no two of them read alike, and
 * the port reaches no other. Equal counts alone (thp-spin-alignment.test.ts)
 * would let two errors cancel out.
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { MM_ALIVE, MM_UNUSED, PMD_HUGE, PMD_NONE, PMD_TABLE, PTE_NONE } from '../../models/thp/layout.js';
import type { Model } from '../../src/model.js';
import { reachable } from '../helpers/thp.js';

/** A field's offset by name. */
function at(m: Model, name: string): number {
  const f = m.layout.table.find((x) => x.name === name);
  if (!f) throw new Error(`${m.id} has no field ${name}`);
  return f.offset;
}

/** A thp-core state as the port's vector (the Promela's variables), keyed as a string. */
function projector(thp: Model, pml: Model, procs: number, subpages: number): (s: Uint8Array) => string {
  const N = subpages;
  const T = 1; // thp-core: one THP, F0; PTE values 1..T name its subpages, T+1.. the small pages
  const smalls = thp.layout.table.filter((f) => /^S\d+\._mapcount$/.test(f.name)).length;
  const get = (name: string) => at(thp, name);
  const put = (name: string) => at(pml, name);
  const mm = [...Array(procs).keys()].map((p) => ({
    state: get(`mm${p}.state`), pmd: get(`mm${p}.pmd`), pmdw: get(`mm${p}.pmd.write`), chain: get(`mm${p}.anon_vma_chain`),
    pte: get(`mm${p}.pte[0]`), ptew: get(`mm${p}.pte.write`),
    to: { alive: put(`pr[${p}].alive`), pmd: put(`pr[${p}].pmd`), pmdw: put(`pr[${p}].pmdw`), chain: put(`pr[${p}].chain`), pte: put(`pr[${p}].pte[0]`), ptew: put(`pr[${p}].ptew`) },
  }));
  const PML_PMD = { [PMD_NONE]: 0, [PMD_HUGE]: 1, [PMD_TABLE]: 2 } as Record<number, number>;
  // the THP's counters are stored +1 in both (raw fields; Promela's counts of mappings), mapping as node + 1
  const ref = get('F0._refcount'), cmap = get('F0.compound_mapcount'), sub = get('F0._mapcount[0]'), dmap = get('F0.PageDoubleMap'), mapping = get('F0.mapping');
  const small = [...Array(smalls).keys()].map((k) => get(`S${k}._mapcount`));
  const to = { nproc: put('nproc'), ref: put('ref'), cmap: put('cmap'), submap: put('submap[0]'), dmap: put('dmap'), av: put('av'), smap: put('smap[0]') };
  const out = new Uint8Array(pml.stateBytes);
  return (s) => {
    out.fill(0);
    let nproc = 0;
    for (const r of mm) {
      if (s[r.state] === MM_UNUSED) continue;
      nproc++;
      out[r.to.alive] = s[r.state] === MM_ALIVE ? 1 : 0;
      out[r.to.pmd] = PML_PMD[s[r.pmd]!]!;
      out[r.to.pmdw] = s[r.pmdw]!;
      out[r.to.chain] = s[r.chain]!;
      out[r.to.ptew] = s[r.ptew]!;
      for (let i = 0; i < N; i++) {
        const v = s[r.pte + i]!;
        out[r.to.pte + i] = v === PTE_NONE ? 0 : v <= T ? 1 : 2 + (v - 1 - T);
      }
    }
    out[to.nproc] = nproc;
    out[to.ref] = s[ref]!;
    out[to.cmap] = s[cmap]!;
    for (let i = 0; i < N; i++) out[to.submap + i] = s[sub + i]!;
    out[to.dmap] = s[dmap]!;
    out[to.av] = s[mapping]! - 1;
    for (let k = 0; k < small.length; k++) out[to.smap + k] = s[small[k]!]!;
    return Buffer.from(out).toString('latin1');
  };
}

describe.each([
  ['v4.5', 2, 2],
  ['andrea-v1', 2, 2],
  ['v4.6', 2, 2],
  ['v4.6', 3, 2],
] as const)('thp-core %s P=%i N=%i against the thp_core.pml port', (era, procs, subpages) => {
  it('reaches the same states, one for one, read as the Promela variables', () => {
    const thp = createModel('thp', { profile: 'thp-core', era, procs, subpages });
    const pml = createModel('thp-core-pml', { era, procs, subpages });
    const project = projector(thp, pml, procs, subpages);
    const thpStates = reachable(thp).map(project);
    const pmlStates = new Set(reachable(pml).map((s) => Buffer.from(s).toString('latin1')));
    const projected = new Set(thpStates);
    expect(projected.size).toBe(thpStates.length); // no two kernel-model states read alike
    expect([...projected].filter((k) => !pmlStates.has(k))).toEqual([]);
    expect(projected.size).toBe(pmlStates.size);
  });
});
