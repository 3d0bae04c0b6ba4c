import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'ui/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Interop suites start real peers; keep the two cores of CI from thrashing.
    maxWorkers: 2,
  },
});
