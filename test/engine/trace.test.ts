/**
 * Traces rebuilt by replay: the mutex-broken counterexample step by step,
 * per-step diffs, and traceReproduces() on genuine and tampered traces.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Map as IMap } from 'immutable';
import { createModel } from '../../models/registry.js';
import { search } from '../../src/checker/search.js';
import { buildTrace, diff, formatAction, replay, ReplayError, traceReproduces, type Trace } from '../../src/checker/trace.js';
import { fpHex, stableFingerprint } from '../../src/state/fingerprint.js';
import { createToy } from '../helpers/toy.js';

const m = createModel('mutex-broken', { procs: 2 });
// action ids: 3 per process, in the order check, set, release
const CHECK0 = 0;
const SET0 = 1;
const RELEASE0 = 2;
const CHECK1 = 3;
const SET1 = 4;
const PATH = { init: 0, actions: [CHECK0, CHECK1, SET0, SET1] };

const clone = (t: Trace): Trace => JSON.parse(JSON.stringify(t));

describe('buildTrace on the mutex-broken violation', () => {
  const t = buildTrace(m, { procs: 2 }, 'mutual-exclusion', PATH);

  it('is the path the search finds', async () => {
    const r = await search(m);
    expect(r.findings[0]).toEqual(PATH);
  });

  it('names the model, property and initial state', () => {
    expect(t.model).toBe('mutex-broken');
    expect(t.config).toEqual({ procs: 2 });
    expect(t.property).toBe('mutual-exclusion');
    expect(t.kind).toBe('always');
    expect(t.init).toBe(0);
    expect(t.initial).toEqual({ lock: 0, 'pc[0]': 'idle', 'pc[1]': 'idle' });
    expect(t.initFp).toBe(fpHex(stableFingerprint(new Uint8Array(4))));
    expect(t.initFp).toBe('f9d5c1a2b0ddb010');
    expect(t.actionIds).toEqual([0, 3, 1, 4]);
  });

  it('lists each step with its action, arguments and kernel path', () => {
    expect(t.steps.map((s) => [s.action, s.args, s.kernel])).toEqual([
      ['check', { proc: 0 }, 'fixture'],
      ['check', { proc: 1 }, 'fixture'],
      ['set', { proc: 0 }, 'fixture'],
      ['set', { proc: 1 }, 'fixture'],
    ]);
    expect(t.steps.every((s) => s.fired.length === 0)).toBe(true);
  });

  it('records what each step changed', () => {
    expect(t.steps.map((s) => s.changes)).toEqual([
      [{ field: 'pc[0]', from: 'idle', to: 'checked' }],
      [{ field: 'pc[1]', from: 'idle', to: 'checked' }],
      [
        { field: 'lock', from: 0, to: 1 },
        { field: 'pc[0]', from: 'checked', to: 'critical' },
      ],
      // the lock is already held: only the program counter moves
      [{ field: 'pc[1]', from: 'checked', to: 'critical' }],
    ]);
    expect(t.final).toEqual({ lock: 1, 'pc[0]': 'critical', 'pc[1]': 'critical' });
  });

  it('records the fingerprint of every state it passes through', () => {
    const states = replay(m, PATH).states;
    expect(states).toHaveLength(5);
    expect(t.steps.map((s) => s.fp)).toEqual(states.slice(1).map((s) => fpHex(stableFingerprint(s))));
    expect(new Set([t.initFp, ...t.steps.map((s) => s.fp)]).size).toBe(5);
    expect(Array.from(states[4]!)).toEqual([1, 2, 2, 0]);
  });

  it('reproduces, also after a JSON round trip', () => {
    expect(traceReproduces(m, t)).toEqual({ ok: true, why: '' });
    expect(traceReproduces(m, clone(t))).toEqual({ ok: true, why: '' });
  });
});

describe('tampered traces do not reproduce', () => {
  const t = buildTrace(m, { procs: 2 }, 'mutual-exclusion', PATH);

  it('a changed step fingerprint', () => {
    const bad = clone(t);
    bad.steps[1]!.fp = '0000000000000001';
    expect(traceReproduces(m, bad)).toEqual({ ok: false, why: 'step 2 (check) reaches a different state than recorded' });
  });

  it('a changed initial fingerprint', () => {
    const bad = clone(t);
    bad.initFp = '0123456789abcdef';
    expect(traceReproduces(m, bad)).toEqual({ ok: false, why: 'the initial state differs from the recorded one' });
  });

  it('a dropped last action', () => {
    const bad = clone(t);
    bad.actionIds.pop();
    const v = traceReproduces(m, bad);
    expect(v.ok).toBe(false);
    expect(v.why).toBe('the trace records 4 steps but 3 action ids');
  });

  it('a dropped last step, consistently from both lists', () => {
    const bad = clone(t);
    bad.actionIds.pop();
    bad.steps.pop();
    expect(traceReproduces(m, bad)).toEqual({ ok: false, why: 'the final state no longer violates mutual-exclusion' });
  });

  it('a swapped action that still runs but reaches other states', () => {
    const bad = clone(t);
    bad.actionIds = [CHECK1, CHECK0, SET0, SET1];
    expect(traceReproduces(m, bad)).toEqual({ ok: false, why: 'step 1 (check) reaches a different state than recorded' });
  });

  it('a property the model does not have', () => {
    const bad = clone(t);
    bad.property = 'nope';
    expect(traceReproduces(m, bad)).toEqual({ ok: false, why: 'property nope does not exist in model mutex-broken' });
  });

  it('replayed against a model where the step is not enabled', () => {
    const bad = clone(t);
    bad.actionIds = [CHECK0, CHECK1, SET0, RELEASE0 + 3]; // release(1): proc 1 is only checked
    expect(() => traceReproduces(m, bad)).toThrow(ReplayError);
  });
});

describe('replay', () => {
  it('throws ReplayError naming a disabled step', () => {
    expect(() => replay(m, { init: 0, actions: [CHECK0, SET1] })).toThrow(ReplayError);
    expect(() => replay(m, { init: 0, actions: [CHECK0, SET1] })).toThrow(
      'step 2 (set(proc=1)) is not enabled: the trace no longer reproduces',
    );
    // in the correct mutex check(0) takes the lock, so check(1) cannot follow
    const ok = createModel('mutex', { procs: 2 });
    expect(() => replay(ok, PATH)).toThrow('step 2 (check(proc=1)) is not enabled');
  });

  it('throws ReplayError for an action outside the alphabet or a missing initial state', () => {
    expect(() => replay(m, { init: 0, actions: [6] })).toThrow('step 1: action id 6 is not in this model\'s alphabet');
    expect(() => replay(m, { init: 0, actions: [-1] })).toThrow(ReplayError);
    expect(() => replay(m, { init: 1, actions: [] })).toThrow('trace starts from initial state 1, but the model has 1');
  });

  it('returns every state along the path without mutating them', () => {
    const { states, fired } = replay(m, { init: 0, actions: [CHECK0, SET0, RELEASE0] });
    expect(states.map((s) => Array.from(s))).toEqual([
      [0, 0, 0, 0],
      [0, 1, 0, 0],
      [1, 2, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(fired.map((f) => f.size)).toEqual([0, 0, 0]);
  });
});

describe('traces of action properties and kernel assertions (toy model)', () => {
  const toy = createToy();

  it('marks the step that fired, and reproduces', async () => {
    const r = await search(toy);
    for (const [i, name, action] of [
      [1, 'no-dbl-from-2', 'dbl'],
      [2, 'no-bug', 'poke'],
      [4, 'no-inc-at-3', 'inc'],
    ] as const) {
      const t = buildTrace(toy, {}, name, r.findings[i]!);
      expect(t.steps.at(-1)!.action).toBe(action);
      expect(t.steps.at(-1)!.fired).toEqual([name]);
      expect(t.steps.slice(0, -1).every((s) => s.fired.length === 0)).toBe(true);
      expect(traceReproduces(toy, t)).toEqual({ ok: true, why: '' });
    }
    const poke = buildTrace(toy, {}, 'no-bug', r.findings[2]!);
    expect(poke.steps.at(-1)!.changes).toEqual([{ field: 'x', from: 3, to: 7 }]);
  });

  it('an action trace whose last step no longer fires does not reproduce', async () => {
    const r = await search(toy);
    const t = buildTrace(toy, {}, 'no-inc-at-3', r.findings[4]!);
    const bad = clone(t);
    bad.property = 'no-bug';
    expect(traceReproduces(toy, bad)).toEqual({ ok: false, why: 'the last step no longer fires no-bug' });
  });

  it('a cover witness reproduces as reaching the cover', async () => {
    const r = await search(toy);
    const t = buildTrace(toy, {}, 'reached-3', r.findings[3]!);
    expect(t.kind).toBe('sometimes');
    expect(traceReproduces(toy, t)).toEqual({ ok: true, why: '' });
    const bad = clone(t);
    bad.actionIds.pop();
    bad.steps.pop();
    expect(traceReproduces(toy, bad)).toEqual({ ok: false, why: 'the final state no longer reaches reached-3' });
  });
});

describe('diff and formatAction', () => {
  it('diff lists changed, added and removed fields; equal maps give nothing', () => {
    const a = IMap<string, number | string>({ x: 1, y: 'a' });
    expect(diff(a, IMap<string, number | string>({ x: 1, y: 'a' }))).toEqual([]);
    expect(diff(a, IMap<string, number | string>({ x: 2, y: 'a', z: 0 }))).toEqual([
      { field: 'x', from: 1, to: 2 },
      { field: 'z', from: '-', to: 0 },
    ]);
  });

  it('formatAction renders name(arg=value, ...)', () => {
    expect(formatAction(m.describe(SET1))).toBe('set(proc=1)');
    expect(formatAction({ name: 'fork', args: { mm: 0, addr: 2 }, kernel: '' })).toBe('fork(mm=0, addr=2)');
  });
});

describe('immutable and piscina are loaded only when needed', () => {
  // a fresh process on the built files: a search, as the pool's worker threads and the CLI run it, loads
  // neither (their imports cost every thread 36-38 ms and every process 15 ms); decoding a state for a
  // trace loads immutable (and a pool, when one starts, piscina)
  it('a 1-worker thp search leaves both unloaded; a decoded state loads immutable', () => {
    const script = `
      import { createRequire } from 'node:module';
      const dist = ${JSON.stringify(new URL('../../dist/', import.meta.url).href)};
      const loaded = (pkg) => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/' + pkg + '/'));
      await import(dist + 'workers/phased.js');
      const { createModel } = await import(dist + 'models/registry.js');
      const { search } = await import(dist + 'src/checker/search.js');
      const model = createModel('thp', { profile: 'thp-core', era: 'v4.6', procs: 2, subpages: 2 });
      const r = await search(model);
      const before = loaded('immutable');
      const pool = loaded('piscina');
      const d = model.decode(model.initStates()[0]);
      console.log(JSON.stringify({ distinct: r.distinct, before, after: loaded('immutable'), fields: d.size > 0, pool }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toEqual({ distinct: 454, before: false, after: true, fields: true, pool: false });
  });
});
