import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A real PostgreSQL server for the run (ARCADIA_TEST_DATABASE_URL, else a private one): README, "Tests and
    // PostgreSQL".
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most end-to-end tests wait on child processes and simulated time, not on the CPU: three at once fit two cores.
    maxWorkers: 3,
  },
});
