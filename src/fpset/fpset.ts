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

/** A read-only view of a CompactFingerprintSet's table for other threads: (hi, lo) pairs, `cap` slots, (0,0) empty. */
export interface TableSnapshot {
  table: Uint32Array;
  /** slots; a slot's home is homeSlot(hi, lo, cap) */
  cap: number;
}

/** Membership in a snapshot of a CompactFingerprintSet table (also from a worker thread). */
export function tableHas(snap: TableSnapshot, hi: number, lo: number): boolean {
  return probe(snap.table, snap.cap, homeSlot(hi, lo, snap.cap), hi, lo);
}

/** Linear probing from slot i of a table of `cap` slots: is (hi, lo) stored? */
function probe(t: Uint32Array, cap: number, i: number, hi: number, lo: number): boolean {
  for (;;) {
    const h = t[2 * i]!;
    const l = t[2 * i + 1]!;
    if (h === 0 && l === 0) return false;
    if (h === hi && l === lo) return true;
    if (++i === cap) i = 0;
  }
}

/** 32-bit words in a 4 KiB page */
const PAGE_WORDS = 1024;

/**
 * The engine's visited set: (hi, lo) pairs in one Uint32Array, linear probing, (0,0) empty, of any
 * capacity (a slot's home is a multiply-shift of the hash, not a mask), kept up to
 * 85% full and grown by a quarter, so the table costs 9.4 to 11.8 bytes a state, never 21 as a doubling
 * table at 3/4 does just after it grows.
 */
export class CompactFingerprintSet implements VisitedSet {
  private table: Uint32Array;
  private cap: number;
  private count = 0;
  private limit: number;
  readonly exact = false;
  static readonly MAX_LOAD = 0.85;
  static readonly GROWTH = 1.25;

  constructor(initialCapacity = 1 << 16, private readonly shared = false) {
    this.cap = Math.max(16, Math.ceil(initialCapacity / 16) * 16);
    this.table = this.alloc(this.cap * 2);
    this.limit = Math.floor(this.cap * CompactFingerprintSet.MAX_LOAD);
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  /** slots in the table now */
  get capacity(): number {
    return this.cap;
  }

  add(_buf: Uint8Array, hi: number, lo: number): boolean {
    if (this.count >= this.limit) this.grow();
    return this.insert(hi, lo);
  }

  has(hi: number, lo: number): boolean {
    return probe(this.table, this.cap, homeSlot(hi, lo, this.cap), hi, lo);
  }

  snapshot(): TableSnapshot {
    return { table: this.table, cap: this.cap };
  }

  /**
   * A word of (hi, lo)'s home slot and one 64 bytes on. Calling this over a batch before inserting it
   * lets the batch's cache misses overlap (the loads do not depend on each other); the inserts then
   * mostly hit. The second line is there for the probes: a state not yet stored is probed for about 23
   * slots on average at 85% load, past its home line. Touch-then-add over 10M stored pairs, 4M lookups
   * half new, in batches of 256: 109-119 -> 98-105 ns a lookup at 85% load, 84-86 -> 74-78 at 75%; a
   * third line made it slower.
   */
  touch(hi: number, lo: number): number {
    const t = this.table;
    const w = 2 * homeSlot(hi, lo, this.cap);
    return t[w]! ^ t[w + 16 < t.length ? w + 16 : w]!;
  }

  /** The table and its fill, to hand to another thread (which may insert and hand back a grown one). */
  share(): SharedTable {
    return { table: this.table, cap: this.cap, count: this.count };
  }

  /** A set over a table from share() (in another thread, or back from one): the table is used, not copied. */
  static adopt(t: SharedTable): CompactFingerprintSet {
    const set = new CompactFingerprintSet(16, true);
    set.table = t.table;
    set.cap = t.cap;
    set.count = t.count;
    set.limit = Math.floor(t.cap * CompactFingerprintSet.MAX_LOAD);
    return set;
  }

  /** The stored fingerprints as (hi, lo) pairs, for a checkpoint; `skip` leaves some out. */
  exportFps(skip?: (hi: number, lo: number) => boolean): Uint32Array {
    return storedPairs(this.table, this.count, skip);
  }

  /** Replace the contents with these (hi, lo) pairs, in a table of `capacity` slots (from exportFps / capacity). */
  importFps(pairs: Uint32Array, capacity: number): void {
    let cap = Math.max(16, capacity);
    while (Math.floor(cap * CompactFingerprintSet.MAX_LOAD) < pairs.length / 2) cap = nextCap(cap);
    this.cap = cap;
    this.table = this.alloc(cap * 2);
    this.limit = Math.floor(cap * CompactFingerprintSet.MAX_LOAD);
    this.count = 0;
    for (let i = 0; i < pairs.length; i += 2) this.insert(pairs[i]!, pairs[i + 1]!);
  }

  /** Bytes the table would take after its next growth (memory budgets). */
  nextBytes(): number {
    return nextCap(this.cap) * 8;
  }

  /** true when the next insertion of a new state grows the table */
  get atLimit(): boolean {
    return this.count >= this.limit;
  }

  /**
   * A zeroed table with every page of it written once. Otherwise a fresh page's first access is a
   * probe's read, which maps the zero page, and the insert's write then copies it and, with worker
   * threads running, flushes their TLBs by IPI (a VM exit here): 2.3% of a 2-worker run's samples in
   * perf (do_wp_page -> flush_tlb_mm_range). v5.19 ranges=basic, 2 workers: system time 0.84-1.00 ->
   * 0.41-0.45 s, page faults 205-210k -> 163-177k; 1 worker: 159k -> 117k faults.
   */
  private alloc(words: number): Uint32Array {
    const t = this.shared ? new Uint32Array(new SharedArrayBuffer(words * 4)) : new Uint32Array(words);
    for (let i = 0; i < t.length; i += PAGE_WORDS) t[i] = 0;
    return t;
  }

  private insert(hi: number, lo: number): boolean {
    const t = this.table;
    const cap = this.cap;
    let i = homeSlot(hi, lo, cap);
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
      if (++i === cap) i = 0;
    }
  }

