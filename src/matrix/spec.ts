/**
 * Matrix files (`mmcheck run --matrix FILE`): a nightly job's list of model
 * checks (model x eras x bounds, each cell one bfs) and scenario globs (a
 * cell per file x era). Parsed strictly: an unknown key, an unknown era, op
 * or property, a malformed value or a glob that matches nothing is one
 * UsageError `<file>: <what>`; every cell's model is built here once, so a
 * bad configuration fails before anything runs. Paths resolve relative to
 * the matrix file.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { UsageError, type Model } from '../model.js';
import type { PropertyKind } from '../property.js';
import type { CompiledScenario, EraPlan } from '../scenario/compile.js';
import { glob } from './glob.js';
import { brief } from '../report/printable.js';

export type ExpectStatus = 'holds' | 'violated' | 'reached' | 'unreached' | 'any';
const STATUSES: readonly ExpectStatus[] = ['holds', 'violated', 'reached', 'unreached', 'any'];

export interface SearchBounds {
  maxDepth?: number;
  maxStates?: number;
  timeoutSec?: number;
  properties?: string[];
  fullState?: boolean;
}

export interface ModelCell {
  kind: 'model';
  /** stable, readable: `<check name>/<era>/<bound>` */
  id: string;
  model: string;
  era: string | null;
  /** what createModel gets */
  config: Record<string, unknown>;
  search: SearchBounds;
  /** per property name: what the run must observe */
  expect: Record<string, ExpectStatus>;
  requireExhaustive: boolean;
}

export interface ScenarioCell {
  kind: 'scenario';
  id: string;
  /** the scenario file, relative to the matrix file */
  file: string;
  era: string;
  /** the compiled scenario with just this era */
  scenario: CompiledScenario;
}

export type Cell = ModelCell | ScenarioCell;

export interface Matrix {
  name: string;
  file: string;
  checkpointEvery?: number;
  cells: Cell[];
}

export interface MatrixDeps {
  createModel(id: string, config: Record<string, unknown>): Model;
  loadScenario(file: string): CompiledScenario;
}

