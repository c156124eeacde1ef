/** Render engine paths as `name(arg,...)` strings, so tests pin readable action sequences. */
import type { Model } from '../../src/model.js';
import type { Path, SearchResult } from '../../src/checker/search.js';

export function actionLabel(model: Model, a: number): string {
  const info = model.describe(a);
  return `${info.name}(${Object.values(info.args).join(',')})`;
}

export function pathLabels(model: Model, path: Path | null | undefined): string[] | null {
  if (!path) return null;
  return path.actions.map((a) => actionLabel(model, a));
}

/** The finding for a property, by name. */
export function finding(model: Model, findings: readonly (Path | null)[], name: string): Path | null {
  const i = model.properties.findIndex((p) => p.name === name);
  if (i < 0) throw new Error(`model ${model.id} has no property ${name}`);
  return findings[i] ?? null;
}

/** Everything that must be identical between two runs of one search (1 and N workers, resumed and uninterrupted). */
export function essence(m: Model, r: SearchResult) {
  return {
    exhaustive: r.exhaustive,
    cut: r.cut,
    distinct: r.distinct,
    transitions: r.transitions,
    depth: r.depth,
    checked: r.checked,
    findings: r.findings,
    labels: r.findings.map((f) => pathLabels(m, f)),
    coverage: r.coverage,
  };
}
