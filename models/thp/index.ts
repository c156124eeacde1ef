/** Registry entry for the THP model. */
import type { ModelEntry } from '../registry.js';
import { OP_STEPS, OPS, PROFILES, STEP_DOCS, parseConfig } from './config.js';
import { DECISIONS, ERAS } from './eras.js';
import { createThpModel } from './model.js';

export const thpEntry: ModelEntry = {
  id: 'thp',
  description: 'anonymous and shmem THP: mapcount/refcount, COW, fork, munmap, splits, GUP, KVM EPT, per kernel era',
  keys: ['era', 'procs', 'subpages', 'ops', 'set', 'profile', 'bounds', 'predicate', 'compare', 'symmetry'],
  create: (raw) => createThpModel(parseConfig(raw)),
  catalog(kind) {
    if (kind === 'eras') return ERAS.map((e) => ({ name: e.id, description: `${e.kernels}: ${e.commits}` }));
    if (kind === 'ops')
      return [
        ...Object.entries(OPS).map(([name, description]) => ({ name, description: OP_STEPS[name] ? `${description} [group: ${OP_STEPS[name]!.join(', ')}]` : description })),
        ...Object.entries(STEP_DOCS).map(([name, description]) => ({ name, description })),
      ];
    if (kind === 'predicates')
      return Object.entries(DECISIONS).map(([name, d]) => ({ name, description: `${d.doc}; variants: ${d.variants.join(', ')} (--set ${name}=<variant>)` }));
    if (kind === 'profiles') return Object.entries(PROFILES).map(([name, description]) => ({ name, description }));
    return undefined;
  },
};
