/**
 * Where the CLI writes, and how it ends. Every command writes through `io`
 * (the real process streams, or a test's buffers) and ends by returning an
 * exit status or by throwing CliExit; nothing below main() calls
 * process.exit, so the whole CLI can run in-process (the fuzz tests do).
 */

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

export const io: CliIo & { code: number } = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  /** the status a command's action decided (0 unless it set one) */
  code: 0,
};

/** Unwinds to main() with an exit status and, if given, the one line to print on stderr first. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    readonly line: string | null = null,
  ) {
    super(line ?? `exit ${code}`);
    this.name = 'CliExit';
  }
}
