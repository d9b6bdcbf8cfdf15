import type { Job as QueueJob } from 'bullmq';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import type { Database } from '../../src/db/database.js';
import { deleteJobBatch } from '../../src/erase/erase.repository.js';
import { shardFor } from '../../src/queues/queues.js';
import { INGEST_PATH, createRecording, expectError, openDb, rowCounts } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { waitUntil } from '../helpers/processes.js';
import { waitForLockWaiters } from '../helpers/lock-waits.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// What a client sees, over real HTTP with a real worker, when a recording is erased (DELETE
// /v1/recordings/{id}) while one of its ingest jobs is accepted but not yet run, or while the worker
// runs it. The erase contract (README, "Your users' data") is that every id of the subject, its
// ingest jobs included, answers 404 afterwards and no row mentions it; so the job's terminal answer
// is 404 job_not_found, and its queue entry must end at once (one attempt, no retries with backoff)
// instead of retrying against rows that are gone. The orderings are forced with locks held by the
// test and observed in pg_stat_activity, never with sleeps.

let testEnv: TestEnv;
let web: RunningApp;
let base: string;
let db: Kysely<Database>;

beforeAll(async () => {
  testEnv = await createTestEnv();
  // The API alone: each test starts the worker it needs once the job is where it wants it.
  web = await startTestApp(testEnv, { roles: { web: true, worker: false } });
  base = web.baseUrl;
  db = openDb(testEnv);
});
afterAll(async () => {
  await web?.stop();
  await db?.destroy();
  await testEnv?.dispose();
});

const NIGHT = syntheticNight(11, 960); // a full 8 h night of 30 s epochs

async function acceptIngest(recording: string): Promise<string> {
  const res = await request(base, 'POST', INGEST_PATH, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(NIGHT.features) });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.accepted).toBe(NIGHT.features.length);
  return res.body.job_id;
}

async function eraseRecording(recording: string): Promise<string> {
  const res = await request(base, 'DELETE', `/v1/recordings/${recording}`);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body).toEqual({ job_id: expect.any(String), status_url: `/v1/jobs/${res.body.job_id}` });
  return res.body.job_id;
}

const ingestQueue = (recording: string) => shardFor(web.app.ctx.queues, recording).ingest;

/** The BullMQ entry of an ingest job once it has ended (completed or failed), polled by state. */
async function queueEntryOnceEnded(recording: string, jobId: string): Promise<QueueJob> {
  await waitUntil(`queue entry of ${jobId} to end`, async () => ['completed', 'failed'].includes(await ingestQueue(recording).getJobState(jobId)), 30_000, 50);
  // Read after the state: an entry read before it may predate the attempt's end.
  return (await ingestQueue(recording).getJob(jobId))!;
}

/** The backend of this test's database that waits for a lock while running a statement like `pattern`. */
const backendWaitingFor = async (pattern: string): Promise<number> => (await waitForLockWaiters(db, 1, pattern))[0]!;

