/**
 * piscina entry point of the merged parallel bfs: expand one slice of a BFS
 * level (the expander is cached per thread, workers/expanders.ts).
 */
import { Piscina } from '../src/checker/piscina.js';
import type { ExpandTask } from '../src/checker/parallel.js';
import { packSlice } from '../src/checker/wire.js';
import { expanderFor } from './expanders.js';

export default function expandSlice(task: ExpandTask): unknown {
  const { ex, n } = expanderFor(task);
  ex.setFound(task.found);
  // no known-successor drops: this pool serves runs that count every transition up to a stop
  const r = ex.expand(new Uint8Array(task.slice), task.count);
  return Piscina().move(packSlice(r, n));
}
