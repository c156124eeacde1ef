/**
 * piscina entry point of the phased parallel BFS (src/checker/phased.ts):
 * `expand` one slice of the shared frontier into a SharedSlice, `dedupe` one
 * partition of the visited set over a chunk's slices, `compact` slices' new
 * states into the next frontier, `evaluate` states left unexpanded by a
 * bound, or `warm` (build the model ahead of the first slice; expanders are
 * cached, workers/expanders.ts).
 */
import { dedupePartition, SharedSlice, SliceSink, type PhasedTask } from '../src/checker/slices.js';
import { expanderFor } from './expanders.js';

export default function phasedTask(task: PhasedTask): unknown {
  if (task.kind === 'dedupe') return dedupePartition(task.slices.map((b) => new SharedSlice(b)), task.partition, task.table, task.assertMask);
  if (task.kind === 'compact') return void task.slices.forEach((b, k) => new SharedSlice(b).compact(task.into, task.at[k]!));
  const { ex, n } = expanderFor(task);
  if (task.kind === 'warm') return undefined;
  ex.setFound(task.found);
  const states = local(new Uint8Array(task.frontier, task.from * n, task.count * n));
  if (task.kind === 'evaluate') return ex.evaluate(states, task.count);
  // slices reach a thread in frontier order and are all deduped, in order: the recent cache may drop.
  // Tables larger than the cache are left to the dedupe, which looks every survivor up in any case:
  // a lookup here took 170 ns against 75 ns on one thread (while the other thread's dedupe writes the
  // same tables), and each new state was looked up twice (v5.19 ranges=basic, 2 workers: these
  // lookups 2.05 s and the dedupe 1.3 s of the threads' 14.3 s). User CPU without them: 8-10% less
  // (depth 10: 47.1-47.6 -> 42.4-44.0 s; v5.19: 13.0-14.7 -> 11.9-13.0 s)
  const sink = new SliceSink(ex.coverCount, ex.maskWords, task.known.length, n, task.reuse);
  return SharedSlice.finish(sink, ex.expand(states, task.count, task.known, true, 'skip', sink)).sab;
}

let copy = new Uint8Array(0);
/**
 * The slice copied out of shared memory into this thread's own buffer: the model reads each state
 * many times, and expanding from a SharedArrayBuffer measured 5-8% slower (v5.19 ranges=basic).
 */
function local(shared: Uint8Array): Uint8Array {
  if (copy.length < shared.length) copy = new Uint8Array(shared.length * 2);
  copy.set(shared);
  return copy.subarray(0, shared.length);
}
