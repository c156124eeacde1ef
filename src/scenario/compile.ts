/**
 * Resolve a parsed scenario against its model: the model and its config, the
 * eras, every statement (to an action of the inner model), every checked
 * property, every field of the condition, and the expected result of each
 * (era, check) pair. Anything unknown is a ScenarioError at its line and
 * column, never ignored. The output is one ProgramSpec (plain JSON) per era:
 * what the `scenario` model is built from, here and in worker threads.
 */
import { dirname, resolve } from 'node:path';
import { UsageError, type Model } from '../model.js';
import type { PropertyKind } from '../property.js';
import { CONDITION, ScenarioError, type Cond, type Decl, type Loc, type ResultLine, type Scenario, type Variant, type Verdict } from './parse.js';
import { actionsByName, MM_PREFIX, resolveStatement, type CondSpec, type ModelFactory, type ProgramSpec } from './program.js';

/** What compile needs of the model registry. */
export interface ModelSource {
  /** the model's config keys and catalogues; throws UsageError for an unknown id */
  entry(id: string): { keys: readonly string[]; catalog?(kind: string): { name: string }[] | undefined };
  create: ModelFactory;
}

export type CheckKind = 'property' | 'cover' | 'condition';
export type Expected = 'holds' | 'violated' | 'reached' | 'unreached' | 'Never' | 'Sometimes' | 'Always';

export interface CheckPlan {
  /** a property name, or `condition` */
  name: string;
  kind: CheckKind;
  /** the property's kind in the model (condition: undefined) */
  propertyKind?: PropertyKind;
  expected: Expected;
  /** where the expectation comes from */
  resultLine: number;
}

export interface EraPlan {
  /**
   * The run's label: the era (`-` for a model without eras), or with variant lines the variant,
   * as `era/variant` when the file has both.
   */
  era: string;
  /** the variant this run applies (files with variant lines) */
  variant?: string;
  program: ProgramSpec;
  checks: CheckPlan[];
}

export interface CompiledScenario {
  file: string;
  name: string;
  scenario: Scenario;
  model: string;
  eras: EraPlan[];
}

export const DEFAULT_SCENARIO_MODEL = 'thp';
/**
 * Per model, the coverage points after which a statement runs again: the
 * kernel's VM_FAULT_FALLBACK, where the fault split the huge PMD and returned
 * so that the CPU retries the access (the THP model makes the retry a step of
 * its own). Checked against the model's coverage points at compile time.
 */
export const RETRY_POINTS: Record<string, string[]> = {
  thp: [
    'do_huge_pmd_wp_page: split PMD and fall back',
    // --set split_steps=stepwise: a split or a PMD COW goes on until its last step
    '__split_huge_pmd_locked: step 1 (refcount, PTEs, _mapcount[i] + 1)',
    '__split_huge_pmd_locked: step 2 (PageDoubleMap)',
    'page_trans_huge_mapcount: read the subpages',
    'page_trans_huge_mapcount: read PageDoubleMap',
  ],
  // guard_steps=two: a guarded operation's statement runs again to add after its check
  'hugetlb-hgm': ['guard: check passed, the add is a later step'],
};
/** Retry points only some configurations of the model have. */
const OPTIONAL_RETRY = new Set([...RETRY_POINTS.thp!.slice(1), ...RETRY_POINTS['hugetlb-hgm']!]);

/** Per model, decisions a scenario fixes (and may not set): thp's ranges, so that every range statement has its step. */
const SCENARIO_SET: Record<string, Record<string, string>> = { thp: { ranges: 'all' } };

/** config keys the scenario sets itself */
const RESERVED: Record<string, string> = {
  era: 'name eras with `era <id>` lines',
  ops: 'the operations come from the process blocks',
  compare: 'compare two predicates with `mmcheck compare`; a scenario names one with set.<hook> or predicate.<hook>',
};

