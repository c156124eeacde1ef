/**
 * CLI side of checkpoints (`check --checkpoint FILE [--resume]`, and each
 * long cell of `run --matrix`): SIGINT/SIGTERM handlers that ask the search
 * to checkpoint and stop, and the message and exit status of a stopped run.
 */
import { Checkpointer, installStopSignals, SIGNAL_EXIT, type StopSignal } from '../checker/checkpoint.js';
import { fmtInt } from '../report/progress.js';
import { io } from './io.js';

export const DEFAULT_CHECKPOINT_EVERY = 60;

let signals: ReturnType<typeof installStopSignals> | null = null;

/** Install the handlers once per process; from then on a signal stops the next checkpointed search. */
export function stopRequested(): StopSignal | null {
  signals ??= installStopSignals();
  return signals.requested();
}

export function makeCheckpointer(file: string, key: unknown, everySec: number): Checkpointer {
  stopRequested();
  return new Checkpointer(file, key, everySec, () => signals!.requested());
}

/** One line on stderr and the exit status (130 SIGINT, 143 SIGTERM). */
export function interruptedExit(sig: StopSignal, what: string, ck: Checkpointer | null, resumeHint: string): number {
  const at = ck?.last ? ` at depth ${ck.last.depth} (${fmtInt(ck.last.distinct)} states stored)` : '';
  const where = !ck ? '' : ck.error !== null ? `; the checkpoint could not be written (${ck.error})${ck.last ? `, the one${at} stays` : ''}` : `; checkpoint ${ck.file}${at}`;
  io.err(`mmcheck: ${what} interrupted by ${sig}${where}; continue with ${resumeHint}\n`);
  return SIGNAL_EXIT[sig];
}
