/**
 * The THP model against the engine's independent checks:
 *  - the naive BFS oracle (test/helpers/oracle.ts: states keyed by their
 *    decoded view, apply() into fresh buffers, input never mutated) counts the
 *    same distinct states and transitions as the engine, whose visited set
 *    works on the packed bytes; with 1 and 2 workers;
 *  - over every reachable state of small configurations: apply() leaves its
 *    source untouched, decode() is injective and shows only live records
 *    (alive or exited mms, folios and small pages with a reference, used GUP
 *    slots), and a record that is not live is all-zero bytes, so dead slots
 *    never tell two states apart.
 * Needs `npx tsc -p .` first (the workers load dist/).
 */
import { describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { search } from '../../src/checker/search.js';
import type { Model, StepContext } from '../../src/model.js';
import { isStateProperty } from '../../src/property.js';
import { keyOf, oracle } from '../helpers/oracle.js';

const CONFIGS: [string, Record<string, unknown>, number, number][] = [
  // name, config, pinned distinct, pinned transitions
  ['v4.6 procs 2 subpages 2, default ops', { era: 'v4.6', procs: 2, subpages: 2 }, 727, 3867],
  ['v4.6 gup,put,fork,write subpages 2', { era: 'v4.6', ops: ['gup', 'put', 'fork', 'write'], subpages: 2 }, 820, 3548],
  ['v6.2 gup,put,fork,write subpages 2', { era: 'v6.2', ops: ['gup', 'put', 'fork', 'write'], subpages: 2 }, 14743, 56636],
];

describe('engine = naive oracle = 2 workers', () => {
  for (const [name, config, distinct, transitions] of CONFIGS) {
    it(`${name}: ${distinct} states, ${transitions} transitions`, async () => {
      const m = createModel('thp', config);
      const o = oracle(m);
      const one = await search(m);
      const two = await search(m, { workers: 2, spec: { modelId: 'thp', config } });
      expect(one.exhaustive).toBe(true);
      // the oracle ignores kernel assertions: none may fire here
      expect(one.findings[m.properties.findIndex((p) => p.kind === 'kernel-assertion')]).toBeNull();
      expect([o.distinct, o.transitions]).toEqual([distinct, transitions]);
      expect([one.distinct, one.transitions]).toEqual([distinct, transitions]);
      // BFS depth is the distance of the farthest state
      expect(one.depth).toBe(o.maxDistance);
      // per cover point, how often it fired while expanding each state once
      expect(one.coverage).toEqual(o.coverage);
      // the nearest state where each state property fires is at the depth of the engine's finding
      for (const [i, p] of m.properties.entries()) {
        if (!isStateProperty(p)) continue;
        const d = o.nearest[p.name];
        const f = one.findings[i];
        expect(f === null ? null : f.actions.length, p.name).toBe(d);
      }
      expect(two.workers).toBe(2);
      expect({ distinct: two.distinct, transitions: two.transitions, depth: two.depth, findings: two.findings, coverage: two.coverage }).toEqual({
        distinct: one.distinct,
        transitions: one.transitions,
        depth: one.depth,
        findings: one.findings,
        coverage: one.coverage,
      });
    });
  }
});

/** Every reachable state (exact, keyed by bytes), checking apply() on each. */
function reachable(m: Model): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const ctx: StepContext = { cover() {}, fail() {} };
  const key = (s: Uint8Array) => Buffer.from(s).toString('hex');
  const push = (s: Uint8Array) => {
    const k = key(s);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(s);
  };
  for (const s0 of m.initStates()) push(Uint8Array.from(s0));
  for (let head = 0; head < out.length; head++) {
    const s = out[head]!;
    const before = key(s);
    for (let a = 0; a < m.actionCount; a++) {
      const dst = new Uint8Array(m.stateBytes).fill(0xa5); // garbage: apply must not depend on dst
      if (m.apply(s, a, dst, ctx)) push(dst);
      if (key(s) !== before) throw new Error(`apply(${m.describe(a).name}) mutated its source state`);
    }
  }
  return out;
}

/** The record a field belongs to, by the prefix of its name (mm0., F1., S3., gup0.). */
const recordOf = (field: string) => field.slice(0, field.indexOf('.'));

/** The layout fields of each record. */
function recordFields(m: Model): Map<string, { name: string; offset: number }[]> {
  const out = new Map<string, { name: string; offset: number }[]>();
  for (const f of m.layout.table) {
    const rec = recordOf(f.name);
    if (!out.has(rec)) out.set(rec, []);
    out.get(rec)!.push(f);
  }
  return out;
}

