import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'ui/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for an event (a worker back, a socket closed), not for
    // speed: its 1 s default ran out by chance at load 20+ (a replaced RADIUS
    // worker thread); a condition that never comes still fails, within the
    // test's 30 s. vi.waitFor has no such setting: give it a timeout where used.
    expect: { poll: { timeout: 10_000 } },
    // Interop suites start real peers; keep the two cores of CI from thrashing.
    maxWorkers: 2,
  },
});
