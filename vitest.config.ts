import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault-injection suite has its own config and command: npm run test:faults.
    exclude: ['**/node_modules/**', 'test/faults/**'],
    // Prints whether the real sleep-accel nights are there (test/real-data/ skips without them), and
    // builds dist/: the tests that start processes run the compiled entry points.
    globalSetup: ['test/helpers/sleep-data-notice.ts', 'test/helpers/build-dist.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
