import type { Kysely } from 'kysely';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { INGEST_PATH, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Closing when the uploads are not stored yet, and the workers' idle closer.
const apps: RunningApp[] = [];
const envs: TestEnv[] = [];
const dbs: Kysely<Database>[] = [];

afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
});
afterAll(async () => {
  for (const d of dbs) await d.destroy();
  for (const e of envs) await e.dispose();
});

async function setup(env: Record<string, string> = {}) {
  const testEnv = await createTestEnv();
  envs.push(testEnv);
  const db = openDb(testEnv);
  dbs.push(db);
  return { testEnv, db, env };
}

async function newRecording(base: string, timezone: string, startedAt: string): Promise<{ device: string; recording: string }> {
  const device = await request(base, 'POST', '/v1/devices', { external_id: `d-${Math.random()}`, timezone });
  const rec = await request(base, 'POST', '/v1/recordings', { device_id: device.body.id, started_at: startedAt, feature_schema_version: FEATURE_SCHEMA_VERSION });
  expect(rec.status).toBe(201);
  return { device: device.body.id, recording: rec.body.id };
}

const ingest = async (base: string, recording: string, start: number, rows: number[][]) => {
  const res = await request(base, 'POST', INGEST_PATH, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: start, packed: packRows(rows) });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.job_id as string;
};

describe('uploads accepted before a close and stored after it', () => {
  it('are dated in the zone of the close and summarised, in the ingest transaction or by the night scoring', async () => {
    const { testEnv } = await setup();
    // The API alone first: the uploads wait in the queue while the recordings are closed.
    const web = await startTestApp(testEnv, { roles: { web: true, worker: false } });
    apps.push(web);
    const base = web.baseUrl;
    // 07:00 to 15:00 UTC: the data ends at 00:00 on 2 February in Tokyo, at 15:00 on 1 February in UTC.
    const night = syntheticNight(7, 960);
    // One upload (stored and scored in one ingest transaction), and a night in two uploads (the
    // second one scored by a night-scoring job).
    const single = await newRecording(base, 'Asia/Tokyo', '2026-02-01T07:00:00Z');
    const split = await newRecording(base, 'Asia/Tokyo', '2026-02-01T07:00:00Z');
    const jobs = [
      await ingest(base, single.recording, 0, night.features),
      await ingest(base, split.recording, 0, night.features.slice(0, 480)),
      await ingest(base, split.recording, 480, night.features.slice(480)),
    ];
    for (const { device, recording } of [single, split]) {
      const closed = await request(base, 'POST', `/v1/recordings/${recording}:close`);
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({ epoch_count: 0, ended_at: null, date: null, closed_at: expect.any(String) });
      expect((await request(base, 'GET', `/v1/devices/${device}/nights?from=2026-01-30&to=2026-02-05`)).body.items).toEqual([]);
      // The device moves after the close; the night stays in the zone it was closed in.
      expect((await request(base, 'PATCH', `/v1/devices/${device}`, { timezone: 'UTC' })).status).toBe(200);
    }

    const worker = await startTestApp(testEnv, { roles: { web: false, worker: true } });
    apps.push(worker);
    for (const job of jobs) expect((await waitForJob(base, job, 60_000)).state).toBe('completed');

    for (const { device, recording } of [single, split]) {
      const body = (await request(base, 'GET', `/v1/devices/${device}/nights?from=2026-01-30&to=2026-02-05`)).body;
      expect(body.items, recording).toHaveLength(1);
      const item = body.items[0];
      expect(item).toMatchObject({ recording_id: recording, date: '2026-02-02', timezone: 'Asia/Tokyo', closed: true, is_main_sleep: true, quality: { code: 'ok' }, end: '2026-02-01T15:00:00.000Z' });
      const summary = await request(base, 'GET', `/v1/recordings/${recording}/summary`);
      expect(item.summary).toEqual(summary.body);
      expect(item.summary.epochs).toBe(960);
      const listed = await request(base, 'GET', `/v1/recordings?device_id=${device}`);
      expect(listed.body.items[0]).toMatchObject({ id: recording, epoch_count: 960, date: '2026-02-02', ended_at: '2026-02-01T15:00:00.000Z' });
    }
  });
});

describe('the idle closer', () => {
  it('closes recordings that received nothing for RECORDING_IDLE_MINUTES, and not before', async () => {
    const { testEnv, db } = await setup();
    const app = await startTestApp(testEnv, { env: { RECORDING_IDLE_MINUTES: '0.05', RECORDING_IDLE_CHECK_SECONDS: '1' } });
    apps.push(app);
    const base = app.baseUrl;
    const withData = await newRecording(base, 'Europe/London', '2026-06-01T21:00:00Z');
    const empty = await newRecording(base, 'Europe/London', '2026-06-02T21:00:00Z');
    const job = await ingest(base, withData.recording, 0, syntheticNight(8, 600).features);
    expect((await waitForJob(base, job)).state).toBe('completed');

    await waitUntil('both recordings to be closed', async () => {
      const rows = await db.selectFrom('recordings').select('closed_at').where('id', 'in', [withData.recording, empty.recording]).execute();
      return rows.every((r) => r.closed_at !== null);
    }, 30_000, 200);

    const rows = await db.selectFrom('recordings').select(['id', 'created_at', 'closed_at']).where('id', 'in', [withData.recording, empty.recording]).execute();
    const lastIngest = await db.selectFrom('jobs').select('created_at').where('recording_id', '=', withData.recording).executeTakeFirstOrThrow();
    const closedAt = (id: string) => rows.find((r) => r.id === id)!.closed_at!.getTime();
    // Idle 3 s: from the last accepted upload, or from creation when there was none.
    expect(closedAt(withData.recording) - lastIngest.created_at.getTime()).toBeGreaterThanOrEqual(3000);
    expect(closedAt(empty.recording) - rows.find((r) => r.id === empty.recording)!.created_at.getTime()).toBeGreaterThanOrEqual(3000);

    const nights = (await request(base, 'GET', `/v1/devices/${withData.device}/nights?from=2026-06-01&to=2026-06-03`)).body;
    expect(nights.items).toHaveLength(1);
    expect(nights.items[0]).toMatchObject({ recording_id: withData.recording, date: '2026-06-02', closed: true, quality: { code: 'ok' } });
    const stored = await db.selectFrom('night_summaries').select('model_version').where('recording_id', '=', withData.recording).execute();
    expect(stored).toHaveLength(1);
    expectIngestRefused(await request(base, 'POST', INGEST_PATH, { recording_id: empty.recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows([[1, 2, 3, 4, 5]]) }));
  });
});

function expectIngestRefused(res: { status: number; body: any }) {
  expect(res.status).toBe(409);
  expect(res.body.error.code).toBe('recording_closed');
}
