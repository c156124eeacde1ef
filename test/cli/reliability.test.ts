/**
 * Issue 26 (CLI and input side) and issue 25 items 5 and 7, through main()
 * in-process: exit statuses (70 for a bug, 3 for a cut that was not
 * allowed), --workers auto on Node 20, repeated flags, keys that name
 * Object.prototype's members, inputs deep or long enough to overflow a
 * recursive parser, result files written whole or not at all, and the
 * smaller defects each with the message it now gives.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerModel } from '../../models/registry.js';
import { glob } from '../../src/matrix/glob.js';
import { traceChecksum } from '../../src/report/tracefile.js';
import { lines, REPO_ROOT, usageErrorLine } from '../helpers/cli.js';
import { mmcheckIn } from '../helpers/main.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-rel-'));
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const HEADER = 'MM T\n(*\n * Result: Never\n *)\n';
const scenario = (name: string, body: string) => file(name, HEADER + body);
const matrix = (name: string, m: unknown) => file(name, JSON.stringify(m));

describe('exit statuses', () => {
  beforeAll(() => {
    registerModel({
      id: 'crash-fixture',
      description: 'test: its factory throws a TypeError, as a bug in a model would',
      keys: [],
      create: () => {
        throw new TypeError('boom');
      },
    });
  });

  it('a bug is exit 70 (never 1), one line naming the error and the report file; the stack only there', async () => {
    const r = await mmcheckIn('check', '--model', 'crash-fixture');
    expect(r.status).toBe(70);
    expect(r.stdout).toBe('');
    const errs = lines(r.stderr);
    expect(errs).toHaveLength(1);
    const m = errs[0]!.match(/^mmcheck: internal error \(a bug in mmcheck, not in the input\): TypeError: boom; the full report is in (\S+)$/);
    expect(m).not.toBeNull();
    const report = readFileSync(m![1]!, 'utf8');
    expect(report).toContain('TypeError: boom');
    expect(report).toMatch(/^\s+at /m);
    expect(report).toContain('arguments: ["check","--model","crash-fixture"]');
  });

  it('--debug adds the stack on stderr', async () => {
    const r = await mmcheckIn('check', '--model', 'crash-fixture', '--debug');
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(/^mmcheck: internal error .*\nTypeError: boom\n\s+at /);
  });

  it('check --require-exhaustive: 3 when a bound cut the search, 0 without the flag, 1 for a violation whatever the cut', async () => {
    const cut = ['check', '--model', 'counters', '--procs', '3', '--max-states', '100', '-q'];
    expect((await mmcheckIn(...cut)).status).toBe(0);
    const r = await mmcheckIn(...cut, '--require-exhaustive');
    expect(r.status).toBe(3);
    expect(r.stderr).toBe('mmcheck: the search was not exhaustive (state bound reached (--max-states 100)), and --require-exhaustive was given\n');
    expect((await mmcheckIn('check', '--model', 'mutex-broken', '--max-states', '20', '-q', '--require-exhaustive')).status).toBe(1);
    expect((await mmcheckIn('check', '--model', 'mutex', '-q', '--require-exhaustive')).status).toBe(0);
  });

  it('--workers auto is the number of CPUs this process may use (Node 20 has no navigator)', async () => {
    const r = await mmcheckIn('check', '--model', 'mutex', '--workers', 'auto', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).stats.workers).toBe(availableParallelism());
  });
});

describe('flags', () => {
  it.each([
    [['check', '--model', 'mutex', '--era', 'v4.6', '--era', 'v4.5'], "mmcheck: option '--era <id>' is given twice"],
    [['check', '--model', 'mutex', '--depth', '1', '--depth', '2'], "mmcheck: option '--depth <n>' is given twice"],
    [['run', '--matrix', 'a.json', '--matrix', 'b.json'], "mmcheck: option '--matrix <file>' is given twice"],
    [['check', '--set', 'reuse=R45', '--set', 'reuse=R46'], "mmcheck: option '--set <hook=variant>' argument 'reuse=R46' is invalid. 'reuse' is given twice."],
  ])('a repeated flag is an error, not "the last one wins": %j', async (args, line) => {
    expect(usageErrorLine(await mmcheckIn(...args))).toBe(line);
  });

  it('repeatable flags take several keys', async () => {
    const r = await mmcheckIn('check', '--era', 'v4.6', '--set', 'reuse=R45', '--set', 'pmd_reuse=P45', '--procs', '1', '--subpages', '2', '-q', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).config.flags).toMatchObject({ reuse: 'R45', pmd_reuse: 'P45' });
  });

  it('--procs: one rule and one message, the model\'s (the CLI took up to 64, the model 6)', async () => {
    for (const n of ['0', '7', '64'])
      expect(usageErrorLine(await mmcheckIn('check', '--procs', n))).toBe(`mmcheck: --procs must be a whole number from 1 to 6, got ${n}`);
  });
});

describe('keys named like Object.prototype members are keys like any other', () => {
  const KNOWN = 'reuse, pmd_reuse, pmd_cow, pmd_reuse_rmap, fork_cow, gup_cow, mapcount, foll_pin, split_steps, split_page_lock, file_thp, kvm_huge, ranges';
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('--set %s=x: an unknown decision point', async (k) => {
    expect(usageErrorLine(await mmcheckIn('check', '--set', `${k}=x`))).toBe(`mmcheck: unknown decision point '${k}' in --set (known: ${KNOWN})`);
  });

  it.each([
    [['check', '--ops', 'constructor'], /^mmcheck: unknown operation 'constructor' in --ops \(known: read, /],
    [['check', '--profile', 'constructor'], /^mmcheck: unknown profile 'constructor' \(known: full, shmem, thp-core\)$/],
    [['compare', '--vs', 'constructor=x'], /^mmcheck: compare knows the decision points kvm_huge, not 'constructor'$/],
    [['compare', '--set', 'kvm_huge=TC', '--vs', 'kvm_huge=constructor'], /^mmcheck: unknown kvm_huge predicate 'constructor' \(built-in: /],
    [['check', '--model', 'hugetlb-hgm', '--ops', 'constructor'], /^mmcheck: unknown operation 'constructor' in --ops for the hugetlb-hgm model \(known: /],
    [['compare', '--model', 'hugetlb-hgm', '--vs', 'constructor=x'], /^mmcheck: model hugetlb-hgm compares the decision points \S+, not 'constructor'$/],
  ])('%j', async (args, line) => {
    expect(usageErrorLine(await mmcheckIn(...args))).toMatch(line);
  });

  it.each([
    ['set.constructor=x', "unknown decision point 'constructor' in --set"],
    ['set.toString=x', "unknown decision point 'toString' in --set"],
    ['set.__proto__=x', "unknown decision point '__proto__' in --set"],
    ['constructor=1', "model thp has no option 'constructor'"],
  ])('a scenario setting %s: one line at its place', async (decl, what) => {
    const f = scenario(`key-${decl.replace(/\W/g, '')}.litmus`, `{ ${decl}; }\nP0 { write(0); }\nera v4.6\ncheck rmap-integrity\n`);
    expect(usageErrorLine(await mmcheckIn('run', '-q', f))).toContain(`${f}:5:3: `);
    expect(usageErrorLine(await mmcheckIn('run', '-q', f))).toContain(what);
  });

  it.each(['__proto__', 'constructor'])('a matrix set with key %s: one line naming the cell', async (k) => {
    const f = file(`set-${k}.json`, `{"checks": [{"eras": ["v4.6"], "bounds": [{"procs": 1, "set": {"${k}": "x"}}]}]}`);
    expect(usageErrorLine(await mmcheckIn('run', '--matrix', f, '--dry-run'))).toMatch(
      new RegExp(`^mmcheck: .*set-${k}\\.json: checks\\[0\\] \\(thp\\), era v4\\.6, bounds procs=1,set\\.${k}=x: unknown decision point '${k}' in --set`),
    );
  });

  it('a matrix bound named constructor for a model without it: the plain message (it quoted Object\'s source)', async () => {
    const f = file('ctor.json', '{"checks": [{"model": "mutex", "bounds": [{"constructor": 1}]}]}');
    expect(usageErrorLine(await mmcheckIn('run', '--matrix', f, '--dry-run'))).toBe(
      `mmcheck: ${f}: checks[0] (mutex), bounds constructor=1: model 'mutex' has no option 'constructor'`,
    );
  });

  it('a trace whose config sets __proto__ (checksum made again): one line, exit 2', async () => {
    const t = join(dir, 'proto.trace.json');
    expect((await mmcheckIn('check', '--era', 'andrea-v1', '-q', '--trace', t)).status).toBe(1);
    const body = JSON.parse(readFileSync(t, 'utf8'));
    delete body.checksum;
    body.config = JSON.parse(`{"era": "andrea-v1", "set": {"__proto__": "R45"}}`);
    body.checksum = traceChecksum(body);
    writeFileSync(t, JSON.stringify(body));
    expect(usageErrorLine(await mmcheckIn('replay', t))).toMatch(/^mmcheck: unknown decision point '__proto__' in --set/);
  });
});

describe('inputs that overflowed a recursive parser or escaped as a stack trace', () => {
  const cond = (c: string) => `P0 { write(0); }\nera v4.6\nexists ${c}\n`;
  it.each([
    ['5,000 nested parentheses', cond(`${'('.repeat(5000)}F0.mapping = av1${')'.repeat(5000)}`), ":7:108: the condition nests deeper than 100 levels of '(' and '~'"],
    ['5,000 negations', cond(`(${'~'.repeat(5000)}F0.mapping = av1)`), ":7:108: the condition nests deeper than 100 levels of '(' and '~'"],
    ['a 10,000-term \\/ chain', cond(`(${Array(10000).fill('F0.mapping = av1').join(' \\/ ')})`), ':7:20009: the condition has more than 1000 comparisons'],
  ])('%s: one line at the place, exit 2', async (_what, body, where) => {
    const f = scenario('deep.litmus', body);
    expect(usageErrorLine(await mmcheckIn('run', '-q', f))).toBe(`${f}${where}`);
  });

  it('a 1,000-term chain is within the limit and runs', async () => {
    const f = scenario('chain.litmus', cond(`(${Array(1000).fill('F0.mapping = av1').join(' \\/ ')})`));
    expect((await mmcheckIn('run', '-q', f)).status).toBe(0);
  });

  it('251 statements: a line at the 251st, before anything runs, and no 0-byte --junit file', async () => {
    const f = scenario('stmts.litmus', `P0 { ${'write(0); '.repeat(251)}}\nera v4.6\ncheck rmap-integrity\n`);
    const junit = join(dir, 'stmts.xml');
    expect(usageErrorLine(await mmcheckIn('run', '-q', '--junit', junit, f))).toBe(`${f}:5:2506: process P0 has more than 250 statements`);
    expect(existsSync(junit)).toBe(false);
  });

  it('201 processes: a line at the 201st', async () => {
    const procs = Array.from({ length: 201 }, (_, i) => `P${i} { ${i + 1 < 201 ? `fork(P${i + 1}); ` : ''}write(0); }`).join('\n');
    const f = scenario('procs.litmus', `${procs}\nera v4.6\ncheck rmap-integrity\n`);
    expect(usageErrorLine(await mmcheckIn('run', '-q', f))).toBe(`${f}:205:1: more than 200 processes`);
  });
});

describe('result files', () => {
  it('--trace to a folder that does not exist is refused before the run', async () => {
    const r = await mmcheckIn('check', '--model', 'mutex-broken', '--trace', join(dir, 'no/such/t.json'));
    expect(usageErrorLine(r)).toBe(`mmcheck: cannot write trace file ${join(dir, 'no/such/t.json')}: ENOENT`);
  });

  it('--out /proc/self/x ends at once with one line (Node\'s recursive mkdir retried ENOENT for ever there)', async () => {
    const f = matrix('small.json', { checks: [{ model: 'mutex', bounds: [{ procs: 2 }] }] });
    expect(usageErrorLine(await mmcheckIn('run', '-q', '--matrix', f, '--out', '/proc/self/x'))).toBe('mmcheck: cannot create output folder /proc/self/x: ENOENT');
    expect(usageErrorLine(await mmcheckIn('run', '-q', '--matrix', f, '--checkpoint-dir', '/proc/self/y'))).toBe(
      'mmcheck: cannot create checkpoint directory /proc/self/y: ENOENT',
    );
  });

  it('a result file that cannot be written in full (a file size limit, as a full disk) is one line, exit 2, and nothing is left', async () => {
    const out = join(dir, 'full-out');
    mkdirSync(out);
    const junit = join(out, 'j.xml');
    // ulimit -f 1: a write past 1 KiB fails with EFBIG (Node ignores SIGXFSZ), as one past a full disk with ENOSPC
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn('sh', ['-c', `ulimit -f 1; exec "${process.execPath}" bin/mmcheck.js run -q --junit ${junit} models/scenarios/fork-munmap-halves+wpreuse.litmus`], {
        cwd: REPO_ROOT,
      });
      let stderr = '';
      c.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr += d));
      c.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`mmcheck: cannot write JUnit file ${junit}: EFBIG\n`);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('matrix values: one rule, and messages that name the type', () => {
  const cell = (bounds: unknown) => ({ checks: [{ eras: ['v4.6'], bounds: [bounds] }] });
  it('"procs": "2" is taken as "smalls": "2" always was', async () => {
    const f = matrix('procs-string.json', cell({ procs: '2', subpages: '2', bounds: { smalls: '2' } }));
    const r = await mmcheckIn('run', '--matrix', f, '--dry-run');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('thp/v4.6/procs=2,subpages=2,bounds.smalls=2\n');
  });

  it.each([
    [{ procs: '7' }, '--procs must be a whole number from 1 to 6, got "7"'],
    [{ procs: 'two' }, '--procs must be a whole number from 1 to 6, got "two"'],
    [{ ops: 'write,fork' }, 'ops must be a list of names such as ["write", "fork"], got "write,fork"'],
    [{ set: 'reuse=R45' }, 'set must be an object of decision point -> variant such as {"reuse": "R45"}, got "reuse=R45"'],
    [{ set: { reuse: 45 } }, "set: the value of 'reuse' must be a string, got 45"],
    [{ bounds: 'smalls=2' }, 'bounds must be an object of bound -> count such as {"smalls": 2}, got "smalls=2"'],
    [{ symmetry: 'smalls' }, 'symmetry must be a list of names such as ["smalls"], got "smalls"'],
  ])('%j', async (b, what) => {
    const f = matrix('value.json', cell(b));
    expect(usageErrorLine(await mmcheckIn('run', '--matrix', f, '--dry-run'))).toMatch(new RegExp(`: ${what.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  it('a scenario glob that reaches a file twice (a symlink loop) runs it once', () => {
    const base = join(dir, 'loop');
    mkdirSync(join(base, 'sc/sub'), { recursive: true });
    writeFileSync(join(base, 'sc/a.litmus'), '');
    writeFileSync(join(base, 'sc/sub/b.litmus'), '');
    symlinkSync('..', join(base, 'sc/sub/loop'));
    expect(glob(base, 'sc/**/*.litmus').map((f) => f.slice(base.length + 1))).toEqual(['sc/a.litmus', 'sc/sub/b.litmus']);
  });
});

