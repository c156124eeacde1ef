/**
 * `mmcheck explore`'s server (harness code): the state space of one configuration, served lazily on
 * loopback. The page asks for a path (action ids from the initial state); the server replays it and
 * answers with the state it reaches, the properties evaluated there, and every enabled action with
 * the successor it leads to. Nothing is stored between requests: a path is its own address, so Back,
 * reload and `#path=` links cost one replay of a few steps.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isStateProperty } from '../property.js';
import { UsageError, type Model, type StepContext } from '../model.js';
import { buildTrace, diff, formatAction, replay, ReplayError } from '../checker/trace.js';
import { htmlPage, layoutDocs, summaryLines, type DecodedState } from './page.js';
import { traceFileObject, type TraceFile } from '../report/tracefile.js';

export const DEFAULT_PORT = 7430;

/** A property evaluated at the end of a path. */
export interface PropertyHere {
  name: string;
  kind: string;
  /** always: holds | violated; a state cover: reached | not reached; a transition property: fired | not fired (by the last step) */
  status: 'holds' | 'violated' | 'reached' | 'not reached' | 'fired' | 'not fired';
  why?: string;
}

export interface Successor {
  id: number;
  label: string;
  changes: { field: string; from: number | string; to: number | string }[];
  /** invariants the successor violates, and action properties / kernel assertions the step fires */
  violates: string[];
  /** transition covers the step fires */
  fires: string[];
}

export interface Explored {
  path: (ReturnType<typeof buildTrace>['steps'][number] & { id: number })[];
  state: DecodedState;
  prev: DecodedState | null;
  properties: PropertyHere[];
  actions: Successor[];
  /** properties a trace of this path can be saved for (it shows them, so `mmcheck replay` can check it) */
  saveAs: string[];
}

export class Explorer {
  private readonly order: string[];
  constructor(
    readonly model: Model,
    readonly config: Record<string, unknown>,
  ) {
    this.order = model.layout.table.map((f) => f.name);
  }

  /** `3,0,12` -> [3, 0, 12]; a malformed path is a UsageError (HTTP 400). */
  parsePath(text: string | null): number[] {
    if (!text) return [];
    const ids = text.split(',').map((w) => (/^\d+$/.test(w) ? Number(w) : NaN));
    if (ids.some((a) => !Number.isInteger(a) || a >= this.model.actionCount)) throw new UsageError(`not a path of action ids below ${this.model.actionCount}: '${text}'`);
    return ids;
  }

  private evaluate(s: Uint8Array, fired: Set<number> | null): PropertyHere[] {
    const m = this.model;
    m.prepare?.(s);
    return m.properties.map((p, i): PropertyHere => {
      if (isStateProperty(p)) {
        const ok = p.check(s);
        if (p.kind === 'always') {
          if (ok) return { name: p.name, kind: p.kind, status: 'holds' };
          const why = p.explain?.(s);
          return { name: p.name, kind: p.kind, status: 'violated', ...(why ? { why } : {}) };
        }
        return { name: p.name, kind: p.kind, status: ok ? 'reached' : 'not reached' };
      }
      return { name: p.name, kind: p.kind, status: fired?.has(i) ? 'fired' : 'not fired' };
    });
  }

  /** Successor of s under a, with the properties its step fires; null when a is disabled. */
  private successor(s: Uint8Array, a: number): { next: Uint8Array; fired: Set<number> } | null {
    const m = this.model;
    const next = new Uint8Array(m.stateBytes);
    const fired = new Set<number>();
    const ctx: StepContext = { cover() {}, fail: (p) => void fired.add(p) };
    if (!m.apply(s, a, next, ctx)) return null;
    m.canonicalize?.(next);
    m.properties.forEach((p, i) => {
      if (!isStateProperty(p) && p.check && !p.check(s, a, next)) fired.add(i);
    });
    return { next, fired };
  }

