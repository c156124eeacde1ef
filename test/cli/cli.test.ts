/**
 * The real binary as a child process: exit codes (0 no violation, 1 violation
 * or failed replay, 2 bad input), the text and --json reports, trace files
 * and replay, and one-line errors for bad input. Needs `npx tsc -p .` first.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, mmcheck, usageErrorLine, type CliResult } from '../helpers/cli.js';
import { traceChecksum } from '../../src/report/tracefile.js';
import { VERSION } from '../../src/version.js';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STEPS = ['check(proc=0)', 'check(proc=1)', 'set(proc=0)', 'set(proc=1)'];

function json(args: string[]): { r: CliResult; out: any } {
  const r = mmcheck(...args);
  // one JSON object and nothing else on stdout (no progress, no summary)
  return { r, out: JSON.parse(r.stdout) };
}

const actionsOf = (trace: any) => trace.steps.map((s: any) => `${s.action}(${Object.entries(s.args).map(([k, v]) => `${k}=${v}`).join(', ')})`);

describe('check: text report', () => {
  it('mutex-broken: exit 1, the 4-step counterexample, VIOLATED', () => {
    const r = mmcheck('check', '--model', 'mutex-broken', '-q');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain('mmcheck: model mutex-broken  procs=2 broken=true');
    expect(out).toContain('search: bfs, 1 worker: EXHAUSTIVE');
    expect(out).toContain('states: 13 distinct, 24 transitions, depth 6,');
    expect(out).toMatch(/^ {2}VIOLATED +mutual-exclusion +always .*\[counterexample: 4 steps\]$/m);
    expect(out).toMatch(/^ {2}reached +critical-reached /m);
    expect(out).toContain('counterexample for mutual-exclusion (always), 4 steps:');
    // the steps, in order, each followed by its kernel path and changes
    const body = out.slice(out.indexOf('counterexample for'));
    expect(body.split('\n').filter((l) => /^ +\d+\. /.test(l)).map((l) => l.trim())).toEqual(STEPS.map((s, i) => `${i + 1}. ${s}`));
    expect(body).toContain('   3. set(proc=0)\n      kernel: fixture\n      lock: 0 -> 1\n      pc[0]: checked -> critical\n');
    expect(body).toContain('  => violates mutual-exclusion');
    expect(lines(out).at(-1)).toBe('result: VIOLATED mutual-exclusion');
  });

  it('the correct mutex: exit 0, no violation, exhaustive', () => {
    const r = mmcheck('check', '--model', 'mutex', '--procs', '3', '-q');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('states: 4 distinct, 6 transitions');
    expect(r.stdout).toMatch(/^ {2}holds +mutual-exclusion /m);
    expect(r.stdout).toMatch(/^ {2}UNREACHED all-critical /m);
    expect(r.stdout).not.toContain('counterexample');
    expect(lines(r.stdout).at(-1)).toBe('result: no violation');
  });

  it('a depth bound that hides the violation: exit 0, says it is bounded', () => {
    const r = mmcheck('check', '--model', 'mutex-broken', '--depth', '3', '-q');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('BOUNDED, not exhaustive: depth bound reached (--depth 3)');
    expect(lines(r.stdout).at(-1)).toBe('result: no violation within the bound (not exhaustive)');
  });

  it('--format dot draws the counterexample', () => {
    const r = mmcheck('check', '--model', 'mutex-broken', '--format', 'dot', '-q');
    expect(r.status).toBe(1);
    expect(r.stdout.startsWith('digraph mmcheck {')).toBe(true);
    for (const s of STEPS) expect(r.stdout).toContain(`[label="${s}"]`);
  });
});

describe('check --json', () => {
  let r: CliResult;
  let out: any;
  beforeAll(() => void ({ r, out } = json(['check', '--model', 'mutex-broken', '--json'])));

  it('exits 1 and prints exactly one JSON object on stdout', () => {
    expect(r.status).toBe(1);
    expect(typeof out).toBe('object');
    expect(r.stdout.trim().startsWith('{')).toBe(true);
    expect(r.stdout).not.toMatch(/states\/s/);
    expect(r.stdout).not.toContain('result:');
  });

  it('has the documented fields', () => {
    expect(out.model).toBe('mutex-broken');
    expect(out.config).toEqual({ procs: 2, broken: true });
    expect(out.exhaustive).toBe(true);
    expect(out.stats).toMatchObject({ distinct: 13, transitions: 24, depth: 6, workers: 1 });
    expect(typeof out.stats.seconds).toBe('number');
    expect(out.stats.seconds).toBeGreaterThanOrEqual(0);
    expect(out.stats.peakRssBytes).toBeGreaterThan(0);
    expect(out.properties.map((p: any) => [p.name, p.kind, p.status])).toEqual([
      ['mutual-exclusion', 'always', 'violated'],
      ['critical-reached', 'sometimes', 'reached'],
      ['all-critical', 'sometimes', 'reached'],
    ]);
    expect(out.violated).toEqual(['mutual-exclusion']);
  });

  it('carries the counterexample trace with action, args, kernel and changes per step', () => {
    const trace = out.properties[0].trace;
    expect(trace.steps.map((s: any) => ({ action: s.action, args: s.args, kernel: s.kernel }))).toEqual([
      { action: 'check', args: { proc: 0 }, kernel: 'fixture' },
      { action: 'check', args: { proc: 1 }, kernel: 'fixture' },
      { action: 'set', args: { proc: 0 }, kernel: 'fixture' },
      { action: 'set', args: { proc: 1 }, kernel: 'fixture' },
    ]);
    expect(trace.steps[2].changes).toEqual([
      { field: 'lock', from: 0, to: 1 },
      { field: 'pc[0]', from: 'checked', to: 'critical' },
    ]);
    // the same actions as the text report
    const text = mmcheck('check', '--model', 'mutex-broken', '-q').stdout;
    const textSteps = text.split('\n').filter((l) => /^ +\d+\. /.test(l)).map((l) => l.replace(/^ +\d+\. /, ''));
    expect(actionsOf(trace)).toEqual(textSteps);
    expect(textSteps).toEqual(STEPS);
  });

  it('--format json is the same report', () => {
    const { out: again } = json(['check', '--model', 'mutex-broken', '--format', 'json']);
    expect({ ...again, stats: { ...again.stats, seconds: 0, statesPerSec: 0, peakRssBytes: 0 } }).toEqual({
      ...out,
      stats: { ...out.stats, seconds: 0, statesPerSec: 0, peakRssBytes: 0 },
    });
  });

  it('--workers 2 gives the same counts and trace as 1 worker', () => {
    const { r: r2, out: two } = json(['check', '--model', 'mutex-broken', '--json', '--workers', '2']);
    expect(r2.status).toBe(1);
    expect(two.stats.workers).toBe(2);
    const same = (o: any) => ({
      distinct: o.stats.distinct,
      transitions: o.stats.transitions,
      depth: o.stats.depth,
      exhaustive: o.exhaustive,
      properties: o.properties,
      coverage: o.coverage,
    });
    expect(same(two)).toEqual(same(out));
  });

  it('bounded runs say so', () => {
    const { r: r1, out: cut } = json(['check', '--model', 'counters', '--procs', '3', '--max-states', '10', '--json']);
    expect(r1.status).toBe(0);
    expect(cut.exhaustive).toBe(false);
    expect(cut.cut).toBe('state bound reached (--max-states 10)');
    expect(cut.stats.distinct).toBe(10);
    const { out: rnd } = json(['check', '--model', 'mutex-broken', '--strategy', 'random', '--walks', '5', '--depth', '4', '--json']);
    expect(rnd.exhaustive).toBe(false);
    expect(rnd.stats.strategy).toBe('random');
    expect(rnd.stats.transitions).toBe(20);
  });

  it('dfs and the full-state set report the same state count', () => {
    const { out: dfs } = json(['check', '--model', 'mutex-broken', '--procs', '3', '--strategy', 'dfs', '--json']);
    const { out: full } = json(['check', '--model', 'mutex-broken', '--procs', '3', '--full-state', '--json']);
    expect(dfs.stats.distinct).toBe(45);
    expect(dfs.exhaustive).toBe(true);
    expect(full.stats.distinct).toBe(45);
    expect(full.stats.collisionProbability).toBeNull();
  });

  it('--property limits the check and the exit code follows it', () => {
    const { r: r1, out: only } = json(['check', '--model', 'mutex-broken', '--property', 'critical-reached', '--json']);
    expect(r1.status).toBe(0);
    expect(only.properties.map((p: any) => p.status)).toEqual(['not-checked', 'reached', 'not-checked']);
  });
});

describe('--trace and replay', () => {
  const file = join(dir, 'mutex-broken.trace.json');
  let saved: CliResult;
  beforeAll(() => void (saved = mmcheck('check', '--model', 'mutex-broken', '-q', '--trace', file)));

  it('check --trace writes the counterexample', () => {
    expect(saved.status).toBe(1);
    expect(saved.stderr).toBe(`mmcheck: counterexample for mutual-exclusion saved to ${file}\n`);
    const t = JSON.parse(readFileSync(file, 'utf8'));
    expect(t.mmcheck).toBe('trace');
    // the header every JSON output carries (issue 25): tool, package version, the format's schema id
    expect([t.tool, t.version, t.schema]).toEqual(['mmcheck', VERSION, 'urn:mmcheck:trace:2']);
    expect(t.files).toEqual([]);
    expect(t.checksum).toBe(traceChecksum(Object.fromEntries(Object.entries(t).filter(([k]) => k !== 'checksum'))));
    expect(t.model).toBe('mutex-broken');
    expect(t.property).toBe('mutual-exclusion');
    expect(t.actionIds).toEqual([0, 3, 1, 4]);
    expect(actionsOf(t)).toEqual(STEPS);
  });

  it('replay reproduces it: exit 0', () => {
    const r = mmcheck('replay', file);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`mmcheck: replay of ${file} reproduces mutual-exclusion in 4 steps\n`);
    expect(r.stdout).toContain('counterexample for mutual-exclusion (always), 4 steps:');
    expect(r.stdout).toContain('   4. set(proc=1)');
  });

  it('replay --json prints the verdict and the fresh trace', () => {
    const r = mmcheck('replay', file, '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.reproduces).toBe(true);
    expect(actionsOf(out.trace)).toEqual(STEPS);
  });

  it('no counterexample: nothing is written, and check still exits 0', () => {
    const none = join(dir, 'none.json');
    const r = mmcheck('check', '--model', 'mutex', '-q', '--trace', none);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`mmcheck: no counterexample, so nothing was written to ${none}\n`);
    expect(existsSync(none)).toBe(false);
  });

  /**
   * An edited trace with its checksum made again: what a trace of an older model looks like to replay
   * (a changed model, not a changed file), so replay must re-run it and say it no longer reproduces.
   */
  const tamper = (name: string, edit: (t: any) => void) => {
    const t = JSON.parse(readFileSync(file, 'utf8'));
    edit(t);
    delete t.checksum;
    t.checksum = traceChecksum(t);
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(t));
    return f;
  };
  /** An edited trace, checksum left as written: a changed file. */
  const edited = (name: string, edit: (t: any) => void) => {
    const t = JSON.parse(readFileSync(file, 'utf8'));
    edit(t);
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(t));
    return f;
  };

  it.each([
    ['an edited fingerprint', (t: any) => void (t.steps[1].fp = '0000000000000001')],
    ['an edited final state', (t: any) => void (t.final[Object.keys(t.final)[0]!] = 'edited')],
    ['an edited step', (t: any) => void (t.steps[0].action = 'set')],
    ['malformed action ids', (t: any) => void (t.actionIds = [0, 3, 'x', 4])],
    ['a dropped checksum', (t: any) => void delete t.checksum],
  ])('replay refuses a trace file with %s: one line, exit 2', (_what, edit) => {
    const f = edited('edited.json', edit);
    const r = mmcheck('replay', f);
    expect(usageErrorLine(r)).toBe(
      `mmcheck: ${f}: ${_what === 'a dropped checksum' ? 'the trace has no checksum: it was not written by `mmcheck check --trace`' : 'the trace was changed after it was written (its checksum does not match its content)'}`,
    );
  });

  it.each([
    ['version 99', (t: any) => void ((t.version = 99), delete t.schema), 'a trace of format version 99'],
    ['the format-1 trace of mmcheck 0.1.0', (t: any) => void ((t.version = 1), delete t.schema), 'a trace of format version 1'],
    ['another schema', (t: any) => void (t.schema = 'urn:mmcheck:trace:99'), 'a trace of format urn:mmcheck:trace:99'],
  ])('replay refuses %s: one line, exit 2', (_what, edit, was) => {
    const f = edited('format.json', edit);
    expect(usageErrorLine(mmcheck('replay', f))).toBe(
      `mmcheck: ${f}: ${was}, which this mmcheck does not read (it reads urn:mmcheck:trace:2): make it again with \`mmcheck check --trace\``,
    );
  });

  it('malformed action ids with a valid checksum are bad input (2), not a trace that no longer reproduces (1)', () => {
    const f = tamper('ids.json', (t) => void (t.actionIds[2] = -1));
    expect(usageErrorLine(mmcheck('replay', f))).toBe(`mmcheck: ${f}: malformed trace: actionIds must be a list of action numbers (whole numbers >= 0)`);
    // as are steps and action ids that disagree (this was exit 1, "no longer reproduces", before issue 26)
    const g = tamper('drop.json', (t) => void t.actionIds.pop());
    expect(usageErrorLine(mmcheck('replay', g))).toBe(`mmcheck: ${g}: malformed trace: 4 steps but 3 action ids`);
  });

  it('replay of a trace that no longer reproduces does not claim the violation on stdout', () => {
    const f = tamper('short2.json', (t) => void (t.actionIds.pop(), t.steps.pop()));
    const r = mmcheck('replay', f);
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('=> violates');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('  => does not reproduce: the final state no longer violates mutual-exclusion');
  });

  it.each([
    ['a changed state fingerprint', 'fp.json', (t: any) => void (t.steps[1].fp = '0000000000000001'), 'step 2 (check) reaches a different state than recorded'],
    ['a dropped last step', 'short.json', (t: any) => void (t.actionIds.pop(), t.steps.pop()), 'the final state no longer violates mutual-exclusion'],
    ['a disabled action', 'disabled.json', (t: any) => void (t.actionIds[0] = 1), 'step 1 (set(proc=0)) is not enabled: the trace no longer reproduces'],
    ['an unknown property', 'prop.json', (t: any) => void (t.property = 'nope'), 'property nope does not exist in model mutex-broken'],
  ])('a tampered trace (%s) fails replay with exit 1', (_what, name, edit, why) => {
    const f = tamper(name, edit);
    const r = mmcheck('replay', f);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`mmcheck: replay of ${f} FAILED: ${why}\n`);
  });

  it('replay --json of a tampered trace says it does not reproduce', () => {
    const f = tamper('fp2.json', (t) => void (t.steps[3].fp = 'ffffffffffffffff'));
    const r = mmcheck('replay', f, '--json');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.reproduces).toBe(false);
    expect(out.why).toBe('step 4 (set) reaches a different state than recorded');
  });

  it.each([
    ['a missing file', () => join(dir, 'missing.json'), /^mmcheck: cannot read trace file .*missing\.json: ENOENT$/],
    ['a file that is not JSON', () => (writeFileSync(join(dir, 'bad.json'), '{not json'), join(dir, 'bad.json')), /^mmcheck: .*bad\.json is not JSON: /],
    [
      'JSON that is not a trace',
      () => (writeFileSync(join(dir, 'other.json'), '{"model": 3}'), join(dir, 'other.json')),
      /^mmcheck: .*other\.json is not an mmcheck trace \(expected the JSON written by `mmcheck check --trace`\)$/,
    ],
    ['a trace of an unknown model', () => tamper('model.json', (t) => void (t.model = 'nope')), /^mmcheck: unknown model 'nope' \(known: .*\)$/],
  ])('replay of %s exits 2 with one line', (_what, make, line) => {
    const r = mmcheck('replay', make());
    expect(usageErrorLine(r)).toMatch(line);
  });
});

