/**
 * piscina entry point: expand one slice of a BFS level. The model is rebuilt
 * from the registry on first use in this thread and cached by (id, config).
 */
import { Piscina } from 'piscina';
import { Expander } from '../src/checker/expand.js';
import type { ExpandTask } from '../src/checker/parallel.js';
import { packSlice } from '../src/checker/wire.js';
import { createModel } from '../models/registry.js';

const cache = new Map<string, Expander>();
const sizes = new Map<string, number>();

export default function expandSlice(task: ExpandTask): unknown {
  const key = `${task.modelId}\u0000${task.configJson}\u0000${task.only?.join(',') ?? '*'}`;
  let ex = cache.get(key);
  if (!ex) {
    const model = createModel(task.modelId, JSON.parse(task.configJson));
    ex = new Expander(model, task.only ? new Set(task.only) : undefined);
    cache.set(key, ex);
    sizes.set(key, model.stateBytes);
  }
  const n = sizes.get(key)!;
  ex.setFound(task.found);
  // no known-successor drops: this pool serves runs that count every transition up to a stop
  const r = ex.expand(new Uint8Array(task.slice), task.count);
  const buf = packSlice(r, n);
  return Piscina.move(buf);
}
