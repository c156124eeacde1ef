/**
 * piscina entry point of the phased parallel BFS (src/checker/phased.ts):
 * `expand` one slice of the shared frontier into a SharedSlice, or `dedupe`
 * one partition of the visited set over a chunk's slices. The model is
 * rebuilt from the registry on first use in this thread and cached.
 */
import { Expander } from '../src/checker/expand.js';
import { dedupePartition, SharedSlice, type PhasedTask } from '../src/checker/phased.js';
import { createModel } from '../models/registry.js';

const cache = new Map<string, { ex: Expander; n: number }>();

function expanderFor(task: { modelId: string; configJson: string; only: string[] | null }): { ex: Expander; n: number } {
  const key = `${task.modelId}\u0000${task.configJson}\u0000${task.only?.join(',') ?? '*'}`;
  let e = cache.get(key);
  if (!e) {
    const model = createModel(task.modelId, JSON.parse(task.configJson));
    e = { ex: new Expander(model, task.only ? new Set(task.only) : undefined), n: model.stateBytes };
    cache.set(key, e);
  }
  return e;
}

export default function phasedTask(task: PhasedTask): unknown {
  if (task.kind === 'dedupe') return dedupePartition(task.slices.map((b) => new SharedSlice(b)), task.partition, task.table, task.assertMask);
  if (task.kind === 'compact') return void new SharedSlice(task.slice).compact();
  if (task.kind === 'warm') return void expanderFor(task);
  const { ex, n } = expanderFor(task);
  if (task.kind === 'evaluate') {
    ex.setFound(task.found);
    return ex.evaluate(new Uint8Array(task.frontier, task.from * n, task.count * n), task.count);
  }
  ex.setFound(task.found);
  const known = task.known;
  const view = new Uint8Array(task.frontier, task.from * n, task.count * n);
  const r = ex.expand(view, task.count, known);
  return SharedSlice.pack(r, n, known.length, task.reuse).sab;
}