  private grow(): void {
    const old = this.table;
    this.cap = nextCap(this.cap);
    this.table = this.alloc(this.cap * 2);
    this.limit = Math.floor(this.cap * CompactFingerprintSet.MAX_LOAD);
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      const h = old[i]!;
      const l = old[i + 1]!;
      if (h !== 0 || l !== 0) this.insert(h, l);
    }
  }
}

/** A CompactFingerprintSet's table in a SharedArrayBuffer, as it crosses threads. */
export interface SharedTable {
  table: Uint32Array;
  cap: number;
  count: number;
}

/**
 * The visited set of a parallel BFS: K CompactFingerprintSets in shared memory, a state's partition
 * chosen by its fingerprint. Between levels' phases each partition is read by every worker (to drop
 * known successors) or written by exactly one (the level's dedupe), so no locks are needed; as a set
 * it is the same as one table (the same counts for any K), at the same bytes per state.
 */
export class PartitionedFingerprintSet implements VisitedSet {
  readonly parts: CompactFingerprintSet[];
  readonly exact = false;

  constructor(readonly K: number, initialCapacity = 1 << 16) {
    if (!Number.isInteger(K) || K < 1 || K > 1 << 16) throw new Error(`PartitionedFingerprintSet: ${K} partitions (1 to 65536)`);
    this.parts = Array.from({ length: K }, () => new CompactFingerprintSet(Math.max(16, Math.ceil(initialCapacity / K)), true));
  }

  /**
   * Partition of a fingerprint: hi's top 16 bits scaled to [0, K) (K <= 2^16; hi is a mixed 32-bit value,
   * and homeSlot mixes lo in, so slots stay uniform). A multiply and a shift in int32: `hi % K`, with a
   * uint32 hi and K not a constant, compiled to a division of about 25 ns (4 ns this way, measured over
   * 1M values), and the pack of each slice of the phased pool takes one per successor.
   */
  static partitionOf(hi: number, K: number): number {
    return ((hi >>> 16) * K) >>> 16;
  }

