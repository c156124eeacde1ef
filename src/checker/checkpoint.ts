/**
 * Checkpoints of a bfs run, taken at BFS level boundaries only: everything a
 * resumed run needs to give the same distinct/transition counts, depth,
 * verdicts, first-finding paths and coverage as an uninterrupted one.
 *
 * A level boundary is deterministic: the visited set holds exactly the states
 * of levels 0..L, the parent store numbers them in bfs order, and the
 * frontier (level L's states) has not been expanded yet. A signal in the
 * middle of a level abandons that level and writes the checkpoint of its
 * start (the states the partial level added are left out), so an interrupted
 * run never waits for a long level to finish.
 *
 * File: a line `mmcheck-checkpoint <format>`, a line of JSON (the header:
 * configuration hash, counters, findings, coverage, section sizes), then the
 * binary sections in the header's order (native byte order: little-endian on
 * every platform Node runs on). Written to a temporary file, fsynced, renamed
 * over the old one: a checkpoint on disk is always a complete one.
 */
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../model.js';
import type { Path } from './search.js';

export const CHECKPOINT_FORMAT = 2; // 2: the visited sets hash with fingerprintWords (four chains), not the murmur-style hash
const MAGIC = `mmcheck-checkpoint ${CHECKPOINT_FORMAT}\n`;

/** A bfs run at the start of a level: what the search restores (from the engine: views of its tables, to be written at once). */
export interface BfsSnapshot {
  /** wall time already spent (a resumed run's --timeout and seconds include it) */
  elapsedMs: number;
  depth: number;
  transitions: number;
  findings: (Path | null)[];
  coverage: number[];
  /** the frontier: states base..base+count-1 of the parent store, packed */
  base: number;
  count: number;
  frontier: Uint8Array;
  store: { parents: Uint32Array; actions: Uint16Array; capacity: number };
  visited:
    | { kind: 'fingerprints'; pairs: Uint32Array; capacity: number }
    | { kind: 'full'; states: Uint8Array; fps: Uint32Array; capacity: number };
}

/** What the bfs engine calls (SearchOptions.checkpoint). */
export interface CheckpointHooks {
  /** restore this instead of seeding the initial states */
  resume?: BfsSnapshot;
  /** at the start of a level: write a checkpoint now? */
  due(): boolean;
  /** a signal asked the run to stop (checked after each merged slice) */
  interrupted(): boolean;
  /** lets signal handlers run during a level that never waits on a worker; undefined when not due */
  tick(): Promise<void> | undefined;
  write(snap: BfsSnapshot): void;
}

/** Stable JSON (sorted keys), the input of the configuration hash. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

export function configHash(key: unknown): string {
  return createHash('sha256').update(stableJson(key)).digest('hex').slice(0, 32);
}

interface Header {
  format: number;
  configHash: string;
  /** what the hash was computed over, for humans reading the file */
  key: unknown;
  writtenAt: string;
  elapsedMs: number;
  depth: number;
  transitions: number;
  distinct: number;
  base: number;
  count: number;
  findings: (Path | null)[];
  coverage: number[];
  storeCapacity: number;
  visitedKind: 'fingerprints' | 'full';
  visitedCapacity: number;
  sections: { name: string; bytes: number }[];
}

function sectionsOf(s: BfsSnapshot): { name: string; data: Uint8Array }[] {
  const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = [
    { name: 'store.parents', data: u8(s.store.parents) },
    { name: 'store.actions', data: u8(s.store.actions) },
    { name: 'frontier', data: u8(s.frontier) },
  ];
  if (s.visited.kind === 'fingerprints') out.push({ name: 'visited.fps', data: u8(s.visited.pairs) });
  else out.push({ name: 'visited.fps', data: u8(s.visited.fps) }, { name: 'visited.states', data: u8(s.visited.states) });
  return out;
}

const pad8 = (n: number) => (8 - (n % 8)) % 8;

