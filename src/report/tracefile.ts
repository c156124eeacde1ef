/**
 * Saved counterexamples (`check --trace FILE`, read by `mmcheck replay`):
 * the trace as JSON with the tool's header, the files it depends on with
 * their sha256 (predicate files), and a checksum of everything else, so
 * that an edited, truncated or foreign file is refused with one line
 * instead of being replayed as if it were what `check` wrote.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../model.js';
import type { Trace } from '../checker/trace.js';
import { fileSha256, loadedPredicateFiles } from '../predicate/sandbox.js';
import { jsonHeader } from '../version.js';
import { writeResultFile } from './write.js';

export const TRACE_SCHEMA = 'urn:mmcheck:trace:2';

/** A file a trace depends on: replay checks its content before using it. */
export interface TraceFileDep {
  /** what the file is to the model: `predicate <hook>` */
  role: string;
  path: string;
  sha256: string;
}

export interface TraceFile extends Trace {
  tool: string;
  version: string;
  schema: string;
  mmcheck: 'trace';
  files: TraceFileDep[];
  checksum: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `sha256:<hex>` of a trace file's body (everything but the checksum, in the file's key order). */
export function traceChecksum(body: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
}

/** The predicate files a model config names (`predicate: {hook: path}`), with the hashes of what was loaded. */
export function predicateDeps(config: unknown): TraceFileDep[] {
  const pred = isObj(config) && isObj(config.predicate) ? config.predicate : {};
  const loaded = loadedPredicateFiles();
  return Object.entries(pred)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([hook, path]) => ({
      role: `predicate ${hook}`,
      path,
      sha256: loaded.find((l) => l.hook === hook && l.file === path)?.sha256 ?? fileSha256(path),
    }));
}

/** A trace file's object for `t`: the header, the trace, its files and the checksum. */
export function traceFileObject(t: Trace): TraceFile {
  const body = { ...jsonHeader(TRACE_SCHEMA), mmcheck: 'trace' as const, ...t, files: predicateDeps(t.config) };
  return { ...body, checksum: traceChecksum(body) };
}

/** The JSON text of a trace file for `t`. */
export function traceFileText(t: Trace): string {
  return JSON.stringify(traceFileObject(t), null, 2) + '\n';
}

export function saveTraceFile(file: string, t: Trace): void {
  writeResultFile(file, traceFileText(t), 'trace file');
}

const whole = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Read and check a trace file; every way it can be wrong is one UsageError (exit 2). */
export function loadTraceFile(file: string): TraceFile {
  const bad = (why: string): never => {
    throw new UsageError(`${file}: ${why}`);
  };
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read trace file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let t: unknown;
  try {
    t = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (!isObj(t) || (t.mmcheck !== 'trace' && t.tool !== 'mmcheck'))
    throw new UsageError(`${file} is not an mmcheck trace (expected the JSON written by \`mmcheck check --trace\`)`);
  if (t.schema !== TRACE_SCHEMA) {
    const was = typeof t.schema === 'string' ? `format ${t.schema}` : typeof t.version === 'number' ? `format version ${t.version}` : 'an unknown format';
    return bad(`a trace of ${was}, which this mmcheck does not read (it reads ${TRACE_SCHEMA}): make it again with \`mmcheck check --trace\``);
  }
  const { checksum, ...body } = t;
  if (typeof checksum !== 'string') return bad('the trace has no checksum: it was not written by `mmcheck check --trace`');
  if (checksum !== traceChecksum(body)) return bad('the trace was changed after it was written (its checksum does not match its content)');
  // the checksum proves the file is what mmcheck wrote; the shape is checked anyway (another tool may write one)
  if (typeof t.model !== 'string' || typeof t.property !== 'string' || !isObj(t.config)) return bad('malformed trace: model, property or config missing');
  if (!whole(t.init) || typeof t.initFp !== 'string') return bad('malformed trace: init and initFp must be a state index and a fingerprint');
  if (!Array.isArray(t.actionIds) || !t.actionIds.every(whole)) return bad('malformed trace: actionIds must be a list of action numbers (whole numbers >= 0)');
  if (!Array.isArray(t.steps) || !t.steps.every((s) => isObj(s) && typeof s.fp === 'string' && typeof s.action === 'string'))
    return bad('malformed trace: steps must be a list of {action, fp, ...}');
  if (t.steps.length !== t.actionIds.length) return bad(`malformed trace: ${t.steps.length} steps but ${t.actionIds.length} action ids`);
  if (!Array.isArray(t.files) || !t.files.every((f) => isObj(f) && typeof f.role === 'string' && typeof f.path === 'string' && typeof f.sha256 === 'string'))
    return bad('malformed trace: files must be a list of {role, path, sha256}');
  return t as unknown as TraceFile;
}