  get size(): number {
    let n = 0;
    for (const p of this.parts) n += p.size;
    return n;
  }

  get bytes(): number {
    let n = 0;
    for (const p of this.parts) n += p.bytes;
    return n;
  }

  get capacity(): number {
    let n = 0;
    for (const p of this.parts) n += p.capacity;
    return n;
  }

  add(buf: Uint8Array, hi: number, lo: number): boolean {
    return this.parts[PartitionedFingerprintSet.partitionOf(hi, this.K)]!.add(buf, hi, lo);
  }

  has(hi: number, lo: number): boolean {
    return this.parts[PartitionedFingerprintSet.partitionOf(hi, this.K)]!.has(hi, lo);
  }

  /** CompactFingerprintSet.touch, in the fingerprint's partition. */
  touch(hi: number, lo: number): number {
    return this.parts[PartitionedFingerprintSet.partitionOf(hi, this.K)]!.touch(hi, lo);
  }

  snapshots(): TableSnapshot[] {
    return this.parts.map((p) => p.snapshot());
  }

  /** Take back partition i from the thread that inserted into it. */
  adopt(i: number, t: SharedTable): void {
    this.parts[i] = CompactFingerprintSet.adopt(t);
  }

  exportFps(skip?: (hi: number, lo: number) => boolean): Uint32Array {
    const all = this.parts.map((p) => p.exportFps(skip));
    const out = new Uint32Array(all.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of all) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  }

  /** Replace the contents with these pairs (from any visited set's exportFps); `capacity` is shared out. */
  importFps(pairs: Uint32Array, capacity: number): void {
    const byPart: number[][] = this.parts.map(() => []);
    for (let i = 0; i < pairs.length; i += 2) byPart[PartitionedFingerprintSet.partitionOf(pairs[i]!, this.K)]!.push(pairs[i]!, pairs[i + 1]!);
    this.parts.forEach((p, i) => p.importFps(Uint32Array.from(byPart[i]!), Math.ceil(capacity / this.K)));
  }
}

/**
 * Membership of `count` fingerprints (his[i], los[i]) in partitioned compact tables (one table: K = 1),
 * out[i] = 1 if stored. Two passes: the first only computes home slots and loads their first word, and
 * those loads do not depend on each other, so the CPU overlaps their cache misses (a lookup in a table
 * larger than the cache is a miss, about 250 ns here, one at a time); the second probes, mostly in cache.
 */
export function tablesHaveMany(snaps: readonly TableSnapshot[], his: Uint32Array, los: Uint32Array, count: number, out: Uint8Array, slots: Int32Array): void {
  const K = snaps.length;
  if (partOf.length < count) partOf = new Int32Array(count * 2);
  if (K > 1) for (let i = 0; i < count; i++) partOf[i] = PartitionedFingerprintSet.partitionOf(his[i]!, K);
  let touch = 0;
  // partition by partition, so that each loop reads one table: with the table changing from one
  // lookup to the next, the lookups of 2 partitions measured 10-20% slower than those of one table
  for (let p = 0; p < K; p++) {
    const t = snaps[p]!.table;
    const cap = snaps[p]!.cap;
    for (let i = 0; i < count; i++) {
      if (K > 1 && partOf[i] !== p) continue;
      const at = homeSlot(his[i]!, los[i]!, cap);
      slots[i] = at;
      touch ^= t[2 * at]!;
    }
  }
  for (let p = 0; p < K; p++) {
    const t = snaps[p]!.table;
    const cap = snaps[p]!.cap;
    for (let i = 0; i < count; i++) {
      if (K > 1 && partOf[i] !== p) continue;
      out[i] = probe(t, cap, slots[i]!, his[i]!, los[i]!) ? 1 : 0;
    }
  }
  if (touch === 0.5) throw new Error('unreachable'); // keeps the first pass's loads
}
/** tablesHaveMany's partition per lookup (scratch, per thread) */
let partOf = new Int32Array(0);

