/**
 * Parallel BFS in phases, so that no thread merges for the others (the
 * single-merger design scaled to 1.1-1.2x on 2 cores: the merge, which
 * hashes every successor twice, was a quarter of the work and serial).
 *
 * A level is cut into chunks of slices. Per chunk:
 *  1. expand: pool threads expand slices of the (shared) frontier, drop
 *     successors already in the visited set while its tables fit in the cache
 *     (read-only in this phase; larger ones are left to the dedupe), and
 *     group the rest by visited-set partition; results stay in shared memory;
 *  2. dedupe: one task per partition inserts that partition's successors, in
 *     slice order, into its table (written by that task alone) and flags the
 *     ones that were new;
 *  3. compact (pool) and assemble (main thread), overlapping the next chunk's
 *     expand: each slice's new states are moved to its front with their
 *     parents and actions; the main thread, in slice order, notes findings,
 *     pushes the parents and appends the states to the next frontier.
 * A state is new at its first occurrence in (parent, action) order, exactly
 * as in the serial BFS, so state numbers, traces, counts and verdicts are the
 * same for any number of workers, slice size or chunk size.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Piscina as PiscinaPool, PiscinaTask, TaskQueue } from 'piscina';
import { Piscina } from './piscina.js';
import { META_FIXED, hasMask } from './expand.js';
import { packageRoot, type ModelSpec } from './parallel.js';
import { SharedSlice, type Deduped, type PhasedTask } from './slices.js';
import type { ParentStore } from './store.js';
import { MAX_FRONTIER_BYTES, frontierFull, grownFrontier, levelBuffer, nextLevelRoom } from './frontier.js';
import type { PartitionedFingerprintSet, SharedTable, TableSnapshot } from '../fpset/fpset.js';

/** the most bytes of slice buffers kept for reuse (PhasedPool.recycle) */
const SPARE_SLICE_BYTES = 256 << 20;

/** chunks whose expansion is queued ahead of the one being deduped (3: a thread waits 40% less for work, but the run is no faster and its peak RSS is 10-20% higher) */
const AHEAD = 2;

/** Queue option of the tasks that go before any queued expansion (Piscina.queueOptionsSymbol: not sent to the thread). */
const URGENT = { urgent: true };

/**
 * The pool's queue, in two lanes: dedupe and compact tasks before the expansions queued ahead of them.
 * A chunk's dedupe that waits behind the next chunks' expansions leaves them older tables to look
 * successors up in, and so more successors to the dedupe.
 */
class TwoLaneQueue implements TaskQueue {
  private readonly urgent: PiscinaTask[] = [];
  private readonly normal: PiscinaTask[] = [];
  private lane(t: PiscinaTask): PiscinaTask[] {
    return (t as unknown as Record<symbol, unknown>)[Piscina().queueOptionsSymbol] === URGENT ? this.urgent : this.normal;
  }
  get size(): number {
    return this.urgent.length + this.normal.length;
  }
  shift(): PiscinaTask | null {
    return this.urgent.shift() ?? this.normal.shift() ?? null;
  }
  push(t: PiscinaTask): void {
    this.lane(t).push(t);
  }
  unshift(t: PiscinaTask): void {
    this.lane(t).unshift(t);
  }
  remove(t: PiscinaTask): void {
    const l = this.lane(t);
    const i = l.indexOf(t);
    if (i >= 0) l.splice(i, 1);
  }
}

/** The task, marked for the urgent lane. */
function urgent(t: PhasedTask): PhasedTask {
  (t as unknown as Record<symbol, unknown>)[Piscina().queueOptionsSymbol] = URGENT;
  return t;
}

export class PhasedPool {
  private readonly pool: PiscinaPool;
  private readonly configJson: string;
  private readonly warming: Promise<unknown>[] = [];

