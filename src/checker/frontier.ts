/**
 * Sizing of a BFS level's frontier buffer (the next level's states, back to back): its starting room,
 * how it grows, and the largest it can be.
 */

/** The most bytes one frontier buffer can hold: a typed array's limit in Node 20. */
export const MAX_FRONTIER_BYTES = 2 ** 32;

/**
 * States of room for the level after one of `count` states: four times as many, since memory is only
 * committed as it is written and growing (a copy) cost the main thread a second on 5M-state runs; at
 * most 1 GiB to start with, and never more than `max` bytes.
 */
export function nextLevelRoom(count: number, n: number, max = MAX_FRONTIER_BYTES): number {
  return Math.min(Math.max(1 << 12, Math.min(count * 4, Math.floor(2 ** 30 / n))), Math.floor(max / n));
}

/** The byte length a frontier of `len` bytes grows to, to hold `need` bytes; -1 past `max`. */
export function grownLength(len: number, need: number, max = MAX_FRONTIER_BYTES): number {
  if (need > max) return -1;
  let l = Math.max(1, len) * 2;
  while (l < need) l *= 2;
  return Math.min(l, max);
}

/** Why a search stopped when its next level outgrew the largest frontier buffer. */
export function frontierFull(states: number, n: number, max = MAX_FRONTIER_BYTES): string {
  return `the next BFS level outgrew the largest frontier buffer (${max} bytes: ${states} states of ${n} bytes); bound the search (--depth, --max-states, smaller --bound values)`;
}

/** What a level's buffer is made of: plain memory (one thread), or shared memory (the phased pool's). */
export type BufferKind = ArrayBufferConstructor | SharedArrayBufferConstructor;

/**
 * A buffer of `bytes` for a level's states: `spare` (an earlier level's, no longer in use) when it is of
 * this kind and holds at least `least` bytes, since its pages are already mapped; else a new one.
 * A spare smaller than `bytes` that the level outgrows costs one copy into a grown buffer, whose pages a
 * new buffer would have faulted in all the same; one it does not outgrow saves them all. The bfs passes
 * the size of the level being expanded: in v5.19 ranges=basic the spare then takes two more levels
 * (965k and 553k states, 140 MB) than when it had to hold the full room.
 */
export function levelBuffer(bytes: number, spare: ArrayBufferLike | undefined, kind: BufferKind, least = bytes): ArrayBufferLike {
  return spare instanceof kind && spare.byteLength >= least ? spare : newBuffer(bytes, kind);
}

/** A new buffer of `kind`: a plain one not zeroed (uninitialized), a shared one as the runtime makes it. */
function newBuffer(bytes: number, kind: BufferKind): ArrayBufferLike {
  return kind === ArrayBuffer ? uninitialized(bytes) : new kind(bytes);
}

/**
 * A plain buffer whose bytes are not zeroed first: a level's buffer is only read where it was written,
 * and is sized for four times the states it usually gets, so zeroing it (a calloc from a heap that
 * already had the memory) faulted in and cleared pages that were never used: 5% of thp-core's time.
 */
export function uninitialized(bytes: number): ArrayBuffer {
  const b = Buffer.allocUnsafe(bytes);
  // small sizes come out of Node's shared pool: not a buffer of our own
  return b.byteOffset === 0 && b.buffer.byteLength === bytes ? (b.buffer as ArrayBuffer) : new ArrayBuffer(bytes);
}

/** A copy of `next`'s first `used` bytes in a buffer (of `kind`) grown to hold `need` bytes; null past `max`. */
export function grownFrontier(next: Uint8Array, used: number, need: number, max: number, kind: BufferKind = ArrayBuffer): Uint8Array | null {
  const len = grownLength(next.length, need, max);
  if (len < 0) return null;
  const g = new Uint8Array(newBuffer(len, kind));
  g.set(next.subarray(0, used));
  return g;
}
