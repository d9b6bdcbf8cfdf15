import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openDb } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { copyModels } from '../helpers/model-dirs.js';
import { waitUntil } from '../helpers/processes.js';
import { startRedisSentinel, type RedisSentinelHandle } from '../helpers/redis-sentinel.js';
import { count, ingestRescoreReload, newRecording, postEpochs, startDeployment, type Deployment } from '../helpers/redis-scenario.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type TestEnv } from '../helpers/test-app.js';

const CHUNK = 20;
// The primary and replica want a password, so REDIS_PASSWORD is exercised on every connection.
const PASSWORD = 'sentinel-test-password';

describe('on Redis Sentinel (a primary and a replica with a password, three sentinels)', () => {
  let sentinel: RedisSentinelHandle;
  let env: TestEnv;
  let models: ReturnType<typeof copyModels>;
  let deployment: Deployment;
  let db: Kysely<Database>;

  beforeAll(async () => {
    sentinel = await startRedisSentinel(PASSWORD);
    env = await createTestEnv();
    models = copyModels(['wnr-v1', 'wnr-v2']);
    deployment = await startDeployment(env, {
      REDIS_URL: undefined,
      REDIS_SENTINELS: sentinel.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_SENTINEL_MASTER: sentinel.master,
      REDIS_PASSWORD: PASSWORD,
      MODELS_DIR: models.dir,
      ACTIVE_MODEL_VERSION: 'wnr-v1',
      // Jobs the old primary took with it are re-enqueued by the sweeper after this long...
      SWEEP_STALE_SECONDS: '2',
      // ...and a job the new primary holds as taken by a worker that never got it comes back once
      // its lock expires (BullMQ's stalled-job check).
      JOB_LOCK_SECONDS: '5',
    });
    db = openDb(env);
  }, 90_000);

  afterAll(async () => {
    try {
      // Bounded: a stop that hangs must not keep the Redis processes below alive.
      await Promise.race([deployment?.stop(), new Promise((resolve) => setTimeout(resolve, 20_000))]);
      await db?.destroy();
    } finally {
      await sentinel?.stop();
      models?.remove();
      await env?.dispose();
    }
  });

  it('with a master name the sentinels do not know: starts, is not ready (redis, queue), and stops promptly', async () => {
    const started = Date.now();
    const wrong = await startTestApp(env, { env: { REDIS_URL: undefined, REDIS_SENTINELS: sentinel.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','), REDIS_SENTINEL_MASTER: 'no-such-master', REDIS_PASSWORD: PASSWORD } });
    try {
      // Start waits 5 s for Redis, then serves so that probes can say what is wrong.
      expect(Date.now() - started).toBeLessThan(15_000);
      const ready = await request(wrong.baseUrl, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.failed).toEqual(['redis', 'queue']);
    } finally {
      const stopping = Date.now();
      await wrong.stop();
      expect(Date.now() - stopping).toBeLessThan(5_000);
    }
  });

  it('is ready and runs ingest, a re-score and a reload broadcast end to end', async () => {
    expect((await request(deployment.baseUrl, 'GET', '/readyz')).body).toMatchObject({ status: 'ready' });
    await ingestRescoreReload(deployment, db, [syntheticNight(400, 120), syntheticNight(401, 120)]);
  });

  it('loses no accepted epoch when the primary is killed mid-ingest and a replica takes over', { timeout: 100_000 }, async () => {
    const night = syntheticNight(402, 960);
    const recordings = await Promise.all(Array.from({ length: 4 }, () => newRecording(deployment.baseUrl)));
    const next = new Map(recordings.map((r) => [r, 0]));
    const accepted: Array<{ recordingId: string; jobId: string }> = [];
    const refused: number[] = [];
    let phase: 'before' | 'failing' | 'after' = 'before';
    const acceptedIn = { before: 0, failing: 0, after: 0 };
    const post = async (i: number) => {
      const recordingId = recordings[i % recordings.length]!;
      const from = next.get(recordingId)!;
      next.set(recordingId, from + CHUNK);
      const at = phase;
      const { status, jobId } = await postEpochs(deployment.baseUrl, recordingId, night, from, CHUNK);
      if (status === 202) {
        accepted.push({ recordingId, jobId: jobId! });
        acceptedIn[at] += 1;
      } else refused.push(status);
    };

    let i = 0;
    for (; i < 8; i++) await post(i);
    await sentinel.killPrimary();
    phase = 'failing';
    // Keep uploading while the sentinels notice, agree and promote the replica.
    const deadline = Date.now() + 30_000;
    while ((await sentinel.currentPrimaryPort().catch(() => 0)) !== sentinel.replicaPort) {
      if (Date.now() > deadline) throw new Error('no failover within 30 s');
      await post(i++);
      await new Promise((r) => setTimeout(r, 50));
    }
    phase = 'after';
    for (const stop = i + 8; i < stop; i++) await post(i);

    // The 202 is given once PostgreSQL holds the epochs, so Redis failing over cannot refuse or lose them.
    expect(refused).toEqual([]);
    expect(acceptedIn.before).toBe(8);
    expect(acceptedIn.failing).toBeGreaterThan(0);
    expect(acceptedIn.after).toBe(8);
    const ids = accepted.map((a) => a.jobId);
    let unfinished: unknown[] = [];
    await waitUntil(
      'every accepted job to complete',
      async () => {
        unfinished = (await db.selectFrom('jobs').select(['id', 'state', 'attempts', 'error', 'updated_at']).where('id', 'in', ids).execute()).filter((j) => j.state !== 'completed');
        return unfinished.length === 0;
      },
      60_000,
      250,
    ).catch((err: unknown) => {
      // Which jobs, in which state: a failover that loses a reminder and one that fails a job differ.
      throw new Error(`${(err as Error).message}: ${JSON.stringify(unfinished)}`);
    });
    expect(await count(db, 'epochs', { recordingIds: recordings })).toBe(accepted.length * CHUNK);
    expect(await count(db, 'predictions', { recordingIds: recordings })).toBe(accepted.length * CHUNK);
    let last: unknown;
    await waitUntil(
      'readiness on the new primary',
      async () => {
        const res = await request(deployment.baseUrl, 'GET', '/readyz');
        last = res.body;
        return res.status === 200;
      },
      20_000,
      200,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last)}`);
    });
  });
});