  constructor(
    private readonly spec: ModelSpec,
    readonly workers: number,
    private readonly only: string[] | null,
    private readonly directBytes?: number,
  ) {
    const file = join(packageRoot(), 'dist', 'workers', 'phased.js');
    if (!existsSync(file)) throw new Error(`worker entry ${file} is missing: run \`npm run build\``);
    this.configJson = JSON.stringify(spec.config ?? {});
    // two tasks queued per thread: a thread finishing a slice starts the next while the main thread is busy assembling
    this.pool = new (Piscina())({ filename: file, minThreads: workers, maxThreads: workers, concurrentTasksPerWorker: 2, idleTimeout: 60_000, taskQueue: new TwoLaneQueue() });
    // threads load the model while the main thread runs the first, small levels (a failure shows again on a real task)
    for (let i = 0; i < workers; i++)
      this.warming.push(
        this.pool
          .run({ kind: 'warm', modelId: spec.modelId, configJson: this.configJson, only, directBytes } satisfies PhasedTask)
          .catch(() => {})
          .then(() => void this.warmed++),
      );
  }

  /** warm tasks ended, built or failed (a failure shows again on the first real task) */
  private warmed = 0;
  /** every thread has its model built: a level given to the pool now starts at once */
  get ready(): boolean {
    return this.warmed === this.workers;
  }
  /** resolves when every thread's warm task has ended (built, or failed: a failure shows again on a real task) */
  whenWarm(): Promise<void> {
    return Promise.all(this.warming).then(() => undefined);
  }

  /**
   * Buffers of assembled slices, handed back to the expand tasks: a new one faults in every page it is
   * written through, and on this project's VMs that costs about 15 us a page. A chunk's slices come back
   * only after the next two chunks were dispatched, so up to four chunks' worth (16 a thread, 256 MiB at
   * most) are kept: with 4 a thread, two thirds of the slices of v5.19 ranges=basic (2 workers) got a new
   * buffer; with 16, one in ten (minor faults of the run 228k -> 183k, system time 1.8 -> 1.4 s).
   */
  private readonly spare: SharedArrayBuffer[] = [];
  private spareBytes = 0;

  recycle(slices: readonly SharedSlice[]): void {
    for (const s of slices)
      if (this.spare.length < 16 * this.workers && this.spareBytes + s.sab.byteLength <= SPARE_SLICE_BYTES) {
        this.spare.push(s.sab);
        this.spareBytes += s.sab.byteLength;
      }
  }

  async expand(frontier: SharedArrayBuffer, from: number, count: number, known: TableSnapshot[], found: Uint32Array | null): Promise<SharedSlice> {
    const reuse = this.spare.pop() ?? null;
    if (reuse) this.spareBytes -= reuse.byteLength;
    const task: PhasedTask = { kind: 'expand', modelId: this.spec.modelId, configJson: this.configJson, only: this.only, frontier, from, count, known, found, reuse, directBytes: this.directBytes };
    return new SharedSlice((await this.pool.run(task)) as SharedArrayBuffer);
  }

  /** State-property bits of `count` states from state `from` of a shared frontier, `mw` words each, in slices over the pool. */
  async evaluate(frontier: SharedArrayBuffer, from: number, count: number, found: Uint32Array | null, mw: number): Promise<Uint32Array> {
    const slice = Math.min(4096, Math.ceil(count / (this.workers * 4)));
    const parts: Promise<Uint32Array>[] = [];
    for (let at = 0; at < count; at += slice) {
      const task: PhasedTask = { kind: 'evaluate', modelId: this.spec.modelId, configJson: this.configJson, only: this.only, frontier, from: from + at, count: Math.min(slice, count - at), found };
      parts.push(this.pool.run(task) as Promise<Uint32Array>);
    }
    const out = new Uint32Array(count * mw);
    (await Promise.all(parts)).forEach((m, k) => out.set(m, k * slice * mw));
    return out;
  }

  /** Each slice's new states into `into` (the next frontier's buffer) from byte `at[k]`, their parents and actions into the slice. */
  async compact(slices: SharedSlice[], into: SharedArrayBuffer, at: number[]): Promise<void> {
    await this.pool.run(urgent({ kind: 'compact', slices: slices.map((s) => s.sab), into, at }));
  }

