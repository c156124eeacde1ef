/**
 * Stable, seeded 64-bit fingerprints of packed state vectors, returned as two
 * 32-bit halves. Same value across runs, builds and threads: it depends only on
 * the bytes and the seed. Neither 32-bit half is 0 ((0,0) is "empty" in the visited sets).
 */

export const FP_SEED = 0x9e3779b9;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Result holder so the hot path allocates nothing. */
export interface Fp {
  hi: number;
  lo: number;
}

/**
 * Hash `words` 32-bit words of `w` starting at word index `start` into out.
 * Two murmur3-style lanes with different seeds make the 64 bits.
 */
export function fingerprintWords(w: Uint32Array, start: number, words: number, out: Fp, seed = FP_SEED): void {
  let h1 = seed >>> 0;
  let h2 = (seed ^ 0x5bd1e995) >>> 0;
  const end = start + words;
  for (let i = start; i < end; i++) {
    let k = w[i]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h1 ^= k;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let j = w[i]!;
    j = Math.imul(j ^ (j >>> 15), 0x2c1b3c6d);
    j = Math.imul(j ^ (j >>> 12), 0x297a2d39);
    h2 = Math.imul(h2 ^ j, 0x9e3779b1);
    h2 = (h2 << 17) | (h2 >>> 15);
  }
  h1 ^= words * 4;
  h2 ^= words * 4;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  let hi = fmix32(h1);
  let lo = fmix32(h2);
  hi = (hi + lo) >>> 0;
  lo = (lo + hi) >>> 0;
  // neither word is 0: (0,0) marks an empty slot, and a slot another thread is writing (one word in)
  // then never matches a fingerprint (phased.ts reads tables while they are written)
  if (hi === 0) hi = 1;
  if (lo === 0) lo = 1;
  out.hi = hi;
  out.lo = lo;
}

/** Fingerprint of a whole state vector (length a multiple of 4). */
export function fingerprint(s: Uint8Array, out: Fp = { hi: 0, lo: 0 }, seed = FP_SEED): Fp {
  const w = new Uint32Array(s.buffer, s.byteOffset, s.byteLength >>> 2);
  fingerprintWords(w, 0, w.length, out, seed);
  return out;
}

/** Fingerprint as a 16-digit hex string (traces, JSON). */
export function fpHex(fp: Fp): string {
  return fp.hi.toString(16).padStart(8, '0') + fp.lo.toString(16).padStart(8, '0');
}

/**
 * Probability that at least one pair of n distinct states shares a fingerprint
 * (TLC's "optimistic" estimate n^2 / 2^65 for a uniform 64-bit hash).
 */
export function collisionProbability(n: number): number {
  return Math.min(1, (n * (n - 1)) / 2 / 2 ** 64);
}
