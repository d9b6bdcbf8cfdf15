import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { request, waitForJob } from '../helpers/http.js';
import { spawnEntry, waitUntil, type ChildHandle } from '../helpers/processes.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';
import { spawnReady, type Spawned } from './support.js';

const TOKEN = 'fault-suite-admin-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
// Recordings within MAX_RECORDING_EPOCHS (5760); two per 10,000-epoch chunk, 12 chunks.
const RECORDINGS = 24;
const PER_RECORDING = 5_000;
const TOTAL = RECORDINGS * PER_RECORDING;

describe('a worker killed with SIGKILL in the middle of a re-score', () => {
  let env: TestEnv;
  let handle: DbHandle;
  let api: Spawned;
  const workers: ChildHandle[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    handle = createDb(env.database.url, 2);
  });
  afterAll(async () => {
    await Promise.all([...workers.map((w) => w.kill()), api?.handle.kill()]);
    await handle.db.destroy();
    await env.dispose();
  });

  it('re-scores every epoch exactly once to the new version', async () => {
    // Stored history scored by wnr-v1, straight into the database.
    const device = await sql<{ id: string }>`INSERT INTO devices (external_id, metadata) VALUES ('rescore-kill', '{}') RETURNING id`.execute(handle.db);
    const deviceId = device.rows[0]!.id;
    await sql`
      WITH r AS (
        INSERT INTO recordings (device_id, started_at, feature_schema_version, epoch_seconds, metadata)
        SELECT ${deviceId}::uuid, '2026-11-25T22:00:00Z'::timestamptz, 'sleep-accel-v1', 30, '{}' FROM generate_series(1, ${RECORDINGS})
        RETURNING id, started_at)
      INSERT INTO epochs (recording_id, epoch_index, ts, features)
      SELECT r.id, i, r.started_at + i * interval '30 seconds',
             ARRAY[(i * 7) % 300, 0.3 + (i % 50) / 100.0, cos(i / 500.0), i / 120.0, (i % 97) / 97.0]::real[]
      FROM r CROSS JOIN generate_series(0, ${PER_RECORDING - 1}) AS i`.execute(handle.db);

    const processEnv = env.env({ NOCTIS_ADMIN_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '0', ACTIVE_MODEL_VERSION: 'wnr-v1', JOB_LOCK_SECONDS: '2', RESCORE_CHUNK_EPOCHS: '10000', LOG_LEVEL: 'warn' });
    api = await spawnReady('src/entry/web.ts', processEnv);
    const accepted = await request(api.baseUrl, 'POST', '/v1/rescore', { model_version: 'wnr-v2', device_id: deviceId }, AUTH);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const jobId = accepted.body.job_id as string;

    const first = spawnEntry('workers/main.ts', processEnv);
    workers.push(first);
    onTestFailed(() => console.error(workers.map((w, i) => `--- worker ${i}\n${w.output()}`).join('\n')));
    const countV2 = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM predictions WHERE model_version = 'wnr-v2'`.execute(handle.db)).rows[0]!.n;
    // Kill once some chunks have committed and others are still to come.
    await waitUntil('the re-score to be under way', async () => {
      const n = await countV2();
      return n > 0 && n < TOTAL;
    }, 90_000, 10);
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');
    const atKill = await countV2();
    expect(atKill).toBeLessThan(TOTAL);

    workers.push(spawnEntry('workers/main.ts', processEnv));
    const job = await waitForJob(api.baseUrl, jobId, 150_000, AUTH);
    expect(job.state, JSON.stringify(job)).toBe('completed');
    expect(job.result.rescored).toBe(TOTAL);
    // Exactly once: one wnr-v2 prediction per stored epoch, no more, no fewer.
    const rows = await sql<{ n: number; distinct_epochs: number; epochs: number }>`
      SELECT count(*)::int AS n, count(DISTINCT (recording_id, epoch_index))::int AS distinct_epochs,
             (SELECT count(*)::int FROM epochs) AS epochs
      FROM predictions WHERE model_version = 'wnr-v2'`.execute(handle.db);
    expect(rows.rows[0]).toEqual({ n: TOTAL, distinct_epochs: TOTAL, epochs: TOTAL });
  }, 200_000);
});
