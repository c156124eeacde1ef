/** kernel/exit.c -> mm/mmap.c exit_mmap. */
import { CV } from '../coverage.js';
import type { Kern } from '../kern.js';
import { MM_EXITED } from '../layout.js';
import { do_munmap } from '../mm/mmap.js';

/**
 * Kernel: mm/mmap.c exit_mmap: unmap everything and free the page tables; the
 * mm is gone. GUP references it took stay with their holders (a pipe, a
 * driver) until put. The record is cleared so exited mms compare equal.
 */
export function exit_mmap(k: Kern, p: number): void {
  k.cover(CV.exit_mmap);
  do_munmap(k, p, k.ALL);
  k.notifyRelease(p);
  const b = k.mm(p);
  k.s.fill(0, b, b + k.o.mmStride);
  k.s[b + k.o.MM_STATE] = MM_EXITED;
}
