/**
 * The expander a worker thread keeps per (model, config, property filter):
 * the model is rebuilt from the registry on first use in this thread (what
 * crosses threads is its id and JSON configuration, never functions).
 */
import { Expander } from '../src/checker/expand.js';
import { createModel } from '../models/registry.js';

const cache = new Map<string, { ex: Expander; n: number }>();

export function expanderFor(task: { modelId: string; configJson: string; only: string[] | null; directBytes?: number }): { ex: Expander; n: number } {
  const key = `${task.modelId}\u0000${task.configJson}\u0000${task.only?.join(',') ?? '*'}\u0000${task.directBytes ?? ''}`;
  let e = cache.get(key);
  if (!e) {
    const model = createModel(task.modelId, JSON.parse(task.configJson));
    e = { ex: new Expander(model, task.only ? new Set(task.only) : undefined, task.directBytes), n: model.stateBytes };
    cache.set(key, e);
  }
  return e;
}
