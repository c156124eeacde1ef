/**
 * Stable, seeded 64-bit fingerprints of packed state vectors, returned as two
 * 32-bit halves. Same value across runs, builds and threads: it depends only on
 * the bytes and the seed. Neither 32-bit half is 0 ((0,0) is "empty" in the visited sets).
 */

import { MAX_UNROLLED } from './words.js';

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
 * fingerprintWords' chains: multipliers and rotations (a1, a2: xor-multiply; b1, b2: add-multiply), and
 * what the seed is xored with to start a2 and b1 (b2 starts at ~seed); shared with fingerprinter.
 */
const M_A1 = 0xcc9e2d51, M_A2 = 0x1b873593, M_B1 = 0x2c1b3c6d, M_B2 = 0x297a2d39;
const R_A = 15, R_B = 13;
const S_A2 = 0x85ebca6b, S_B1 = 0x5bd1e995;

/**
 * Hash `words` 32-bit words of `w` starting at word index `start` into out: the visited sets' hash.
 * Four multiply-rotate chains, two over the even words and two over the odd ones, so that each chain
 * is half as long as one over every word: a chain step waits on a multiply, and the murmur-style
 * hash (stableFingerprintWords) took 41 ns for 13 words and 58 ns for 23, this one 26 and 35
 * (best of 8 passes over 200k random vectors, Node 20). Each 32-bit half is built from one chain of
 * each parity with its own constants (xor-multiply and add-multiply), so vectors that differ in one
 * word never collide, and others need both halves to, as with two lanes over every word.
 */
export function fingerprintWords(w: Uint32Array, start: number, words: number, out: Fp, seed = FP_SEED): void {
  let a1 = seed | 0;
  let a2 = (seed ^ S_A2) | 0;
  let b1 = (seed ^ S_B1) | 0;
  let b2 = ~seed;
  const end = start + words;
  let i = start;
  for (; i + 1 < end; i += 2) {
    const x = w[i]!;
    const y = w[i + 1]!;
    a1 = Math.imul(a1 ^ x, M_A1);
    a1 = (a1 << R_A) | (a1 >>> (32 - R_A));
    a2 = Math.imul(a2 ^ y, M_A2);
    a2 = (a2 << R_A) | (a2 >>> (32 - R_A));
    b1 = Math.imul(b1 + x, M_B1);
    b1 = (b1 << R_B) | (b1 >>> (32 - R_B));
    b2 = Math.imul(b2 + y, M_B2);
    b2 = (b2 << R_B) | (b2 >>> (32 - R_B));
  }
  if (i < end) {
    const x = w[i]!;
    a1 = Math.imul(a1 ^ x, M_A1);
    a1 = (a1 << R_A) | (a1 >>> (32 - R_A));
    b1 = Math.imul(b1 + x, M_B1);
    b1 = (b1 << R_B) | (b1 >>> (32 - R_B));
  }
  const h1 = a1 ^ ((a2 << 16) | (a2 >>> 16)) ^ (words * 4);
  const h2 = b1 ^ ((b2 << 16) | (b2 >>> 16)) ^ (words * 4);
  finish(h1, h2, out);
}

/** fingerprintWords with FP_SEED for vectors of one length, from word `start` of w. */
export type Fingerprinter = (w: Uint32Array, start: number, out: Fp) => void;

const fingerprinters = new Map<number, Fingerprinter>();

/**
 * fingerprintWords for `words`-word vectors with the default seed, its chain steps written out (one
 * generated function per length, cached; the same values): the expand step hashes every successor,
 * and the loop's own instructions were a third of the hash's. Past MAX_UNROLLED words (wordCopier's
 * limit), fingerprintWords itself.
 */
export function fingerprinter(words: number): Fingerprinter {
  let f = fingerprinters.get(words);
  if (f !== undefined) return f;
  if (!Number.isInteger(words) || words < 1 || words > MAX_UNROLLED) f = (w, start, out) => fingerprintWords(w, start, words, out);
  else {
    // one chain step: v = rotl(imul(v op x, m), r), op ^ for the a chains and + for the b chains
    const step = (v: string, op: '^' | '+', x: string, m: number, r: number) => `${v} = Math.imul(${v} ${op} ${x}, ${m | 0}); ${v} = (${v} << ${r}) | (${v} >>> ${32 - r});`;
    const body: string[] = [`let a1 = ${FP_SEED | 0}, a2 = ${(FP_SEED ^ S_A2) | 0}, b1 = ${(FP_SEED ^ S_B1) | 0}, b2 = ${~FP_SEED}, x = 0, y = 0;`];
    for (let i = 0; i + 1 < words; i += 2)
      body.push(`x = w[start + ${i}]; y = w[start + ${i + 1}];`, step('a1', '^', 'x', M_A1, R_A), step('a2', '^', 'y', M_A2, R_A), step('b1', '+', 'x', M_B1, R_B), step('b2', '+', 'y', M_B2, R_B));
    if (words % 2 === 1) body.push(`x = w[start + ${words - 1}];`, step('a1', '^', 'x', M_A1, R_A), step('b1', '+', 'x', M_B1, R_B));
    body.push(`finish(a1 ^ ((a2 << 16) | (a2 >>> 16)) ^ ${words * 4}, b1 ^ ((b2 << 16) | (b2 >>> 16)) ^ ${words * 4}, out);`);
    f = new Function('finish', `return function (w, start, out) {\n${body.join('\n')}\n};`)(finish) as Fingerprinter;
  }
  fingerprinters.set(words, f);
  return f;
}

/** Both halves mixed into each other and finalised; neither word may be 0. */
function finish(h1: number, h2: number, out: Fp): void {
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

/**
 * The murmur-style hash of the first versions: two lanes over every word. Saved traces record it
 * (trace.ts), so that traces written before the visited sets changed hash still replay.
 */
export function stableFingerprintWords(w: Uint32Array, start: number, words: number, out: Fp, seed = FP_SEED): void {
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
  finish(h1, h2, out);
}

/** Fingerprint of a whole state vector (length a multiple of 4), as the visited sets store it. */
export function fingerprint(s: Uint8Array, out: Fp = { hi: 0, lo: 0 }, seed = FP_SEED): Fp {
  const w = stateWords(s);
  fingerprintWords(w, 0, w.length, out, seed);
  return out;
}

/** stableFingerprintWords of a whole state vector: the fingerprint saved traces record. */
export function stableFingerprint(s: Uint8Array, out: Fp = { hi: 0, lo: 0 }, seed = FP_SEED): Fp {
  const w = stateWords(s);
  stableFingerprintWords(w, 0, w.length, out, seed);
  return out;
}

/** A state vector's 32-bit words (its length is a multiple of 4). */
const stateWords = (s: Uint8Array) => new Uint32Array(s.buffer, s.byteOffset, s.byteLength >>> 2);

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
