import { defineConfig } from 'vitest/config';

// npm run test:faults: real processes against the real PostgreSQL and Redis, with faults injected
// (killed workers, Redis restarted empty, PostgreSQL cut off, SIGTERM under load, hostile requests).
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    // The processes these tests start run the compiled entry points: build dist/ first.
    globalSetup: ['test/helpers/build-dist.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
