import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { shardIndex, shardPrefix, shardQueueName } from '../../src/queues/shards.js';
import { openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { writeContextModel } from '../helpers/context-model.js';
import { copyModels } from '../helpers/model-dirs.js';
import { startRedisCluster, waitUntil, type RedisClusterHandle } from '../helpers/processes.js';
import { ingestRescoreReload, newRecording, postEpochs, startDeployment, type Deployment } from '../helpers/redis-scenario.js';
import { uniqueName } from '../helpers/services.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type TestEnv } from '../helpers/test-app.js';

const SHARDS = 3;
// Every node wants a password, so REDIS_PASSWORD is exercised on every connection.
const PASSWORD = 'cluster-test-password';

/** Port of the master that owns each key's slot, asked of the cluster itself. */
async function owners(probe: Redis, keys: readonly string[]): Promise<number[]> {
  const slots = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  return Promise.all(
    keys.map(async (key) => {
      const slot = (await probe.call('CLUSTER', 'KEYSLOT', key)) as number;
      return slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
    }),
  );
}

async function keysOn(port: number, pattern: string): Promise<string[]> {
  const node = new Redis(port, '127.0.0.1', { password: PASSWORD });
  try {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  } finally {
    node.disconnect();
  }
}

describe('on a three-master Redis Cluster with a password and QUEUE_SHARDS=3', () => {
  let cluster: RedisClusterHandle;
  let env: TestEnv;
  let models: ReturnType<typeof copyModels>;
  let deployment: Deployment;
  let db: Kysely<Database>;
  let prefix: string;
  let shardOwners: number[];

  beforeAll(async () => {
    cluster = await startRedisCluster(PASSWORD);
    // Which master a shard lands on follows CRC16 of its hash tag, so three shards may share a
    // master. The test takes a deployment prefix whose shards sit on three different masters, to
    // show that the queues then really spread.
    const probe = new Redis(cluster.ports[0]!, '127.0.0.1', { password: PASSWORD });
    try {
      for (;;) {
        prefix = uniqueName('rc');
        shardOwners = await owners(probe, Array.from({ length: SHARDS }, (_, i) => shardPrefix(prefix, i)));
        if (new Set(shardOwners).size === SHARDS) break;
      }
    } finally {
      probe.disconnect();
    }
    env = await createTestEnv();
    models = copyModels(['wnr-v1', 'wnr-v2']);
    deployment = await startDeployment(env, {
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: cluster.ports.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_PASSWORD: PASSWORD,
      QUEUE_SHARDS: String(SHARDS),
      QUEUE_PREFIX: prefix,
      MODELS_DIR: models.dir,
      ACTIVE_MODEL_VERSION: 'wnr-v1',
      // A job whose queue entry a restarted master lost is enqueued again after this long.
      SWEEP_STALE_SECONDS: '2',
    });
    db = openDb(env);
  }, 120_000);

  afterAll(async () => {
    try {
      // Bounded: a stop that hangs must not keep the Redis processes below alive.
      await Promise.race([deployment?.stop(), new Promise((resolve) => setTimeout(resolve, 20_000))]);
      await db?.destroy();
    } finally {
      await cluster?.stop();
      models?.remove();
      await env?.dispose();
    }
  });

  it('is ready: every shard answers a BullMQ script on its own master', async () => {
    const ready = await request(deployment.baseUrl, 'GET', '/readyz');
    expect(ready.body).toMatchObject({ status: 'ready', failed: [] });
  });

  it('runs ingest, a re-score and a model reload broadcast end to end; each ingest job sits on the master of its shard, over more than one master', async () => {
    // Enough recordings that, by recording id, every shard gets some.
    const nights = Array.from({ length: 9 }, (_, i) => syntheticNight(300 + i, 120));
    const jobs = await ingestRescoreReload(deployment, db, nights);

    // Each ingest job's BullMQ hash sits under its recording's shard, on the master owning that
    // shard's tag and nowhere else.
    const mastersWithJobs = new Set<number>();
    for (const { recordingId, jobId } of jobs) {
      const shard = shardIndex(recordingId, SHARDS);
      const key = `${shardPrefix(prefix, shard)}:${shardQueueName('ingest', shard)}:${jobId}`;
      for (const port of cluster.ports) expect(await keysOn(port, key), `${key} on ${port}`).toEqual(port === shardOwners[shard] ? [key] : []);
      mastersWithJobs.add(shardOwners[shard]!);
    }
    // Ten random recording ids all on one shard has odds of 3^-9.
    expect(mastersWithJobs.size).toBeGreaterThan(1);
    // Noctis's own keys (the rate limiter's) live under `{prefix}` too.
    const base = await keysOn(shardOwners[0]!, `${shardPrefix(prefix, 0)}:*`);
    expect(base.some((k) => k.includes(':ratelimit:'))).toBe(true);
  });

  it('lists every shard queue in Bull Board and in the metrics', async () => {
    const names = ['ingest', 'night', 'ingest-1', 'night-1', 'ingest-2', 'night-2', 'predict', 'rescore', 'erase', 'retention', 'webhook'];
    const board = await request(deployment.baseUrl, 'GET', '/admin/queues/api/queues');
    expect(board.status).toBe(200);
    expect(board.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([...names].sort());
    const metrics = await request(deployment.baseUrl, 'GET', '/metrics');
    for (const name of names) expect(metrics.body).toContain(`noctis_queue_jobs{queue="${name}",state="completed",`);
  });

  it('scores a whole night with a context model on the night queue of the recording\'s own shard', async () => {
    writeContextModel(models.dir, 'ctx-test');
    expect((await request(deployment.baseUrl, 'POST', '/v1/models/reload', { version: 'ctx-test' })).body.processes).toMatchObject({ expected: 1, acknowledged: 1 });
    let recordingId: string;
    do recordingId = await newRecording(deployment.baseUrl);
    while (shardIndex(recordingId, SHARDS) !== 1);
    // A first upload into an empty recording is scored inline; the second goes through the night queue.
    const night = syntheticNight(330, 120);
    for (const from of [0, 60]) {
      const { status, jobId } = await postEpochs(deployment.baseUrl, recordingId, night, from, 60);
      expect(status).toBe(202);
      const job = await waitForJob(deployment.baseUrl, jobId!, 30_000);
      expect(job.result, JSON.stringify(job)).toMatchObject({ model_version: 'ctx-test' });
    }
    // The worker's own registry: completed night scorings per queue (recorded just after the
    // scoring has written its results, so it may trail the job's state by a moment).
    const completed = async (queue: string) =>
      Number(
        (await deployment.worker.app.ctx.metrics.registry.metrics())
          .split('\n')
          .find((l) => l.startsWith('noctis_job_duration_seconds_count{') && l.includes(`queue="${queue}"`) && l.includes('outcome="completed"'))
          ?.split(' ')
          .at(-1) ?? 0,
      );
    await waitUntil('the night scoring on shard 1 to be counted', async () => (await completed('night-1')) > 0, 10_000);
    expect([await completed('night'), await completed('night-2')]).toEqual([0, 0]);
  });

  it('with a wrong REDIS_PASSWORD: starts, is not ready (redis, queue), and stops promptly', async () => {
    const started = Date.now();
    const wrong = await startTestApp(env, {
      roles: { web: true, worker: true },
      env: { REDIS_URL: undefined, REDIS_CLUSTER_NODES: `127.0.0.1:${cluster.ports[0]}`, REDIS_PASSWORD: 'not-the-password', QUEUE_PREFIX: prefix, MODELS_DIR: models.dir },
    });
    try {
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

  it('with one shard\'s master down: not ready (queue), uploads to that shard are still accepted, and run once it is back', { timeout: 100_000 }, async () => {
    await cluster.kill(shardOwners[2]!);
    const ready = await request(deployment.baseUrl, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.failed).toContain('queue');
    let recordingId: string;
    do recordingId = await newRecording(deployment.baseUrl);
    while (shardIndex(recordingId, SHARDS) !== 2);
    const { status, jobId } = await postEpochs(deployment.baseUrl, recordingId, syntheticNight(320, 60));
    // The 202 means PostgreSQL holds the epochs; the sweeper enqueues the job once the shard is back.
    expect(status).toBe(202);
    const job = await db.selectFrom('ingest_payloads').select('job_id').where('job_id', '=', jobId!).executeTakeFirst();
    expect(job?.job_id).toBe(jobId);

    // Back (empty: the job's queue entry is gone with it), the sweeper enqueues it again.
    await cluster.restart(shardOwners[2]!);
    expect((await waitForJob(deployment.baseUrl, jobId!, 60_000)).state).toBe('completed');
    await waitUntil('readiness', async () => (await request(deployment.baseUrl, 'GET', '/readyz')).status === 200, 20_000, 200);
  });
});
