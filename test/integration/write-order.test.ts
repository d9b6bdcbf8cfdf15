import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createRecording, INGEST_PATH, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { FEATURE_SCHEMA_VERSION } from '../helpers/sleep-data.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Rows are written in epoch-index order whatever order a request lists them in, so two uploads
// (or label writes) of overlapping epochs wait for each other instead of deadlocking: in opposite
// orders, each would hold a row the other one needs next.

const ROUNDS = 8;
const EPOCHS = 2000;

let testEnv: TestEnv;
let app: RunningApp;
let db: Kysely<Database>;

beforeAll(async () => {
  testEnv = await createTestEnv();
  // A per-epoch model: its uploads are stored and scored in the ingest transaction without the
  // per-recording lock that serialises whole-night models, so overlapping uploads really overlap.
  app = await startTestApp(testEnv, { env: { ACTIVE_MODEL_VERSION: 'wnr-v2', WORKER_CONCURRENCY: '8', DB_POOL_SIZE: '12' } });
  db = openDb(testEnv);
});

afterAll(async () => {
  await db?.destroy();
  await app?.stop();
  await testEnv?.dispose();
});

const ascending = Array.from({ length: EPOCHS }, (_, i) => i);
const descending = [...ascending].reverse();
const features = (i: number) => [(i * 7) % 300, 0.5, Math.cos(i / 500), i / 120, 0.1];

async function deadlocks(): Promise<number> {
  const row = await sql<{ n: number }>`SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()`.execute(db);
  return row.rows[0]!.n;
}

/** Waits until PostgreSQL's statistics (flushed by each backend about once a second) settle. */
async function settledDeadlocks(): Promise<number> {
  await new Promise((r) => setTimeout(r, 1500));
  return deadlocks();
}

describe('writes in epoch-index order', () => {
  it(`stores ${ROUNDS} pairs of overlapping uploads sent at once in opposite orders without a deadlock`, async () => {
    const before = await settledDeadlocks();
    const recordings = await Promise.all(Array.from({ length: ROUNDS }, () => createRecording(app.baseUrl)));
    const upload = (recordingId: string, order: number[]) =>
      request(app.baseUrl, 'POST', INGEST_PATH, { recording_id: recordingId, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: order.map((i) => ({ epoch_index: i, features: features(i) })) });
    // Both uploads of a recording are accepted back to back, so the worker runs them side by side.
    const accepted = await Promise.all(recordings.flatMap((rec) => [upload(rec.id, ascending), upload(rec.id, descending)]));
    for (const res of accepted) expect(res.status, JSON.stringify(res.body)).toBe(202);
    const jobs = await Promise.all(accepted.map((res) => waitForJob(app.baseUrl, res.body.job_id, 120_000)));
    for (const job of jobs) expect(job.state, JSON.stringify(job.error)).toBe('completed');
    // Each epoch stored once, by one of the two uploads; none had to be retried.
    const attempts = await db.selectFrom('jobs').select(['id', 'attempts']).where('type', '=', 'ingest').execute();
    expect(attempts.filter((j) => j.attempts !== 1)).toEqual([]);
    for (const rec of recordings) {
      const counts = await sql<{ epochs: number; predictions: number }>`
        SELECT (SELECT count(*) FROM epochs WHERE recording_id = ${rec.id}::uuid)::int AS epochs,
               (SELECT count(*) FROM predictions WHERE recording_id = ${rec.id}::uuid)::int AS predictions`.execute(db);
      expect(counts.rows[0]).toEqual({ epochs: EPOCHS, predictions: EPOCHS });
    }
    expect(jobs.reduce((n, job) => n + job.result.inserted, 0)).toBe(ROUNDS * EPOCHS);
    expect(await settledDeadlocks()).toBe(before);
  }, 180_000);

  it(`replaces labels from ${ROUNDS} pairs of requests sent at once in opposite orders without a deadlock`, async () => {
    const rec = await createRecording(app.baseUrl);
    const stored = await request(app.baseUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: Buffer.alloc(EPOCHS * 5 * 4).toString('base64') });
    expect((await waitForJob(app.baseUrl, stored.body.job_id)).state).toBe('completed');
    const before = await settledDeadlocks();
    const put = (order: number[], stage: string) =>
      request(app.baseUrl, 'PUT', `/v1/recordings/${rec.id}/labels`, { labels: order.map((epoch_index) => ({ epoch_index, stage })) });
    for (let round = 0; round < ROUNDS; round++) {
      const answers = await Promise.all([put(ascending, 'W'), put(descending, 'N2')]);
      for (const res of answers) expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    expect(await settledDeadlocks()).toBe(before);
    const labels = await request(app.baseUrl, 'GET', `/v1/recordings/${rec.id}/labels`);
    expect(labels.body.items).toHaveLength(EPOCHS);
  }, 180_000);
});
