import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { request, waitForJob } from '../helpers/http.js';
import { startRedis, waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

async function newRecording(baseUrl: string, externalId: string): Promise<string> {
  const device = await request(baseUrl, 'POST', '/v1/devices', { external_id: externalId });
  const recording = await request(baseUrl, 'POST', '/v1/recordings', {
    device_id: device.body.id,
    started_at: '2026-11-25T22:00:00Z',
    feature_schema_version: FEATURE_SCHEMA_VERSION,
  });
  expect(recording.status).toBe(201);
  return recording.body.id as string;
}

async function countRows(handle: DbHandle, table: 'epochs' | 'predictions', recordingId: string): Promise<number> {
  const row = await handle.db
    .selectFrom(table)
    .select(sql<number>`count(*)::int`.as('n'))
    .where('recording_id', '=', recordingId)
    .executeTakeFirstOrThrow();
  return row.n;
}

// The SIGKILL-mid-ingest case lives in the fault suite (test/faults/worker-sigkill.test.ts, npm run
// test:faults) with the real-process Redis restart; this fast in-process Redis-loss case stays here.
describe('Redis restarted empty after ingests were acknowledged', () => {
  let env: TestEnv;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  const apps: RunningApp[] = [];
  let handle: DbHandle;

  beforeAll(async () => {
    env = await createTestEnv();
    redis = await startRedis();
    handle = createDb(env.database.url, 2);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await redis.stop();
    await handle.db.destroy();
    await env.dispose();
  });
  afterEach(() => undefined);

  it('re-enqueues the lost jobs and stores every accepted epoch', async () => {
    const redisEnv = { REDIS_URL: redis.url, SWEEP_INTERVAL_SECONDS: '1', SWEEP_STALE_SECONDS: '1' };
    const api = await startTestApp(env, { roles: { web: true, worker: false }, env: redisEnv });
    apps.push(api);
    const nights = syntheticNights(4);
    const lateNight = nights.pop()!;
    const accepted: Array<{ recording: string; job: string; count: number }> = [];
    for (const night of nights) {
      const recording = await newRecording(api.baseUrl, `redis-${night.subject}`);
      const res = await request(api.baseUrl, 'POST', '/v1/epochs:ingest', {
        recording_id: recording,
        feature_schema_version: FEATURE_SCHEMA_VERSION,
        epochs: night.indices.map((epoch_index, k) => ({ epoch_index, features: night.features[k] })),
      });
      expect(res.status).toBe(202);
      accepted.push({ recording, job: res.body.job_id, count: night.indices.length });
    }
    expect(await api.app.ctx.queues.shards[0]!.ingest.getJobCountByTypes('waiting')).toBe(3);

    // The restart loses every queued job: only PostgreSQL still knows about them.
    const port = redis.port;
    await redis.stop();
    // While Redis is down an ingest is still accepted: its epochs are durable before the 202.
    const lateRecording = await newRecording(api.baseUrl, 'redis-late').catch(() => null);
    expect(lateRecording).not.toBeNull();
    const late = await request(api.baseUrl, 'POST', '/v1/epochs:ingest', {
      recording_id: lateRecording,
      feature_schema_version: FEATURE_SCHEMA_VERSION,
      start_index: 0,
      packed: packRows(lateNight.features),
    });
    expect(late.status).toBe(202);
    accepted.push({ recording: lateRecording!, job: late.body.job_id, count: lateNight.indices.length });

    redis = await startRedis(port);
    await waitUntil('the API to reconnect', async () => (await request(api.baseUrl, 'GET', '/readyz')).status === 200, 30_000, 200);
    expect(await api.app.ctx.queues.shards[0]!.ingest.getJobCountByTypes('waiting', 'active', 'completed')).toBe(0);

    const worker = await startTestApp(env, { roles: { web: false, worker: true }, env: redisEnv });
    apps.push(worker);
    for (const { recording, job, count } of accepted) {
      const done = await waitForJob(api.baseUrl, job, 60_000);
      expect(done.state).toBe('completed');
      expect(done.result.inserted).toBe(count);
      expect(await countRows(handle, 'epochs', recording)).toBe(count);
      expect(await countRows(handle, 'predictions', recording)).toBe(count);
    }
  }, 120_000);
});
