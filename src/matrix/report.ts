/**
 * Matrix reports: the text table on stdout, the JSON report (MatrixResult as
 * is; fields may be added, never renamed) and JUnit XML: one testsuite for
 * the matrix, one testcase per (cell, checked property), classname = the
 * cell id, a failure for each expectation the cell missed (with the first
 * counterexample's steps), plus an `exhaustive` testcase for cells that
 * require an exhaustive search.
 */
import { renderJUnit, type JUnitCase } from '../report/junit.js';
import { fmtInt } from '../report/progress.js';
import { showsBug, WITNESS_TITLES } from '../scenario/runner.js';
import type { TapCase } from '../report/tap.js';
import { printable } from '../report/printable.js';
import type { CellResult, MatrixResult, PropertyOutcome } from './run.js';

const shown = (p: PropertyOutcome) => p.expected !== 'any' || p.status === 'violated';

export function renderMatrixTable(r: MatrixResult): string {
  const head = ['', 'CELL', 'SEARCH', 'STATES', 'TRANSITIONS', 'DEPTH', 'TIME', 'PROPERTIES'];
  const rows = r.cells.map((c) => [
    c.pass ? 'pass' : 'FAIL',
    printable(c.id),
    c.verdict,
    fmtInt(c.distinct),
    fmtInt(c.transitions),
    c.depth === null ? '-' : String(c.depth),
    `${c.seconds.toFixed(2)}s`,
    c.properties
      .filter(shown)
      .map((p) => `${p.name}=${p.status}${p.pass ? '' : `(expected ${p.expected})`}`)
      .join(' '),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const right = new Set([3, 4, 5, 6]);
  const line = (cells: string[]) =>
    cells
      .map((x, i) => (right.has(i) ? x.padStart(w[i]!) : x.padEnd(w[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`matrix ${r.matrix} (${r.file}): ${r.cells.length} cell${r.cells.length === 1 ? '' : 's'}`, line(head), ...rows.map(line)];
  for (const c of r.cells.filter((x) => !x.pass)) {
    out.push('');
    for (const f of c.failures) out.push(`FAIL ${printable(f)}`);
    for (const p of c.properties.filter((x) => !x.pass && x.trace)) {
      const title = Object.hasOwn(WITNESS_TITLES, p.trace!.property) ? WITNESS_TITLES[p.trace!.property]! : null;
      const kind = p.status === 'reached' || p.kind === 'sometimes' || title ? 'witness' : 'counterexample';
      out.push(`  ${kind} ${title ? `of ${title.what}` : `for ${p.name}`}, ${p.trace!.steps.length} steps:`);
      p.trace!.steps.forEach((s, i) => out.push(`    ${i + 1}. ${s}`));
    }
  }
  const failed = r.cells.filter((c) => !c.pass);
  out.push(
    '',
    failed.length === 0
      ? `result: ${r.cells.length === 1 ? 'the cell passes' : `all ${r.cells.length} cells pass`} (${r.exhaustive} exhaustive, ${r.bounded} bounded)`
      : `result: ${failed.length} of ${r.cells.length} cells FAILED: ${failed.map((c) => printable(c.id)).join(', ')}`,
  );
  return out.join('\n') + '\n';
}

function cellCases(c: CellResult): JUnitCase[] {
  const cases: JUnitCase[] = c.properties.map((p, i) => {
    const jc: JUnitCase = { name: p.name, classname: c.id, time: i === 0 ? c.seconds : 0 };
    if (!p.pass) {
      const message = c.failures.find((f) => f.includes(` ${p.name}: `)) ?? `cell ${c.id}: ${p.name}: expected ${p.expected}, observed ${p.status}`;
      const steps = p.trace ? [`${p.trace.steps.length} steps:`, ...p.trace.steps.map((s, k) => `  ${k + 1}. ${s}`)] : [];
      jc.failure = { message, type: 'expectation', text: [message, ...steps].join('\n') };
    }
    return jc;
  });
  const notExhaustive = c.failures.find((f) => f.includes(': search not exhaustive: '));
  if (notExhaustive) cases.push({ name: 'exhaustive', classname: c.id, time: 0, failure: { message: notExhaustive, type: 'bound', text: notExhaustive } });
  return cases;
}

/** TAP: one test per (cell, checked property), as the JUnit cases; an expected violation is XFAIL, no expectation SKIP. */
export function matrixTap(r: MatrixResult): TapCase[] {
  const cases: TapCase[] = [];
  for (const c of r.cells) {
    for (const p of c.properties) {
      const name = `${c.id} ${p.name}`;
      if (!p.pass) {
        const message = c.failures.find((f) => f.includes(` ${p.name}: `)) ?? `cell ${c.id}: ${p.name}: expected ${p.expected}, observed ${p.status}`;
        const steps = p.trace ? [`${p.trace.steps.length} steps:`, ...p.trace.steps.map((s, k) => `  ${k + 1}. ${s}`)] : [];
        cases.push({ name, ok: false, diagnostics: [message, ...steps] });
      } else if (p.expected === 'any') cases.push({ name, ok: true, directive: { kind: 'SKIP', reason: `no expectation (observed ${p.status})` } });
      else if (p.status === 'violated' || (p.kind === 'condition' && showsBug('condition', p.status, p.condition)))
        cases.push({ name, ok: true, directive: { kind: 'XFAIL', reason: `${p.status}, as expected` } });
      else cases.push({ name, ok: true });
    }
    const cut = c.failures.find((f) => f.includes(': search not exhaustive: '));
    if (cut) cases.push({ name: `${c.id} exhaustive`, ok: false, diagnostics: [cut] });
  }
  return cases;
}

export function renderMatrixJUnit(r: MatrixResult): string {
  return renderJUnit(
    [
      {
        name: r.matrix,
        file: r.file,
        time: r.seconds,
        properties: r.cells.map((c) => ({
          name: c.id,
          value: `${c.verdict}${c.cut ? ` (${c.cut})` : ''}, ${c.distinct} states, ${c.transitions} transitions, depth ${c.depth ?? '-'}, ${c.seconds.toFixed(3)}s`,
        })),
        cases: r.cells.flatMap(cellCases),
      },
    ],
    `mmcheck matrix ${r.matrix}`,
  );
}
