/**
 * Progress on stderr, never stdout (so --json stays clean): a live line on a
 * TTY, a periodic line otherwise.
 */
import type { Progress } from '../checker/search.js';

/**
 * `1,234,567`. Not toLocaleString: its first call loads ICU's number formats, 16 ms here (55 ms in a
 * profile) of a half-second check.
 */
export function fmtInt(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function fmtBytes(b: number): string {
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(2)} GiB`;
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

export function progressLine(p: Progress): string {
  return `states ${fmtInt(p.distinct)}  transitions ${fmtInt(p.transitions)}  frontier ${fmtInt(p.frontier)}  depth ${p.depth}  ${fmtInt(p.statesPerSec)} states/s  ${p.seconds.toFixed(1)}s`;
}

export interface ProgressReporter {
  onProgress: (p: Progress) => void;
  everyMs: number;
  /** clear the live line before the summary */
  done(): void;
}

export function stderrProgress(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const tty = Boolean(stream.isTTY);
  let live = false;
  let started = Date.now();
  return {
    everyMs: tty ? 250 : 10_000,
    onProgress(p) {
      if (quiet) return;
      if (tty) {
        stream.write(`\r\x1b[K${progressLine(p)}`);
        live = true;
      } else if (Date.now() - started >= 5_000) {
        stream.write(`mmcheck: ${progressLine(p)}\n`);
      }
    },
    done() {
      if (live) stream.write('\r\x1b[K');
      live = false;
      started = Date.now();
    },
  };
}
