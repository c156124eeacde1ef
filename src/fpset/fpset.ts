/**
 * Visited-state sets. The engine stores 64-bit fingerprints (8 bytes a state,
 * like TLC); the full-state set stores the vectors themselves and has no
 * collisions (tests, small runs, --full-state).
 */

export interface VisitedSet {
  /**
   * Insert the state with fingerprint (hi, lo), stored at buf[off .. off + stateBytes);
   * true if it was not there. (Offsets, not views: no allocation on the hot path.)
   */
  add(buf: Uint8Array, hi: number, lo: number, off?: number): boolean;
  readonly size: number;
  /** true if a state with this fingerprint is stored (full-state sets: maybe, never a false no) */
  has(hi: number, lo: number): boolean;
  /** bytes currently held by the set's tables */
  readonly bytes: number;
  /** true when membership is exact (no fingerprint collisions possible) */
  readonly exact: boolean;
}

/** Open addressing, linear probing, (hi, lo) pairs in one Uint32Array; (0,0) = empty. */
export class FingerprintSet implements VisitedSet {
  private table: Uint32Array;
  private mask: number;
  private count = 0;
  private limit: number;
  readonly exact = false;

  /** `shared`: keep the table in a SharedArrayBuffer, so worker threads can read a snapshot of it. */
  constructor(initialCapacity = 1 << 16, private readonly maxLoad = 0.75, private readonly shared = false) {
    let cap = 1 << 4;
    while (cap < initialCapacity) cap <<= 1;
    this.table = this.alloc(cap * 2);
    this.mask = cap - 1;
    this.limit = Math.floor(cap * maxLoad);
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  add(_buf: Uint8Array, hi: number, lo: number): boolean {
    if (this.count >= this.limit) this.grow();
    return this.insert(hi, lo);
  }

  has(hi: number, lo: number): boolean {
    return tableHas(this.table, this.mask, hi, lo);
  }

  /** Empty the set, keeping its capacity. */
  clear(): void {
    this.table.fill(0);
    this.count = 0;
  }

  /** The table for readers in other threads; valid until the next insertion that grows it. */
  snapshot(): { table: Uint32Array; mask: number } {
    return { table: this.table, mask: this.mask };
  }

  /** Slots in the table (checkpoints restore the same capacity, so growth happens at the same points). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** The stored fingerprints as (hi, lo) pairs, for a checkpoint; `skip` leaves some out. */
  exportFps(skip?: (hi: number, lo: number) => boolean): Uint32Array {
    const t = this.table;
    const out = new Uint32Array(this.count * 2);
    let k = 0;
    for (let i = 0; i < t.length; i += 2) {
      const h = t[i]!;
      const l = t[i + 1]!;
      if ((h !== 0 || l !== 0) && !(skip && skip(h, l))) {
        out[k++] = h;
        out[k++] = l;
      }
    }
    return out.subarray(0, k);
  }

  /** Replace the contents with these (hi, lo) pairs, in a table of `capacity` slots (from exportFps / capacity). */
  importFps(pairs: Uint32Array, capacity: number): void {
    let cap = 1 << 4;
    while (cap < capacity || Math.floor(cap * this.maxLoad) < pairs.length / 2) cap <<= 1;
    this.table = this.alloc(cap * 2);
    this.mask = cap - 1;
    this.limit = Math.floor(cap * this.maxLoad);
    this.count = 0;
    for (let i = 0; i < pairs.length; i += 2) this.insert(pairs[i]!, pairs[i + 1]!);
  }

  private alloc(words: number): Uint32Array {
    return this.shared ? new Uint32Array(new SharedArrayBuffer(words * 4)) : new Uint32Array(words);
  }

  private insert(hi: number, lo: number): boolean {
    const t = this.table;
    let i = slot(hi, lo, this.mask);
    for (;;) {
      const h = t[2 * i]!;
      const l = t[2 * i + 1]!;
      if (h === 0 && l === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo;
        this.count++;
        return true;
      }
      if (h === hi && l === lo) return false;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.table;
    const cap = (this.mask + 1) * 2;
    this.table = this.alloc(cap * 2);
    this.mask = cap - 1;
    this.limit = Math.floor(cap * this.maxLoad);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      const h = old[i]!;
      const l = old[i + 1]!;
      if (h !== 0 || l !== 0) this.insert(h, l);
    }
  }
}

/** Membership in a FingerprintSet's table (also from a worker thread, over a shared snapshot). */
export function tableHas(t: Uint32Array, mask: number, hi: number, lo: number): boolean {
  let i = slot(hi, lo, mask);
  for (;;) {
    const h = t[2 * i]!;
    const l = t[2 * i + 1]!;
    if (h === 0 && l === 0) return false;
    if (h === hi && l === lo) return true;
    i = (i + 1) & mask;
  }
}

/** Exact set: states kept in an arena, indexed by fingerprint, compared byte for byte. */
export class FullStateSet implements VisitedSet {
  private arena: Uint8Array;
  private index: Int32Array; // slot -> state number, -1 empty
  private fps: Uint32Array; // state number -> (hi, lo), to rehash and to skip most compares
  private mask: number;
  private count = 0;
  readonly exact = true;

