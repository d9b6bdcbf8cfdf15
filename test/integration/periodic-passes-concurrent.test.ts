import type { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { createDb } from '../../src/db/connection.js';
import type { Database } from '../../src/db/database.js';
import { newJobRow } from '../../src/jobs/jobs.repository.js';
import { Sweeper } from '../../src/jobs/sweeper.js';
import { IdleCloser } from '../../src/nights/idle-closer.js';
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js';
import { INGEST_PATH } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

// Every worker process runs the sweeper, the idle closer and the webhook dispatcher on its own timer,
// so passes overlap across processes. Two worker apps (own pools, own Redis connections, one database
// and queue prefix) run each pass side by side, round after round, on fresh due work.
const ENV = {
  WEBHOOK_SECRET_KEY: 'a1'.repeat(32),
  WEBHOOK_ALLOW_PRIVATE: 'true',
  NIGHT_SCORING_DEBOUNCE_MS: '0',
  DB_POOL_SIZE: '12',
  // The apps' own timers stay quiet: the test runs the passes itself.
  SWEEP_INTERVAL_SECONDS: '3600',
  RECORDING_IDLE_CHECK_SECONDS: '86400',
  WEBHOOK_DISPATCH_INTERVAL_MS: '60000',
};
const EVENTS = ['job.completed', 'job.failed', 'recording.closed', 'night.finalized'];

let testEnv: TestEnv;
let db: Kysely<Database>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const apps: RunningApp[] = [];
let base: string;
const endpoints: string[] = [];
const warnings: Array<{ msg: string; jobId?: string }> = [];
let workers: Array<{ ctx: AppContext; sweeper: Sweeper; closer: IdleCloser; dispatcher: WebhookDispatcher }>;

/** Runs `pass` in both worker apps at once. */
const both = <T>(pass: (w: (typeof workers)[number]) => Promise<T>) => Promise.all(workers.map(pass));

beforeAll(async () => {
  testEnv = await createTestEnv();
  db = createDb(testEnv.database.url, 4).db;
  receiver = await startReceiver();
  apps.push(await startTestApp(testEnv, { env: ENV }));
  apps.push(await startTestApp(testEnv, { roles: { web: false, worker: true }, env: ENV }));
  base = apps[0]!.baseUrl;
  // Warnings of the passes (a close that failed, a re-enqueue) are kept to be looked at.
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  workers = apps.map(({ app }) => {
    const ctx = { ...app.ctx, logger };
    return { ctx, sweeper: new Sweeper(ctx), closer: new IdleCloser(ctx), dispatcher: new WebhookDispatcher(ctx) };
  });
  for (const path of ['/a', '/b']) {
    const res = await request(base, 'POST', '/v1/webhooks', { url: receiver.url(path), events: EVENTS });
    expect(res.status).toBe(201);
    endpoints.push(res.body.id);
  }
}, 60_000);
afterAll(async () => {
  for (const a of apps) await a.stop();
  await receiver?.stop();
  await db?.destroy();
  await testEnv?.dispose();
});

/** Waits until `queue` holds no job that is still to run: a duplicate, had there been one, has run. */
async function drained(queue: Queue): Promise<void> {
  await waitUntil(`${queue.name} to drain`, async () => Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')).every((n) => n === 0), 60_000, 50);
}

/** Every event of `ids` reached every endpoint exactly once (one request, one attempt row). */
async function expectDeliveredOnce(ids: readonly string[]): Promise<void> {
  const wanted = new Set(ids);
  const mine = () => receiver.received.filter((r) => wanted.has(String(JSON.parse(r.body).id)));
  const expected = ids.length * endpoints.length;
  await waitUntil(`${expected} deliveries`, () => mine().length >= expected, 60_000);
  await drained(apps[0]!.app.ctx.queues.webhook);
  const deliveries = mine().map((r) => String(r.headers['noctis-delivery']));
  expect(deliveries.length).toBe(expected);
  expect(new Set(deliveries).size).toBe(expected);
  const attempts = await db.selectFrom('webhook_attempts').select(sql<number>`count(*)::int`.as('n')).where('event_id', 'in', [...ids]).executeTakeFirstOrThrow();
  expect(attempts.n).toBe(expected);
}

/** Dispatches until the outbox is empty, both apps at once each time. */
async function dispatchAll(): Promise<void> {
  for (let i = 0; i < 2; i++) await both((w) => w.dispatcher.dispatchOnce());
  const left = await db.selectFrom('webhook_events').select('id').where('dispatched_at', 'is', null).execute();
  expect(left).toEqual([]);
}

async function newRecording(device: string): Promise<string> {
  const res = await request(base, 'POST', '/v1/recordings', { device_id: device, started_at: '2026-05-01T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function ingested(recording: string, epochs: number, seed: number): Promise<void> {
  const res = await request(base, 'POST', INGEST_PATH, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(syntheticNight(seed, epochs).features) });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect((await waitForJob(base, res.body.job_id, 60_000)).state).toBe('completed');
}

async function eventCounts(key: 'recording_id' | 'job_id', ids: readonly string[]): Promise<Map<string, number>> {
  const rows = await sql<{ id: string; type: string; n: number }>`
    SELECT data->>${key} AS id, type, count(*)::int AS n FROM webhook_events WHERE data->>${key} = ANY(${[...ids]}::text[]) GROUP BY 1, 2`.execute(db);
  return new Map(rows.rows.map((r) => [`${r.id} ${r.type}`, r.n]));
}

/** noctis_job_wait_seconds observations of predict jobs, summed over both apps. */
async function predictWaits(outcome: 'completed' | 'failed'): Promise<number> {
  let n = 0;
  for (const { ctx } of workers) {
    const values = (await ctx.metrics.jobWait.get()).values;
    n += values.find((v) => v.metricName === 'noctis_job_wait_seconds_count' && v.labels['type'] === 'predict' && v.labels['outcome'] === outcome)?.value ?? 0;
  }
  return n;
}

describe('periodic passes run side by side in two worker processes', () => {
  it('webhook dispatcher: each event becomes one delivery job per endpoint and is delivered once', async () => {
    for (let round = 0; round < 3; round++) {
      // More than one claim batch (100) per pass, so the two dispatchers interleave.
      const inserted = await sql<{ id: string }>`
        INSERT INTO webhook_events (tenant, type, data)
        SELECT 'default', 'recording.closed', jsonb_build_object('recording_id', gen_random_uuid()::text, 'device_id', gen_random_uuid()::text)
        FROM generate_series(1, 250) RETURNING id`.execute(db);
      const ids = inserted.rows.map((r) => String(r.id));
      await dispatchAll();
      for (const id of ids.slice(0, 5)) for (const endpoint of endpoints) expect(await apps[0]!.app.ctx.queues.webhook.getJob(`${id}-${endpoint}`)).toBeDefined();
      await expectDeliveredOnce(ids);
    }
  }, 120_000);

  it('idle closer: each idle recording is closed once, with one closed event, delivered once', async () => {
    // Per round three devices, each with two nights of data and two empty recordings (main sleep
    // is decided per device and date, under the device's lock).
    const rounds: Array<{ recordings: string[]; withData: string[]; devices: string[] }> = [];
    for (let round = 0; round < 3; round++) {
      const r = { recordings: [] as string[], withData: [] as string[], devices: [] as string[] };
      for (let d = 0; d < 3; d++) {
        const device = (await request(base, 'POST', '/v1/devices', { external_id: `idle-${round}-${d}`, timezone: 'Europe/Paris' })).body.id;
        r.devices.push(device);
        for (let k = 0; k < 4; k++) {
          const recording = await newRecording(device);
          r.recordings.push(recording);
          if (k < 2) r.withData.push(recording);
        }
      }
      rounds.push(r);
    }
    await Promise.all(rounds.flatMap((r) => r.withData.map((rec, i) => ingested(rec, 120 + 60 * (i % 2), i + 1))));
    const events: string[] = [];
    for (const { recordings, withData, devices } of rounds) {
      // Due now: created, and last uploaded to, longer ago than RECORDING_IDLE_MINUTES (720).
      await db.updateTable('recordings').set({ created_at: sql`now() - interval '13 hours'` }).where('id', 'in', recordings).execute();
      await db.updateTable('jobs').set({ created_at: sql`now() - interval '13 hours'` }).where('recording_id', 'in', recordings).execute();
      const closed = await both((w) => w.closer.closeOnce());
      expect(closed[0]! + closed[1]!, `closed by each: ${closed}`).toBe(recordings.length);
      const open = await db.selectFrom('recordings').select('id').where('id', 'in', recordings).where('closed_at', 'is', null).execute();
      expect(open).toEqual([]);
      const counts = await eventCounts('recording_id', recordings);
      for (const rec of recordings) {
        expect(counts.get(`${rec} recording.closed`), rec).toBe(1);
        expect(counts.get(`${rec} night.finalized`), rec).toBe(withData.includes(rec) ? 1 : undefined);
      }
      const mains = await db.selectFrom('recording_nights').select('device_id').where('device_id', 'in', devices).where('is_main_sleep', '=', true).execute();
      expect(mains.map((m) => m.device_id).sort()).toEqual([...devices].sort());
      const rows = await sql<{ id: string }>`SELECT id FROM webhook_events WHERE data->>'recording_id' = ANY(${recordings}::text[])`.execute(db);
      events.push(...rows.rows.map((r) => String(r.id)));
    }
    expect(warnings.filter((w) => w.msg === 'could not close an idle recording')).toEqual([]);
    await dispatchAll();
    await expectDeliveredOnce(events);
  }, 180_000);

  it('sweeper: each lost job is enqueued once and completes once; a job failed in the queue is finished once', async () => {
    const device = (await request(base, 'POST', '/v1/devices', { external_id: 'sweep' })).body.id;
    const recording = await newRecording(device);
    await ingested(recording, 120, 42);
    const params = { model_version: apps[0]!.app.ctx.registry.active()!.version, from_index: 0, to_index: null };
    const predict = apps[0]!.app.ctx.queues.predict;
    for (let round = 0; round < 3; round++) {
      const lost: string[] = Array.from({ length: 8 }, () => randomUUID());
      const failed: string[] = Array.from({ length: 8 }, () => randomUUID());
      // Failed in BullMQ while PostgreSQL missed it (the final failure's write was lost): the entries
      // fail at once since no row exists yet, and the rows appear after.
      for (const id of failed) await predict.add('predict', { jobId: id }, { jobId: id, attempts: 1 });
      await waitUntil('the entries to fail', async () => (await Promise.all(failed.map(async (id) => (await predict.getJob(id))?.isFailed()))).every(Boolean));
      // Lost: rows that BullMQ never got (a Redis restarted empty). Both kinds stale for the sweeper.
      const row = (id: string, state: 'queued' | 'active') => ({ ...newJobRow({ id, type: 'predict', recordingId: recording, params }), state, updated_at: sql<Date>`now() - interval '1 hour'` });
      await db.insertInto('jobs').values([...lost.map((id) => row(id, 'queued')), ...failed.map((id) => row(id, 'active'))]).execute();
      const waits = { completed: await predictWaits('completed'), failed: await predictWaits('failed') };

      await both((w) => w.sweeper.sweepOnce());
      await waitUntil('the lost jobs to complete', async () => {
        const done = await db.selectFrom('jobs').select('id').where('id', 'in', lost).where('state', '=', 'completed').execute();
        return done.length === lost.length;
      });
      await drained(predict);
      // Each lost job was claimed by one sweeper only: one re-enqueue, one warning.
      const reenqueued = warnings.filter((w) => w.msg === 're-enqueueing a job Redis no longer has').map((w) => w.jobId);
      expect(reenqueued.filter((id) => id !== undefined && lost.includes(id)).sort()).toEqual([...lost].sort());

      const rows = await db.selectFrom('jobs').select(['id', 'state', 'attempts']).where('id', 'in', [...lost, ...failed]).execute();
      for (const r of rows) expect(r, r.id).toMatchObject(lost.includes(r.id) ? { state: 'completed', attempts: 1 } : { state: 'failed' });
      const entries = (await predict.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'], 0, -1)).filter((j) => lost.includes(j.data.jobId));
      expect(entries.map((j) => j.data.jobId).sort()).toEqual([...lost].sort());
      const counts = await eventCounts('job_id', [...lost, ...failed]);
      for (const id of lost) expect(counts.get(`${id} job.completed`), id).toBe(1);
      for (const id of failed) expect(counts.get(`${id} job.failed`), id).toBe(1);
      expect((await predictWaits('completed')) - waits.completed).toBe(lost.length);
      expect((await predictWaits('failed')) - waits.failed).toBe(failed.length);
    }
  }, 180_000);

  it('sweeper: a stale job whose row a transaction holds is left alone until it is released', async () => {
    const device = (await request(base, 'POST', '/v1/devices', { external_id: 'sweep-held' })).body.id;
    const recording = await newRecording(device);
    await ingested(recording, 60, 7);
    const id = randomUUID();
    const params = { model_version: apps[0]!.app.ctx.registry.active()!.version, from_index: 0, to_index: null };
    await db.insertInto('jobs').values({ ...newJobRow({ id, type: 'predict', recordingId: recording, params }), updated_at: sql<Date>`now() - interval '1 hour'` }).execute();
    const predict = apps[0]!.app.ctx.queues.predict;
    const updatedAt = async () => (await db.selectFrom('jobs').select('updated_at').where('id', '=', id).executeTakeFirstOrThrow()).updated_at.getTime();
    const before = await updatedAt();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const tx = db.transaction().execute(async (trx) => {
      await trx.selectFrom('jobs').select('id').where('id', '=', id).forUpdate().execute();
      held();
      await released;
    });
    await holding;
    await workers[0]!.sweeper.sweepOnce();
    expect(await predict.getJob(id)).toBeUndefined();
    release();
    await tx;
    expect(await updatedAt()).toBe(before);
    await workers[1]!.sweeper.sweepOnce();
    expect((await waitForJob(base, id, 60_000)).state).toBe('completed');
  }, 120_000);
});