const TOP_KEYS = ['name', 'description', 'checkpointEvery', 'checks', 'scenarios'];
const CHECK_KEYS = ['name', 'description', 'model', 'eras', 'bounds', 'properties', 'depth', 'maxStates', 'timeout', 'fullState', 'requireExhaustive', 'expect'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `procs=2,subpages=4,ops=write+fork` (nested objects as key.sub=value) */
export function boundLabel(b: Record<string, unknown>): string {
  const parts: string[] = [];
  // a config is two levels deep (set.reuse); past a few, a label is only for an error message about it
  const walk = (prefix: string, v: unknown, depth: number) => {
    if (isObj(v) && depth >= 4) parts.push(`${prefix}={...}`);
    else if (isObj(v)) for (const k of Object.keys(v)) walk(prefix ? `${prefix}.${k}` : k, v[k], depth + 1);
    else parts.push(`${prefix}=${Array.isArray(v) ? v.map((x) => (typeof x === 'object' && x !== null ? '...' : String(x))).join('+') : String(v)}`);
  };
  walk('', b, 0);
  return parts.length ? parts.join(',') : 'default';
}

/** `../models/scenarios/x.litmus` -> `models/scenarios/x.litmus` (cell ids) */
const stripUp = (rel: string) => rel.split('/').filter((s, i, all) => !(s === '..' && all.slice(0, i).every((x) => x === '..'))).join('/');

export function parseMatrix(file: string, deps: MatrixDeps): Matrix {
  const fail = (what: string): never => {
    throw new UsageError(`${file}: ${what}`);
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return fail(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`malformed JSON: ${(e as Error).message}`);
  }
  if (!isObj(raw)) return fail('expected a JSON object');
  const keys = (o: Record<string, Json>, allowed: string[], where: string) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(`unknown key '${k}'${where} (known: ${allowed.join(', ')})`);
  };
  keys(raw, TOP_KEYS, '');
  const str = (v: Json | undefined, where: string): string => (typeof v === 'string' && v !== '' ? v : fail(`${where} must be a non-empty string`));
  const strList = (v: Json | undefined, where: string): string[] => {
    if (!Array.isArray(v) || v.length === 0) return fail(`${where} must be a non-empty list of strings`);
    return v.map((x, i) => str(x, `${where}[${i}]`));
  };
  const int = (v: Json | undefined, min: number, where: string): number =>
    typeof v === 'number' && Number.isInteger(v) && v >= min ? v : fail(`${where} must be a whole number >= ${min}`);
  const num = (v: Json | undefined, where: string): number => (typeof v === 'number' && v > 0 ? v : fail(`${where} must be a number > 0`));
  const bool = (v: Json | undefined, where: string): boolean => (typeof v === 'boolean' ? v : fail(`${where} must be true or false`));

  const name = raw.name === undefined ? 'matrix' : str(raw.name, 'name');
  if (raw.description !== undefined) str(raw.description, 'description');
  const checkpointEvery = raw.checkpointEvery === undefined ? undefined : num(raw.checkpointEvery, 'checkpointEvery');
  const base = dirname(resolve(file));
  const cells: Cell[] = [];
  const ids = new Set<string>();
  const addCell = (c: Cell, where: string) => {
    if (ids.has(c.id)) fail(`${where}: cell ${c.id} is listed twice`);
    ids.add(c.id);
    cells.push(c);
  };

  if (raw.checks === undefined && raw.scenarios === undefined) fail("nothing to run: give 'checks', 'scenarios' or both");
  if (raw.checks !== undefined && (!Array.isArray(raw.checks) || raw.checks.length === 0)) fail("'checks' must be a non-empty list");
  ((raw.checks ?? []) as Json[]).forEach((c, ci) => {
    const at = `checks[${ci}]`;
    if (!isObj(c)) return fail(`${at} must be an object`);
    keys(c, CHECK_KEYS, ` in ${at}`);
    const model = c.model === undefined ? 'thp' : str(c.model, `${at}.model`);
    const label = c.name === undefined ? model : str(c.name, `${at}.name`);
    const where = `${at} (${label})`;
    if (c.description !== undefined) str(c.description, `${at}.description`);
    const eras: (string | null)[] = c.eras === undefined ? [null] : strList(c.eras, `${at}.eras`);
    if (c.bounds !== undefined && (!Array.isArray(c.bounds) || c.bounds.length === 0)) fail(`${where}: bounds must be a non-empty list of objects`);
    const bounds = ((c.bounds as Json[] | undefined) ?? [{}]).map((b, bi) => (isObj(b) ? b : fail(`${where}: bounds[${bi}] must be an object`)));
    const search: SearchBounds = {};
    if (c.depth !== undefined) search.maxDepth = int(c.depth, 0, `${at}.depth`);
    if (c.maxStates !== undefined) search.maxStates = int(c.maxStates, 1, `${at}.maxStates`);
    if (c.timeout !== undefined) search.timeoutSec = num(c.timeout, `${at}.timeout`);
    if (c.properties !== undefined) search.properties = strList(c.properties, `${at}.properties`);
    if (c.fullState !== undefined) search.fullState = bool(c.fullState, `${at}.fullState`);
    const requireExhaustive = c.requireExhaustive === undefined ? false : bool(c.requireExhaustive, `${at}.requireExhaustive`);
    if (c.expect !== undefined && !isObj(c.expect)) fail(`${where}: expect must be an object`);
    const expectRaw = (c.expect ?? {}) as Record<string, Json>;
    for (const k of Object.keys(expectRaw)) {
      const v = expectRaw[k]!;
      if (isObj(v) && !eras.includes(k)) fail(`${where}: expect.${k}: '${k}' is not one of this check's eras`);
    }
    for (const era of eras) {
      for (const b of bounds) {
        if ('era' in b) fail(`${where}: bounds must not set 'era' (list it in eras)`);
        const config: Record<string, unknown> = { ...(era !== null ? { era } : {}), ...b };
        // predicate files, like every path in the matrix, are relative to it
        if (isObj(b.predicate))
          config.predicate = Object.fromEntries(Object.entries(b.predicate).map(([k, v]) => [k, typeof v === 'string' ? resolve(dirname(file), v) : v]));
        let m: Model;
        try {
          m = deps.createModel(model, config);
        } catch (e) {
          if (e instanceof UsageError) return fail(`${where}${era ? `, era ${era}` : ''}, bounds ${boundLabel(b)}: ${e.message}`);
          throw e;
        }
        const props = new Map<string, PropertyKind>(m.properties.map((p) => [p.name, p.kind]));
        const known = () => [...props.keys()].join(', ');
        for (const p of search.properties ?? []) if (!props.has(p)) fail(`${where}: unknown property '${p}' for model ${model} (known: ${known()})`);
        const expect: Record<string, ExpectStatus> = {};
        for (const [p, kind] of props) {
          const checked = !search.properties || search.properties.includes(p) || kind === 'kernel-assertion';
          if (checked) expect[p] = kind === 'sometimes' ? 'any' : 'holds';
        }
        const setExpect = (p: string, v: Json, where2: string) => {
          if (!props.has(p)) fail(`${where2}: unknown property or era '${p}' (properties: ${known()})`);
          if (typeof v !== 'string' || !STATUSES.includes(v as ExpectStatus)) fail(`${where2}: expected one of ${STATUSES.join(', ')}, got ${brief(v)}`);
          if (!(p in expect)) fail(`${where2}: property ${p} is not checked (not in properties)`);
          expect[p] = v as ExpectStatus;
        };
        for (const [k, v] of Object.entries(expectRaw)) if (!isObj(v)) setExpect(k, v, `${where}: expect.${k}`);
        if (era !== null && isObj(expectRaw[era])) for (const [p, v] of Object.entries(expectRaw[era] as Record<string, Json>)) setExpect(p, v, `${where}: expect.${era}.${p}`);
        const eraName = era ?? (typeof m.summary.era === 'string' ? m.summary.era : null);
        const id = [label, ...(eraName ? [eraName] : []), boundLabel(b)].join('/');
        addCell({ kind: 'model', id, model, era: eraName, config, search, expect, requireExhaustive }, where);
      }
    }
  });

  if (raw.scenarios !== undefined) {
    const globs = strList(raw.scenarios, 'scenarios');
    for (const g of globs) {
      const files = glob(base, g);
      if (files.length === 0) fail(`scenario glob '${g}' matches no file`);
      for (const abs of files) {
        let c: CompiledScenario;
        try {
          c = deps.loadScenario(abs);
        } catch (e) {
          if (e instanceof Error && (e instanceof UsageError || e.name === 'ScenarioError')) return fail(e.message);
          throw e;
        }
        const rel = relative(base, abs);
        for (const plan of c.eras) {
          const one: CompiledScenario = { ...c, eras: [plan as EraPlan] };
          addCell({ kind: 'scenario', id: `scenario/${stripUp(rel)}/${plan.era}`, file: rel, era: plan.era, scenario: one }, `scenarios (${g})`);
        }
      }
    }
  }
  return { name, file, ...(checkpointEvery !== undefined ? { checkpointEvery } : {}), cells };
}