describe('bad input: exit 2, one line naming the problem', () => {
  it.each([
    [['check', '--model', 'nope'], "mmcheck: unknown model 'nope' (known: "],
    [['check', '--model', 'mutex', '--procs', 'x'], "option '--procs <n>' argument 'x' is invalid"],
    // one rule for counts: the model says what it takes (issue 25: not a CLI range of its own)
    [['check', '--model', 'mutex', '--procs', '0'], 'mmcheck: --procs must be 1..16 for the mutex fixture, got 0'],
    [['check', '--model', 'mutex', '--procs', '17'], 'mmcheck: --procs must be 1..16 for the mutex fixture, got 17'],
    [['check', '--model', 'mutex', '--depth', '-1'], "option '--depth <n>' argument '-1' is invalid"],
    [['check', '--model', 'mutex', '--depth', '1.5'], "option '--depth <n>' argument '1.5' is invalid"],
    [['check', '--model', 'mutex', '--max-states', '0'], "option '--max-states <n>' argument '0' is invalid"],
    [['check', '--model', 'mutex', '--timeout', '0'], "option '--timeout <s>' argument '0' is invalid"],
    [['check', '--model', 'mutex', '--timeout', 'soon'], "option '--timeout <s>' argument 'soon' is invalid"],
    [['check', '--model', 'mutex', '--workers', '0'], "option '--workers <n>' argument '0' is invalid"],
    [['check', '--model', 'mutex', '--strategy', 'astar'], "option '--strategy <s>' argument 'astar' is invalid. Allowed choices are bfs, dfs, random."],
    [['check', '--model', 'mutex', '--format', 'html'], "option '--format <f>' argument 'html' is invalid"],
    [['check', '--model', 'mutex', '--property', 'nope'], "mmcheck: unknown property 'nope' for model mutex"],
    [['check', '--model', 'mutex', '--property', 'mutual-exclusion,nope'], "mmcheck: unknown property 'nope' for model mutex"],
    [['check', '--model', 'mutex', '--era', 'v4.6'], "mmcheck: model 'mutex' has no option 'era' (--era does not apply to it)"],
    [['check', '--model', 'mutex', '--subpages', '4'], "mmcheck: model 'mutex' has no option 'subpages'"],
    [['check', '--model', 'mutex', '--set', 'reuse'], "option '--set <hook=variant>' argument 'reuse' is invalid"],
    [['check', '--model', 'mutex', '--strategy', 'dfs', '--workers', '2'], 'mmcheck: --workers > 1 needs --strategy bfs (got dfs)'],
    [['check', '--model', 'mutex', '--bogus'], "unknown option '--bogus'"],
    [['check', '--model'], "option '--model <id>' argument missing"],
    [['replay'], "missing required argument 'trace.json'"],
    [['list'], "missing required argument 'what'"],
    [['list', 'bogus'], "mmcheck: cannot list 'bogus' (choose one of models, eras, ops, properties, predicates, profiles)"],
    [['list', 'properties', '--model', 'nope'], "mmcheck: unknown model 'nope'"],
    [['list', 'eras', '--model', 'mutex'], "mmcheck: model 'mutex' has no eras"],
  ])('%j', (args, msg) => {
    const line = usageErrorLine(mmcheck(...args));
    expect(line).toContain(msg);
  });
});

