/**
 * `check --checkpoint FILE` / `--resume` through the real binary: a run
 * killed with SIGTERM after its first checkpoint, then resumed, prints
 * exactly the counts, depth, verdicts, traces and coverage of an
 * uninterrupted run; a checkpoint of another configuration is refused.
 * Needs `npx tsc -p .` first.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lines, mmcheck, usageErrorLine } from '../helpers/cli.js';
import { fileExists, runAndSignal } from '../helpers/kill.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-ckcli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 1,000,000 states over 54 levels: about a second of search, checkpointed every 0.2 s
const CELL = ['check', '--model', 'counters', '--procs', '6', '--json'];

/** Everything that must not depend on the interruption. */
export function essence(o: any) {
  return {
    exhaustive: o.exhaustive,
    cut: o.cut,
    distinct: o.stats.distinct,
    transitions: o.stats.transitions,
    depth: o.stats.depth,
    properties: o.properties.map((p: any) => ({ name: p.name, status: p.status, steps: p.trace?.steps.map((s: any) => `${s.action}(${JSON.stringify(s.args)})`) })),
    coverage: o.coverage,
    violated: o.violated,
  };
}

describe('check --checkpoint and --resume', () => {
  const file = join(dir, 'counters.ckpt');
  const saved = join(dir, 'saved.ckpt');

  it('killed after a checkpoint, resumed: the same report as an uninterrupted run', async () => {
    const ref = mmcheck(...CELL);
    expect(ref.status).toBe(1);
    const want = essence(JSON.parse(ref.stdout));
    expect(want.distinct).toBe(1_000_000);
    expect(want.properties[0].steps).toHaveLength(54);

    const killed = await runAndSignal([...CELL, '--checkpoint', file, '--checkpoint-every', '0.2'], fileExists(file));
    expect(killed.signalled).toBe(true);
    expect(killed.status).toBe(143);
    expect(killed.stdout).toBe('');
    expect(lines(killed.stderr)).toHaveLength(1);
    expect(killed.stderr).toMatch(new RegExp(`^mmcheck: check interrupted by SIGTERM; checkpoint ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at depth \\d+ \\([\\d,]+ states stored\\); continue with --resume\\n$`));
    expect(existsSync(file)).toBe(true);
    copyFileSync(file, saved);

    const resumed = mmcheck(...CELL, '--checkpoint', file, '--resume', '-q');
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(1);
    expect(essence(JSON.parse(resumed.stdout))).toEqual(want);
    // a finished run removes its checkpoint
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a checkpoint of another configuration (exit 2, one line)', () => {
    const r = mmcheck('check', '--model', 'counters', '--procs', '5', '--checkpoint', saved, '--resume');
    expect(usageErrorLine(r)).toBe(`mmcheck: checkpoint ${saved} was written for a different configuration`);
    const bound = mmcheck(...CELL, '--max-states', '500000', '--checkpoint', saved, '--resume');
    expect(usageErrorLine(bound)).toBe(`mmcheck: checkpoint ${saved} was written for a different configuration`);
  });

  it('--resume without a checkpoint file, or without a file that exists', () => {
    expect(usageErrorLine(mmcheck('check', '--model', 'mutex', '--resume'))).toBe('mmcheck: --resume needs --checkpoint <file>');
    expect(usageErrorLine(mmcheck('check', '--model', 'mutex', '--strategy', 'dfs', '--checkpoint', join(dir, 'x')))).toBe(
      'mmcheck: --checkpoint needs --strategy bfs (got dfs)',
    );
    expect(usageErrorLine(mmcheck('check', '--model', 'mutex', '--checkpoint', join(dir, 'no/such/dir.ckpt')))).toBe(
      `mmcheck: cannot write checkpoint ${join(dir, 'no/such/dir.ckpt')}: ENOENT`,
    );
    const fresh = mmcheck('check', '--model', 'mutex', '--checkpoint', join(dir, 'none.ckpt'), '--resume');
    expect(fresh.status).toBe(0);
    expect(fresh.stderr).toBe(`mmcheck: no checkpoint at ${join(dir, 'none.ckpt')}: starting from the initial states\n`);
  });
});
