/**
 * Model id -> factory(config). Workers rebuild models from here, so a
 * factory must depend only on its (JSON) config.
 */
import type { Model } from '../src/model.js';
import { UsageError } from '../src/model.js';
import { createCounters } from './fixtures/counters.js';
import { createMutex } from './fixtures/mutex.js';
import { createThpCorePml, PML_ERA_ROWS, type PmlConfig } from './reference/thp-core-pml.js';
import { thpEntry } from './thp/index.js';
import { hgmEntry } from './hugetlb-hgm/index.js';
import { createScenarioModel, type ProgramSpec } from '../src/scenario/program.js';

export interface ModelEntry {
  id: string;
  description: string;
  /** config keys the factory understands; others are a usage error */
  keys: readonly string[];
  create(config: Record<string, unknown>): Model;
  /** rows for `mmcheck list eras|ops|predicates|scenarios` */
  catalog?(kind: string): CatalogRow[] | undefined;
  /** `mmcheck compare --model <id>`: the decision points it scores and how (models without one: thp's kvm_huge path) */
  compare?: CompareSpec;
}

/**
 * What `mmcheck compare` needs of a model that scores decision variants
 * itself. The model is built with config `compare: { a, b }` (the two
 * variants of the one hook) and, at each evaluation, fires the transition
 * cover `compare-<a|b>-<consumer>-<class>` and counts the coverage point
 * `compare <A|B> <consumer>: <class>`.
 */
export interface CompareSpec {
  /** decision points that can be compared: the ground truth they are scored against, and a note on how the run is driven */
  hooks: Record<string, { truth: string; note?: string }>;
  /** what is scored: one row per consumer */
  consumers: readonly { id: string; title: string; truth: string }[];
  /** score classes, agreement first */
  classes: readonly string[];
  /** (consumer, class) pairs that make compare exit 1 */
  unsafe: readonly (readonly [string, string])[];
  /** one line: what an evaluation is */
  evaluations: string;
}

export interface CatalogRow {
  name: string;
  description: string;
}

const entries: ModelEntry[] = [
  thpEntry,
  hgmEntry,
  {
    id: 'mutex',
    description: 'fixture: test-and-set lock over --procs processes (correct)',
    keys: ['procs'],
    create: (c) => createMutex(false, c as { procs?: number }),
  },
  {
    id: 'mutex-broken',
    description: 'fixture: lock with a separate test and set (violates mutual-exclusion in 4 steps)',
    keys: ['procs'],
    create: (c) => createMutex(true, c as { procs?: number }),
  },
  {
    id: 'counters',
    description: 'fixture: --procs independent counters 0..max (engine and parallel tests)',
    keys: ['procs', 'max'],
    create: (c) => createCounters(c as { procs?: number; max?: number }),
  },
  {
    id: 'thp-core-pml',
    description: "SPIN's reference model ../shared/bench/thp_core.pml, ported as written (--era v4.5|andrea-v1|v4.6, --procs 1..4, --subpages 2|4|6|8): the engines compared on one model",
    keys: ['era', 'procs', 'subpages'],
    create: (c) => createThpCorePml(c as PmlConfig),
    catalog: (kind) => (kind === 'eras' ? PML_ERA_ROWS : undefined),
  },
  {
    id: 'scenario',
    description: 'a scenario file (mmcheck run FILE.litmus): the interleavings of its processes\' programs over an inner model',
    keys: ['program'],
    create: (c) => createScenarioModel(c.program as ProgramSpec, createModel),
  },
];

export function registerModel(e: ModelEntry): void {
  if (entries.some((x) => x.id === e.id)) throw new Error(`model ${e.id} registered twice`);
  entries.push(e);
}

export function modelEntries(): readonly ModelEntry[] {
  return entries;
}

export function modelEntry(id: string): ModelEntry {
  const e = entries.find((x) => x.id === id);
  if (!e) throw new UsageError(`unknown model '${id}' (known: ${entries.map((x) => x.id).join(', ')})`);
  return e;
}

export function createModel(id: string, config: Record<string, unknown> = {}): Model {
  const e = modelEntry(id);
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    if (!e.keys.includes(k)) throw new UsageError(`model '${id}' has no option '${k}'${optionHint(k)}`);
  }
  return e.create(config);
}

function optionHint(k: string): string {
  const flags: Record<string, string> = { era: '--era', procs: '--procs', subpages: '--subpages', ops: '--ops', set: '--set', predicate: '--predicate', profile: '--profile', bounds: '--bound' };
  return Object.hasOwn(flags, k) ? ` (${flags[k]} does not apply to it)` : '';
}
