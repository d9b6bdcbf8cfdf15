import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnEntry, startRedis, waitUntil } from '../helpers/processes.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// A worker process told to stop just after Redis restarted used to wait out SHUTDOWN_TIMEOUT_SECONDS
// and exit 1: its idle retention worker's close waited on a blocking command that never returned.
let testEnv: TestEnv;
let redis: Awaited<ReturnType<typeof startRedis>>;

beforeAll(async () => {
  testEnv = await createTestEnv();
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  await testEnv?.dispose();
});

describe('a worker stopped right after Redis restarted', () => {
  it('drains and exits 0, not 1 after the shutdown timeout', async () => {
    const port = await freePort();
    const worker = spawnEntry('workers/main.ts', testEnv.env({ REDIS_URL: redis.url, METRICS_PORT: String(port), SHUTDOWN_TIMEOUT_SECONDS: '20', LOG_LEVEL: 'info' }));
    await waitUntil('the worker to be ready', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200, 30_000, 100);
    await redis.stop();
    redis = await startRedis(redis.port);
    worker.child.kill('SIGTERM');
    // The timeout path exits 1 after logging "shutdown timed out".
    const code = await worker.exited;
    expect(code, worker.output()).toBe(0);
    expect(worker.output()).toContain('"msg":"stopped"');
    expect(worker.output()).not.toContain('shutdown timed out');
  }, 60_000);
});
