/**
 * Search strategies over one shared expand/dedupe/check step:
 *  - bfs: level by level (shortest counterexamples); slices of a level may be
 *    expanded by worker threads, results are merged in slice order, so counts,
 *    verdicts and traces are the same for any number of workers;
 *  - dfs: depth-bounded, memory-light;
 *  - random: seeded random walks, never exhaustive.
 */
import type { Model } from '../model.js';
import { isStateProperty } from '../property.js';
import { BitstateSet, CompactFingerprintSet, FullStateSet, PartitionedFingerprintSet, type VisitedSet } from '../fpset/fpset.js';
import { collisionProbability, fingerprint } from '../state/fingerprint.js';
import { Expander, META_FIXED, hasMask, maskWordsFor, type Known, type LevelSink, type SliceResult } from './expand.js';
import { PoolExpander, type ModelSpec } from './parallel.js';
import { PhasedPool, SharedFrontier, phasedLevel, yieldToEvents, type PhasedLevelOptions, type PhasedRun } from './phased.js';
import { MAX_FRONTIER_BYTES, frontierFull, grownFrontier, levelBuffer, nextLevelRoom, uninitialized } from './frontier.js';
import { packSlice, unpackSlice } from './wire.js';
import { wordCopier } from '../state/words.js';
import { NO_PARENT, ParentStore } from './store.js';
import type { BfsSnapshot, CheckpointHooks } from './checkpoint.js';

export type Strategy = 'bfs' | 'dfs' | 'random';

const EMPTY = new Uint8Array(0);
/** room kept for the trace store's next chunk under a memory budget */
const STORE_SLACK = 1 << 16;

