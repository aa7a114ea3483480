import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most end-to-end tests wait on child processes and simulated time, not on the CPU: three at once fit two cores.
    maxWorkers: 3,
  },
});