  async dedupe(slices: SharedSlice[], partition: number, table: SharedTable, assertMask: number[]): Promise<Deduped> {
    return (await this.pool.run(urgent({ kind: 'dedupe', slices: slices.map((s) => s.sab), partition, table, assertMask }))) as Deduped;
  }

  async destroy(): Promise<void> {
    await Promise.allSettled(this.warming); // a thread stopped while it loads the model prints an error
    await this.pool.destroy();
  }
}

/** What a phased level needs of the search's run (search.ts's Run). */
export interface PhasedRun {
  readonly store: ParentStore;
  transitions: number;
  stopped: boolean;
  cut: string | null;
  readonly found: Uint32Array;
  readonly isAssert: boolean[];
  readonly maskWords: number;
  addCover(c: Float64Array): void;
  noteStates(masks: Uint32Array, mw: number, count: number, idOf: (j: number) => number): void;
  note(words: Uint32Array, at: number, wantState: boolean, path: () => { init: number; actions: number[] }): void;
  timeUp(): boolean;
  progress(frontier: number): void;
}

/** A growable frontier in shared memory (the next level's, built by the assemble phase). */
export class SharedFrontier {
  sab: SharedArrayBuffer;
  bytes: Uint8Array;
  count = 0;
  /** a block did not fit (reserve): the level stopped there */
  full = false;

  /** `spare`: a buffer no longer in use (an earlier level's), taken if it holds `least` states (default: `states`) */
  constructor(readonly stateBytes: number, states: number, spare?: ArrayBufferLike, least = states) {
    this.sab = levelBuffer(Math.max(1, states) * stateBytes, spare, SharedArrayBuffer, Math.max(1, least) * stateBytes) as SharedArrayBuffer;
    this.bytes = new Uint8Array(this.sab);
  }

  static of(states: Uint8Array, count: number, n: number): SharedFrontier {
    const f = new SharedFrontier(n, count);
    f.bytes.set(states.subarray(0, count * n));
    f.count = count;
    return f;
  }

  /** Make room for `count` more states; false if they would not fit in `max` bytes. */
  reserve(count: number, max: number): boolean {
    const need = (this.count + count) * this.stateBytes;
    if (need <= this.bytes.length) return true;
    const g = grownFrontier(this.bytes, this.count * this.stateBytes, need, max, SharedArrayBuffer);
    if (g === null) return false;
    this.sab = g.buffer as SharedArrayBuffer;
    this.bytes = g;
    return true;
  }

  /** `count` states were written after the last one (room reserved): they are the frontier's now. */
  appended(count: number): void {
    this.count += count;
  }

  /** Append `count` states stored back to back at the start of `src` (room reserved). */
  pushBlock(src: Uint8Array, count: number): void {
    this.bytes.set(src.subarray(0, count * this.stateBytes), this.count * this.stateBytes);
    this.count += count;
  }

  /** the states as one plain view (checkpoints, the unexpanded-state evaluation) */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.count * this.stateBytes);
  }
}

/** Let other tasks' messages in (a pool task's result settles only between main-thread tasks). */
export const yieldToEvents = (): Promise<void> => new Promise((res) => setImmediate(res));

export interface PhasedLevelOptions {
  sliceStates?: number;
  /** states of the frontier per chunk (all phases of a chunk finish before the next chunk's dedupe) */
  chunkStates?: number;
  /** a signal asked the run to stop: checked after each chunk */
  interrupted?: () => boolean;
  /** the buffer of an earlier level's frontier, free for the next level's (its pages are already mapped) */
  spare?: ArrayBufferLike;
  /** the largest buffer the next level may fill (default: MAX_FRONTIER_BYTES) */
  maxBytes?: number;
  /**
   * a level begun on the main thread and handed over: its states before `from` are expanded, their new
   * states are already in `next` (which this level appends to)
   */
  from?: number;
  next?: SharedFrontier;
}

