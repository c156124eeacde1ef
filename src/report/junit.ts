/**
 * JUnit XML, the format CI systems (GitLab, Jenkins, GitHub test reporters)
 * read: one <testsuite> per scenario file, one <testcase> per era x check.
 * Text is escaped for XML 1.0; characters XML cannot carry are dropped.
 */

export interface JUnitCase {
  name: string;
  classname: string;
  /** seconds */
  time: number;
  failure?: { message: string; type: string; text: string };
}

export interface JUnitSuite {
  name: string;
  file?: string;
  time: number;
  properties?: { name: string; value: string }[];
  cases: JUnitCase[];
}

/** XML 1.0 allows #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function clean(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    const ok = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    if (ok) out += ch;
  }
  return out;
}

export function xmlEscape(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Attribute values also keep their newlines and tabs (attribute normalisation would turn them into spaces). */
function attr(s: string): string {
  return xmlEscape(s).replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

const secs = (t: number) => t.toFixed(3);

export function renderJUnit(suites: JUnitSuite[], name = 'mmcheck'): string {
  const tests = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure).length, 0);
  const time = suites.reduce((n, s) => n + s.time, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${attr(name)}" tests="${tests}" failures="${failures}" errors="0" time="${secs(time)}">`);
  for (const s of suites) {
    const f = s.cases.filter((c) => c.failure).length;
    out.push(
      `  <testsuite name="${attr(s.name)}"${s.file ? ` file="${attr(s.file)}"` : ''} tests="${s.cases.length}" failures="${f}" errors="0" skipped="0" time="${secs(s.time)}">`,
    );
    if (s.properties?.length) {
      out.push('    <properties>');
      for (const p of s.properties) out.push(`      <property name="${attr(p.name)}" value="${attr(p.value)}"/>`);
      out.push('    </properties>');
    }
    for (const c of s.cases) {
      const open = `    <testcase name="${attr(c.name)}" classname="${attr(c.classname)}" time="${secs(c.time)}"`;
      if (!c.failure) {
        out.push(`${open}/>`);
        continue;
      }
      out.push(`${open}>`);
      out.push(`      <failure message="${attr(c.failure.message)}" type="${attr(c.failure.type)}">${xmlEscape(c.failure.text)}</failure>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
