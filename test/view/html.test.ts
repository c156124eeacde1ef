/**
 * `check --html`: Kirill Shutemov's counterexample to Andrea Arcangeli's first posting (era andrea-v1)
 * written as one HTML page, opened in headless Chromium and stepped through with the keyboard; at every
 * step the counters the page shows are the --json trace's values. A screenshot of the violating step
 * goes to test-artifacts/ (CI uploads it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { mmcheck, REPO_ROOT, usageErrorLine } from '../helpers/cli.js';
import { haveBrowser, launchBrowser } from '../helpers/browser.js';
import type { Trace } from '../../src/checker/trace.js';
import { embeddedData, statesFromJson } from '../helpers/html.js';
import { htmlPage } from '../../src/view/page.js';

const KIRILL = ['write(mm=0, addr=0)', 'fork(mm=0)', 'munmap(mm=0, range=[0..1])', 'munmap(mm=1, range=[2..3])', 'write(mm=1, addr=0)'];
const label = (s: { action: string; args: Record<string, unknown> }) => `${s.action}(${Object.entries(s.args).map(([k, v]) => `${k}=${v}`).join(', ')})`;

describe('check --era andrea-v1 --html', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-html-'));
  const file = join(dir, 'out.html');
  let trace: Trace;
  let html: string;
  beforeAll(() => {
    const r = mmcheck('check', '--era', 'andrea-v1', '--json', '-q', '--html', file);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    trace = report.properties.find((p: { name: string }) => p.name === 'rmap-integrity').trace;
    html = readFileSync(file, 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('embeds the --json trace, the decoded state of every step, and the field docs, machine-readable', () => {
    expect(trace.steps.map(label)).toEqual(KIRILL);
    const data = embeddedData(html);
    expect(data.mmcheck).toBe('html');
    expect(data.mode).toBe('trace');
    expect(data.title).toBe('mmcheck: VIOLATED rmap-integrity');
    // the violation first, then the covers' witnesses
    expect(data.traces.map((t: { title: string }) => t.title)[0]).toBe('rmap-integrity VIOLATED (5 steps)');
    expect(data.traces.slice(1).every((t: { group: string }) => t.group === 'witness')).toBe(true);
    expect(data.traces[0].trace).toEqual(trace);
    expect(data.traces[0].states).toHaveLength(6);
    expect(data.traces[0].states[5]).toEqual(trace.final);
    expect(data.traces[0].states[0]).toEqual(trace.initial);
    expect(data.docs['F0._mapcount[]']).toBe('per-subpage _mapcount (raw, -1 based)');
    // self-contained: no external script, style, image or link; a CSP that forbids loading anything
    expect(html).not.toMatch(/<script[^>]+src=|<link |<img |@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain(`connect-src 'none'`);
  });

  it('refuses an --html file it cannot write, before searching (one line, exit 2)', () => {
    expect(usageErrorLine(mmcheck('check', '--era', 'andrea-v1', '--html', join(dir, 'no/such/dir/x.html')))).toBe(
      `mmcheck: cannot write HTML file ${join(dir, 'no/such/dir/x.html')}: ENOENT`,
    );
  });

  describe.skipIf(!haveBrowser)('in headless Chromium', () => {
    let browser: Browser;
    let page: Page;
    const requests: string[] = [];
    beforeAll(async () => {
      browser = await launchBrowser();
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, colorScheme: 'light' });
      page.on('request', (r) => void requests.push(r.url()));
      await page.goto(`file://${file}`);
    });
    afterAll(async () => {
      await browser?.close();
    });

    const shown = (p: Page) => p.$$eval('.trace.current .step.current [data-field]', (els) => els.map((e) => [e.getAttribute('data-field')!, e.textContent!, e.classList.contains('chg')] as const));

    it('steps through every step with the arrow keys, showing the --json trace values at each', async () => {
      const expected = statesFromJson(trace);
      const n = trace.steps.length;
      expect(await page.evaluate(() => document.body.dataset.step)).toBe('0');
      for (let k = 0; k <= n; k++) {
        if (k > 0) await page.keyboard.press('ArrowRight');
        expect(await page.evaluate(() => [document.body.dataset.step, location.hash])).toEqual([String(k), k === 0 ? '' : `#step=${k}`]);
        const cells = await shown(page);
        const got = new Map(cells.map(([f, v]) => [f, v]));
        expect(got.size).toBe(cells.length); // each field once
        const want = expected[k]!;
        for (const [f, v] of Object.entries(want)) expect(got.get(f), `step ${k} ${f}`).toBe(String(v));
        // a field the changes leave ambiguous ('-' is both a value and "absent") may only show '-'
        for (const [f, v] of got) if (!(f in want)) expect(v, `step ${k} ${f}`).toBe('-');
        // exactly this step's changes are highlighted
        const changed = new Set(k > 0 ? trace.steps[k - 1]!.changes.map((c) => c.field) : []);
        expect(cells.filter(([, , chg]) => chg).map(([f]) => f).sort()).toEqual([...changed].filter((f) => got.has(f)).sort());
        const head = await page.textContent('.trace.current .step.current h2');
        expect(head).toBe(k === 0 ? 'Initial state' : `Step ${k} of ${n}: ${KIRILL[k - 1]}`);
      }
      // the last step: exactly the final state, and the verdict
      const last = new Map((await shown(page)).map(([f, v]) => [f, v]));
      expect(Object.fromEntries(last)).toEqual(Object.fromEntries(Object.entries(trace.final).map(([f, v]) => [f, String(v)])));
      expect(await page.textContent('.trace.current .step.current .verdict')).toBe(`=> violates rmap-integrity (always): ${trace.why}`);
      // past the end stays at the end; Home and End jump
      await page.keyboard.press('ArrowRight');
      expect(await page.evaluate(() => document.body.dataset.step)).toBe(String(n));
      await page.keyboard.press('Home');
      expect(await page.evaluate(() => document.body.dataset.step)).toBe('0');
      await page.keyboard.press('ArrowLeft');
      expect(await page.evaluate(() => document.body.dataset.step)).toBe('0');
      await page.keyboard.press('End');
      expect(await page.evaluate(() => document.body.dataset.step)).toBe(String(n));
      expect(requests.every((u) => u.startsWith('file:'))).toBe(true);
    });

    it('draws each mapping as an arrow to the subpage it maps, the step\'s own changes bold', async () => {
      await page.goto(`file://${file}#step=5`);
      const arrows = await page.$$eval('.trace.current .step.current [data-arrow]', (els) => els.map((e) => [e.getAttribute('data-arrow'), e.classList.contains('chg')]));
      // mm0 maps F0[2..3], mm1 F0[0..1]; the child's write made its PTE 0 writable
      expect(arrows).toEqual([
        ['mm0.pte[2]->F0[2]', false],
        ['mm0.pte[3]->F0[3]', false],
        ['mm1.pte[0]->F0[0]', true],
        ['mm1.pte[1]->F0[1]', false],
      ]);
      await page.goto(`file://${file}#step=2`);
      expect(await page.evaluate(() => document.body.dataset.step)).toBe('2');
      // after fork both PMDs map the whole THP
      expect(await page.$$eval('.trace.current .step.current [data-arrow]', (els) => els.map((e) => e.getAttribute('data-arrow')))).toEqual(['mm0.pmd->F0', 'mm1.pmd->F0']);
    });

    it("shows a field no code knows (a later era's mm-id slots) in its entity's table and picture, with what it reads", async () => {
      const base = statesFromJson(trace)[5]!;
      const later = { ...base, 'F0._mm_id[0]': 1, 'F0._mm_id[1]': 0, 'F0.mm_id_mapcount[0]': 1, 'F0.maybe_mapped_shared': 1, 'zz.new_thing': 'yes' };
      const step = { ...trace.steps[4]!, reads: ['F0._mm_id[0] = 1', 'F0.maybe_mapped_shared'], changes: [{ field: 'F0._mm_id[0]', from: 0, to: 1 }] };
      const t = { ...trace, steps: [step], initial: base, final: later, actionIds: [0] };
      const synthetic = join(dir, 'later.html');
      writeFileSync(
        synthetic,
        htmlPage({ mmcheck: 'html', version: 1, mode: 'trace', title: 't', subtitle: [], docs: {}, traces: [{ title: 't', group: 'violation', trace: t, states: [base, later] }] }),
      );
      const p = await browser.newPage();
      await p.goto(`file://${synthetic}#step=1`);
      const cells = new Map(await p.$$eval('.step.current [data-field]', (els) => els.map((e) => [e.getAttribute('data-field')!, [e.textContent!, e.className, e.closest('.card')!.getAttribute('data-entity')!]] as const)));
      expect(cells.get('F0._mm_id[0]')).toEqual(['1', 'v chg read', 'F0']);
      expect(cells.get('F0._mm_id[1]')).toEqual(['0', 'v', 'F0']);
      expect(cells.get('F0.maybe_mapped_shared')).toEqual(['1', 'v read', 'F0']);
      expect(cells.get('zz.new_thing')).toEqual(['yes', 'v', 'zz']);
      expect(await p.textContent('.step.current dd.reads')).toBe('F0._mm_id[0] = 1; F0.maybe_mapped_shared');
      // the folio's picture lists its new counters too, in its header (slot arrays are not per subpage)
      const f0 = await p.$$eval('.step.current [data-block="F0"] text', (els) => els.map((e) => e.textContent));
      expect(f0.slice(0, 4)).toEqual(['F0', '_refcount=4  compound_mapcount=-1', 'PageDoubleMap=0  mapping=av1  _mm_id[0]=1', '_mm_id[1]=0  mm_id_mapcount[0]=1']);
      expect(f0).toContain('maybe_mapped_shared=1');
      await p.close();
    });

    it('opens at the step its address names, shows a tab per trace, and prints every step', async () => {
      const p = await browser.newPage({ colorScheme: 'dark', viewport: { width: 1400, height: 1000 } });
      await p.goto(`file://${file}#step=5`);
      expect(await p.evaluate(() => document.body.dataset.step)).toBe('5');
      const dir = join(REPO_ROOT, 'test-artifacts', 'html');
      mkdirSync(dir, { recursive: true });
      await page.goto(`file://${file}#step=5`);
      await page.screenshot({ path: join(dir, 'andrea-v1-rmap-integrity-step5.png'), fullPage: true });
      const bg = (q: Page) => q.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(await bg(page)).toBe('rgb(255, 255, 255)');
      expect(await bg(p)).toBe('rgb(13, 17, 23)');
      await p.close();
      // the witnesses are tabs; #trace=1 opens the second
      const tabs = await page.$$eval('nav.traces button', (els) => els.map((e) => e.textContent));
      expect(tabs[0]).toBe('rmap-integrity VIOLATED (5 steps)');
      await page.goto(`file://${file}#trace=1&step=1`);
      expect(await page.evaluate(() => [document.body.dataset.trace, document.body.dataset.step])).toEqual(['1', '1']);
      expect(await page.textContent('.trace.current h2.ttitle')).toBe(tabs[1]);
      await page.goto(`file://${file}#step=0`);
      // in print, every step of the shown trace is laid out, on light paper
      await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
      const visible = await page.$$eval('.trace.current .step', (els) => els.filter((e) => getComputedStyle(e).display !== 'none').length);
      expect(visible).toBe(6);
      expect(await bg(page)).toBe('rgb(255, 255, 255)');
      await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
    });
  });
});