/** The non-empty (hi, lo) slots of an open-addressing table, in slot order. */
function storedPairs(t: Uint32Array, count: number, skip?: (hi: number, lo: number) => boolean): Uint32Array {
  const out = new Uint32Array(count * 2);
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

function nextCap(cap: number): number {
  return Math.ceil((cap * CompactFingerprintSet.GROWTH) / 16) * 16;
}

/** Home slot in a table of `cap` slots: the high bits of a 32-bit mix, scaled (any cap below 2^31). */
export function homeSlot(hi: number, lo: number, cap: number): number {
  return Math.floor(((lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0) * cap * 2.3283064365386963e-10);
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

/**
 * Bitstate (SPIN's supertrace; a Bloom filter): K bits a state, set from the
 * 64-bit fingerprint by double hashing, in a bit array of a fixed size. A
 * state whose K bits are all set already is taken as seen, which may omit a
 * state never visited: the set keeps a running estimate of how many were
 * omitted (the sum, over insertions, of the chance that all K bits of a new
 * state were set already: fill^K).
 */
export class BitstateSet implements VisitedSet {
  private readonly bits: Uint32Array;
  private readonly m: number;
  private count = 0;
  private setBits = 0;
  /** expected number of states wrongly taken as seen so far */
  omittedEstimate = 0;
  readonly exact = false;
  static readonly K = 3;

  constructor(bytes: number) {
    const words = Math.max(64, Math.floor(bytes / 4));
    this.bits = new Uint32Array(words);
    this.m = words * 32;
  }

  get size(): number {
    return this.count;
  }

  get bytes(): number {
    return this.bits.byteLength;
  }

  /** fraction of bits set */
  get fill(): number {
    return this.setBits / this.m;
  }

  add(_buf: Uint8Array, hi: number, lo: number): boolean {
    const m = this.m;
    const step = ((lo >>> 0) % (m - 1)) + 1;
    let idx = (hi >>> 0) % m;
    let fresh = false;
    for (let i = 0; i < BitstateSet.K; i++) {
      const w = idx >>> 5;
      const b = 1 << (idx & 31);
      if ((this.bits[w]! & b) === 0) {
        this.bits[w]! |= b;
        this.setBits++;
        fresh = true;
      }
      idx += step;
      if (idx >= m) idx -= m;
    }
    if (fresh) {
      this.count++;
      // the chance this new state's K bits had all been set (it would have been omitted)
      this.omittedEstimate += this.fill ** BitstateSet.K;
    }
    return fresh;
  }

  has(hi: number, lo: number): boolean {
    const m = this.m;
    const step = ((lo >>> 0) % (m - 1)) + 1;
    let idx = (hi >>> 0) % m;
    for (let i = 0; i < BitstateSet.K; i++) {
      if ((this.bits[idx >>> 5]! & (1 << (idx & 31))) === 0) return false;
      idx += step;
      if (idx >= m) idx -= m;
    }
    return true;
  }

  /** Insert every fingerprint of a compact table (the switch from exact fingerprints to bitstate). */
  absorb(set: CompactFingerprintSet): void {
    const { table } = set.snapshot();
    const before = this.count;
    for (let i = 0; i < table.length; i += 2) {
      const h = table[i]!;
      const l = table[i + 1]!;
      if (h !== 0 || l !== 0) this.add(EMPTY_BUF, h, l);
    }
    // they were distinct states (their bits may overlap): counted as such, and not as omissions
    this.count = before + set.size;
    this.omittedEstimate = 0;
  }
}

const EMPTY_BUF = new Uint8Array(0);

/** Parse a memory size: a number with an optional unit (B, K/KB/KiB, M, G, T; powers of 1024). Null when malformed. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?\s*$/i.exec(text);
  if (!m) return null;
  const units: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  const n = Number(m[1]) * (m[2] ? units[m[2].toLowerCase()]! : 1);
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : null;
}
