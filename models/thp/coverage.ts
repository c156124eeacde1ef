/**
 * Path coverage: one point per branch of a modelled kernel function, so a run
 * shows which code it reached (TLC's action coverage, Rumur's cover). The
 * trace printer shows the points a step fired as its kernel path.
 */
export const COVER_POINTS = [
  'do_huge_pmd_anonymous_page',
  'do_anonymous_page: zero page',
  'do_anonymous_page: new page',
  'do_huge_pmd_wp_page: reuse',
  'do_huge_pmd_wp_page: copy to a new THP',
  'do_huge_pmd_wp_page_fallback: copy to small pages',
  'do_huge_pmd_wp_page: split PMD and fall back',
  'do_wp_page: reuse THP subpage',
  'do_wp_page: reuse small page',
  'do_wp_page: copy (wp_page_copy)',
  'do_wp_page: copy the zero page',
  'page_move_anon_rmap',
  'fault: unshare (FAULT_FLAG_UNSHARE)',
  'copy_huge_pmd',
  'copy_huge_pmd: maybe pinned, split and copy PTEs',
  'copy_present_pte',
  'copy_present_page: early COW of a maybe-pinned page',
  'zap_huge_pmd',
  'zap_pte_range',
  'free_pgtables',
  '__split_huge_pmd',
  '__split_huge_pmd: set PageDoubleMap',
  '__split_huge_pmd: clear PageDoubleMap',
  'split_huge_page',
  'split_huge_page: -EBUSY (extra references)',
  'follow_page: take reference',
  'gup: break COW (FOLL_WRITE)',
  'gup: forced COW break on read (5.8)',
  'put_page / unpin_user_page',
  'read through a mapping',
  'read through a GUP reference',
  'write to a writable entry',
  'mprotect: write-protect',
  'mprotect: allow write',
  'exit_mmap',
  'bound: no free THP slot (fault falls back to PTEs)',
  'bound: small-page pool full (step not taken)',
  'bound: no free GUP reference slot',
] as const;

export type CoverName = (typeof COVER_POINTS)[number];

export const C = Object.fromEntries(COVER_POINTS.map((n, i) => [n, i])) as Record<CoverName, number>;
