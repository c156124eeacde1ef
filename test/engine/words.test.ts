/** Generated word copies (src/state/words.ts): exactly `words` words, at the given offsets, short and long. */
import { describe, expect, it } from 'vitest';
import { wordCopier } from '../../src/state/words.js';

describe('wordCopier', () => {
  for (const words of [0, 1, 13, 23, 64, 65, 200]) {
    it(`copies ${words} words between offsets and nothing else`, () => {
      const src = Uint32Array.from({ length: words + 10 }, (_, i) => (i * 2654435761) >>> 0);
      const dst = new Uint32Array(words + 20).fill(0xdeadbeef);
      wordCopier(words)(dst, 7, src, 3);
      expect(Array.from(dst.subarray(7, 7 + words))).toEqual(Array.from(src.subarray(3, 3 + words)));
      expect(Array.from(dst.subarray(0, 7)).every((x) => x === 0xdeadbeef)).toBe(true);
      expect(Array.from(dst.subarray(7 + words)).every((x) => x === 0xdeadbeef)).toBe(true);
    });
  }

  it('copies forward within one array (moves to a lower offset, as compaction does)', () => {
    const a = Uint32Array.from({ length: 40 }, (_, i) => i);
    wordCopier(13)(a, 2, a, 20);
    expect(Array.from(a.subarray(2, 15))).toEqual(Array.from({ length: 13 }, (_, i) => 20 + i));
  });

  it('caches one function per length and rejects a bad length', () => {
    expect(wordCopier(23)).toBe(wordCopier(23));
    expect(() => wordCopier(-1)).toThrow('wordCopier: bad length -1');
    expect(() => wordCopier(2.5)).toThrow('wordCopier: bad length 2.5');
  });
});
