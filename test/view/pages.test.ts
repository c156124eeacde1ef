/**
 * The other pictures: bench --curve --plot and compare --plot (SVG the test reads back), compare --html,
 * replay --html, and run --html-dir (a page per failed expectation, per failing cell with --matrix).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mmcheck, REPO_ROOT, usageErrorLine } from '../helpers/cli.js';
import { parseXml, type XmlElement } from '../helpers/xml.js';
import { embeddedData } from '../helpers/html.js';
import { curvePlot } from '../../src/view/plot.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function all(e: XmlElement, pred: (x: XmlElement) => boolean): XmlElement[] {
  return [...(pred(e) ? [e] : []), ...e.children.flatMap((c) => all(c, pred))];
}

describe('bench --curve --plot', () => {
  it('writes an SVG whose marks are the curve --json reports', () => {
    const svg = join(dir, 'curve.svg');
    const r = mmcheck('bench', '--curve', '1,2', '--only', 'thp-core v4.6 P2 N2', '--repeat', '1', '--plot', svg, '--json', '-q');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    const doc = parseXml(readFileSync(svg, 'utf8'));
    expect(doc.name).toBe('svg');
    const g = all(doc, (e) => e.attrs.class === 'config');
    expect(g.map((e) => e.attrs['data-config'])).toEqual(['thp-core v4.6 P2 N2']);
    const marks = (cls: string) => all(g[0]!, (e) => e.attrs.class === cls).map((e) => [Number(e.attrs['data-workers']), Number(e.attrs['data-speedup'])]);
    const points = j.curve[0].points;
    expect(marks('speedup')).toEqual(points.map((p: { workers: number; speedup: number }) => [p.workers, p.speedup]));
    expect(marks('speedup')[0]).toEqual([1, 1]);
    // the 2 runs at once: the machine's ceiling for 2 workers
    expect(marks('ceiling')).toEqual([[2, points[1].ceiling.speedup]]);
    expect(all(doc, (e) => e.name === 'title')[0]!.text).toBe('speedup per worker count: thp-core v4.6 P2 N2');
  });

  it('needs --curve, and a file it can write (one line, exit 2)', () => {
    expect(usageErrorLine(mmcheck('bench', '--plot', join(dir, 'x.svg')))).toBe('mmcheck: --plot draws a scaling curve: it needs --curve');
    expect(usageErrorLine(mmcheck('bench', '--curve', '2', '--plot', join(dir, 'none/x.svg')))).toBe(`mmcheck: cannot write plot ${join(dir, 'none/x.svg')}: ENOENT`);
  });

  it('scales its axis to the larger of the counts and the speedups, one line per configuration', () => {
    const run = (seconds: number) => ({ distinct: 1, transitions: 1, seconds, statesPerSec: 1, peakRssBytes: 1, bytesPerState: 1, workers: 1, threads: 0, exhaustive: true, verdicts: {}, runs: [seconds] });
    const row = (name: string, s2: number, s4: number) => ({
      name,
      args: [],
      points: [
        { workers: 1, run: run(1), speedup: 1, efficiency: 1, ceiling: null },
        { workers: 2, run: run(1 / s2), speedup: s2, efficiency: s2 / 2, ceiling: null },
        { workers: 4, run: run(1 / s4), speedup: s4, efficiency: s4 / 4, ceiling: { speedup: 3.5, runs: [[1]], share: s4 / 3.5 } },
      ],
    });
    const doc = parseXml(curvePlot({ counts: [1, 2, 4], curve: [row('a', 1.9, 3.1), row('b', 1.2, 1.4)] }));
    const ys = (name: string) => all(doc, (e) => e.attrs['data-config'] === name).flatMap((g) => all(g, (e) => e.attrs.class === 'speedup').map((e) => Number(e.attrs.cy)));
    const a = ys('a');
    const b = ys('b');
    // higher speedup, higher on the chart (smaller y); both start at the same height (1x)
    expect(a[0]).toBe(b[0]);
    expect(a[2]!).toBeLessThan(b[2]!);
    // the y axis reaches 4 (the largest count): a tick labelled 4
    expect(all(doc, (e) => e.name === 'text' && e.attrs.class === 'muted').map((e) => e.text)).toContain('4');
  });
});

describe('compare --plot and --html', () => {
  it("draws each side's counts as --json reports them, and puts the chart above each class's shortest example", () => {
    const svg = join(dir, 'compare.svg');
    const html = join(dir, 'compare.html');
    const r = mmcheck('compare', '--set', 'kvm_huge=TCM_yang_v1', '--vs', 'kvm_huge=TCM_hugh', '--json', '-q', '--plot', svg, '--html', html);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    const doc = parseXml(readFileSync(svg, 'utf8'));
    const sides = all(doc, (e) => e.attrs.class === 'side');
    expect(sides.map((s) => [s.attrs['data-side'], s.attrs['data-variant']])).toEqual([['A', 'TCM_yang_v1'], ['B', 'TCM_hugh']]);
    const counts = sides.map((s) => Object.fromEntries(all(s, (e) => e.attrs['data-class'] !== undefined).map((e) => [e.attrs['data-class'], Number(e.attrs['data-count'])])));
    // the stale false negatives are drawn only where there are some
    const fromJson = j.sides.map((s: { counts: Record<string, number> }) => Object.fromEntries(Object.entries(s.counts).filter(([k, v]) => k !== 'false-negative-stale' || v > 0)));
    expect(counts).toEqual(fromJson);
    // the README's figures: 384 / 0 / 72 (24 with no PTE mapping) against 440 / 0 / 16
    expect(counts[0]).toEqual({ agree: 384, 'false-positive': 0, 'false-negative': 72, 'false-negative-stale': 24 });
    expect(counts[1]).toEqual({ agree: 440, 'false-positive': 0, 'false-negative': 16 });
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<div class="charts"><svg xmlns="http://www.w3.org/2000/svg" class="mmplot"');
    const data = embeddedData(page);
    expect(data.title).toBe('mmcheck compare kvm_huge: A = TCM_yang_v1, B = TCM_hugh');
    expect(data.traces.map((t: { title: string }) => t.title)).toEqual([
      'A (TCM_yang_v1): false negative (missed 2M)',
      'A (TCM_yang_v1): false negative while no PTE maps the THP anywhere (the predicate reads history)',
      'B (TCM_hugh): false negative (missed 2M)',
    ]);
    expect(data.traces[0].trace).toEqual(j.sides[0].examples['false-negative']);
    expect(data.traces[2].trace).toEqual(j.sides[1].examples['false-negative']);
  });
});

describe('replay --html', () => {
  it('writes the replayed trace of any model, its states first to last', () => {
    const t = join(dir, 'mutex.json');
    expect(mmcheck('check', '--model', 'mutex-broken', '--trace', t, '-q').status).toBe(1);
    const html = join(dir, 'mutex.html');
    const r = mmcheck('replay', t, '--html', html);
    expect(r.status).toBe(0);
    const data = embeddedData(readFileSync(html, 'utf8'));
    expect(data.title).toBe(`mmcheck replay: ${t} reproduces mutual-exclusion`);
    const saved = JSON.parse(readFileSync(t, 'utf8'));
    expect(data.traces[0].states[0]).toEqual(saved.initial);
    expect(data.traces[0].states.at(-1)).toEqual(saved.final);
    expect(data.traces[0].trace.actionIds).toEqual(saved.actionIds);
  });
});

describe('run --html-dir', () => {
  // Kirill's scenario with its andrea-v1 expectation turned round: that era now fails two checks
  const litmus = join(dir, 'kirill.litmus');
  writeFileSync(
    litmus,
    readFileSync(join(REPO_ROOT, 'models/scenarios/fork-munmap-halves+wpreuse.litmus'), 'utf8').replace(' * Result: Sometimes era=andrea-v1', ' * Result: Never era=andrea-v1'),
  );

  it('writes a page per failed expectation, named file.era.check, holding the trace --json reports', () => {
    const out = join(dir, 'pages');
    const r = mmcheck('run', litmus, '--json', '--html-dir', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mmcheck: 2 HTML pages of failures written to ${out}\n`);
    expect(readdirSync(out).sort()).toEqual(['kirill.andrea-v1.condition.html', 'kirill.andrea-v1.rmap-integrity.html']);
    const checks = JSON.parse(r.stdout).files[0].checks.filter((c: { pass: boolean }) => !c.pass);
    const page = embeddedData(readFileSync(join(out, 'kirill.andrea-v1.rmap-integrity.html'), 'utf8'));
    expect(page.traces[0].trace).toEqual(checks.find((c: { check: string }) => c.check === 'rmap-integrity').trace);
    expect(page.subtitle).toEqual([
      `FAIL ${litmus} (FORK-SPLIT-MUNMAP+wpreuse): era andrea-v1, property rmap-integrity: expected holds, observed violated (Result line 4)`,
    ]);
  });

  it('with --matrix, a page per failed expectation of each failing cell', () => {
    const matrix = join(dir, 'm.json');
    writeFileSync(matrix, JSON.stringify({ name: 't', checks: [{ model: 'thp', eras: ['andrea-v1', 'v4.6'], bounds: [{ procs: 2, subpages: 2 }] }], scenarios: ['kirill.litmus'] }));
    const out = join(dir, 'mpages');
    const r = mmcheck('run', '--matrix', matrix, '--html-dir', out, '-q');
    expect(r.status).toBe(1);
    expect(readdirSync(out).sort()).toEqual([
      'scenario_kirill.litmus_andrea-v1.condition.html',
      'scenario_kirill.litmus_andrea-v1.rmap-integrity.html',
      'thp_andrea-v1_procs=2_subpages=2.rmap-integrity.html',
    ]);
    const page = embeddedData(readFileSync(join(out, 'thp_andrea-v1_procs=2_subpages=2.rmap-integrity.html'), 'utf8'));
    expect(page.subtitle).toEqual(['cell thp/andrea-v1/procs=2,subpages=2: era andrea-v1, property rmap-integrity: expected holds, observed violated']);
    expect(page.traces[0].trace.property).toBe('rmap-integrity');
    expect(page.traces[0].trace.steps.map((s: { action: string }) => s.action)).toEqual(['write', 'fork', 'munmap', 'munmap', 'write']);
  });
});