describe('list and help', () => {
  it('list models: exit 0, one line per model', () => {
    const r = mmcheck('list', 'models');
    expect(r.status).toBe(0);
    const names = lines(r.stdout).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(expect.arrayContaining(['mutex', 'mutex-broken', 'counters']));
    expect(r.stdout).toMatch(/^mutex +fixture: test-and-set lock/m);
  });

  it('list properties --model mutex-broken --json', () => {
    const r = mmcheck('list', 'properties', '--model', 'mutex-broken', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).map((p: any) => p.name)).toEqual(['mutual-exclusion', 'critical-reached', 'all-critical']);
  });

  it.each([['check'], ['replay'], ['list']])('%s --help exits 0 with usage on stdout', (cmd) => {
    const r = mmcheck(cmd, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Usage: mmcheck ${cmd} [options]`);
    expect(r.stderr).toBe('');
  });

  it('check --help lists the documented flags', () => {
    const r = mmcheck('check', '--help');
    for (const flag of ['--model', '--era', '--procs', '--subpages', '--ops', '--property', '--depth', '--max-states', '--timeout', '--workers', '--strategy', '--seed', '--set', '--bound', '--profile', '--json', '--trace', '--format'])
      expect(r.stdout).toContain(flag);
  });

  it('--version prints the version', () => {
    const r = mmcheck('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
