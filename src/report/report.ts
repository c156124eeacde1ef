/**
 * The result of a check as one object: what `--json` prints (stable: fields
 * may be added, never renamed) and what the text and dot renderers read.
 */
import type { Model } from '../model.js';
import type { PropertyKind, PropertyStatus } from '../property.js';
import type { Probabilistic, SearchResult } from '../checker/search.js';
import { buildTrace, type Trace } from '../checker/trace.js';

export interface PropertyReport {
  name: string;
  kind: PropertyKind;
  description: string;
  status: PropertyStatus | 'not-checked';
  /** the shortest (bfs) counterexample, or the cover's witness */
  trace?: Trace;
}

export interface Report {
  model: string;
  era?: string;
  config: Record<string, unknown>;
  exhaustive: boolean;
  cut: string | null;
  stats: {
    distinct: number;
    transitions: number;
    depth: number;
    seconds: number;
    statesPerSec: number;
    workers: number;
    /** worker threads started: 0 when a parallel run ended before it needed them */
    threads: number;
    strategy: string;
    peakRssBytes: number;
    bytesPerState: number;
    collisionProbability: number | null;
  };
  /** present when a memory budget switched the search to bitstate: completeness is probabilistic */
  probabilistic?: Probabilistic;
  properties: PropertyReport[];
  coverage: { point: string; count: number }[];
  violated: string[];
}

export function makeReport(model: Model, config: Record<string, unknown>, r: SearchResult): Report {
  const properties: PropertyReport[] = model.properties.map((p, i) => {
    const f = r.findings[i] ?? null;
    let status: PropertyReport['status'];
    if (!r.checked[i]) status = 'not-checked';
    else if (p.kind === 'sometimes') status = f ? 'reached' : 'unreached';
    else status = f ? 'violated' : 'holds';
    const out: PropertyReport = { name: p.name, kind: p.kind, description: p.description, status };
    if (f && r.checked[i]) out.trace = buildTrace(model, config, p.name, f);
    return out;
  });
  const era = typeof model.summary.era === 'string' ? model.summary.era : undefined;
  return {
    model: model.id,
    ...(era ? { era } : {}),
    config: { ...model.summary },
    exhaustive: r.exhaustive,
    cut: r.cut,
    stats: {
      distinct: r.distinct,
      transitions: r.transitions,
      depth: r.depth,
      seconds: Number(r.seconds.toFixed(3)),
      statesPerSec: r.seconds > 0 ? Math.round(r.distinct / r.seconds) : r.distinct,
      workers: r.workers,
      threads: r.threads,
      strategy: r.strategy,
      peakRssBytes: r.peakRssBytes,
      bytesPerState: Number(r.bytesPerState.toFixed(2)),
      collisionProbability: r.collisionProbability,
    },
    ...(r.probabilistic ? { probabilistic: r.probabilistic } : {}),
    properties,
    // a model names a point '' where this configuration cannot reach it (a group of branches it does not have)
    coverage: model.coverPoints.map((point, i) => ({ point, count: r.coverage[i] ?? 0 })).filter((c) => c.point !== ''),
    violated: properties.filter((p) => p.status === 'violated').map((p) => p.name),
  };
}
