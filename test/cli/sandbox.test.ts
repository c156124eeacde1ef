/**
 * Predicate files contained (issue 26 item 3), through the real binary: a
 * predicate that exits the process, loops, writes a file, tosses a coin,
 * keeps state or patches built-ins ends in one line and exit 2 (or, for the
 * patches, changes nothing outside its own realm); signals still end a run
 * whose predicate loops; replay runs no code a trace names.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { traceChecksum } from '../../src/report/tracefile.js';
import { fileSha256 } from '../../src/predicate/sandbox.js';
import { usageErrorLine } from '../helpers/cli.js';
import { mmcheckIn, mmcheckSpawn } from '../helpers/main.js';

const FIX = 'test/fixtures/sandbox';
const SHMEM = ['check', '--profile', 'shmem', '--era', 'v5.4', '-q'];
const abs = (f: string) => join(process.cwd(), FIX, f);
const dir = mkdtempSync(join(tmpdir(), 'mmcheck-sandbox-'));

describe('a predicate runs in a sandbox of its own', () => {
  it.each([
    ['exit.js', (f: string) => `mmcheck: --predicate kvm_huge=${f} threw on F0[0]: ReferenceError: process is not defined`],
    ['writes.ts', (f: string) => `mmcheck: --predicate kvm_huge=${f}: it imports 'node:fs': a predicate file cannot import modules (only \`import type\`); it sees only the PageView it is given`],
    ['random.ts', (f: string) => `mmcheck: --predicate kvm_huge=${f} threw on F0[0]: Math.random() is not available to a predicate: its answer must depend on the PageView alone`],
    [
      'stateful.ts',
      (f: string) =>
        `mmcheck: --predicate kvm_huge=${f} gave different answers for the same view (F0[0]): first false, then true; its answer must depend on the view alone (no Date, no state kept between calls)`,
    ],
    ['loop-load.ts', (f: string) => `mmcheck: --predicate kvm_huge=${f}: its top level ran longer than 1000 ms (an endless loop?)`],
  ])('%s: one line, exit 2', async (name, line) => {
    rmSync('/tmp/mmcheck-predicate-was-here', { force: true });
    const r = await mmcheckSpawn([...SHMEM, '--predicate', `kvm_huge=${FIX}/${name}`]);
    expect(usageErrorLine(r)).toBe(line(abs(name)));
    expect(existsSync('/tmp/mmcheck-predicate-was-here')).toBe(false);
  });

  it('a predicate that loops for ever: one line and exit 2 within --timeout, whatever the worker count', async () => {
    for (const workers of ['1', '2']) {
      const r = await mmcheckSpawn([...SHMEM, '--timeout', '20', '--workers', workers, '--predicate', `kvm_huge=${FIX}/loop.ts`]);
      expect(usageErrorLine(r)).toBe(`mmcheck: --predicate kvm_huge=${abs('loop.ts')} ran longer than 1000 ms on F0[0] (an endless loop?): a call is limited to 1000 ms`);
      expect(r.ms).toBeLessThan(20_000);
    }
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s ends a run whose predicate loops', async (sig, code) => {
    const r = await mmcheckSpawn([...SHMEM, '--predicate', `kvm_huge=${FIX}/loop.ts`], { signal: { name: sig, afterMs: 900 } });
    expect(r.status === code || r.signal === sig).toBe(true);
  });

  it('patching Math.max and Array.prototype.includes (and an unhandled rejection) stays in the predicate\'s realm: same counts as the built-in', async () => {
    const mine = await mmcheckSpawn([...SHMEM, '--json', '--predicate', `kvm_huge=${FIX}/patches.ts`]);
    const builtin = await mmcheckIn(...SHMEM, '--json', '--set', 'kvm_huge=TCM_hugh');
    expect(mine.status).toBe(0);
    expect(JSON.parse(mine.stdout).stats.distinct).toBe(5_257);
    expect(JSON.parse(mine.stdout).stats.transitions).toBe(JSON.parse(builtin.stdout).stats.transitions);
  });
});

describe('replay runs no code a trace names', () => {
  const PRED = 'models/thp/predicates/pmd_mapped_somewhere.ts';
  const trace = join(dir, 'pred.trace.json');
  const mine = join(dir, 'mine.ts');
  beforeAll(async () => {
    copyFileSync(PRED, mine);
    const r = await mmcheckSpawn(['check', '--era', 'v4.6', '--ops', 'write,fork,munmap,kvm', '-q', '--predicate', `kvm_huge=${mine}`, '--trace', trace]);
    expect(r.status).toBe(1);
  });

  it('the trace records the predicate file and its sha256', () => {
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    expect(t.config.predicate).toEqual({ kvm_huge: mine });
    expect(t.files).toEqual([{ role: 'predicate kvm_huge', path: mine, sha256: fileSha256(PRED) }]);
  });

  it('without --predicate, replay refuses (and loads nothing)', async () => {
    expect(usageErrorLine(await mmcheckSpawn(['replay', trace]))).toBe(
      `mmcheck: the trace was made with --predicate kvm_huge=${mine}; replay runs no code a trace names: give --predicate kvm_huge=FILE again (a file whose sha256 is ${fileSha256(PRED)})`,
    );
  });

  it('with the same file given again, it reproduces', async () => {
    const r = await mmcheckSpawn(['replay', trace, '--predicate', `kvm_huge=${PRED}`]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`mmcheck: replay of ${trace} reproduces ept-coherence in 6 steps\n`);
  });

  it('with a file of other content, replay refuses', async () => {
    const other = join(dir, 'other.ts');
    writeFileSync(other, `${readFileSync(PRED, 'utf8')}\n// edited\n`);
    expect(usageErrorLine(await mmcheckSpawn(['replay', trace, '--predicate', `kvm_huge=${other}`]))).toBe(
      `mmcheck: --predicate kvm_huge=${other}: its sha256 is ${fileSha256(other)}, but the trace was made with a file whose sha256 is ${fileSha256(PRED)}`,
    );
  });

  it('a trace that names another file in its config (checksum made again) still loads only what the user gave', async () => {
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    delete t.checksum;
    t.config.compare = { a: 'TCM_orig', b: join(process.cwd(), FIX, 'writes.ts') };
    t.checksum = traceChecksum(t);
    const f = join(dir, 'evil.trace.json');
    writeFileSync(f, JSON.stringify(t));
    const r = await mmcheckSpawn(['replay', f, '--predicate', `kvm_huge=${PRED}`]);
    expect(usageErrorLine(r)).toBe(`mmcheck: --predicate kvm_huge=${abs('writes.ts')}: replay loads only the predicate files given again with --predicate`);
  });
});
