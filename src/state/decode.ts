/** Generic decoded view of a packed state: every layout field by name (Immutable, for traces and diffs). */
import type { OrderedMap } from 'immutable';
import { immutable } from './immutable.js';
import type { Layout } from './layout.js';

export function decodeLayout(layout: Layout, s: Uint8Array): OrderedMap<string, number | string> {
  return immutable().OrderedMap<string, number | string>().withMutations((m) => {
    for (const f of layout.table) {
      const v = layout.value(s, f);
      m.set(f.name, f.format ? f.format(v) : v);
    }
  });
}
