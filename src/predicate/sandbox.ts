/**
 * A user's predicate file (`--predicate <hook>=FILE`), contained. Harness
 * code, generic over the hook's view type: a hook says how to encode its
 * view as a short key and gives the source of a function that rebuilds the
 * view from that key inside the sandbox.
 *
 * What a predicate can do: compute a boolean from the view it is given, with
 * the JavaScript language and its built-in objects (Math, JSON, Array, Map,
 * ...), in a `node:vm` context of its own (a separate realm: patching
 * Math.max or Array.prototype.includes there changes nothing outside).
 * What it cannot: reach `process`, `require`, `import` of any module (a
 * value import is refused at load; `import type` is erased), timers,
 * `eval` / `new Function`, WebAssembly, Atomics, SharedArrayBuffer or
 * Math.random; run longer than CALL_LIMIT_MS per call (or at load); answer
 * two ways for one view. The view object is built inside the sandbox from
 * numbers, so nothing of the checker's realm is reachable through it.
 *
 * Each distinct view is evaluated twice on first sight, and again on its
 * 2nd, 4th, 8th, ... later sighting, against the cached answer: a predicate
 * whose answer is not a function of the view alone (Math.random, Date, state
 * kept between calls) is an error, not a run whose counts depend on the
 * number of workers. Every other sighting is a cache hit: no call at all.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { Script, createContext, type Context } from 'node:vm';
import { isMainThread } from 'node:worker_threads';
import { UsageError } from '../model.js';

/** How long one call of a predicate (or the loading of its file) may run. */
export const CALL_LIMIT_MS = 1000;

/** What a hook tells the loader about its view type. */
export interface HookSpec<V> {
  /** the decision point, as in `--predicate <hook>=FILE` */
  hook: string;
  /** the view type's name, for messages (PageView) */
  viewName: string;
  /** the view's observable values as a short string: the cache key, and all the sandbox learns of the view */
  encode(view: V): string;
  /** JavaScript source of a function (key: string) => view object, evaluated inside the sandbox */
  viewSource: string;
}

/** A loaded predicate: call it with the host's view; it throws PredicateCallError when the predicate misbehaves. */
export interface SandboxedPredicate<V> {
  (view: V): boolean;
  readonly file: string;
  /** sha256 of the file's bytes as loaded */
  readonly sha256: string;
}

type CallFailure = 'threw' | 'not-boolean' | 'timeout' | 'nondeterministic';

/** A predicate misbehaved on one view; the hook's caller names the view (describe). */
export class PredicateCallError extends UsageError {
  constructor(
    readonly kind: CallFailure,
    readonly detail: string,
  ) {
    super(`${kind}: ${detail}`);
  }

  /** One line: `<who> threw on <where>: ...`, `<who> returned 1 on <where>, not a boolean`, ... */
  describe(who: string, where: string): string {
    switch (this.kind) {
      case 'threw':
        return `${who} threw on ${where}: ${this.detail}`;
      case 'not-boolean':
        return `${who} returned ${this.detail} on ${where}, not a boolean`;
      case 'timeout':
        return `${who} ran longer than ${CALL_LIMIT_MS} ms on ${where} (an endless loop?): a call is limited to ${CALL_LIMIT_MS} ms`;
      case 'nondeterministic':
        return `${who} gave different answers for the same view (${where}): ${this.detail}; its answer must depend on the view alone (no Date, no state kept between calls)`;
    }
  }
}

/** SIGINT arrived while a predicate ran (the main thread's calls break on it): the run ends with 130. */
export class PredicateInterrupted extends Error {}

