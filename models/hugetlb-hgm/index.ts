/** Registry entry for the hugetlb-hgm model, with what `mmcheck compare` needs to score its mapcount policies. */
import type { CompareSpec, ModelEntry } from '../registry.js';
import { DECISIONS, OPS, parseConfig } from './config.js';
import { CLASSES, CONSUMERS } from './coverage.js';
import { createHgmModel } from './model.js';

const compare: CompareSpec = {
  hooks: {
    mapcount_policy: {
      truth: 'the VMAs whose page tables map H (counted from the page tables, whatever the counters say)',
      note: 'side A drives the run (its refcount and guard, its fault sizes; policy D on either side: no PMD-sized leaves); side B\'s counters are kept alongside',
    },
  },
  consumers: CONSUMERS.map((c) => ({ id: c.id, title: c.title, truth: c.truth })),
  classes: CLASSES,
  // a hwpoisoned page reported unmapped while a process still maps it: that process goes on using poisoned memory
  unsafe: [['hwpoison-unmap', 'false-positive']],
  evaluations: 'each reachable smaps, mbind and memory_failure step, from a distinct state; smaps scores every entry it walks',
};

export const hgmEntry: ModelEntry = {
  id: 'hugetlb-hgm',
  description:
    "hugetlb high-granularity mapping (HGM, 2023 thread): one hugetlb page's refcount and mapcount as W-bit counters under the thread's four mapcount policies and its INT_MAX/2 guard",
  keys: ['procs', 'subpages', 'ops', 'set', 'bounds', 'compare'],
  create: (raw) => createHgmModel(parseConfig(raw)),
  catalog(kind) {
    if (kind === 'ops') return Object.entries(OPS).map(([name, description]) => ({ name, description }));
    if (kind === 'predicates')
      return Object.entries(DECISIONS).map(([name, d]) => ({ name, description: `${d.doc}; variants: ${d.variants.join(', ')}; default ${d.dflt} (--set ${name}=<variant>)` }));
    return undefined;
  },
  compare,
};