export function compileScenario(s: Scenario, models: ModelSource): CompiledScenario {
  const fail = (loc: Loc, msg: string): never => {
    throw new ScenarioError(s.file, loc, msg);
  };
  const modelDecl = s.init.find((d) => d.key === 'model');
  const modelId = modelDecl?.value ?? DEFAULT_SCENARIO_MODEL;
  let entry: ReturnType<ModelSource['entry']>;
  try {
    entry = models.entry(modelId);
  } catch (e) {
    if (e instanceof UsageError) return fail(modelDecl?.valueLoc ?? s.nameLoc, e.message);
    throw e;
  }

  // eras
  const hasEras = entry.keys.includes('era');
  if (!hasEras && s.eras.length > 0) fail(s.eras[0]!.loc, `model ${modelId} has no eras`);
  if (hasEras && s.eras.length === 0) fail(s.nameLoc, 'no `era` line: name the kernel eras to check, e.g. `era v4.6 v5.19` (see `mmcheck list eras`)');
  const knownEras = entry.catalog?.('eras')?.map((r) => r.name);
  if (knownEras) for (const e of s.eras) if (!knownEras.includes(e.id)) fail(e.loc, `unknown era '${e.id}' (known: ${knownEras.join(', ')})`);

  // operations
  const knownOps = entry.catalog?.('ops')?.map((r) => r.name);
  const ops: string[] = [];
  for (const a of s.actors)
    for (const st of a.stmts) {
      if (knownOps && !knownOps.includes(st.op)) fail(st.loc, `unknown operation '${st.op}' (see \`mmcheck list ops\`: ${knownOps.join(', ')})`);
      if (!ops.includes(st.op)) ops.push(st.op);
    }
  // Content tokens make every store and load a real step: without them the THP model disables a write to a
  // writable entry (a no-op for its state), which would block the scenario's process there.
  if (knownOps?.includes('read') && entry.keys.includes('ops') && !ops.includes('read')) ops.push('read');

  // the inner config: the { } block, then a variant's declarations on top of it; null-prototype objects,
  // so `set.__proto__` or `constructor` is a key like any other
  const apply = (config: Record<string, unknown>, decls: Decl[]) => {
    for (const d of decls) {
      if (d.key === 'model') {
        if (decls !== s.init) fail(d.loc, 'a variant cannot change the model');
        continue;
      }
      const [head, ...rest] = d.key.split('.');
      if (Object.hasOwn(RESERVED, head!)) fail(d.loc, `'${head}' cannot be set in a scenario: ${RESERVED[head!]}`);
      if (!entry.keys.includes(head!))
        fail(d.loc, `model ${modelId} has no option '${head}' (options: ${['model', ...entry.keys.filter((k) => !Object.hasOwn(RESERVED, k))].join(', ')})`);
      if (rest.length > 0) {
        const sub = (config[head!] = Object.assign(Object.create(null), config[head!] as object | undefined)) as Record<string, string>;
        // a predicate file is named relative to the scenario file
        sub[rest.join('.')] = head === 'predicate' ? resolve(dirname(s.file), d.value) : d.value;
      } else {
        if (head === 'set' || head === 'bounds' || head === 'predicate') fail(d.loc, `'${head}' takes a point: ${head}.<name>=<value>`);
        config[head!] = /^-?\d+$/.test(d.value) ? Number(d.value) : d.value;
      }
    }
  };
  const base: Record<string, unknown> = Object.create(null);
  apply(base, s.init);
  if (entry.keys.includes('procs') && base.procs === undefined) base.procs = s.actors.length;
  if (entry.keys.includes('ops')) base.ops = ops;
  for (const [k, v] of Object.entries(SCENARIO_SET[modelId] ?? {})) {
    const set = (base.set ??= Object.create(null)) as Record<string, string>;
    const given = [...s.init, ...s.variants.flatMap((x) => x.decls)].find((d) => d.key === `set.${k}`);
    if (given) fail(given.loc, `scenarios fix set.${k}=${v}, so that every range statement has its step`);
    set[k] = v;
  }

  const actorIndex = new Map(s.actors.map((a, i) => [a.name, i]));
  const forked = new Set<string>();
  for (const a of s.actors) for (const st of a.stmts) if (st.op === 'fork' && st.arg) forked.add(st.arg);

  const eras = hasEras ? s.eras.map((e) => e.id) : ['-'];
  type Run = { era: string; variant: Variant | null };
  const runs = eras.flatMap((era): Run[] => (s.variants.length ? s.variants.map((v) => ({ era, variant: v })) : [{ era, variant: null }]));
  const plans: EraPlan[] = runs.map(({ era, variant }) => {
    const config: Record<string, unknown> = hasEras ? { ...base, era } : { ...base };
    if (variant) apply(config, variant.decls);
    let inner: Model;
    try {
      inner = models.create(modelId, config);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const decls = [...(variant?.decls ?? []), ...s.init];
      const culprit = decls.find((d) => e.message.includes(`'${d.value}'`) || e.message.includes(`'${d.key.split('.').pop()}'`));
      const what = [hasEras ? `era ${era}` : '', variant ? `variant ${variant.name}` : ''].filter(Boolean).join(', ');
      return fail(culprit?.loc ?? variant?.loc ?? s.initLoc ?? s.nameLoc, `model ${modelId}${what ? ` (${what})` : ''}: ${e.message}`);
    }
    const where = (hasEras ? ` in era ${era}` : '') + (variant ? ` in variant ${variant.name}` : '');
    const byName = actionsByName(inner);

    // processes: the first starts on its own; with fork in the model, every other one starts by fork
    if (knownOps ? knownOps.includes('fork') : byName.has('fork')) {
      const loner = s.actors.slice(1).find((a) => !forked.has(a.name));
      if (loner) fail(loner.loc, `process ${loner.name} is never forked: in model ${modelId} only the first process runs from the start; start ${loner.name} with fork(${loner.name})`);
    }
    const initial = s.actors.filter((a) => !forked.has(a.name));
    const program: ProgramSpec = {
      name: s.name,
      inner: { model: modelId, config },
      actors: s.actors.map((a) => ({
        name: a.name,
        stmts: a.stmts.map((st) =>
          st.op === 'fork' && st.arg !== null && actorIndex.has(st.arg)
            ? { op: st.op, arg: null, child: actorIndex.get(st.arg)!, text: st.text }
            : { op: st.op, arg: st.arg, text: st.text },
        ),
      })),
      condition: null,
      ...(RETRY_POINTS[modelId] ? { retry: RETRY_POINTS[modelId]!.filter((pt) => !OPTIONAL_RETRY.has(pt) || inner.coverPoints.includes(pt)) } : {}),
    };
    for (const pt of program.retry ?? [])
      if (!inner.coverPoints.includes(pt)) throw new Error(`model ${modelId} has no coverage point '${pt}' (RETRY_POINTS in src/scenario/compile.ts is out of date)`);
    // every statement has its step on every slot its process can run on
    s.actors.forEach((a, i) => {
      const k = initial.indexOf(a);
      const slots = k >= 0 ? [k] : [...Array(s.actors.length).keys()].filter((x) => x >= initial.length);
      a.stmts.forEach((st, pc) => {
        for (const slot of slots) {
          const r = resolveStatement(byName, modelId, program.actors[i]!.stmts[pc]!, slot);
          if (typeof r === 'string') fail(st.op === 'fork' || !byName.has(st.op) || st.arg === null ? st.loc : st.argLoc, r);
        }
      });
    });

    // checked properties
    const props = new Map(inner.properties.map((p) => [p.name, p]));
    for (const c of s.checks)
      if (!props.has(c.name))
        fail(c.loc, `unknown property '${c.name}' (model ${modelId}${where}; its properties: ${inner.properties.map((p) => p.name).join(', ')})`);

    // the condition's fields
    if (s.condition) {
      const fields = new Set(inner.layout.table.map((f) => f.name));
      const slots = Number(config.procs ?? s.actors.length);
      const resolve = (c: Cond): CondSpec => {
        if (c.t === 'not') return { t: 'not', a: resolve(c.a) };
        if (c.t !== 'cmp') return { t: c.t, a: resolve(c.a), b: resolve(c.b) };
        const dot = c.field.indexOf('.');
        const head = dot > 0 ? c.field.slice(0, dot) : c.field;
        const actor = actorIndex.get(head);
        if (actor !== undefined) {
          const rest = c.field.slice(dot + 1);
          if (dot < 0 || rest === '') fail(c.loc, `'${c.field}': name a field of ${head}'s mm, e.g. ${head}.pte[0]`);
          if ([...fields].some((f) => f.startsWith(`${head}.`))) fail(c.loc, `'${c.field}' is ambiguous: ${head} is both a process and an object of model ${modelId}; rename the process`);
          const ok = [...Array(slots).keys()].some((k) => fields.has(`${MM_PREFIX}${k}.${rest}`));
          if (!ok) {
            const mmFields = [...fields].filter((f) => f.startsWith(`${MM_PREFIX}0.`)).map((f) => f.slice(MM_PREFIX.length + 2));
            fail(c.loc, `unknown field '${c.field}': ${head}'s mm has no field '${rest}'${where} (its fields: ${mmFields.join(', ')})`);
          }
          return { t: 'cmp', actor, field: rest, eq: c.eq, value: c.value };
        }
        if (!fields.has(c.field)) {
          const same = [...fields].filter((f) => f.startsWith(`${head}.`));
          fail(c.loc, `unknown field '${c.field}' in model ${modelId}${where}` + (same.length ? ` (fields of ${head}: ${same.join(', ')})` : ` (no object '${head}'; a process's mm is ${s.actors[0]!.name}.<field>, objects are e.g. ${[...new Set([...fields].map((f) => f.split('.')[0]))].slice(0, 8).join(', ')})`));
        }
        return { t: 'cmp', actor: null, field: c.field, eq: c.eq, value: c.value };
      };
      program.condition = resolve(s.condition.cond);
    }

    // expectations
    const checks: CheckPlan[] = [];
    const plan = (name: string, kind: CheckKind, loc: Loc, propertyKind?: PropertyKind) => {
      const r = expectation(s, name, era, variant?.name ?? null, hasEras, loc);
      checks.push({ name, kind, ...(propertyKind ? { propertyKind } : {}), expected: normalise(s.file, r, name, kind, propertyKind), resultLine: r.loc.line });
    };
    for (const c of s.checks) {
      const p = props.get(c.name)!;
      plan(c.name, p.kind === 'sometimes' ? 'cover' : 'property', c.loc, p.kind);
    }
    if (s.condition) plan(CONDITION, 'condition', s.condition.loc);
    const label = variant ? (hasEras ? `${era}/${variant.name}` : variant.name) : era;
    return { era: label, ...(variant ? { variant: variant.name } : {}), program, checks };
  });
  return { file: s.file, name: s.name, scenario: s, model: modelId, eras: plans };
}

