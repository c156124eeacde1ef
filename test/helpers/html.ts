/** Reading mmcheck's HTML pages back: the embedded data, and a trace's states rebuilt from its --json changes. */
import type { Trace } from '../../src/checker/trace.js';

/** The JSON in `<script type="application/json" id="mmcheck-data">`. */
export function embeddedData(html: string): any {
  const m = /<script type="application\/json" id="mmcheck-data">([^<]*)<\/script>/.exec(html);
  if (!m) throw new Error('no mmcheck-data script in the page');
  return JSON.parse(m[1]!);
}

/** The decoded state before each step and after it, from the initial state and each step's changes ('-': gone). */
export function statesFromJson(t: Trace): Record<string, number | string>[] {
  const out: Record<string, number | string>[] = [{ ...t.initial }];
  for (const s of t.steps) {
    const next = { ...out[out.length - 1]! };
    for (const c of s.changes) {
      if (c.to === '-') delete next[c.field];
      else next[c.field] = c.to;
    }
    out.push(next);
  }
  return out;
}
