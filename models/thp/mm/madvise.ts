/** mm/madvise.c MADV_DONTNEED. */
import type { Kern } from '../kern.js';
import { zapRange } from './mmap.js';

/**
 * Kernel: mm/madvise.c madvise_dontneed_single_vma -> zap_page_range: zap the
 * range (splitting a partly covered huge PMD) but keep the VMA and the page
 * table; later faults refill with zero-filled pages (and, with the table
 * still there, with PTEs: no THP until khugepaged, which is not modelled).
 */
export function madvise_dontneed(k: Kern, p: number, mask: number): void {
  zapRange(k, p, mask);
}