/** The most specific Result line for (check, era, variant): property > variant > era > none of them, in that order of weight. */
function expectation(s: Scenario, name: string, era: string, variant: string | null, hasEras: boolean, loc: Loc): ResultLine {
  const rank = (r: ResultLine) => (r.property ? 4 : 0) + (r.variants ? 2 : 0) + (r.eras ? 1 : 0);
  const hits = s.results.filter(
    (r) => (!r.property || r.property.name === name) && (!r.eras || r.eras.some((e) => e.id === era)) && (!r.variants || r.variants.some((v) => v.id === variant)),
  );
  const what = name === CONDITION ? 'the condition' : `property ${name}`;
  const where = (hasEras ? ` in era ${era}` : '') + (variant ? ` in variant ${variant}` : '');
  if (hits.length === 0)
    throw new ScenarioError(
      s.file,
      loc,
      `no Result line gives the expected result of ${what}${where} (add e.g. \` * Result: Never${hasEras ? ` era=${era}` : ''}${variant ? ` variant=${variant}` : ''}${name === CONDITION ? '' : ` property=${name}`}\`)`,
    );
  const best = Math.max(...hits.map(rank));
  const top = hits.filter((r) => rank(r) === best);
  const clash = top.find((r) => r.verdict !== top[0]!.verdict);
  if (clash) throw new ScenarioError(s.file, clash.loc, `Result lines ${top[0]!.loc.line} and ${clash.loc.line} disagree about ${what}${where}`);
  return top[0]!;
}

function normalise(file: string, r: ResultLine, name: string, kind: CheckKind, pk?: PropertyKind): Expected {
  const v: Verdict = r.verdict;
  if (kind === 'condition') {
    if (v === 'Never' || v === 'Sometimes' || v === 'Always') return v;
    throw new ScenarioError(file, r.loc, `Result: ${v} does not apply to the condition: it is Never, Sometimes or Always (how many final states satisfy it)`);
  }
  if (kind === 'cover') {
    if (v === 'reached' || v === 'Sometimes') return 'reached';
    if (v === 'unreached' || v === 'Never') return 'unreached';
    throw new ScenarioError(file, r.loc, `Result: ${v} does not apply to ${name} (a ${pk} cover): expected reached or unreached (Sometimes or Never)`);
  }
  if (v === 'holds' || v === 'Never') return 'holds';
  if (v === 'violated' || v === 'Sometimes') return 'violated';
  throw new ScenarioError(file, r.loc, `Result: ${v} does not apply to ${name} (${pk}): expected holds or violated (Never or Sometimes)`);
}