/**
 * Expand one BFS level of `count` states (state numbers base..base+count-1) in `frontier`.
 * Returns the next frontier and how many states of this level were expanded and merged (all of
 * them unless a time bound or a signal stopped the level after a chunk).
 */
export async function phasedLevel(
  run: PhasedRun,
  visited: PartitionedFingerprintSet,
  pool: PhasedPool,
  frontier: SharedFrontier,
  base: number,
  n: number,
  o: PhasedLevelOptions,
): Promise<{ next: SharedFrontier; merged: number; interrupted: boolean }> {
  const count = frontier.count;
  const W = pool.workers;
  // Few, large tasks: each task moves a few SharedArrayBuffers between threads, and that costs
  // tens of microseconds apiece in Node 20; four slices per thread and chunk balance the load.
  // At most 2048 parents a slice: a slice holds every successor the recent cache let through (large
  // tables are looked up by the dedupe only), and with 4096 the slices in flight and kept for reuse
  // raised the peak RSS of v5.19 ranges=basic from 550-650 MB to 710-790 MB; with 2048, 580-630 MB.
  const slice = Math.max(1, o.sliceStates ?? Math.min(2048, Math.ceil((count - (o.from ?? 0)) / (W * 4))));
  const chunk = Math.max(slice, o.chunkStates ?? slice * W * 4);
  const assertMask = Array.from({ length: run.maskWords }, () => 0);
  run.isAssert.forEach((a, p) => {
    if (a) assertMask[p >>> 5]! |= 1 << (p & 31);
  });
  const next = o.next ?? new SharedFrontier(n, nextLevelRoom(count, n, o.maxBytes), o.spare, count);
  const from = o.from ?? 0;
  // properties found so far are not checked again (a copy per chunk: the main thread's expander keeps run.foundChanged)
  let found: Uint32Array | null = run.found.slice();
  const expandChunk = (c0: number): Promise<SharedSlice>[] => {
    const known = visited.snapshots();
    const out: Promise<SharedSlice>[] = [];
    for (let from = c0; from < Math.min(count, c0 + chunk); from += slice) out.push(pool.expand(frontier.sab, from, Math.min(slice, count - from), known, found));
    // a chunk expanded ahead is never awaited if the level stops first (or fails): its failure, or the
    // pool's teardown rejecting it, must not surface as an unhandled rejection (awaiting it still throws)
    for (const p of out) p.catch(() => {});
    return out;
  };
  let merged = from;
  // The chunk after the one awaited is always queued already, so that a thread done with its share of a
  // chunk goes on with the next instead of waiting for the others (that wait was 6-8% of a thread's time).
  // Expansions read tables the dedupe writes (or has replaced, after growing one): a slot matches only once
  // both its words are in (neither half of a fingerprint is 0), so a lookup can miss a state just inserted
  // (or a stale snapshot one inserted since), which only leaves that successor to the dedupe, and never
  // finds one that is not there.
  const pending: Promise<SharedSlice>[][] = [];
  for (let c0 = from; c0 < count && pending.length < AHEAD; c0 += chunk) pending.push(expandChunk(c0));
  let deduped: Promise<unknown> = Promise.resolve();
  let assembled: Promise<void> = Promise.resolve();
  for (let c0 = from; pending.length > 0; c0 += chunk) {
    const slices = await Promise.all(pending.shift()!);
    const stop = run.timeUp() || (o.interrupted?.() ?? false);
    found = run.found.slice();
    if (stop) pending.length = 0; // chunks expanded ahead are dropped unmerged
    else if (c0 + AHEAD * chunk < count) pending.push(expandChunk(c0 + AHEAD * chunk));
    // dedupe: one task per partition, after the previous chunk's (a partition's table has one writer at a time);
    // it yields how many new states each slice has
    const fresh = deduped
      .then(() => Promise.all(visited.parts.map((t, p) => pool.dedupe(slices, p, t.share(), assertMask))))
      .then((rs) => {
        rs.forEach((r, p) => visited.adopt(p, r.table));
        return slices.map((_, k) => rs.reduce((a, r) => a + r.fresh[k]!, 0));
      });
    deduped = fresh;
    const first = base + c0;
    // once the previous chunk is assembled, the pool compacts this chunk's new states straight into the next
    // frontier (alongside the next chunk's expansion), and the main thread notes them
    assembled = Promise.all([assembled, fresh]).then(([, f]) => assemble(run, pool, slices, f, first, slice, next, o.maxBytes ?? MAX_FRONTIER_BYTES)).then(() => pool.recycle(slices));
    merged = Math.min(count, c0 + chunk);
    if (stop) {
      await assembled;
      return { next, merged, interrupted: !run.stopped };
    }
  }
  await assembled;
  return { next, merged, interrupted: false };
}