/** Write atomically: temp file, fsync, rename. */
export function writeCheckpoint(file: string, key: unknown, s: BfsSnapshot): void {
  const sections = sectionsOf(s);
  const header: Header = {
    format: CHECKPOINT_FORMAT,
    configHash: configHash(key),
    key,
    writtenAt: new Date().toISOString(),
    elapsedMs: s.elapsedMs,
    depth: s.depth,
    transitions: s.transitions,
    distinct: s.store.parents.length,
    base: s.base,
    count: s.count,
    findings: s.findings,
    coverage: s.coverage,
    storeCapacity: s.store.capacity,
    visitedKind: s.visited.kind,
    visitedCapacity: s.visited.capacity,
    sections: sections.map((x) => ({ name: x.name, bytes: x.data.byteLength })),
  };
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    // the header line is padded with spaces, and each section with zeros, to a multiple of 8 bytes:
    // the reader views the sections in place
    let head = Buffer.from(MAGIC + JSON.stringify(header));
    head = Buffer.concat([head, Buffer.alloc(pad8(head.length + 1), 0x20), Buffer.from('\n')]);
    writeSync(fd, head);
    const zeros = new Uint8Array(8);
    for (const x of sections) {
      let off = 0;
      while (off < x.data.byteLength) off += writeSync(fd, x.data, off, Math.min(x.data.byteLength - off, 1 << 26));
      writeSync(fd, zeros, 0, pad8(x.data.byteLength));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Read and check a checkpoint; any problem with it is a usage error (exit 2). */
export function readCheckpoint(file: string, key: unknown): BfsSnapshot {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read checkpoint ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new UsageError(`checkpoint ${file} is not usable: ${why}`);
  };
  const magicEnd = buf.indexOf(10);
  const magic = buf.subarray(0, magicEnd + 1).toString('utf8');
  if (!magic.startsWith('mmcheck-checkpoint ')) bad('not an mmcheck checkpoint');
  if (magic !== MAGIC) bad(`format ${magic.trim().split(' ')[1]}, this mmcheck reads format ${CHECKPOINT_FORMAT}`);
  const headEnd = buf.indexOf(10, magicEnd + 1);
  if (headEnd < 0) bad('truncated header');
  let h: Header;
  try {
    h = JSON.parse(buf.subarray(magicEnd + 1, headEnd).toString('utf8')) as Header;
  } catch {
    return bad('malformed header');
  }
  if (h.configHash !== configHash(key)) throw new UsageError(`checkpoint ${file} was written for a different configuration`);
  let off = headEnd + 1;
  const total = h.sections.reduce((n, x) => n + x.bytes + pad8(x.bytes), 0);
  if (off % 8 !== 0 || buf.length - off !== total) bad(`expected ${total} bytes of data, found ${buf.length - off}`);
  // sections start at multiples of 8 in the file; viewed in place when the buffer is aligned, copied when not
  const inPlace = buf.byteOffset % 8 === 0;
  const sec: Record<string, { buffer: ArrayBuffer; at: number; bytes: number }> = {};
  for (const x of h.sections) {
    sec[x.name] = inPlace
      ? { buffer: buf.buffer as ArrayBuffer, at: buf.byteOffset + off, bytes: x.bytes }
      : { buffer: Uint8Array.prototype.slice.call(buf, off, off + x.bytes).buffer as ArrayBuffer, at: 0, bytes: x.bytes };
    off += x.bytes + pad8(x.bytes);
  }
  const view = <T>(n: string, make: (b: ArrayBuffer, at: number, len: number) => T, size: number): T => {
    const s = sec[n] ?? bad(`missing section ${n}`);
    return make(s.buffer, s.at, s.bytes / size);
  };
  const u8 = (n: string) => view(n, (b, at, len) => new Uint8Array(b, at, len), 1);
  const u16 = (n: string) => view(n, (b, at, len) => new Uint16Array(b, at, len), 2);
  const u32 = (n: string) => view(n, (b, at, len) => new Uint32Array(b, at, len), 4);
  return {
    elapsedMs: h.elapsedMs,
    depth: h.depth,
    transitions: h.transitions,
    findings: h.findings,
    coverage: h.coverage,
    base: h.base,
    count: h.count,
    frontier: u8('frontier').slice(), // a copy: the rest is copied into the tables on restore, so the file's buffer can go
    store: { parents: u32('store.parents'), actions: u16('store.actions'), capacity: h.storeCapacity },
    visited:
      h.visitedKind === 'fingerprints'
        ? { kind: 'fingerprints', pairs: u32('visited.fps'), capacity: h.visitedCapacity }
        : { kind: 'full', fps: u32('visited.fps'), states: u8('visited.states'), capacity: h.visitedCapacity },
  };
}

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The exit status of a run stopped by a signal after writing its checkpoint (the shell's 128 + signal number). */
export const SIGNAL_EXIT: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Periodic and on-signal checkpoints of one bfs run to one file. `key` is
 * what must match on --resume (model, config, the options that change
 * results).
 */
export class Checkpointer implements CheckpointHooks {
  resume?: BfsSnapshot;
  signal: StopSignal | null = null;
  /** the last checkpoint written by this run */
  last: { depth: number; distinct: number; seconds: number } | null = null;
  private lastWrite = Date.now();
  private lastTick = Date.now();

  constructor(
    readonly file: string,
    readonly key: unknown,
    /** seconds between checkpoints (written at the first level boundary after that long) */
    readonly everySec: number,
    readonly stopRequested: () => StopSignal | null = () => null,
  ) {}

  /** Load the checkpoint to resume from, if the file exists; returns whether it did. */
  load(): boolean {
    if (!existsSync(this.file)) return false;
    this.resume = readCheckpoint(this.file, this.key);
    return true;
  }

  due(): boolean {
    return this.interrupted() || Date.now() - this.lastWrite >= this.everySec * 1000;
  }

  interrupted(): boolean {
    this.signal ??= this.stopRequested();
    return this.signal !== null;
  }

  tick(): Promise<void> | undefined {
    const now = Date.now();
    if (now - this.lastTick < 50) return undefined;
    this.lastTick = now;
    return new Promise((r) => setImmediate(r));
  }

  /** why the last write failed (the run goes on; the previous checkpoint, if any, stays) */
  error: string | null = null;

  write(snap: BfsSnapshot): void {
    this.lastWrite = Date.now();
    try {
      writeCheckpoint(this.file, this.key, snap);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      if (this.error === null) process.stderr.write(`mmcheck: cannot write checkpoint ${this.file}: ${why} (the run goes on)\n`);
      this.error = why;
      try {
        unlinkSync(`${this.file}.tmp-${process.pid}`);
      } catch {
        /* not created */
      }
      return;
    }
    this.error = null;
    this.last = { depth: snap.depth, distinct: snap.store.parents.length, seconds: snap.elapsedMs / 1000 };
  }

  /** Fail early (a usage error) if the checkpoint's folder cannot take the file. */
  checkWritable(): void {
    const dir = dirname(resolve(this.file));
    try {
      accessSync(dir, constants.W_OK);
    } catch (e) {
      throw new UsageError(`cannot write checkpoint ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }

  /** The run finished: its checkpoint is of no further use. */
  remove(): void {
    try {
      unlinkSync(this.file);
    } catch {
      /* never written */
    }
  }
}

/**
 * SIGINT/SIGTERM ask the running search to checkpoint and stop (a second
 * signal exits at once; the last complete checkpoint is still on disk).
 */
export function installStopSignals(): { requested: () => StopSignal | null; uninstall: () => void } {
  let got: StopSignal | null = null;
  const on = (s: StopSignal) => () => {
    if (got !== null) process.exit(SIGNAL_EXIT[s]);
    got = s;
  };
  const hInt = on('SIGINT');
  const hTerm = on('SIGTERM');
  process.on('SIGINT', hInt);
  process.on('SIGTERM', hTerm);
  return {
    requested: () => got,
    uninstall: () => {
      process.off('SIGINT', hInt);
      process.off('SIGTERM', hTerm);
    },
  };
}

/** What a checkpoint must match on resume: the model, its resolved configuration, and the search options that change results (not workers, slices or progress). */
export function checkpointKey(modelId: string, summary: unknown, stateBytes: number, o: {
  strategy?: string;
  maxDepth?: number;
  maxStates?: number;
  timeoutSec?: number;
  properties?: readonly string[];
  fullState?: boolean;
  failFast?: boolean;
}): unknown {
  return {
    model: modelId,
    config: summary,
    stateBytes,
    search: {
      strategy: o.strategy ?? 'bfs',
      maxDepth: o.maxDepth ?? null,
      maxStates: o.maxStates ?? null,
      timeoutSec: o.timeoutSec ?? null,
      properties: o.properties ? [...o.properties] : null,
      fullState: Boolean(o.fullState),
      failFast: Boolean(o.failFast),
    },
  };
}