/** Nothing of the recording is left: its job, payload, epochs and predictions; its ids answer 404. */
async function expectGone(recording: string, jobId: string): Promise<void> {
  expectError(await request(base, 'GET', `/v1/jobs/${jobId}`), 404, 'job_not_found');
  expectError(await request(base, 'GET', `/v1/recordings/${recording}`), 404, 'recording_not_found');
  expect(await rowCounts(db, recording)).toEqual({ jobs: 0, ingest_payloads: 0, epochs: 0, predictions: 0 });
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ingest_payloads WHERE job_id = ${jobId}::uuid`.execute(db);
  expect(rows[0]!.n).toBe(0);
}

/** A second connection that holds locks in an open transaction (a pool of one: always the same backend). */
async function withLockHolder(run: (holder: Kysely<Database>) => Promise<void>): Promise<void> {
  const handle: DbHandle = createDb(testEnv.database.url, 1);
  try {
    await run(handle.db);
  } finally {
    await sql`ROLLBACK`.execute(handle.db).catch(() => undefined);
    await handle.db.destroy();
  }
}

describe('a recording erased while one of its ingest jobs is in flight', () => {
  it('accepted, then erased before any worker ran it: the job answers 404 job_not_found, its queue entry fails once without retries, and nothing remains', async () => {
    const recording = (await createRecording(base)).id;
    const jobId = await acceptIngest(recording);
    expect(await rowCounts(db, recording)).toEqual({ jobs: 1, ingest_payloads: 1, epochs: 0, predictions: 0 });
    expect((await request(base, 'GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ type: 'ingest', state: 'queued', recording_id: recording, error: null });

    const eraseJob = await eraseRecording(recording);
    // Until the erase has run, reads still answer: the upload is still queued; new uploads are refused.
    expect((await request(base, 'GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ state: 'queued' });
    const refused = await request(base, 'POST', INGEST_PATH, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(NIGHT.features.slice(0, 2)) });
    expect(expectError(refused, 409, 'being_erased')).toMatchObject({ recording_id: recording, job_id: eraseJob });

    // The ingest queue waits while the worker runs the erase, so the erase deterministically comes first.
    await ingestQueue(recording).pause();
    const worker = await startTestApp(testEnv, { roles: { web: false, worker: true } });
    try {
      const erased = await waitForJob(base, eraseJob, 60_000);
      expect(erased).toMatchObject({ type: 'erase', state: 'completed', error: null, result: { subject: 'recording', recordings: 1, rows: { jobs: 1, recordings: 1 } } });
      await expectGone(recording, jobId);
      expect(await (await ingestQueue(recording).getJob(jobId))?.getState()).toMatch(/^(waiting|paused)$/);

      // Now the worker meets the job whose rows are gone: a no-op that fails at once, never retried.
      await ingestQueue(recording).resume();
      const entry = await queueEntryOnceEnded(recording, jobId);
      expect(await entry.getState()).toBe('failed');
      expect(entry.failedReason).toBe(`job ${jobId} does not exist`);
      expect(entry.attemptsMade).toBe(1);
      await expectGone(recording, jobId);
    } finally {
      await ingestQueue(recording).resume();
      await worker.stop();
    }
  }, 120_000);

  it.each([
    ['per-epoch', 'wnr-v1'],
    ['whole-night', 'wnr-v3'],
  ] as const)('erased while the worker holds the job in an open transaction (%s model): the DELETE answers 202, the write commits first, the erase then takes it all', async (_kind, model) => {
    const recording = (await createRecording(base)).id;
    const worker = await startTestApp(testEnv, { roles: { web: false, worker: true }, env: { ACTIVE_MODEL_VERSION: model } });
    try {
      await withLockHolder(async (holder) => {
        // The worker's transaction gets as far as its epochs insert (job row locked) and waits there.
        await sql`BEGIN`.execute(holder);
        await sql`LOCK TABLE epochs IN SHARE MODE`.execute(holder);
        const jobId = await acceptIngest(recording);
        await backendWaitingFor('%INSERT INTO epochs%');
        expect((await request(base, 'GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ state: 'active', recording_id: recording });

        // The DELETE lands while that transaction is open; the erase starts and waits too.
        const eraseJob = await eraseRecording(recording);
        await backendWaitingFor('%DELETE FROM "epochs"%');
        expect((await request(base, 'GET', `/v1/jobs/${eraseJob}`)).body).toMatchObject({ type: 'erase', state: 'active' });
        await sql`COMMIT`.execute(holder);

        // The erase deletes the job only once the worker's transaction committed it: the write was whole.
        const erased = await waitForJob(base, eraseJob, 60_000);
        expect(erased).toMatchObject({ state: 'completed', result: { subject: 'recording', recordings: 1, rows: { jobs: 1, recordings: 1 } } });
        const entry = await queueEntryOnceEnded(recording, jobId);
        expect(await entry.getState()).toBe('completed');
        expect(entry.attemptsMade).toBe(1);
        expect(entry.returnvalue).toMatchObject({ accepted: NIGHT.features.length, inserted: NIGHT.features.length, predicted: NIGHT.features.length, model_version: model });
        // ...and the recording's delete took the epochs and predictions that write stored.
        await expectGone(recording, jobId);
      });
    } finally {
      await worker.stop();
    }
  }, 120_000);

  // The erase deletes a recording's jobs before the recording (erase.recording.ts). Its job step can
  // land after a worker started a job (startIngest) and before the worker's transaction locks the
  // job row. The test holds a KEY SHARE lock on the job row, which the start's UPDATE passes and the
  // transaction's FOR UPDATE waits for, and runs the erase's job step in that window itself.
  // Per-epoch models fail the entry as the start does for a job that is gone; the whole-night path
  // (storeForNightScoring) has always ended such a job as a completed no-op.
  it.each([
    ['per-epoch', 'wnr-v1', 'failed'],
    ['whole-night', 'wnr-v3', 'completed'],
  ] as const)('erased between the start and the transaction of a job (%s model): it ends after one attempt, and nothing remains', async (_kind, model, ends) => {
    const recording = (await createRecording(base)).id;
    await ingestQueue(recording).pause();
    const jobId = await acceptIngest(recording);
    const worker = await startTestApp(testEnv, { roles: { web: false, worker: true }, env: { ACTIVE_MODEL_VERSION: model } });
    try {
      await withLockHolder(async (holder) => {
        await sql`BEGIN`.execute(holder);
        await sql`SELECT 1 FROM jobs WHERE id = ${jobId}::uuid FOR KEY SHARE`.execute(holder);
        await ingestQueue(recording).resume();
        await backendWaitingFor('%from "jobs" where "id" = $1 for update%');
        expect((await request(base, 'GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ state: 'active', attempts: 1 });
        expect(await deleteJobBatch(holder, recording, 100)).toBe(1);
        await sql`COMMIT`.execute(holder);
      });
      const entry = await queueEntryOnceEnded(recording, jobId);
      expect(await entry.getState()).toBe(ends);
      // One attempt: no internal error (a TypeError once) spending attempts and backoff on a job whose rows are gone.
      expect(entry.attemptsMade).toBe(1);
      if (ends === 'failed') {
        expect(entry.failedReason).toBe(`job ${jobId} does not exist`);
        expect(entry.stacktrace).toEqual([expect.stringMatching(/^UnrecoverableError: job \S+ does not exist/)]);
      }
      expectError(await request(base, 'GET', `/v1/jobs/${jobId}`), 404, 'job_not_found');
      expect(await rowCounts(db, recording)).toEqual({ jobs: 0, ingest_payloads: 0, epochs: 0, predictions: 0 });

      const erased = await waitForJob(base, await eraseRecording(recording), 60_000);
      expect(erased).toMatchObject({ state: 'completed', result: { subject: 'recording', recordings: 1 } });
      await expectGone(recording, jobId);
    } finally {
      await ingestQueue(recording).resume();
      await worker.stop();
    }
  }, 120_000);
});
