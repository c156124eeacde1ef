/**
 * Checkpoint and resume of a bfs run, in process: a run stopped at a level
 * boundary, or in the middle of a level, and resumed from its checkpoint
 * file gives exactly the counts, depth, verdicts, first-finding paths and
 * coverage of an uninterrupted run, for 1 and 2 workers (2 needs
 * `npx tsc -p .` first: the workers load dist/).
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel } from '../../models/registry.js';
import { readCheckpoint, writeCheckpoint, type BfsSnapshot, type CheckpointHooks } from '../../src/checker/checkpoint.js';
import { search, type SearchOptions } from '../../src/checker/search.js';
import { UsageError, type Model } from '../../src/model.js';
import { essence } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


/** Hooks that write every level (or never) to a file and stop when `stopAt` says so. */
function hooks(file: string, key: unknown, o: { everyLevel: boolean; stopAfterCalls?: number; resume?: BfsSnapshot }) {
  let calls = 0;
  let writes = 0;
  const h: CheckpointHooks & { writes: () => number } = {
    resume: o.resume,
    due: () => o.everyLevel,
    interrupted: () => o.stopAfterCalls !== undefined && ++calls > o.stopAfterCalls,
    tick: () => undefined,
    write: (s) => {
      writes++;
      writeCheckpoint(file, key, s);
    },
    writes: () => writes,
  };
  return h;
}

async function stopAndResume(id: string, config: Record<string, unknown>, extra: SearchOptions, stop: { everyLevel: boolean; stopAfterCalls: number }, resumeWorkers: number) {
  const m = createModel(id, config);
  const base: SearchOptions = { spec: { modelId: id, config }, ...extra };
  const file = join(dir, `${id}-${Math.random().toString(36).slice(2)}.ckpt`);
  const key = { id, config, extra: { ...extra, workers: undefined } };
  const h1 = hooks(file, key, stop);
  const first = await search(m, { ...base, checkpoint: h1 });
  expect(first.cut).toBe('interrupted (checkpoint written)');
  expect(first.exhaustive).toBe(false);
  expect(h1.writes()).toBeGreaterThan(0);
  const snap = readCheckpoint(file, key);
  const h2 = hooks(file, key, { everyLevel: false, resume: snap });
  const resumed = await search(m, { ...base, workers: resumeWorkers, checkpoint: h2 });
  return { m, first, snap, resumed };
}

describe('bfs checkpoint and resume', () => {
  const cfg = { procs: 5, max: 7 };
  let want: ReturnType<typeof essence>;
  let model: Model;

  it('an uninterrupted run (the reference)', async () => {
    model = createModel('counters', cfg);
    const r = await search(model, {});
    want = essence(model, r);
    expect(r.distinct).toBe(32768);
    expect(want.labels[0]).toHaveLength(35);
  });

  for (const workers of [1, 2]) {
    it(`${workers} worker(s): stopped at a level boundary, resumed: the same results`, async () => {
      // interrupted() is asked once per level start and once per merged slice: with one slice a level, call 21 is level 10's start
      const { m, snap, resumed } = await stopAndResume('counters', cfg, { workers, sliceStates: 1 << 16, phasedFrom: 0 }, { everyLevel: true, stopAfterCalls: 20 }, workers);
      expect(snap.depth).toBeGreaterThan(3);
      expect(snap.depth).toBeLessThan(30);
      expect(essence(m, resumed)).toEqual(want);
    });

    it(`${workers} worker(s): stopped in the middle of a level (nothing written before), resumed: the same results`, async () => {
      const { m, snap, resumed } = await stopAndResume('counters', cfg, { workers, sliceStates: 100, phasedFrom: 0 }, { everyLevel: false, stopAfterCalls: workers === 1 ? 120 : 30 }, 3 - workers);
      // (1 worker: a check per slice; 2: per chunk of 4 slices a thread, and at each level's start)
      // the checkpoint is of the abandoned level's start: its store ends where the level's frontier ends
      expect(snap.store.parents.length).toBe(snap.base + snap.count);
      expect(snap.visited.kind === 'fingerprints' && snap.visited.pairs.length / 2).toBe(snap.base + snap.count);
      expect(essence(m, resumed)).toEqual(want);
    });
  }

  it('full-state visited set, a state bound and a violation with its trace: the same results', async () => {
    const config = { procs: 3 };
    const extra: SearchOptions = { fullState: true, sliceStates: 2 };
    const m = createModel('mutex-broken', config);
    const ref = await search(m, extra);
    const { resumed } = await stopAndResume('mutex-broken', config, extra, { everyLevel: false, stopAfterCalls: 9 }, 1);
    expect(essence(m, resumed)).toEqual(essence(m, ref));
    expect(ref.findings[0]).not.toBeNull();
    const bounded = { maxStates: 20000, sliceStates: 500 };
    const refB = await search(model, bounded);
    const { resumed: rb } = await stopAndResume('counters', cfg, bounded, { everyLevel: true, stopAfterCalls: 40 }, 1);
    expect(essence(model, rb)).toEqual(essence(model, refB));
    expect(rb.cut).toBe('state bound reached (--max-states 20000)');
  });

  it('the thp model (andrea-v1, rmap-integrity violated, many coverage points), stopped mid-level, resumed with 1 and 2 workers', async () => {
    const config = { era: 'andrea-v1', procs: 2, subpages: 2 };
    const m = createModel('thp', config);
    const ref = essence(m, await search(m, { sliceStates: 20 }));
    expect(ref.distinct).toBe(802);
    expect(ref.findings[m.properties.findIndex((p) => p.name === 'rmap-integrity')]).not.toBeNull();
    for (const workers of [1, 2]) {
      const { resumed } = await stopAndResume('thp', config, { workers, sliceStates: 20, phasedFrom: 0 }, { everyLevel: false, stopAfterCalls: 15 }, workers);
      expect(essence(m, resumed), `${workers} workers`).toEqual(ref);
    }
  });

  it('refuses a checkpoint written for another configuration, a truncated one, and another file', async () => {
    const file = join(dir, 'other.ckpt');
    const h = hooks(file, { a: 1 }, { everyLevel: true, stopAfterCalls: 3 });
    await search(model, { checkpoint: h });
    expect(() => readCheckpoint(file, { a: 2 })).toThrow(new UsageError(`checkpoint ${file} was written for a different configuration`));
    expect(readCheckpoint(file, { a: 1 }).depth).toBeGreaterThan(0);
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    expect(() => readCheckpoint(file, { a: 1 })).toThrow(/is not usable: expected \d+ bytes of data, found \d+/);
    writeFileSync(file, 'hello\n');
    expect(() => readCheckpoint(file, { a: 1 })).toThrow(/is not usable: not an mmcheck checkpoint/);
  });
});