  constructor(private readonly stateBytes: number, initialCapacity = 1 << 12) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.index = new Int32Array(cap).fill(-1);
    this.fps = new Uint32Array(cap * 2);
    this.mask = cap - 1;
    this.arena = new Uint8Array(cap * stateBytes);
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.arena.byteLength + this.index.byteLength + this.fps.byteLength;
  }

  add(buf: Uint8Array, hi: number, lo: number, off = 0): boolean {
    if (this.count * 4 >= (this.mask + 1) * 3) this.grow();
    let i = slot(hi, lo, this.mask);
    for (;;) {
      const id = this.index[i]!;
      if (id < 0) break;
      if (this.fps[2 * id] === hi && this.fps[2 * id + 1] === lo && this.equals(id, buf, off)) return false;
      i = (i + 1) & this.mask;
    }
    const id = this.count++;
    const n = this.stateBytes;
    if ((id + 1) * n > this.arena.length) {
      const a = new Uint8Array(this.arena.length * 2);
      a.set(this.arena);
      this.arena = a;
    }
    if (2 * id + 2 > this.fps.length) {
      const f = new Uint32Array(this.fps.length * 2);
      f.set(this.fps);
      this.fps = f;
    }
    this.arena.set(buf.subarray(off, off + n), id * n);
    this.fps[2 * id] = hi;
    this.fps[2 * id + 1] = lo;
    this.index[i] = id;
    return true;
  }

  /** The first `count` states (insertion order) and their fingerprints, for a checkpoint: views, valid until the next add. */
  exportStates(count = this.count): { states: Uint8Array; fps: Uint32Array; capacity: number } {
    const c = Math.min(count, this.count);
    return { states: this.arena.subarray(0, c * this.stateBytes), fps: this.fps.subarray(0, 2 * c), capacity: this.mask + 1 };
  }

  /** Replace the contents with states from exportStates (same order, so state numbers are kept). */
  importStates(states: Uint8Array, fps: Uint32Array, capacity: number): void {
    const c = fps.length / 2;
    let cap = 16;
    while (cap < capacity || c * 4 >= cap * 3) cap <<= 1;
    this.index = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.fps = new Uint32Array(Math.max(cap * 2, fps.length));
    this.fps.set(fps);
    this.arena = new Uint8Array(Math.max(cap * this.stateBytes, states.length));
    this.arena.set(states);
    this.count = c;
    for (let id = 0; id < c; id++) {
      let i = slot(fps[2 * id]!, fps[2 * id + 1]!, this.mask);
      while (this.index[i]! >= 0) i = (i + 1) & this.mask;
      this.index[i] = id;
    }
  }

  /** Slots in the index. */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Exact sets never answer from the fingerprint alone (a collision would lose a state). */
  has(_hi: number, _lo: number): boolean {
    return false;
  }

  private equals(id: number, buf: Uint8Array, off: number): boolean {
    const n = this.stateBytes;
    const base = id * n;
    const a = this.arena;
    for (let k = 0; k < n; k++) if (a[base + k] !== buf[off + k]) return false;
    return true;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    this.index = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    for (let id = 0; id < this.count; id++) {
      let i = slot(this.fps[2 * id]!, this.fps[2 * id + 1]!, this.mask);
      while (this.index[i]! >= 0) i = (i + 1) & this.mask;
      this.index[i] = id;
    }
  }
}

function slot(hi: number, lo: number, mask: number): number {
  return (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
}