/**
 * Phase 3: room in the next frontier for each slice's new states (a slice that does not fit stops the
 * level there), their compaction into it by the pool, then on the main thread, in slice order:
 * findings, parents and the states' count (yielding between slices).
 */
async function assemble(run: PhasedRun, pool: PhasedPool, slices: SharedSlice[], fresh: number[], first: number, slice: number, next: SharedFrontier, maxBytes: number): Promise<void> {
  if (next.full) return; // an earlier chunk did not fit: later ones add nothing either
  let placed = 0;
  let total = 0;
  for (; placed < slices.length && next.reserve(total + fresh[placed]!, maxBytes); placed++) total += fresh[placed]!;
  await compactInto(pool, slices.slice(0, placed), fresh, next);
  for (let k = 0; k < slices.length; k++) {
    const s = slices[k]!;
    const b0 = first + k * slice;
    run.addCover(s.cover);
    run.transitions += s.dropped + s.count;
    run.noteStates(s.parentMasks, s.maskWords, s.parentMasks.length / Math.max(1, s.maskWords), (j) => b0 + j);
    if (s.masked > 0) {
      const rec = META_FIXED + s.maskWords;
      const meta = s.meta;
      for (let j = 0; j < s.count; j++) {
        const b = j * rec;
        if (!hasMask(meta, b, s.maskWords)) continue;
        const parent = b0 + meta[b]!;
        const action = meta[b + 1]!;
        run.note(meta, b + META_FIXED, false, () => {
          const p = run.store.pathTo(parent);
          p.actions.push(action);
          return p;
        });
      }
    }
    const f = fresh[k]!;
    if (k >= placed) {
      next.full = true; // later chunks' assembly adds nothing either
      run.stopped = true;
      run.cut = frontierFull(next.count + f, s.states.length / Math.max(1, s.count), maxBytes);
      return;
    }
    if (s.freshCount !== f) throw new Error(`phased level: slice ${b0} compacted ${s.freshCount} new states, its dedupe found ${f}`);
    for (let i = 0; i < f; i++) run.store.push(b0 + s.order[i]!, s.acts[i]!);
    next.appended(f);
    run.progress(next.count);
    if (k + 1 < slices.length) await yieldToEvents();
  }
}

/**
 * The pool compacts each slice's new states into `next`, after those already there and those of the slices
 * before it: in one task per thread (a task's round trip through the main thread costs about 0.1 ms of the
 * thread's time).
 */
function compactInto(pool: PhasedPool, slices: SharedSlice[], fresh: number[], next: SharedFrontier): Promise<unknown> {
  const n = next.stateBytes;
  const at: number[] = [];
  let b = next.count * n;
  for (let k = 0; k < slices.length; k++) {
    at.push(b);
    b += fresh[k]! * n;
  }
  const per = Math.ceil(slices.length / pool.workers);
  const tasks: Promise<void>[] = [];
  for (let k = 0; k < slices.length; k += per) tasks.push(pool.compact(slices.slice(k, k + per), next.sab, at.slice(k, k + per)));
  return Promise.all(tasks);
}
