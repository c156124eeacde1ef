import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // test runs are far shorter than the second a parallel run waits before starting its threads
    // (search.ts POOL_AFTER_MS): with 0, `workers: 2` starts threads as soon as a level needs them
    env: { MMCHECK_POOL_AFTER_MS: '0' },
  },
});
