/**
 * Progress goes to the stream it is given (stderr in the CLI), never stdout:
 * a live line on a TTY, nothing when quiet, cleared before the summary.
 * (The non-TTY lines depend on wall time, so they are not asserted here.)
 */
import { describe, expect, it } from 'vitest';
import { progressLine, stderrProgress, fmtBytes, fmtInt } from '../../src/report/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, write: (s: string) => void writes.push(s) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

const P = { distinct: 1234567, transitions: 5000000, frontier: 42, depth: 7, seconds: 2.25, statesPerSec: 548696.4 };

describe('progress', () => {
  it('formats one line with the counts', () => {
    expect(progressLine(P)).toBe('states 1,234,567  transitions 5,000,000  frontier 42  depth 7  548,696 states/s  2.3s');
  });

  it('on a TTY: a live line, rewritten in place, cleared by done()', () => {
    const { stream, writes } = fakeStream(true);
    const r = stderrProgress(false, stream);
    expect(r.everyMs).toBe(250);
    r.onProgress(P);
    r.onProgress({ ...P, distinct: 2 });
    expect(writes).toEqual([`\r\x1b[K${progressLine(P)}`, `\r\x1b[K${progressLine({ ...P, distinct: 2 })}`]);
    r.done();
    expect(writes.at(-1)).toBe('\r\x1b[K');
    r.done();
    expect(writes).toHaveLength(3);
  });

  it('quiet writes nothing, on a TTY or not', () => {
    for (const tty of [true, false]) {
      const { stream, writes } = fakeStream(tty);
      const r = stderrProgress(true, stream);
      r.onProgress(P);
      r.done();
      expect(writes).toEqual([]);
    }
  });

  it('not on a TTY: asks for periodic updates, not a live line', () => {
    const { stream } = fakeStream(false);
    expect(stderrProgress(false, stream).everyMs).toBe(10_000);
  });

  it('formats sizes and counts', () => {
    expect(fmtInt(1234.6)).toBe('1,235');
    expect([0, 999, 1000, 999_999, 1_000_000, 42_000_123, -1234].map(fmtInt)).toEqual(['0', '999', '1,000', '999,999', '1,000,000', '42,000,123', '-1,234']);
    expect(fmtBytes(512)).toBe('512 B');
    expect(fmtBytes(2048)).toBe('2.0 KiB');
    expect(fmtBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(fmtBytes(1.5 * 2 ** 30)).toBe('1.50 GiB');
  });
});
