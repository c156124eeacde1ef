/**
 * TAP version 13 as kselftest prints it (tools/testing/selftests/kselftest/
 * ktap_helpers.sh): the version line, the plan `1..N`, one `ok N name` /
 * `not ok N name` per test, `# XFAIL reason` on an expected failure (here: a
 * violation the file or matrix expects), `# SKIP reason` on a test with
 * nothing to assert, diagnostics as `# ` lines before their result, and the
 * `# Totals:` line at the end.
 */
import { printable } from './printable.js';

export interface TapCase {
  name: string;
  ok: boolean;
  directive?: { kind: 'SKIP' | 'XFAIL'; reason: string };
  /** lines printed as `# line` before the result (why it failed, its trace) */
  diagnostics?: string[];
}

/** A test description on one line: control characters escaped, and `#` escaped (it starts a directive). */
const desc = (s: string) => printable(s).replace(/#/g, '\\#');

export function renderTap(cases: readonly TapCase[]): string {
  const out = ['TAP version 13', `1..${cases.length}`];
  const n = { pass: 0, fail: 0, xfail: 0, skip: 0 };
  cases.forEach((c, i) => {
    for (const d of c.diagnostics ?? []) out.push(`# ${printable(d)}`);
    const d = c.directive ? ` # ${c.directive.kind} ${printable(c.directive.reason)}` : '';
    out.push(`${c.ok ? 'ok' : 'not ok'} ${i + 1} ${desc(c.name)}${d}`);
    if (!c.ok) n.fail++;
    else if (c.directive?.kind === 'XFAIL') n.xfail++;
    else if (c.directive?.kind === 'SKIP') n.skip++;
    else n.pass++;
  });
  out.push(`# Totals: pass:${n.pass} fail:${n.fail} xfail:${n.xfail} xpass:0 skip:${n.skip} error:0`);
  return out.join('\n') + '\n';
}
