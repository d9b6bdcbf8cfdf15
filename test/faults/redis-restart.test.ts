import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { request } from '../helpers/http.js';
import { startRedis, waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows, type Night } from '../helpers/sleep-data.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestEnv, deleteQueueKeys, type TestEnv } from '../helpers/test-app.js';
import { countRows, newRecording, spawnReady, waitForAllJobs, type Spawned } from './support.js';

// Real API and worker processes on a Redis of the test's own, restarted empty after ingests were
// acknowledged (the fast in-process variant stays in test/integration/durability.test.ts).
describe('Redis restarted empty after ingests were acknowledged (real processes)', () => {
  let env: TestEnv;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let handle: DbHandle;
  const procs: Spawned[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    redis = await startRedis();
    handle = createDb(env.database.url, 2);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.handle.kill()));
    await deleteQueueKeys(env.queuePrefix, redis.url);
    await redis.stop();
    await handle.db.destroy();
    await env.dispose();
  });

  it('answers 202 while Redis is away, re-enqueues what Redis lost and stores every accepted epoch once', async () => {
    const processEnv = env.env({ REDIS_URL: redis.url, SWEEP_INTERVAL_SECONDS: '1', SWEEP_STALE_SECONDS: '1', LOG_LEVEL: 'warn' });
    const api = await spawnReady('src/entry/web.ts', processEnv);
    procs.push(api);
    onTestFailed(() => console.error(procs.map((p) => p.handle.output()).join('\n---\n')));
    const nights = syntheticNights(4);
    const accepted: Array<{ recording: string; job: string; count: number }> = [];
    const post = async (night: Night, packed: boolean) => {
      const recording = await newRecording(api.baseUrl, `redis-${night.subject}`);
      const res = await request(api.baseUrl, 'POST', '/v1/epochs:ingest', packed
        ? { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(night.features) }
        : { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: night.indices.map((epoch_index, k) => ({ epoch_index, features: night.features[k] })) });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      accepted.push({ recording, job: res.body.job_id, count: night.indices.length });
    };
    for (const night of nights.slice(0, 3)) await post(night, false);

    // The restart loses every queued job: only PostgreSQL still knows about them.
    const port = redis.port;
    await redis.stop();
    await waitUntil('readyz to name redis', async () => {
      const ready = await request(api.baseUrl, 'GET', '/readyz');
      return ready.status === 503 && ready.body.failed.includes('redis');
    }, 15_000, 200);
    // Still accepted while Redis is down: the epochs are durable before the 202.
    await post(nights[3]!, true);

    redis = await startRedis(port);
    await waitUntil('the API to reconnect', async () => (await request(api.baseUrl, 'GET', '/readyz')).status === 200, 30_000, 200);
    procs.push(await spawnReady('workers/main.ts', processEnv));

    const jobs = await waitForAllJobs(handle.db, 90_000);
    expect(jobs.map((j) => j.id).sort()).toEqual(accepted.map((a) => a.job).sort());
    for (const { recording, job, count } of accepted) {
      const row = jobs.find((j) => j.id === job)!;
      expect(row.state).toBe('completed');
      expect(row.result.inserted).toBe(count);
      expect(await countRows(handle.db, 'epochs', recording)).toBe(count);
      expect(await countRows(handle.db, 'predictions', recording)).toBe(count);
    }
  }, 150_000);
});