describe('smaller defects (issue 25 item 7, issue 26 item 7)', () => {
  it('--predicate for a hook whose steps are off is refused (it would never be asked)', async () => {
    expect(usageErrorLine(await mmcheckIn('check', '--predicate', 'kvm_huge=/nonexistent.ts'))).toBe(
      'mmcheck: --predicate kvm_huge=/nonexistent.ts needs the KVM steps in --ops (add kvm): without them the predicate is never asked',
    );
    expect(usageErrorLine(await mmcheckIn('check', '--ops', 'write,kvm', '--predicate', 'kvm_huge=/nonexistent.ts'))).toBe(
      'mmcheck: --predicate kvm_huge=/nonexistent.ts: cannot read it (ENOENT)',
    );
  });

  it('--predicate kvm_huge=FILE: the header and the flags line do not disagree about kvm_huge', async () => {
    const r = await mmcheckIn('check', '--profile', 'shmem', '--era', 'v5.4', '-q', '--depth', '2', '--predicate', 'kvm_huge=models/thp/predicates/tcm_hugh.ts');
    expect(r.status).toBe(0);
    const [head, flags] = r.stdout.split('\n');
    expect(head).toMatch(/ kvm_huge=\S*models\/thp\/predicates\/tcm_hugh\.ts$/);
    expect(flags).toMatch(/^ {2}flags: /);
    expect(flags).not.toContain('kvm_huge');
  });

  it('compare with no side A where the era\'s variant is side B: an error, not a comparison of one predicate with itself', async () => {
    expect(usageErrorLine(await mmcheckIn('compare', '--vs', 'kvm_huge=TCM_hugh'))).toBe(
      "mmcheck: both sides are TCM_hugh (side A defaults to era v5.4's kvm_huge): name side A with --set kvm_huge=<variant> or --predicate kvm_huge=FILE",
    );
  });

  it('compare --era v4.6 suggests --profile full (shmem THP is 4.8+)', async () => {
    expect(usageErrorLine(await mmcheckIn('compare', '--era', 'v4.6', '--vs', 'kvm_huge=TCM_hugh'))).toMatch(
      /; compare explores --profile shmem unless told otherwise: add --profile full to compare in anonymous memory$/,
    );
    const r = await mmcheckIn('compare', '--era', 'v4.6', '--profile', 'full', '--procs', '1', '--vs', 'kvm_huge=TC', '-q', '--json');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).sides.map((s: { variant: string }) => s.variant)).toEqual(['TCM_orig', 'TC']);
  });

  it('check --subpages 3: the default ranges fit (single subpages and the whole THP), no complaint about a flag never given', async () => {
    const r = await mmcheckIn('check', '--subpages', '3', '--procs', '1', '-q', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).config.ranges).toBe('basic');
    expect(usageErrorLine(await mmcheckIn('check', '--subpages', '3', '--set', 'ranges=halves'))).toBe(
      'mmcheck: --set ranges=halves needs an even --subpages, got 3 (use --set ranges=basic or ranges=all)',
    );
  });

  it('a scenario expecting Sometimes that observes Never: the witness is described, not named condition-false', async () => {
    const f = file('sometimes.litmus', 'MM S\n(*\n * Result: Sometimes\n *)\nP0 { write(0); }\nera v4.6\nexists (F0.mapping = av1)\n');
    const r = await mmcheckIn('run', '-q', f);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('condition-false');
    expect(r.stdout).toContain('  witness of a final state where the condition does not hold, 1 step:');
    expect(r.stdout).toContain('    => the final state does not satisfy the condition');
    const m = await mmcheckIn('run', '-q', '--matrix', matrix('sometimes.json', { scenarios: ['sometimes.litmus'] }));
    expect(m.stdout).not.toContain('condition-false');
    expect(m.stdout).toContain('  witness of a final state where the condition does not hold, 1 steps:');
  });

  it('scenario and file names with terminal control characters are printed escaped', async () => {
    const f = file('ctl\x1b[2J.litmus', 'MM T\x1b[31mRED\x07\n(*\n * Result: Sometimes\n *)\nP0 { write(0); }\nera v4.6\ncheck rmap-integrity\n');
    const r = await mmcheckIn('run', '-q', f);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toMatch(/[\x07\x1b]/);
    expect(r.stdout).toContain('(T\\x1b[31mRED\\x07): era v4.6');
    expect(r.stdout).toContain('ctl\\x1b[2J.litmus');
    const bad = file('ctl2.litmus', 'MM T\n(*\n * Result: Never\n *)\nP0 { write(0); \x1b[2J }\n');
    const line = usageErrorLine(await mmcheckIn('run', bad));
    expect(line).toBe(`${bad}:5:16: expected an operation such as write(0), fork(P1) or munmap(2..3), found '\\x1b[2J'`);
  });
});
