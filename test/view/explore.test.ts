/**
 * `mmcheck explore --era v4.6`: the page on 127.0.0.1 driven by clicks through Kirill Shutemov's five
 * steps (the andrea-v1 counterexample's actions: write, fork, munmap, munmap, write), ending in the
 * state those actions reach under v4.6; the saved path replays with `mmcheck replay`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createModel } from '../../models/registry.js';
import { formatAction, replay } from '../../src/checker/trace.js';
import { Explorer } from '../../src/view/explore.js';
import { mmcheck, REPO_ROOT, usageErrorLine } from '../helpers/cli.js';
import { haveBrowser, launchBrowser } from '../helpers/browser.js';
import { VERSION } from '../../src/version.js';

const KIRILL = ['write(mm=0, addr=0)', 'fork(mm=0)', 'munmap(mm=0, range=[0..1])', 'munmap(mm=1, range=[2..3])', 'write(mm=1, addr=0)'];
const model = createModel('thp', { era: 'v4.6' });
const ids = KIRILL.map((l) => Array.from({ length: model.actionCount }, (_, a) => a).find((a) => formatAction(model.describe(a)) === l)!);
const finalState = () => {
  const { states } = replay(model, { init: 0, actions: ids });
  return model.decode(states[states.length - 1]!).toObject();
};

function request(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

describe('the explorer, in-process', () => {
  const ex = new Explorer(model, { era: 'v4.6' });

  it('lists the enabled actions with their successors, lazily from a path', () => {
    const at0 = ex.at([]);
    expect(at0.path).toEqual([]);
    expect(at0.state).toEqual(model.decode(model.initStates()[0]!).toObject());
    // from the initial state only mm0's faults and munmaps are enabled (one mm, nothing mapped)
    expect(at0.actions.map((a) => a.label)).toEqual([
      'write(mm=0, addr=0)', 'write(mm=0, addr=1)', 'write(mm=0, addr=2)', 'write(mm=0, addr=3)', 'fork(mm=0)',
      'munmap(mm=0, range=[0..1])', 'munmap(mm=0, range=[2..3])', 'munmap(mm=0, range=[0..3])',
    ]);
    expect(at0.saveAs).toEqual([]);
    const end = ex.at(ids);
    expect(end.path.map((s) => formatAction({ name: s.action, args: s.args, kernel: '' }))).toEqual(KIRILL);
    expect(end.state).toEqual(finalState());
    // v4.6 reuses the subpage without moving the folio's anon_vma: nothing is violated
    expect(end.properties.filter((p) => p.status === 'violated')).toEqual([]);
    expect(end.saveAs[0]).toBe('cow-reuse-thp-subpage');
  });

  it('refuses a malformed or disabled path and a property the path does not show', () => {
    expect(() => ex.parsePath('1,x')).toThrow(`not a path of action ids below ${model.actionCount}: '1,x'`);
    expect(() => ex.at([ids[3]!])).toThrow('step 1 (munmap(mm=1, range=[2..3])) is not enabled: the trace no longer reproduces');
    expect(() => ex.trace(ids, 'rmap-integrity')).toThrow("this path does not show 'rmap-integrity' (it shows: cow-reuse-thp-subpage, ");
  });
});

describe.skipIf(!haveBrowser)('mmcheck explore --era v4.6 in headless Chromium', () => {
  let server: ChildProcess;
  let url: string;
  let browser: Browser;
  let page: Page;
  let stderr = '';
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-explore-'));
  beforeAll(async () => {
    server = spawn(process.execPath, ['bin/mmcheck.js', 'explore', '--era', 'v4.6', '--port', '0'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr!.on('data', (d) => (stderr += d));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.on('data', (d) => {
        out += d;
        const m = /^mmcheck explore: thp era v4\.6 at (http:\/\/127\.0\.0\.1:\d+\/) \(this machine only; Ctrl-C stops it\)$/m.exec(out);
        if (m) resolve(m[1]!);
      });
      server.once('exit', (code) => reject(new Error(`explore exited ${code}: ${out}${stderr}`)));
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  });
  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const depth = (p: Page) => p.evaluate(() => document.body.dataset.depth);

  it("takes Kirill's five steps by clicking, ending in the state they reach, and saves a path that replays", async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-depth="0"]');
    for (const [i, l] of KIRILL.entries()) {
      await page.click(`button.act[data-label="${l}"]`);
      await page.waitForSelector(`body[data-depth="${i + 1}"]`);
    }
    expect(await page.evaluate(() => document.body.dataset.path)).toBe(ids.join(','));
    expect(await page.$$eval('.path button', (els) => els.map((e) => e.textContent))).toEqual(['initial state', ...KIRILL]);
    const cells = await page.$$eval('section.step [data-field]', (els) => els.map((e) => [e.getAttribute('data-field')!, e.textContent!]));
    expect(Object.fromEntries(cells)).toEqual(Object.fromEntries(Object.entries(finalState()).map(([f, v]) => [f, String(v)])));
    expect(await page.textContent('section.step h2')).toBe(`Step 5: ${KIRILL[4]}`);
    expect(await page.getAttribute('li[data-property="rmap-integrity"]', 'data-status')).toBe('holds');
    expect(await page.getAttribute('li[data-property="cow-reuse-thp-subpage"]', 'data-status')).toBe('fired');

    const file = join(dir, 'path.json');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    await download.saveAs(file);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    // the trace file format of issue 26: the package version, the schema id, a checksum replay checks
    expect([saved.mmcheck, saved.version, saved.schema, saved.model, saved.config, saved.property, saved.actionIds]).toEqual([
      'trace', VERSION, 'urn:mmcheck:trace:2', 'thp', { era: 'v4.6' }, 'cow-reuse-thp-subpage', ids,
    ]);
    expect(saved.final).toEqual(finalState());
    const r = mmcheck('replay', file);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`mmcheck: replay of ${file} reproduces cow-reuse-thp-subpage in 5 steps\n`);
  });

  it('goes back a step, back to any step of the path, and opens a path from its address', async () => {
    await page.click('#back');
    await page.waitForSelector('body[data-depth="4"]');
    await page.click('.path button[data-depth="2"]');
    await page.waitForSelector('body[data-depth="2"]');
    expect(await page.evaluate(() => location.hash)).toBe(`#path=${ids.slice(0, 2).join(',')}`);
    const fresh = await browser.newPage();
    await fresh.goto(`${url}#path=${ids.join(',')}`);
    await fresh.waitForSelector('body[data-depth="5"]');
    expect(await fresh.evaluate(() => document.body.dataset.path)).toBe(ids.join(','));
    await fresh.close();
    expect(await depth(page)).toBe('2');
  });

  it('answers loopback names only, says what is wrong with a bad path, and stops on SIGTERM', async () => {
    const port = new URL(url).port;
    expect((await request(`${url}api/state`, `attacker.example:${port}`)).status).toBe(403);
    expect((await request(`${url}api/state`, `localhost:${port}`)).status).toBe(200);
    const bad = await request(`${url}api/state?path=${ids[3]}`);
    expect(bad).toEqual({ status: 400, body: JSON.stringify({ error: 'step 1 (munmap(mm=1, range=[2..3])) is not enabled: the trace no longer reproduces' }) });
    expect((await request(`${url}api/trace?path=&property=rmap-integrity`)).status).toBe(400);
    expect(usageErrorLine(mmcheck('explore', '--era', 'v4.6', '--port', port))).toBe(`mmcheck: cannot listen on 127.0.0.1:${port}: EADDRINUSE (--port 0 takes any free port)`);
    const code = await new Promise<number | null>((resolve) => {
      server.once('exit', (c) => resolve(c));
      server.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});