/** sha256 of a file's bytes, hex. */
export function fileSha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * `mmcheck replay` loads only the predicate files the user names again, each with the hash the trace
 * recorded: with a restriction set, any other file (one a trace's config names, say) is refused.
 */
let allowed: Map<string, string> | null = null;
export function restrictPredicateFiles(files: Map<string, string> | null): void {
  allowed = files === null ? null : new Map([...files].map(([f, h]) => [resolve(f), h]));
}

const loaded = new Map<string, SandboxedPredicate<never>>();

/** The predicate files loaded so far in this thread, with the hashes of what was loaded. */
export function loadedPredicateFiles(): { hook: string; file: string; sha256: string }[] {
  return [...loaded].map(([k, p]) => ({ hook: k.slice(0, k.indexOf('\0')), file: p.file, sha256: p.sha256 }));
}

/**
 * Load `file` for `spec.hook`: read, transpile (TypeScript or JavaScript, ESM or CommonJS), run its top
 * level in a fresh sandbox, take its default export (or the export named after the hook, or
 * module.exports itself) as the predicate. Every failure is one UsageError line.
 */
export function loadPredicate<V>(spec: HookSpec<V>, file: string): SandboxedPredicate<V> {
  const path = resolve(file);
  const cacheKey = `${spec.hook}\0${path}`;
  const fail = (why: string): never => {
    throw new UsageError(`--predicate ${spec.hook}=${file}: ${why}`);
  };
  let bytes: Buffer | undefined;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    fail(`cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const sha256 = createHash('sha256').update(bytes!).digest('hex');
  if (allowed !== null) {
    const want = allowed.get(path);
    if (want === undefined) fail('replay loads only the predicate files given again with --predicate');
    if (want !== sha256) fail(`its content is not what the trace was made with (sha256 ${sha256.slice(0, 12)}..., the trace records ${want!.slice(0, 12)}...)`);
  }
  const hit = loaded.get(cacheKey) as SandboxedPredicate<V> | undefined;
  if (hit && hit.sha256 === sha256) return hit;

  const js = transpile(bytes!.toString('utf8'), path, fail);
  const box = new Sandbox(spec, path, fail);
  box.load(js);
  const cache = new Map<string, boolean>();
  const sightings = new Map<string, number>();
  const pred = ((view: V): boolean => {
    const key = spec.encode(view);
    const known = cache.get(key);
    if (known !== undefined) {
      // re-ask on the 2nd, 4th, 8th, ... sighting: cheap, and catches an answer that drifts with state
      const n = (sightings.get(key) ?? 0) + 1;
      sightings.set(key, n);
      if ((n & (n - 1)) === 0) box.agree(key, known);
      return known;
    }
    const v = box.call(key);
    box.agree(key, v);
    cache.set(key, v);
    return v;
  }) as SandboxedPredicate<V>;
  Object.defineProperties(pred, { file: { value: path }, sha256: { value: sha256 } });
  loaded.set(cacheKey, pred as SandboxedPredicate<never>);
  return pred;
}

/** TypeScript or JavaScript -> CommonJS, by esbuild's transform (types are stripped, never checked). */
function transpile(src: string, path: string, fail: (why: string) => never): string {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const ext = extname(path).toLowerCase();
  const loader = ext === '.js' || ext === '.cjs' || ext === '.mjs' ? 'js' : 'ts';
  try {
    return esbuild.transformSync(src, { loader, format: 'cjs', target: 'es2022', sourcefile: path, logLevel: 'silent' }).code;
  } catch (e) {
    const first = (e as { errors?: { text: string; location?: { line: number } | null }[] }).errors?.[0];
    if (!first) return fail(`cannot transpile it: ${(e as Error).message.split('\n')[0]}`);
    return fail(`${first.location ? `line ${first.location.line}: ` : ''}${first.text}`);
  }
}

/**
 * The sandbox's own code, run before the predicate's: it removes what a predicate must not use and keeps
 * the loader's two entry points where the predicate cannot replace them.
 */
const BOOTSTRAP = (hook: string, viewName: string, viewSource: string) => `'use strict';
(() => {
  const g = globalThis;
  for (const k of ['Atomics', 'SharedArrayBuffer', 'WebAssembly']) delete g[k];
  Math.random = () => { throw new Error('Math.random() is not available to a predicate: its answer must depend on the ${viewName} alone'); };
  const mkView = (${viewSource});
  const text = (e) => {
    try {
      const m = e instanceof Error ? (e.name === 'Error' ? '' : e.name + ': ') + e.message : String(e);
      return String(m).split('\\n')[0];
    } catch (_) { return 'an exception that cannot be printed'; }
  };
  let fn = null;
  const api = {
    define(body) {
      const module = { exports: {} };
      const require = (name) => { throw { mmcheckImport: String(name) }; };
      try {
        body(module.exports, require, module);
      } catch (e) {
        if (e && typeof e === 'object' && typeof e.mmcheckImport === 'string') return 'I' + e.mmcheckImport;
        return 'E' + text(e);
      }
      const m = module.exports;
      const f = typeof m === 'function' ? m : m !== null && typeof m === 'object' ? (m.default ?? m[${JSON.stringify(hook)}]) : undefined;
      if (typeof f !== 'function') return 'N';
      fn = f;
      return 'ok';
    },
    call(key) {
      let v;
      try { v = fn(mkView(key)); } catch (e) { return 'E' + text(e); }
      if (v === true) return 't';
      if (v === false) return 'f';
      try { const j = JSON.stringify(v); return 'N' + (j === undefined ? String(v) : j); } catch (_) { return 'N' + typeof v; }
    },
  };
  Object.defineProperty(g, '__mmcheck', { value: Object.freeze(api), writable: false, configurable: false, enumerable: false });
  return 'ok';
})();
`;

let rejectionGuard = false;

/** A predicate's own promises (another realm's) that reject unhandled are its business, not a crash of mmcheck. */
function guardRejections(): void {
  if (rejectionGuard) return;
  rejectionGuard = true;
  process.on('unhandledRejection', (reason, promise) => {
    if (promise instanceof Promise) throw reason;
  });
}

class Sandbox<V> {
  private readonly ctx: Context;
  constructor(
    private readonly spec: HookSpec<V>,
    private readonly path: string,
    private readonly fail: (why: string) => never,
  ) {
    guardRejections();
    this.ctx = createContext(Object.create(null), {
      name: `mmcheck predicate ${path}`,
      codeGeneration: { strings: false, wasm: false },
      // promise jobs a predicate queues run inside its call's time limit, not later in the checker's loop
      microtaskMode: 'afterEvaluate',
    });
    this.run(new Script(BOOTSTRAP(spec.hook, spec.viewName, spec.viewSource), { filename: 'mmcheck-sandbox.js' }), 'while loading');
  }

  /** Run a script under the time limit; only a string may come back (nothing of the sandbox's realm). */
  private run(script: Script, when: string): string {
    let r: unknown;
    try {
      r = script.runInContext(this.ctx, { timeout: CALL_LIMIT_MS, breakOnSigint: isMainThread, displayErrors: false });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException | null)?.code;
      if (code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        if (when === 'while loading') this.fail(`its top level ran longer than ${CALL_LIMIT_MS} ms (an endless loop?)`);
        throw new PredicateCallError('timeout', '');
      }
      if (code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw new PredicateInterrupted('interrupted by SIGINT');
      // a syntax error in the wrapped module that esbuild let through, or the sandbox's own failure
      return this.fail(`it could not run ${when}: ${e instanceof Error ? e.message.split('\n')[0] : 'unknown error'}`);
    }
    if (typeof r !== 'string') return this.fail(`it tampered with the sandbox ${when}`);
    return r;
  }

  load(js: string): void {
    const r = this.run(new Script(`__mmcheck.define(function (exports, require, module) {${js}\n});`, { filename: this.path }), 'while loading');
    if (r === 'ok') return;
    const param = this.spec.viewName.replace(/View$/, '').toLowerCase() || 'view';
    if (r === 'N') this.fail(`it exports no function (export default function (${param}: ${this.spec.viewName}): boolean { ... })`);
    if (r.startsWith('I'))
      this.fail(`it imports '${r.slice(1)}': a predicate file cannot import modules (only \`import type\`); it sees only the ${this.spec.viewName} it is given`);
    this.fail(`it threw while loading: ${r.slice(1)}`);
  }

  /** One call: the predicate's answer for the view with this key. */
  call(key: string): boolean {
    const r = this.run(new Script(`__mmcheck.call(${JSON.stringify(key)})`, { filename: 'mmcheck-call.js' }), 'in a call');
    if (r === 't') return true;
    if (r === 'f') return false;
    if (r.startsWith('E')) throw new PredicateCallError('threw', r.slice(1));
    if (r.startsWith('N')) throw new PredicateCallError('not-boolean', r.slice(1));
    return this.fail('it tampered with the sandbox in a call');
  }

  /** Ask again; the answer must be the one given before. */
  agree(key: string, before: boolean): void {
    let again: boolean | string;
    try {
      again = this.call(key);
    } catch (e) {
      if (!(e instanceof PredicateCallError) || e.kind === 'timeout') throw e;
      again = e.kind === 'threw' ? `threw ${e.detail}` : `returned ${e.detail}`;
    }
    if (again !== before) throw new PredicateCallError('nondeterministic', `first ${before}, then ${again}`);
  }
}