/** Liveness of each record, read from the raw bytes through the layout (not through decode). */
function liveRecords(m: Model, s: Uint8Array): Map<string, boolean> {
  const live = new Map<string, boolean>();
  for (const f of m.layout.table) {
    const rec = recordOf(f.name);
    if (live.has(rec)) continue;
    const by = (suffix: string) => {
      const g = m.layout.table.find((x) => x.name === `${rec}.${suffix}`);
      if (!g) throw new Error(`record ${rec} has no ${suffix}`);
      return s[g.offset]!;
    };
    if (rec.startsWith('mm')) live.set(rec, by('state') !== 0);
    else if (rec.startsWith('gup')) live.set(rec, (by('flags') & 1) !== 0);
    else live.set(rec, by('_refcount') > 0);
  }
  return live;
}

const SMALL: [string, Record<string, unknown>][] = [
  ['v5.19 write,fork,madvise,split_huge_page,exit', { era: 'v5.19', ops: ['write', 'fork', 'madvise_dontneed', 'split_huge_page', 'exit'], subpages: 2, bounds: { refs: '1', thps: '1', smalls: '2' } }],
  ['v5.19 write,fork,gup,put,split_huge_page,exit', { era: 'v5.19', ops: ['write', 'fork', 'split_huge_page', 'get_user_pages', 'put', 'exit'], subpages: 2, bounds: { refs: '1', thps: '1', smalls: '2' } }],
  ['v5.19 read,write,mprotect,madvise,split_huge_page,exit (tokens)', { era: 'v5.19', ops: ['read', 'write', 'mprotect', 'madvise_dontneed', 'split_huge_page', 'exit'], subpages: 2, bounds: { thps: '1', smalls: '2' } }],
  ['v5.9 write,fork,pin,put,split_huge_page', { era: 'v5.9', ops: ['write', 'fork', 'pin_user_pages', 'put', 'split_huge_page'], subpages: 2, bounds: { refs: '1', thps: '1', smalls: '2' } }],
  ['v6.2 default ops, subpages 2', { era: 'v6.2', subpages: 2 }],
  ['v4.5 read,write,fork,read_ref,gup,put (tokens, refs)', { era: 'v4.5', ops: ['read', 'write', 'fork', 'get_user_pages', 'put', 'read_ref'], subpages: 2, bounds: { refs: '1', thps: '1', smalls: '2' } }],
];

describe('every reachable state of small configurations', () => {
  for (const [name, config] of SMALL) {
    it(`${name}: apply() keeps its source, decode() is injective and shows only live records`, async () => {
      const m = createModel('thp', config);
      const states = reachable(m);
      // the engine agrees on the count (it also works on bytes)
      const r = await search(m);
      expect(r.distinct).toBe(states.length);
      const records = recordFields(m);
      const views = new Set<string>();
      const problems: string[] = [];
      let dead = 0;
      for (const s of states) {
        const live = liveRecords(m, s);
        const d = m.decode(s);
        for (const field of d.keys()) if (live.get(recordOf(field)) !== true) problems.push(`${field} decoded, but ${recordOf(field)} is not live`);
        for (const [rec, isLive] of live) {
          if (isLive) {
            // a live record shows at least its identifying field
            const id = `${rec}.${rec.startsWith('mm') ? 'state' : rec.startsWith('gup') ? 'flags' : '_refcount'}`;
            if (!d.has(id)) problems.push(`live ${rec} without ${id}`);
            continue;
          }
          dead++;
          for (const f of records.get(rec)!) if (s[f.offset] !== 0) problems.push(`${f.name} = ${s[f.offset]} in dead ${rec}`);
        }
        if (problems.length > 0) throw new Error(`in ${keyOf(m, s)}:\n${problems.slice(0, 10).join('\n')}`);
        views.add(keyOf(m, s));
      }
      expect(views.size).toBe(states.length);
      expect(dead).toBeGreaterThan(0); // the check above is not vacuous
    });
  }

  it('the thp-core profile keeps a freed THP\'s mapping (as thp_core.pml does), and nothing else of it', () => {
    const m = createModel('thp', { profile: 'thp-core', era: 'v4.6', procs: 2, subpages: 2 });
    const states = reachable(m);
    expect(states.length).toBe(454);
    let freed = 0;
    for (const s of states) {
      const live = liveRecords(m, s);
      for (const field of m.decode(s).keys()) expect(live.get(recordOf(field))).toBe(true);
      if (live.get('F0')) continue;
      freed++;
      for (const f of m.layout.table) if (f.name.startsWith('F0.') && f.name !== 'F0.mapping') expect(s[f.offset], f.name).toBe(0);
    }
    expect(freed).toBeGreaterThan(0);
  });
});
