import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { createRecording } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { spawnEntry, waitUntil, type ChildHandle } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Recordings within MAX_RECORDING_EPOCHS (5760).
const RECORDINGS = 60;
const EPOCHS_PER_RECORDING = 5_000;
const TOTAL = RECORDINGS * EPOCHS_PER_RECORDING;
// Shorter than a recording: every recording is a chunk of its own (recordings are scored whole).
const CHUNK_EPOCHS = 2500;
const CHUNKS = RECORDINGS;

// Real worker processes against one database: re-scores of 300,000 synthetic epochs (seeded with
// generate_series), a SIGKILL in the middle, ingest alongside, and a chunk that cannot succeed.
describe('re-scoring with separate worker processes', () => {
  let env: TestEnv;
  let api: RunningApp;
  let handle: DbHandle;
  const workers: ChildHandle[] = [];
  let workerEnv: Record<string, string>;
  /** The seeded recordings' device: re-scores filter on it, so nights ingested by a test stay out. */
  let deviceId: string;

  const startWorker = () => {
    const worker = spawnEntry('workers/main.ts', workerEnv);
    workers.push(worker);
    return worker;
  };
  const killed = new Set<ChildHandle>();
  /** A worker that died on its own (not killed by the test) fails the test with its output. */
  const assertWorkersAlive = () => {
    for (const w of workers) if (!killed.has(w) && w.child.exitCode !== null) throw new Error(`a worker exited: ${w.output().slice(-2000)}`);
  };
  const job = async (id: string) => {
    assertWorkersAlive();
    return (await request(api.baseUrl, 'GET', `/v1/jobs/${id}`)).body;
  };
  const startRescore = async (version = 'wnr-v2'): Promise<string> => {
    const res = await request(api.baseUrl, 'POST', '/v1/rescore', { model_version: version, device_id: deviceId });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.job_id;
  };
  const countV2 = async () => {
    const row = await sql<{ n: number; distinct: number }>`
      SELECT count(*)::int AS n, count(DISTINCT (recording_id, epoch_index))::int AS distinct
      FROM predictions WHERE model_version = 'wnr-v2'`.execute(handle.db);
    return row.rows[0]!;
  };

  beforeAll(async () => {
    env = await createTestEnv();
    workerEnv = env.env({ ACTIVE_MODEL_VERSION: 'wnr-v1', JOB_LOCK_SECONDS: '2', WORKER_CONCURRENCY: '2', RESCORE_CONCURRENCY: '1', RESCORE_CHUNK_EPOCHS: String(CHUNK_EPOCHS) });
    api = await startTestApp(env, { roles: { web: true, worker: false }, env: { ACTIVE_MODEL_VERSION: 'wnr-v1', RESCORE_CHUNK_EPOCHS: String(CHUNK_EPOCHS) } });
    handle = createDb(env.database.url, 2);
    await sql`
      WITH d AS (INSERT INTO devices (external_id, metadata) VALUES ('fault-device', '{}') RETURNING id),
      r AS (INSERT INTO recordings (device_id, started_at, feature_schema_version, epoch_seconds, metadata)
            SELECT d.id, '2026-11-01T22:00:00Z'::timestamptz, ${FEATURE_SCHEMA_VERSION}, 30, '{}' FROM d, generate_series(1, ${RECORDINGS})
            RETURNING id, started_at)
      INSERT INTO epochs (recording_id, epoch_index, ts, features)
      SELECT r.id, i, r.started_at + i * interval '30 seconds',
             ARRAY[(i * 7) % 300, 0.3 + (i % 50) / 100.0, cos(i / 500.0), i / 120.0, (i % 97) / 97.0]::real[]
      FROM r, generate_series(0, ${EPOCHS_PER_RECORDING - 1}) AS i`.execute(handle.db);
    deviceId = (await handle.db.selectFrom('devices').select('id').where('external_id', '=', 'fault-device').executeTakeFirstOrThrow()).id;
    startWorker();
    startWorker();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await api?.stop();
    await handle?.db.destroy();
    await env?.dispose();
  });

  it('finishes exactly once when a worker is SIGKILLed in the middle of a chunk', async () => {
    const id = await startRescore();
    let activeAtKill: string[] = [];
    await waitUntil('chunks to be running', async () => {
      assertWorkersAlive();
      const active = await handle.db.selectFrom('rescore_chunks').select('id').where('job_id', '=', id).where('state', '=', 'active').execute();
      activeAtKill = active.map((c) => c.id);
      return activeAtKill.length >= 2 || (activeAtKill.length > 0 && (await job(id)).progress.done > 0);
    }, 60_000, 10);
    // Both workers: which one holds the running chunks is not known, and killing only one let the
    // other finish them all (nothing retried) under load.
    const victims = workers.filter((w) => !killed.has(w));
    for (const w of victims) killed.add(w);
    expect(await Promise.all(victims.map((w) => w.kill('SIGKILL')))).toEqual(victims.map(() => 'SIGKILL'));
    startWorker();
    startWorker();

    const done = await waitForJob(api.baseUrl, id, 90_000);
    expect(done.state).toBe('completed');
    expect(done.progress).toEqual({ done: TOTAL, total: TOTAL });
    expect(done.result).toMatchObject({ rescored: TOTAL, skipped: 0, failed: 0, recordings: RECORDINGS });
    expect(done.result.chunks).toMatchObject({ total: CHUNKS, completed: CHUNKS });
    expect(await countV2()).toEqual({ n: TOTAL, distinct: TOTAL });
    // The killed workers' chunks rolled back and ran again, and still counts once.
    const retried = await handle.db.selectFrom('rescore_chunks').select(['id', 'attempts', 'scored']).where('job_id', '=', id).where('attempts', '>=', 2).execute();
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((c) => c.scored === EPOCHS_PER_RECORDING)).toBe(true);
    expect(retried.some((c) => activeAtKill.includes(c.id))).toBe(true);
  }, 120_000);

  it('keeps ingest completing promptly while a large re-score runs', async () => {
    const nights = syntheticNights(8);
    const ingestNight = async (features: number[][]): Promise<number> => {
      const recording = await createRecording(api.baseUrl);
      const t0 = performance.now();
      const res = await request(api.baseUrl, 'POST', '/v1/epochs:ingest', { recording_id: recording.id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(features) });
      expect(res.status).toBe(202);
      const finished = await waitForJob(api.baseUrl, res.body.job_id, 30_000);
      expect(finished.state).toBe('completed');
      return performance.now() - t0;
    };
    const idle: number[] = [];
    for (const night of nights.slice(0, 4)) idle.push(await ingestNight(night.features));

    const id = await startRescore();
    await waitUntil('the re-score to be under way', async () => (await job(id)).progress.done > 0, 30_000, 20);
    const busy: number[] = [];
    for (const night of nights.slice(4)) busy.push(await ingestNight(night.features));
    const during = await job(id);
    expect(during.state, 'the re-score should still be running while the nights were ingested').toBe('active');
    console.info(`ingest POST→completed ms, idle: ${idle.map(Math.round).join(', ')}; during re-score: ${busy.map(Math.round).join(', ')}`);
    expect(Math.max(...busy)).toBeLessThan(5000);
    expect((await waitForJob(api.baseUrl, id, 90_000)).state).toBe('completed');
  }, 120_000);

  it('completes the parent with failed > 0 when a chunk can never succeed', async () => {
    // wnr-v1 has not scored these recordings yet, so every completed chunk writes its epochs.
    const id = await startRescore('wnr-v1');
    // The recording planned last has its chunk still queued; a stored vector of the wrong length
    // makes it fail for good (scoring it would mean guessing the missing feature).
    let victim: string | undefined;
    await waitUntil('planning to finish with chunks still queued', async () => {
      const rows = await sql<{ recording_id: string }>`
        SELECT recording_id FROM rescore_chunks WHERE job_id = ${id}::uuid
        GROUP BY recording_id HAVING bool_and(state = 'queued') ORDER BY recording_id DESC LIMIT 1`.execute(handle.db);
      victim = rows.rows[0]?.recording_id;
      return (await job(id)).result?.planned === true && victim !== undefined;
    }, 30_000, 10);
    await sql`UPDATE epochs SET features = ARRAY[1, 2, 3, 4]::real[] WHERE recording_id = ${victim!}::uuid AND epoch_index = 77`.execute(handle.db);

    const done = await waitForJob(api.baseUrl, id, 90_000);
    expect(done.state).toBe('completed');
    expect(done.result).toMatchObject({ failed: 1, rescored: TOTAL - EPOCHS_PER_RECORDING });
    expect(done.result.chunks).toMatchObject({ failed: 1, completed: CHUNKS - 1, pending: 0 });
    const failed = await handle.db.selectFrom('rescore_chunks').select(['recording_id', 'error', 'attempts']).where('job_id', '=', id).where('state', '=', 'failed').execute();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.recording_id).toBe(victim);
    expect(JSON.stringify(failed[0]!.error)).toContain('epoch 77 has 4 stored features; the model expects 5');
    // Not retried: the error is permanent.
    expect(failed[0]!.attempts).toBe(1);
    const victimV1 = await handle.db.selectFrom('predictions').select(sql<number>`count(*)::int`.as('n')).where('recording_id', '=', victim!).where('model_version', '=', 'wnr-v1').executeTakeFirstOrThrow();
    expect(victimV1.n).toBe(0);
  }, 120_000);
});
