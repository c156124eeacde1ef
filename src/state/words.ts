/**
 * Copies of state vectors by 32-bit words, generated for one vector length.
 * A loop over a Uint32Array costs V8 about 1.8 ns a word (bounds check and
 * loop per element); the same copy written out, one statement per word,
 * costs a third of that, and a copy runs for every enabled step.
 */

/** `dst[dOff + i] = src[sOff + i]` for i < words. */
export type WordCopy = (dst: Uint32Array, dOff: number, src: Uint32Array, sOff: number) => void;

/** past this many words a generated function stops paying (and V8 will not inline it) */
export const MAX_UNROLLED = 64;

const cache = new Map<number, WordCopy>();

/** A copy of `words` words, written out when short (one generated function per length, cached). */
export function wordCopier(words: number): WordCopy {
  if (!Number.isInteger(words) || words < 0) throw new Error(`wordCopier: bad length ${words}`);
  let f = cache.get(words);
  if (f !== undefined) return f;
  if (words <= MAX_UNROLLED) {
    const body = Array.from({ length: words }, (_, i) => `d[o + ${i}] = s[p + ${i}];`).join('\n');
    f = new Function('d', 'o', 's', 'p', body) as WordCopy;
  } else
    f = (d, o, s, p) => {
      for (let i = 0; i < words; i++) d[o + i] = s[p + i]!;
    };
  cache.set(words, f);
  return f;
}