  /** Everything the page shows at the end of `path`. Throws ReplayError if a step is not enabled. */
  at(path: number[]): Explored {
    const m = this.model;
    const { states, fired } = replay(m, { init: 0, actions: path });
    const cur = states[states.length - 1]!;
    const steps = buildTrace(m, this.config, '', { init: 0, actions: path }).steps.map((s, i) => ({ ...s, id: path[i]! }));
    const here = m.decode(cur);
    const properties = this.evaluate(cur, path.length ? fired[fired.length - 1]! : null);
    const actions: Successor[] = [];
    for (let a = 0; a < m.actionCount; a++) {
      const r = this.successor(cur, a);
      if (!r) continue;
      const after = this.evaluate(r.next, r.fired);
      actions.push({
        id: a,
        label: formatAction(m.describe(a)),
        changes: diff(here, m.decode(r.next), this.order),
        violates: after.filter((p) => p.status === 'violated' || (p.status === 'fired' && p.kind !== 'sometimes')).map((p) => p.name),
        fires: after.filter((p) => p.status === 'fired' && p.kind === 'sometimes').map((p) => p.name),
      });
    }
    // a violation first, then a cover this very step fired, then the covers the state reaches
    const rank = (p: PropertyHere) => (p.status === 'violated' || (p.status === 'fired' && p.kind !== 'sometimes') ? 0 : p.status === 'fired' ? 1 : 2);
    const saveAs = properties
      .filter((p) => p.status === 'violated' || p.status === 'reached' || p.status === 'fired')
      .sort((x, y) => rank(x) - rank(y))
      .map((p) => p.name);
    return {
      path: steps,
      state: here.toObject() as DecodedState,
      prev: states.length > 1 ? (m.decode(states[states.length - 2]!).toObject() as DecodedState) : null,
      properties,
      actions,
      saveAs,
    };
  }

  /** The path as a trace file (`check --trace`'s format, checksum included), for a property the path shows. */
  trace(path: number[], property: string): TraceFile {
    const { saveAs } = this.at(path);
    if (!saveAs.includes(property))
      throw new UsageError(`this path does not show '${property}' (it shows: ${saveAs.join(', ') || 'nothing a replay could check'})`);
    return traceFileObject(buildTrace(this.model, this.config, property, { init: 0, actions: path }));
  }

  page(): string {
    const m = this.model;
    return htmlPage({
      mmcheck: 'html',
      version: 1,
      mode: 'explore',
      title: `mmcheck explore: ${m.id}${typeof m.summary.era === 'string' ? ` era ${m.summary.era}` : ''}`,
      subtitle: summaryLines(m.id, m.summary as Record<string, unknown>),
      docs: layoutDocs(m),
      traces: [],
    });
  }
}

/** Requests must name this server as loopback (a page of another site cannot reach it through DNS rebinding). */
function hostAllowed(host: string | undefined, port: number): boolean {
  return host !== undefined && [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
}

export function handle(ex: Explorer, port: () => number, req: IncomingMessage, res: ServerResponse): void {
  const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const json = (status: number, v: unknown, headers: Record<string, string> = {}) => send(status, 'application/json; charset=utf-8', JSON.stringify(v), headers);
  if (!hostAllowed(req.headers.host, port())) return json(403, { error: 'this server answers requests for 127.0.0.1 and localhost only' });
  if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'GET only' });
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  try {
    if (url.pathname === '/') return send(200, 'text/html; charset=utf-8', ex.page());
    if (url.pathname === '/api/state') return json(200, ex.at(ex.parsePath(url.searchParams.get('path'))));
    if (url.pathname === '/api/trace') {
      const path = ex.parsePath(url.searchParams.get('path'));
      const property = url.searchParams.get('property') ?? '';
      const era = typeof ex.model.summary.era === 'string' ? `-${ex.model.summary.era}` : '';
      const name = `mmcheck-${ex.model.id}${era}-${property}-${path.length}-steps.json`.replace(/[^A-Za-z0-9._-]/g, '_');
      return send(200, 'application/json; charset=utf-8', JSON.stringify(ex.trace(path, property), null, 2) + '\n', { 'content-disposition': `attachment; filename="${name}"` });
    }
    return json(404, { error: `no such page: ${url.pathname}` });
  } catch (e) {
    if (e instanceof UsageError || e instanceof ReplayError) return json(400, { error: e.message });
    // a model or predicate failing on this state: say so on the page, keep serving
    return json(500, { error: `mmcheck: ${(e as Error).message}` });
  }
}

/** Listen on 127.0.0.1:port (0: any free port); resolves with the server and its address. */
export function serveExplorer(ex: Explorer, port: number): Promise<{ server: Server; url: string }> {
  let bound = port;
  const server = createServer((req, res) => handle(ex, () => bound, req, res));
  return new Promise((resolveP, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      bound = (server.address() as AddressInfo).port;
      resolveP({ server, url: `http://127.0.0.1:${bound}/` });
    });
  });
}
