import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault-injection suite has its own config and command: npm run test:faults.
    exclude: ['**/node_modules/**', 'test/faults/**'],
    // Prints whether the real sleep-accel nights are there (test/real-data/ skips without them).
    globalSetup: ['test/helpers/sleep-data-notice.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