function fmtSize(n: number): string {
  for (const [u, v] of [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const) if (n >= v && n % v === 0) return `${n / v}${u}`;
  return `${n}`;
}

export interface Progress {
  distinct: number;
  transitions: number;
  frontier: number;
  depth: number;
  seconds: number;
  statesPerSec: number;
}

export interface SearchOptions {
  strategy?: Strategy;
  /** worker threads for bfs; 1 = expand on the main thread */
  workers?: number;
  /** needed when workers > 1: how a worker rebuilds the model */
  spec?: ModelSpec;
  maxDepth?: number;
  maxStates?: number;
  timeoutSec?: number;
  /** only these properties are checked (kernel assertions always are) */
  properties?: readonly string[];
  /** exact visited set instead of fingerprints */
  fullState?: boolean;
  /**
   * Memory budget in bytes for the visited set and the trace store. When the fingerprint table would grow
   * past it, the search switches to bitstate (a bit array filling what the trace store leaves) and goes on;
   * completeness is then probabilistic (SearchResult.probabilistic). The trace store filling the rest stops it.
   */
  memoryBytes?: number;
  /** stop at the first violation */
  failFast?: boolean;
  /** random: PRNG seed, number of walks (walk length = maxDepth, default 100) */
  seed?: number;
  walks?: number;
  /** states per slice handed to an expander */
  sliceStates?: number;
  /** bfs: the largest buffer a level's states may fill (default and most: 4 GiB, a typed array's limit); past it the search stops, cut */
  frontierBytes?: number;
  /** parallel bfs: levels of fewer states than this per worker run on the main thread (default 1024) */
  phasedFrom?: number;
  /**
   * parallel bfs: start the threads only once the run has lasted this long (ms; default POOL_AFTER_MS, or
   * the environment's MMCHECK_POOL_AFTER_MS) and its levels still grow, or a level is expected to last
   * that long (poolDue); ignored when phasedFrom is given (threads as soon as needed)
   */
  poolAfterMs?: number;
  /**
   * parallel bfs, for tests: a level begun on the main thread is handed to the pool after this many blocks
   * (sliceStates parents each), once its threads are warm, instead of whenever they become ready
   */
  handOffAfterBlocks?: number;
  /**
   * parallel bfs, for tests: the pool's threads look successors up while expanding only in visited
   * tables of at most this many bytes (default 4 MiB, Expander's); larger ones are left to the dedupe
   */
  directBytes?: number;
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
  /** bfs only: checkpoints at level boundaries, stop on a signal, resume (src/checker/checkpoint.ts) */
  checkpoint?: CheckpointHooks;
}

export interface Probabilistic {
  mode: 'bitstate';
  /** the budget, bytes */
  memoryBytes: number;
  /** distinct states stored exactly (64-bit fingerprints) before the switch */
  switchedAtStates: number;
  bitstateBytes: number;
  bitsPerState: number;
  /** fraction of the bit array set at the end */
  fill: number;
  /** expected number of reachable states wrongly taken as seen (so neither checked nor expanded) */
  omittedStatesEstimate: number;
  /** estimated probability that at least one state was omitted: 1 - exp(-omittedStatesEstimate) */
  omissionProbability: number;
}

/** A path from an initial state: the init index, then action ids. */
export interface Path {
  init: number;
  actions: number[];
}

export interface SearchResult {
  strategy: Strategy;
  exhaustive: boolean;
  /** why the search stopped early, when it did */
  cut: string | null;
  distinct: number;
  transitions: number;
  /** deepest level reached (bfs: levels fully explored) */
  depth: number;
  seconds: number;
  workers: number;
  /** worker threads the run started: 0 when it finished on the main thread (a parallel run shorter than POOL_AFTER_MS) */
  threads: number;
  /** levels begun on the main thread and finished by the threads (they became ready during the level) */
  handedOff: number;
  peakRssBytes: number;
  visitedBytes: number;
  /** visited set + trace bookkeeping per distinct state */
  bytesPerState: number;
  /** null when the visited set is exact */
  collisionProbability: number | null;
  /** set when a memory budget switched the visited set to bitstate: completeness is then probabilistic */
  probabilistic: Probabilistic | null;
  /** per property: whether it was checked, and its first finding (violation or cover witness) */
  checked: boolean[];
  findings: (Path | null)[];
  coverage: number[];
}

class Run {
  visited: VisitedSet;
  probabilistic: Probabilistic | null = null;
  readonly store: ParentStore;
  readonly findings: (Path | null)[];
  readonly checked: boolean[];
  readonly coverage: Float64Array;
  readonly isState: boolean[];
  readonly isAssert: boolean[];
  /** a resumed run starts earlier by the time its checkpoint had spent */
  start = Date.now();
  /** worker threads started (SearchResult.threads) */
  threads = 0;
  /** SearchResult.handedOff */
  handedOff = 0;
  transitions = 0;
  depth = 0;
  cut: string | null = null;
  stopped = false;
  private lastProgress = Date.now();

  /** `partitions` > 0: a visited set in shared memory, in that many partitions (the phased parallel bfs) */
  constructor(readonly model: Model, readonly opts: SearchOptions, partitions = 0) {
    this.visited = opts.fullState
      ? new FullStateSet(model.stateBytes)
      : partitions > 0 ? new PartitionedFingerprintSet(partitions) : new CompactFingerprintSet(1 << 16);
    this.store = new ParentStore(model.actionCount);
    const only = opts.properties ? new Set(opts.properties) : null;
    this.checked = model.properties.map((p) => !only || only.has(p.name) || p.kind === 'kernel-assertion');
    this.findings = model.properties.map(() => null);
    this.coverage = new Float64Array(model.coverPoints.length);
    this.isState = model.properties.map(isStateProperty);
    this.isAssert = model.properties.map((p) => p.kind === 'kernel-assertion');
    this.maskWords = maskWordsFor(model);
    this.frontierBytes = Math.floor(Math.min(opts.frontierBytes ?? MAX_FRONTIER_BYTES, MAX_FRONTIER_BYTES) / 8) * 8; // whole words
    this.found = new Uint32Array(this.maskWords);
  }
  readonly maskWords: number;
  /** the largest buffer a level's states may fill */
  readonly frontierBytes: number;
  /** bit p: property p has its first finding (later ones are ignored, so expanders may skip checking it) */
  readonly found: Uint32Array;
  /** set when `found` gained a bit; the search hands the new mask to its expanders */
  foundChanged = false;

  /**
   * Record the property bits (words[at..]) of a transition or of a state; the
   * path is built lazily, only for first findings.
   */
  note(words: Uint32Array, at: number, wantState: boolean, path: () => Path): void {
    let any = 0;
    for (let w = 0; w < this.maskWords; w++) any |= words[at + w]! & ~this.found[w]!;
    if (any === 0) return;
    const f = this.findings;
    for (let p = 0; p < f.length; p++) {
      if (f[p] !== null || this.isState[p] !== wantState || (words[at + (p >>> 5)]! & (1 << (p & 31))) === 0) continue;
      f[p] = path();
      this.found[p >>> 5]! |= 1 << (p & 31);
      this.foundChanged = true;
      if (this.opts.failFast && this.model.properties[p]!.kind !== 'sometimes') {
        this.stopped = true;
        this.cut = 'stopped at the first violation';
      }
    }
  }

  hasAssert(meta: Uint32Array, base: number): boolean {
    return hasMask(meta, base, this.maskWords) && this.assertIn(meta, base + META_FIXED);
  }

  /** Some kernel assertion's bit is set in the mask at words[at..]. */
  assertIn(words: Uint32Array, at: number): boolean {
    for (let p = 0; p < this.isAssert.length; p++) if (this.isAssert[p] && (words[at + (p >>> 5)]! & (1 << (p & 31))) !== 0) return true;
    return false;
  }

  /** State findings of states `first..first+count-1` (ids) from their evaluated masks. */
  noteStates(masks: Uint32Array, mw: number, count: number, idOf: (j: number) => number): void {
    for (let j = 0; j < count && !this.stopped; j++) this.note(masks, j * mw, true, () => this.store.pathTo(idOf(j)));
  }

  /**
   * Insert into the visited set, within the memory budget: a fingerprint table that would grow past it is
   * replaced by a bitstate array; a trace store that would not fit stops the search.
   */
  add(buf: Uint8Array, hi: number, lo: number, off = 0): boolean {
    const budget = this.opts.memoryBytes;
    if (budget !== undefined) {
      const v = this.visited;
      if (v instanceof CompactFingerprintSet && v.atLimit && v.nextBytes() + this.store.bytes + STORE_SLACK > budget) this.toBitstate(v, budget);
      if (this.store.bytes + STORE_SLACK + this.visited.bytes > budget && !this.stopped) {
        this.stopped = true;
        this.cut = `memory budget reached (--memory ${fmtSize(budget)}): no room left for the trace store`;
      }
    }
    return this.visited.add(buf, hi, lo, off);
  }

  private toBitstate(v: CompactFingerprintSet, budget: number): void {
    // the bit array takes half of what the trace store leaves; the store grows into the other half
    const bytes = Math.max(4096, Math.floor((budget - this.store.bytes - STORE_SLACK) / 2));
    const b = new BitstateSet(bytes);
    b.absorb(v);
    this.visited = b;
    this.probabilistic = {
      mode: 'bitstate', memoryBytes: budget, switchedAtStates: v.size, bitstateBytes: b.bytes, bitsPerState: BitstateSet.K,
      fill: 0, omittedStatesEstimate: 0, omissionProbability: 0,
    };
  }

  full(): boolean {
    const max = this.opts.maxStates;
    if (max !== undefined && this.visited.size >= max) {
      this.cut = `state bound reached (--max-states ${max})`;
      this.stopped = true;
      return true;
    }
    return false;
  }

  timeUp(): boolean {
    const t = this.opts.timeoutSec;
    if (t !== undefined && (Date.now() - this.start) / 1000 >= t) {
      this.cut = `time bound reached (--timeout ${t}s)`;
      this.stopped = true;
      return true;
    }
    return false;
  }

  progress(frontier: number, force = false): void {
    const cb = this.opts.onProgress;
    if (!cb) return;
    const now = Date.now();
    if (!force && now - this.lastProgress < (this.opts.progressEveryMs ?? 1000)) return;
    this.lastProgress = now;
    const seconds = (now - this.start) / 1000;
    cb({
      distinct: this.visited.size,
      transitions: this.transitions,
      frontier,
      depth: this.depth,
      seconds,
      statesPerSec: seconds > 0 ? this.visited.size / seconds : 0,
    });
  }

  addCover(c: Float64Array): void {
    for (let i = 0; i < c.length; i++) this.coverage[i]! += c[i]!;
  }

  result(exhaustive: boolean, workers: number): SearchResult {
    const seconds = (Date.now() - this.start) / 1000;
    const distinct = this.visited.size;
    const bytes = this.visited.bytes + this.store.bytes;
    const prob = this.probabilistic;
    if (prob && this.visited instanceof BitstateSet) {
      prob.fill = this.visited.fill;
      prob.omittedStatesEstimate = this.visited.omittedEstimate;
      prob.omissionProbability = 1 - Math.exp(-this.visited.omittedEstimate);
    }
    return {
      strategy: this.opts.strategy ?? 'bfs',
      exhaustive: exhaustive && this.cut === null && prob === null,
      cut: this.cut,
      distinct,
      transitions: this.transitions,
      depth: this.depth,
      seconds,
      workers,
      threads: this.threads,
      handedOff: this.handedOff,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      visitedBytes: bytes,
      bytesPerState: distinct > 0 ? bytes / distinct : 0,
      collisionProbability: this.visited.exact ? null : collisionProbability(prob ? prob.switchedAtStates : distinct),
      probabilistic: prob,
      checked: this.checked,
      findings: this.findings,
      coverage: Array.from(this.coverage),
    };
  }
}

/** Initial states: canonicalised and deduplicated (their properties are evaluated when they are expanded). */
function seed(run: Run): { ids: number[]; states: Uint8Array[] } {
  const ids: number[] = [];
  const states: Uint8Array[] = [];
  run.model.initStates().forEach((s0, i) => {
    const s = new Uint8Array(run.model.stateBytes);
    s.set(s0);
    run.model.canonicalize?.(s);
    const fp = fingerprint(s);
    if (!run.add(s, fp.hi, fp.lo)) return;
    const id = run.store.push(NO_PARENT, i);
    ids.push(id);
    states.push(s);
  });
  run.full(); // --max-states at or below the number of initial states: expand nothing
  return { ids, states };
}

export async function search(model: Model, opts: SearchOptions = {}): Promise<SearchResult> {
  const strategy = opts.strategy ?? 'bfs';
  if (strategy === 'bfs') return bfs(model, opts);
  if (strategy === 'dfs') return dfs(model, opts);
  return random(model, opts);
}

async function bfs(model: Model, opts: SearchOptions): Promise<SearchResult> {
  const workers = Math.max(1, opts.workers ?? 1);
  if (workers > 1 && !opts.spec) throw new Error('parallel search needs a model spec');
  const phasedRun = workers > 1 && phased(opts);
  const run = new Run(model, opts, phasedRun ? workers : 0);
  const only = opts.properties ? new Set(opts.properties) : undefined;
  const local = new Expander(model, only);
  const props = opts.properties ? [...opts.properties] : null;
  // phased (src/checker/phased.ts): `workers` pool threads expand and dedupe, the main thread assembles;
  // otherwise (a run that may stop mid-level) the main thread is one of the workers: it merges every
  // successor, and expands slices from the end of the level while it waits
  const pool = workers > 1 && !phasedRun ? new PoolExpander(opts.spec!, workers - 1, props) : null;
  if (pool) run.threads = workers - 1;
  // the phased pool starts once a level reaches an eighth of the phased size (its threads load the
  // model meanwhile) and poolDue says the work ahead repays their start (the run has lasted POOL_AFTER_MS):
  // a run whose levels all stay small, or that ends sooner, never starts threads
  let phasedPool = null as PhasedPool | null; // (assigned in startPool too: no narrowing to null)
  const phasedFrom = opts.phasedFrom ?? PHASED_MIN_STATES;
  const poolAfter = opts.poolAfterMs ?? poolAfterDefault();
  const n = model.stateBytes;
  // Dropping known successors in the expander saves copying them out; a run that may stop
  // mid-slice (state bound, fail-fast) counts transitions one by one instead, so the count
  // at the stop is the same for any number of workers.
  // (the compact table is looked up in batches; its snapshot is taken per slice, as the merge grows it)
  const known =
    opts.maxStates === undefined && !opts.failFast && !pool
      ? (): Known => {
          const v = run.visited;
          if (v instanceof CompactFingerprintSet) return [v.snapshot()];
          if (v instanceof PartitionedFingerprintSet) return v.snapshots();
          return (hi: number, lo: number) => v.has(hi, lo);
        }
      : undefined;
  let foundNow: Uint32Array | null = null;
  try {
    const ck = opts.checkpoint;
    const start = ck?.resume ? resumeRun(run, ck.resume) : seedFrontier(run);
    let frontier = start.frontier;
    let shared: SharedFrontier | null = null; // the frontier in shared memory, once a level was phased
    // the previous level's frontier: free once this level is expanded, so the next level is written
    // into pages already mapped (a fresh buffer faults in every page: ~0.25 s over a 3.5M-state run)
    let spare: ArrayBufferLike | undefined;
    let base = start.base;
    let count = start.count;
    let mark: LevelMark | null = null; // checkpoints: the run at the current level's start
    // what was stored but not expanded when a bound stopped the search: still checked
    let levelBase = base;
    let levelCount = count;
    let levelFrontier = frontier;
    let merged = 0;
    // the last level's size and milliseconds: how long the next one may take (startPool)
    let lastCount = 0;
    let lastMs = 0;
    let leftover: { states: Uint8Array; count: number; base: number } | null = null;
    let cutAtTop = false;
    while (count > 0 && !run.stopped) {
      const levelStart = Date.now();
      if (opts.maxDepth !== undefined && run.depth >= opts.maxDepth) {
        run.cut = `depth bound reached (--depth ${opts.maxDepth}) with ${count} states unexpanded`;
        break;
      }
      if (run.timeUp()) {
        cutAtTop = true;
        break;
      }
      if (ck) {
        mark = markLevel(run);
        const stop = ck.interrupted();
        if (stop || ck.due()) {
          ck.write(snapshotRun(run, frontier, base, count, mark));
          mark.written = true;
        }
        if (stop) return interruptedResult(run, workers);
      }
      levelBase = base;
      levelCount = count;
      levelFrontier = frontier;
      merged = 0;
      const nextBase = run.store.size;
      let next: Uint8Array;
      let nextCount: number;
      let interrupted = false;
      // small levels (the first few, the last few) cost less on the main thread than in tasks
      const startPool = (): void => {
        if (phasedRun && !phasedPool && count * 8 >= phasedFrom * workers && (opts.phasedFrom !== undefined || poolDue(Date.now() - run.start, count, lastCount, lastMs, poolAfter))) {
          phasedPool = new PhasedPool(opts.spec!, workers, props, opts.directBytes);
          run.threads = workers;
        }
      };
      startPool();
      // by default a level goes to the pool only once its threads are warm (the main thread goes on with the
      // levels meanwhile: short runs never wait for threads to start); an explicit phasedFrom waits for them
      if (phasedPool && count >= phasedFrom * workers && opts.phasedFrom !== undefined) await phasedPool.whenWarm();
      else if (phasedPool && !phasedPool.ready) await yieldToEvents(); // the threads' replies are only read between tasks
      /** The level in the pool (from parent `o.from` on, appending to `o.next`), its result as a main-thread level's. */
      const inPool = async (pp: PhasedPool, o: Pick<PhasedLevelOptions, 'spare' | 'from' | 'next'>) => {
        if (shared?.bytes.buffer !== frontier.buffer) shared = SharedFrontier.of(frontier, count, n);
        const r = await phasedLevel(run as PhasedRun, run.visited as PartitionedFingerprintSet, pp, shared, base, n, {
          sliceStates: opts.sliceStates,
          interrupted: ck ? () => ck.interrupted() : undefined,
          maxBytes: run.frontierBytes,
          ...o,
        });
        shared = r.next;
        return { next: r.next.view(), nextCount: r.next.count, merged: r.merged, interrupted: r.interrupted };
      };
      // (handOffAfterBlocks, a test's: the first level big enough begins here, and is handed over)
      if (phasedPool?.ready && count >= phasedFrom * workers && (opts.handOffAfterBlocks === undefined || run.handedOff > 0)) {
        ({ next, nextCount, merged, interrupted } = await inPool(phasedPool, { spare }));
      } else {
        const refreshFound = () => {
          if (run.foundChanged) {
            run.foundChanged = false;
            local.setFound(run.found);
            foundNow = run.found.slice();
          }
          return foundNow;
        };
        // A level begun here goes on in the pool once its threads are ready (they load meanwhile): a level
        // of a long run that started just before could otherwise keep the main thread alone for seconds
        // (v5.19 ranges=basic, 2 workers: 4 s alone of 12 s). The order of parents, successors and state
        // numbers is the same either way, so where it is handed over changes no result.
        let blocks = 0;
        const handOff = phasedRun
          ? async (done: number): Promise<boolean> => {
              if (count - done < phasedFrom * workers) return false;
              startPool();
              if (!phasedPool) return false;
              if (opts.handOffAfterBlocks !== undefined) {
                if (++blocks < opts.handOffAfterBlocks) return false;
                await phasedPool.whenWarm();
              } else if (!phasedPool.ready) await yieldToEvents(); // the threads' replies are only read between tasks
              return phasedPool.ready;
            }
          : undefined;
        const r =
          !pool && phased(opts) && (run.visited instanceof CompactFingerprintSet || run.visited instanceof PartitionedFingerprintSet)
            ? await fusedLevel(run, run.visited, local, frontier, base, count, n, opts.sliceStates, ck, refreshFound, spare, handOff)
            : await mergedLevel(run, local, pool, frontier, base, count, n, known, opts.sliceStates, ck, refreshFound);
        ({ next, nextCount, merged, interrupted } = r);
        if ('handedOff' in r && r.handedOff && phasedPool && !run.stopped) {
          run.handedOff++;
          const into = new SharedFrontier(n, Math.max(nextLevelRoom(count, n, run.frontierBytes), nextCount));
          into.pushBlock(next, nextCount);
          ({ next, nextCount, merged, interrupted } = await inPool(phasedPool, { from: merged, next: into }));
        }
      }
      if (interrupted && ck && mark) {
        // abandon the level: checkpoint its start, leaving out the states it added
        if (!mark.written) ck.write(snapshotRun(run, frontier, base, count, mark, levelStates(next, nextCount, n)));
        return interruptedResult(run, workers);
      }
      if (run.stopped) {
        leftover = { states: next, count: nextCount, base: nextBase };
        break;
      }
      if (nextCount > 0) run.depth++; // depth = distance of the farthest stored state
      lastCount = count;
      lastMs = Date.now() - levelStart;
      spare = frontier.buffer;
      frontier = next;
      base = nextBase;
      count = nextCount;
      run.progress(count);
    }
    if (run.cut !== null && !run.opts.failFast) {
      const unexpanded = async (states: Uint8Array, from: number, c: number, first: number) => {
        if (c <= 0) return;
        const mw = maskWordsFor(model);
        // a depth bound can leave a large level unexpanded: the pool evaluates it when it is in shared memory
        const masks =
          phasedPool && states.buffer instanceof SharedArrayBuffer && c >= phasedFrom * workers
            ? await phasedPool.evaluate(states.buffer, states.byteOffset / n + from, c, run.found.slice(), mw)
            : local.evaluate(states.subarray(from * n, (from + c) * n), c);
        const stopped = run.stopped;
        run.stopped = false;
        run.noteStates(masks, mw, c, (j) => first + from + j);
        run.stopped = stopped;
      };
      if (count > 0 && (cutAtTop || run.cut.startsWith('depth'))) await unexpanded(frontier, 0, count, base);
      else {
        await unexpanded(levelFrontier, merged, levelCount - merged, levelBase);
        if (leftover) await unexpanded(leftover.states, 0, leftover.count, leftover.base);
      }
    }
    run.progress(0, true);
    return run.result(true, workers);
  } finally {
    await pool?.destroy();
    await phasedPool?.destroy();
  }
}

/** Per worker: a smaller level is expanded on the main thread, even in a parallel run. */
const PHASED_MIN_STATES = 1024;
/**
 * A parallel run starts its threads only after this long (unless phasedFrom is given): each thread loads
 * the model (about 150 ms of CPU) and compiles its hot paths anew, which a run of a second or less does
 * not earn back. In-process search times on 2 cores, 3 fresh processes each: thp-core v4.6 P=2 N=4 with
 * 2 workers 0.88-1.15 s with threads from the start, 0.52-0.83 s with this delay, 0.63-0.66 s with 1
 * worker; P=3 N=4 --symmetry smalls (5 runs) median 4.2 s from the start, 4.8 s with the delay, 5.2 s
 * with 1 worker. Longer runs lose the same second at most.
 */
const POOL_AFTER_MS = 1000;
/**
 * Growth (this level's states over the last one's) that the start at the delay needs. The levels of these
 * searches rise and fall like a bell: a run that has lasted the delay and still grows this fast has more
 * ahead than behind; one near or past its widest level may have less than its threads' start costs.
 * P=3 N=4 --symmetry smalls grows 1.5x or more up to 2 levels before its widest (then 1.39x, 1.15x);
 * thp-core v4.5 P=2 N=4 1.41x at its widest.
 */
const POOL_GROWTH = 1.5;

/**
 * A parallel run's threads are due: a level of `count` states is about to run, the last one took `lastMs`
 * for `lastCount` states (none yet: 0), the run has lasted `elapsedMs`, the delay is `poolAfter`. Due when
 * this level is expected to take the delay by itself (its states times the last level's time a state); or
 * the run has lasted the delay and its levels still grow POOL_GROWTH-fold (none timed yet: the delay
 * alone); or it has lasted three times the delay, whatever they do.
 *
 * No sooner: an early level's time a state is the cold JIT's, 5-30 times a warm one's, and the level sizes
 * then do not tell a short run from a long one. A rule that started threads once a level was expected to
 * take 0.3 s started them, on this project's 2-core machine, on thp-core v4.6 P=2 N=4 at its 12k-state
 * level (4x the last, as P=3 N=4 --symmetry smalls at the level where that rule fired on it), two levels
 * from the widest: the threads, loading while the main thread ran the next levels, made those 2-3 times
 * slower, and the run took 1.1-1.6 s against 0.7-1.1 s with none.
 */
export function poolDue(elapsedMs: number, count: number, lastCount: number, lastMs: number, poolAfter: number): boolean {
  if (elapsedMs >= 3 * poolAfter) return true;
  if (lastCount === 0) return elapsedMs >= poolAfter;
  return (count * lastMs) / lastCount >= poolAfter || (elapsedMs >= poolAfter && count >= POOL_GROWTH * lastCount);
}

/** POOL_AFTER_MS, or MMCHECK_POOL_AFTER_MS when it is a number of ms (the tests start threads at once with 0). */
function poolAfterDefault(): number {
  const v = process.env.MMCHECK_POOL_AFTER_MS;
  const ms = v === undefined || v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(ms) && ms >= 0 ? ms : POOL_AFTER_MS;
}

/** The phased parallel BFS applies: nothing may stop it mid-level at a point that depends on the worker count. */
function phased(o: SearchOptions): boolean {
  return o.maxStates === undefined && !o.failFast && o.memoryBytes === undefined && !o.fullState;
}

/**
 * One level expanded in slices and merged by the main thread in slice order: on the main thread
 * alone, or with a pool whose threads take slices from the front while the main thread, waiting
 * for the next slice to merge, expands slices from the back.
 */
async function mergedLevel(
  run: Run,
  local: Expander,
  pool: PoolExpander | null,
  frontier: Uint8Array,
  base: number,
  count: number,
  n: number,
  known: (() => Known) | undefined,
  sliceStates: number | undefined,
  ck: CheckpointHooks | undefined,
  refreshFound: () => Uint32Array | null,
): Promise<{ next: Uint8Array; nextCount: number; merged: number; interrupted: boolean }> {
  const workers = pool ? pool.workers + 1 : 1;
  const slice = Math.max(1, sliceStates ?? (pool ? Math.min(4096, Math.max(128, Math.ceil(count / (workers * 16)))) : 2048));
  const slots: (Promise<SliceResult> | SliceResult | undefined)[] = [];
  const ready: boolean[] = [];
  const dispatch = (k: number): Promise<SliceResult> => {
    const from = k * slice;
    const c = Math.min(slice, count - from);
    const view = frontier.subarray(from * n, (from + c) * n);
    const found = refreshFound();
    if (!pool) return Promise.resolve(local.expand(view, c, known?.()));
    return pool.expand(view, c, found).then((r) => {
      ready[k] = true;
      return r;
    });
  };
  /** the main thread's share: slice k expanded here, copied out of the expander's reused buffers */
  const steal = (k: number): SliceResult => {
    const from = k * slice;
    const c = Math.min(slice, count - from);
    refreshFound();
    return unpackSlice(packSlice(local.expand(frontier.subarray(from * n, (from + c) * n), c), n));
  };
  const slices = Math.ceil(count / slice);
  const nw = n >>> 2;
  const copyState = wordCopier(nw);
  const window = pool ? (workers - 1) * 3 : 1;
  let nextOut = 0;
  let tail = slices - 1; // slices above tail were taken by the main thread
  let inFlight = 0;
  const fill = () => {
    while (nextOut <= tail && inFlight < window) {
      slots[nextOut] = dispatch(nextOut);
      nextOut++;
      inFlight++;
    }
  };
  let next: Uint8Array = new Uint8Array(uninitialized(nextLevelRoom(count, n, run.frontierBytes) * n)); // committed only as written
  let nextWords: Uint32Array = new Uint32Array(next.buffer);
  let nextCount = 0;
  let merged = 0;
  let interrupted = false;
  fill();
  try {
    for (let k = 0; k < slices && !run.stopped; k++) {
      if (pool)
        while (slots[k] === undefined || (!ready[k] && slots[k] instanceof Promise)) {
          if (slots[k] === undefined && k > tail) throw new Error('bfs: slice neither dispatched nor taken');
          if (tail >= nextOut && tail > k) {
            slots[tail] = steal(tail);
            tail--;
            await yieldToEvents(); // let finished pool results in (their promises settle only between tasks)
          } else if (slots[k] === undefined) fill();
          else break;
        }
      const got = slots[k]!;
      const wasPooled = got instanceof Promise;
      const r = await got;
      slots[k] = undefined;
      if (wasPooled) inFlight--;
      fill();
      run.addCover(r.cover);
      run.transitions += r.dropped;
      run.noteStates(r.parentMasks, r.maskWords, Math.min(slice, count - k * slice), (j) => base + k * slice + j);
      merged = Math.min(count, (k + 1) * slice);
      if (run.stopped) break;
      const rec = META_FIXED + r.maskWords;
      const rWords = new Uint32Array(r.states.buffer, r.states.byteOffset, r.states.byteLength >>> 2);
      const v = run.visited;
      if (v instanceof CompactFingerprintSet && run.opts.memoryBytes === undefined) {
        let touched = 0; // overlap the inserts' cache misses (CompactFingerprintSet.touch)
        for (let j = 0; j < r.count; j++) touched ^= v.touch(r.meta[j * rec + 2]!, r.meta[j * rec + 3]!);
        if (touched === 0.5) throw new Error('unreachable');
      }
      for (let j = 0; j < r.count; j++) {
        const b = j * rec;
        const parent = base + k * slice + r.meta[b]!;
        const action = r.meta[b + 1]!;
        run.transitions++;
        if (hasMask(r.meta, b, r.maskWords)) {
          run.note(r.meta, b + META_FIXED, false, () => {
            const p = run.store.pathTo(parent);
            p.actions.push(action);
            return p;
          });
          if (run.stopped) break;
          if (run.hasAssert(r.meta, b)) continue; // the kernel would have crashed: not a state
        }
        if ((nextCount + 1) * n > next.length) {
          const g = grownFrontier(next, nextCount * n, (nextCount + 1) * n, run.frontierBytes);
          if (g === null) {
            run.stopped = true;
            run.cut = frontierFull(nextCount + 1, n, run.frontierBytes);
            break;
          }
          next = g;
          nextWords = new Uint32Array(g.buffer);
        }
        if (!run.add(r.states, r.meta[b + 2]!, r.meta[b + 3]!, j * n)) continue;
        run.store.push(parent, action);
        copyState(nextWords, nextCount * nw, rWords, j * nw);
        nextCount++;
        if (run.stopped || run.full()) break;
      }
      if (await blockDone(run, ck, nextCount)) {
        interrupted = true;
        break;
      }
    }
  } finally {
    // keep pending worker results from leaking as unhandled rejections
    await Promise.allSettled(slots.filter((x) => x instanceof Promise));
  }
  return { next, nextCount, merged, interrupted };
}

/**
 * One level on the main thread alone, expanded straight into the visited set, the trace store and
 * the next level (Expander.expandInto): the same states, numbers and findings as mergedLevel, without
 * its result buffers. Only for runs that cannot stop mid-level at a state-dependent point (phased()):
 * between blocks of parents it checks the time bound, reports progress and serves checkpoints.
 */
async function fusedLevel(
  run: Run,
  visited: CompactFingerprintSet | PartitionedFingerprintSet,
  local: Expander,
  frontier: Uint8Array,
  base: number,
  count: number,
  n: number,
  sliceStates: number | undefined,
  ck: CheckpointHooks | undefined,
  refreshFound: () => void,
  spare: ArrayBufferLike | undefined,
  handOff?: (merged: number) => Promise<boolean>,
): Promise<{ next: Uint8Array; nextCount: number; merged: number; interrupted: boolean; handedOff: boolean }> {
  const block = Math.max(1, sliceStates ?? 2048);
  const room = nextLevelRoom(count, n, run.frontierBytes) * n;
  const out: LevelSink = {
    visited,
    store: run.store,
    next: new Uint8Array(levelBuffer(room, spare, ArrayBuffer, count * n)),
    count: 0,
    maxBytes: run.frontierBytes,
    full: false,
    transitions: 0,
    cover: run.coverage,
    noteState: (id, mask) => run.note(mask, 0, true, () => run.store.pathTo(id)),
    noteTransition: (parent, action, mask) => {
      run.note(mask, 0, false, () => {
        const p = run.store.pathTo(parent);
        p.actions.push(action);
        return p;
      });
      return run.assertIn(mask, 0);
    },
  };
  let merged = 0;
  let interrupted = false;
  for (let from = 0; from < count && !run.stopped; from += block) {
    const c = Math.min(block, count - from);
    refreshFound();
    const t0 = out.transitions;
    merged = from + local.expandInto(frontier.subarray(from * n, (from + c) * n), c, base + from, out);
    run.transitions += out.transitions - t0;
    if (out.full) {
      run.stopped = true;
      run.cut = frontierFull(out.count + 1, n, run.frontierBytes);
      break;
    }
    if (await blockDone(run, ck, out.count)) {
      interrupted = true;
      break;
    }
    if (handOff && merged < count && !run.stopped && (await handOff(merged))) return { next: out.next, nextCount: out.count, merged, interrupted, handedOff: true };
  }
  return { next: out.next, nextCount: out.count, merged, interrupted, handedOff: false };
}

/** After a block of a level: the time bound, progress, checkpoints; true when a signal interrupted the level. */
async function blockDone(run: Run, ck: CheckpointHooks | undefined, nextCount: number): Promise<boolean> {
  if (!run.stopped) run.timeUp();
  run.progress(nextCount);
  if (!ck || run.stopped) return false;
  const t = ck.tick();
  if (t) await t;
  return ck.interrupted();
}

// --- checkpoint hooks (bfs): the run at a level's start, written and restored by src/checker/checkpoint.ts ---

interface LevelMark {
  elapsedMs: number;
  depth: number;
  transitions: number;
  findings: (Path | null)[];
  coverage: number[];
  storeSize: number;
  storeCapacity: number;
  visitedSize: number;
  visitedCapacity: number;
  written: boolean;
}

function visitedCapacity(v: VisitedSet): number {
  return v instanceof CompactFingerprintSet || v instanceof PartitionedFingerprintSet || v instanceof FullStateSet ? v.capacity : 0;
}

function markLevel(run: Run): LevelMark {
  return {
    elapsedMs: Date.now() - run.start,
    depth: run.depth,
    transitions: run.transitions,
    findings: [...run.findings],
    coverage: Array.from(run.coverage),
    storeSize: run.store.size,
    storeCapacity: run.store.capacity,
    visitedSize: run.visited.size,
    visitedCapacity: visitedCapacity(run.visited),
    written: false,
  };
}

/** Fingerprints of the states a partial level stored (left out of its start's checkpoint). */
function levelStates(next: Uint8Array, count: number, n: number): CompactFingerprintSet {
  const set = new CompactFingerprintSet(Math.max(16, count * 2));
  for (let j = 0; j < count; j++) {
    const fp = fingerprint(next.subarray(j * n, j * n + n));
    set.add(EMPTY, fp.hi, fp.lo);
  }
  return set;
}

function snapshotRun(run: Run, frontier: Uint8Array, base: number, count: number, at: LevelMark, skip?: CompactFingerprintSet): BfsSnapshot {
  const v = run.visited;
  const n = run.model.stateBytes;
  const store = run.store.exportEntries(at.storeSize);
  let visited: BfsSnapshot['visited'];
  if (v instanceof FullStateSet) visited = { kind: 'full', ...v.exportStates(at.visitedSize), capacity: at.visitedCapacity };
  else if (v instanceof CompactFingerprintSet || v instanceof PartitionedFingerprintSet)
    visited = { kind: 'fingerprints', pairs: v.exportFps(skip ? (hi, lo) => skip.has(hi, lo) : undefined), capacity: at.visitedCapacity };
  else throw new Error('checkpoint: unsupported visited set (a bitstate run under --memory cannot be checkpointed)');
  return {
    elapsedMs: at.elapsedMs,
    depth: at.depth,
    transitions: at.transitions,
    findings: at.findings,
    coverage: at.coverage,
    base,
    count,
    frontier: frontier.subarray(0, count * n),
    store: { ...store, capacity: at.storeCapacity },
    visited,
  };
}

function resumeRun(run: Run, s: BfsSnapshot): { frontier: Uint8Array; base: number; count: number } {
  const v = run.visited;
  if (s.visited.kind === 'full' && v instanceof FullStateSet) v.importStates(s.visited.states, s.visited.fps, s.visited.capacity);
  else if (s.visited.kind === 'fingerprints' && (v instanceof CompactFingerprintSet || v instanceof PartitionedFingerprintSet)) v.importFps(s.visited.pairs, s.visited.capacity);
  else throw new Error('checkpoint: visited set kind does not match the run');
  run.store.importEntries(s.store.parents, s.store.actions, s.store.capacity);
  run.transitions = s.transitions;
  run.depth = s.depth;
  s.findings.forEach((f, i) => {
    run.findings[i] = f;
    if (f !== null) run.found[i >>> 5]! |= 1 << (i & 31);
  });
  run.foundChanged = true;
  run.coverage.set(s.coverage);
  run.start = Date.now() - s.elapsedMs;
  return { frontier: s.frontier, base: s.base, count: s.count };
}

function seedFrontier(run: Run): { frontier: Uint8Array; base: number; count: number } {
  const n = run.model.stateBytes;
  const init = seed(run);
  const frontier = new Uint8Array(init.states.length * n);
  init.states.forEach((s, i) => frontier.set(s, i * n));
  return { frontier, base: init.ids[0] ?? 0, count: init.ids.length };
}

function interruptedResult(run: Run, workers: number): SearchResult {
  run.cut = 'interrupted (checkpoint written)';
  run.stopped = true;
  return run.result(false, workers);
}

async function dfs(model: Model, opts: SearchOptions): Promise<SearchResult> {
  const run = new Run(model, opts);
  const ex = new Expander(model, opts.properties ? new Set(opts.properties) : undefined);
  const n = model.stateBytes;
  const maxDepth = opts.maxDepth ?? 1000;
  const init = seed(run);
  const stack: { id: number; depth: number; s: Uint8Array }[] = [];
  for (let i = init.ids.length - 1; i >= 0; i--) stack.push({ id: init.ids[i]!, depth: 0, s: init.states[i]! });
  let cutByDepth = 0;
  let steps = 0;
  while (stack.length > 0 && !run.stopped) {
    const top = stack.pop()!;
    if (top.depth > run.depth) run.depth = top.depth;
    if (top.depth >= maxDepth) {
      cutByDepth++;
      run.note(ex.evaluate(top.s, 1), 0, true, () => run.store.pathTo(top.id));
      continue;
    }
    if (run.foundChanged) {
      run.foundChanged = false;
      ex.setFound(run.found);
    }
    const r = ex.expand(top.s, 1);
    run.addCover(r.cover);
    run.note(r.parentMasks, 0, true, () => run.store.pathTo(top.id));
    const rec = META_FIXED + r.maskWords;
    const fresh: { id: number; depth: number; s: Uint8Array }[] = [];
    for (let j = 0; j < r.count && !run.stopped; j++) {
      const b = j * rec;
      const action = r.meta[b + 1]!;
      run.transitions++;
      run.note(r.meta, b + META_FIXED, false, () => {
        const p = run.store.pathTo(top.id);
        p.actions.push(action);
        return p;
      });
      if (run.stopped || run.hasAssert(r.meta, b)) continue;
      if (!run.add(r.states, r.meta[b + 2]!, r.meta[b + 3]!, j * n)) continue;
      const st = r.states.slice(j * n, j * n + n);
      const id = run.store.push(top.id, action);
      fresh.push({ id, depth: top.depth + 1, s: st });
      if (run.full()) break;
    }
    for (let i = fresh.length - 1; i >= 0; i--) stack.push(fresh[i]!);
    if ((++steps & 1023) === 0) {
      run.timeUp();
      run.progress(stack.length);
    }
  }
  if (!run.stopped && cutByDepth > 0)
    run.cut = `depth bound reached (--depth ${maxDepth}): ${cutByDepth} states not expanded`;
  run.progress(0, true);
  return run.result(true, 1);
}

/** xorshift32, seeded: the same walks for the same seed on every machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x2545f491;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

async function random(model: Model, opts: SearchOptions): Promise<SearchResult> {
  const run = new Run(model, opts);
  const ex = new Expander(model, opts.properties ? new Set(opts.properties) : undefined);
  const n = model.stateBytes;
  const length = opts.maxDepth ?? 100;
  const walks = opts.walks ?? 1000;
  const next = rng(opts.seed ?? 1);
  const init = seed(run);
  for (let w = 0; w < walks && !run.stopped && init.states.length > 0; w++) {
    const k = next() % init.states.length;
    let s = init.states[k]!;
    const path: Path = { init: run.store.pathTo(init.ids[k]!).init, actions: [] };
    for (let step = 0; !run.stopped; step++) {
      const here: Path = { init: path.init, actions: [...path.actions] };
      if (step >= length) {
        run.note(ex.evaluate(s, 1), 0, true, () => here);
        break;
      }
      if (run.foundChanged) {
        run.foundChanged = false;
        ex.setFound(run.found);
      }
      const r = ex.expand(s, 1); // evaluates s too
      run.addCover(r.cover);
      run.note(r.parentMasks, 0, true, () => here);
      if (r.count === 0 || run.stopped) break;
      const j = next() % r.count;
      const rec = META_FIXED + r.maskWords;
      const b = j * rec;
      const action = r.meta[b + 1]!;
      run.transitions++;
      run.note(r.meta, b + META_FIXED, false, () => ({ init: path.init, actions: [...path.actions, action] }));
      if (run.hasAssert(r.meta, b)) break;
      const st = r.states.slice(j * n, j * n + n);
      if (run.add(st, r.meta[b + 2]!, r.meta[b + 3]!)) run.store.push(NO_PARENT, 0); // byte accounting; walks carry their own paths
      path.actions.push(action);
      if (step + 1 > run.depth) run.depth = step + 1;
      s = st;
      if (run.full()) {
        run.note(ex.evaluate(s, 1), 0, true, () => ({ init: path.init, actions: [...path.actions] }));
        break;
      }
    }
    if ((w & 63) === 0) {
      run.timeUp();
      run.progress(0);
    }
  }
  if (!run.cut) run.cut = `random simulation: ${walks} walks of at most ${length} steps (never exhaustive)`;
  run.progress(0, true);
  return run.result(false, 1);
}
