import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { INGEST_PATH, expectError, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { rowsMentioning } from '../helpers/table-scan.js';
import { redisKeysMentioning } from '../helpers/redis-scan.js';
import { nightJobKey } from '../../src/night-scoring/night-scoring.queue.js';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from '../helpers/services.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Erase over HTTP: 202 with a job, 409 being_erased while it runs, and afterwards no row of any
// table mentions an erased id (the scan lists tables from information_schema).
let testEnv: TestEnv;
let db: Kysely<Database>;
let web: RunningApp;
let base: string;
let redis: Redis;
// A webhook endpoint subscribed to everything puts the erased ids into the outbox too.
const env = { ERASE_BATCH_ROWS: '100', RECORDING_IDLE_MINUTES: '600', WEBHOOK_SECRET_KEY: 'b2'.repeat(32), WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SECONDS: '1', WEBHOOK_BACKOFF_MS: '50' };

beforeAll(async () => {
  testEnv = await createTestEnv();
  db = openDb(testEnv);
  redis = new Redis(TEST_REDIS_URL);
  // The API alone first, so erases stay queued while the test checks what answers 409.
  web = await startTestApp(testEnv, { roles: { web: true, worker: false }, env });
  base = web.baseUrl;
});
afterAll(async () => {
  await web?.stop();
  await db?.destroy();
  redis?.disconnect();
  await testEnv?.dispose();
});

async function newDevice(): Promise<string> {
  const res = await request(base, 'POST', '/v1/devices', { external_id: `d-${Math.random()}` });
  expect(res.status).toBe(201);
  return res.body.id;
}
async function newRecording(device: string, startedAt = '2026-03-01T22:00:00Z'): Promise<string> {
  const res = await request(base, 'POST', '/v1/recordings', { device_id: device, started_at: startedAt, feature_schema_version: FEATURE_SCHEMA_VERSION });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}
async function ingest(recording: string, epochs = 300): Promise<string> {
  const res = await request(base, 'POST', INGEST_PATH, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(syntheticNight(3, epochs).features) });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.job_id;
}
const labels = (recording: string) => request(base, 'PUT', `/v1/recordings/${recording}/labels`, { labels: [{ epoch_index: 0, stage: 'W' }, { epoch_index: 1, stage: 'N1' }] });

describe('erasing devices and recordings', () => {
  it('deletes every row of the subject in batches, answers 409 being_erased meanwhile, and leaves the rest', async () => {
    const hook = await request(base, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/nobody-listens', events: ['job.completed', 'job.failed', 'recording.closed', 'night.finalized'] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);
    const device = await newDevice();
    const recordings = [await newRecording(device), await newRecording(device, '2026-03-02T22:00:00Z')];
    const keep = await newDevice();
    const kept = [await newRecording(keep), await newRecording(keep, '2026-03-02T22:00:00Z')];
    const ingestJobs: string[] = [];
    for (const r of [...recordings, ...kept]) ingestJobs.push(await ingest(r));
    const worker = await startTestApp(testEnv, { roles: { web: false, worker: true }, env });
    try {
      for (const job of ingestJobs) expect((await waitForJob(base, job, 60_000)).state).toBe('completed');
      // A second part of each night: scored by a night job, whose id and result went into Redis.
      for (const r of [...recordings, kept[1]!]) {
        const part = await request(base, 'POST', INGEST_PATH, { recording_id: r, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 300, packed: packRows(syntheticNight(4, 60).features) });
        expect(part.status, JSON.stringify(part.body)).toBe(202);
        expect((await waitForJob(base, part.body.job_id, 60_000)).result).toMatchObject({ inserted: 60, predicted: 60 });
      }
      // The Redis scan below reads the stream that holds them.
      expect(Object.keys(await redisKeysMentioning(redis, testEnv.queuePrefix, [nightJobKey(recordings[0]!)]))).toContain(`{${testEnv.queuePrefix}}:night:events`);
      for (const r of [...recordings, ...kept]) {
        expect((await labels(r)).status).toBe(200);
        expect((await request(base, 'POST', `/v1/recordings/${r}:close`)).status).toBe(200);
      }
      // A re-score naming one recording and the device: its job and audit record mention them.
      const rescore = await request(base, 'POST', '/v1/rescore', { recording_ids: [recordings[0], kept[0]], device_id: device });
      expect(rescore.status, JSON.stringify(rescore.body)).toBe(202);
      await waitForJob(base, rescore.body.job_id, 60_000);
    } finally {
      await worker.stop();
    }
    expect(Object.keys(await rowsMentioning(db, [device, ...recordings])).length).toBeGreaterThan(5);

    // An upload accepted just before the DELETE: its job runs while (or after) the erase does.
    const late = await newRecording(device, '2026-03-04T22:00:00Z');
    const lateJob = await ingest(late, 50);
    const erase = await request(base, 'DELETE', `/v1/devices/${device}`);
    expect(erase.status, JSON.stringify(erase.body)).toBe(202);
    expect(erase.body).toEqual({ job_id: expect.any(String), status_url: `/v1/jobs/${erase.body.job_id}` });
    // Again while it runs: the same erase, not a second one.
    expect((await request(base, 'DELETE', `/v1/devices/${device}`)).body.job_id).toBe(erase.body.job_id);
    const recErase = await request(base, 'DELETE', `/v1/recordings/${kept[1]}`);
    expect(recErase.status).toBe(202);

    // Writes into the subjects answer 409 being_erased (a recording of an erased device too).
    const refused = [
      await request(base, 'POST', INGEST_PATH, { recording_id: recordings[0], feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(syntheticNight(3, 2).features) }),
      await request(base, 'POST', INGEST_PATH, { recording_id: kept[1], feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(syntheticNight(3, 2).features) }),
      await request(base, 'POST', '/v1/recordings', { device_id: device, started_at: '2026-03-03T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION }),
      await request(base, 'PATCH', `/v1/devices/${device}`, { name: 'x' }),
      await labels(recordings[1]!),
      await request(base, 'POST', `/v1/recordings/${recordings[1]}:close`),
      await request(base, 'POST', '/v1/predict', { recording_id: recordings[0] }),
    ];
    for (const res of refused) expect(expectError(res, 409, 'being_erased')).toMatchObject({ job_id: expect.any(String) });
    // Another tenant learns nothing of the erase: its close of the recording answers 404 as for any id.
    const stranger = (await request(base, 'POST', '/v1/api-keys', { tenant: 'stranger', scopes: ['ingest'] })).body.key;
    expectError(await request(base, 'POST', `/v1/recordings/${recordings[1]}:close`, undefined, { authorization: `Bearer ${stranger}` }), 404, 'recording_not_found');
    // The kept device still takes new recordings and labels on the one not being erased.
    expect((await request(base, 'POST', '/v1/recordings', { device_id: keep, started_at: '2026-03-05T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION })).status).toBe(201);
    expect((await labels(kept[0]!)).status).toBe(200);

    const worker2 = await startTestApp(testEnv, { roles: { web: false, worker: true }, env });
    try {
      const done = await waitForJob(base, erase.body.job_id, 60_000);
      expect(done).toMatchObject({ type: 'erase', state: 'completed', recording_id: null, progress: { done: 3, total: 3 } });
      expect(done.result).toMatchObject({ subject: 'device', recordings: 3, rows: { labels: 4, recordings: 3 } });
      expect((await waitForJob(base, recErase.body.job_id, 60_000)).state).toBe('completed');
    } finally {
      await worker2.stop();
    }

    expectError(await request(base, 'GET', `/v1/devices/${device}`), 404, 'device_not_found');
    expectError(await request(base, 'GET', `/v1/jobs/${lateJob}`), 404, 'job_not_found');
    for (const r of [...recordings, late, kept[1]!]) expectError(await request(base, 'GET', `/v1/recordings/${r}`), 404, 'recording_not_found');
    for (const job of ingestJobs.slice(0, 2)) expectError(await request(base, 'GET', `/v1/jobs/${job}`), 404, 'job_not_found');
    expectError(await request(base, 'DELETE', `/v1/devices/${device}`), 404, 'device_not_found');
    // Nothing anywhere names the erased device, its recordings or their jobs...
    expect(await rowsMentioning(db, [device, ...recordings, late, lateJob, kept[1]!, ...ingestJobs.slice(0, 2), ingestJobs[3]!])).toEqual({});
    // ...nor any Redis key of the queues (job ids, job data, results, the events streams)...
    expect(await redisKeysMentioning(redis, testEnv.queuePrefix, [device, ...recordings, late, kept[1]!])).toEqual({});
    // The outbox did hold events of the kept recording, so the scan above looked at real rows.
    expect(Object.keys(await rowsMentioning(db, [kept[0]!])).some((k) => k.startsWith('webhook_events:'))).toBe(true);
    // ...while the kept recording is whole.
    const still = await rowsMentioning(db, [keep, kept[0]!]);
    for (const table of ['devices', 'recordings', 'epochs', 'predictions', 'labels', 'night_summaries', 'recording_nights']) {
      expect(Object.keys(still).some((k) => k.startsWith(`${table}:`)), table).toBe(true);
    }
    expect((await request(base, 'GET', `/v1/recordings/${kept[0]}`)).body.epoch_count).toBe(300);
    expect((await request(base, 'GET', `/v1/recordings/${kept[0]}/predictions?limit=1`)).body.items).toHaveLength(1);

    // The audit log has the fact of each erase and its job, never the erased id.
    const audit = (await request(base, 'GET', '/v1/audit?limit=1000')).body.items as Array<{ action: string; target: { id: string }; details: Record<string, unknown> }>;
    const erases = audit.filter((a) => a.action.startsWith('erase.'));
    expect(erases.map((a) => a.action).sort()).toEqual(['erase.completed', 'erase.completed', 'erase.requested', 'erase.requested']);
    expect(erases.find((a) => a.action === 'erase.requested' && a.target.id === erase.body.job_id)?.details).toMatchObject({ subject: 'device' });
  });

  it('answers 404 for unknown and foreign ids and 403 without the admin scope', async () => {
    expectError(await request(base, 'DELETE', '/v1/devices/not-a-uuid'), 404, 'device_not_found');
    expectError(await request(base, 'DELETE', '/v1/recordings/00000000-0000-4000-8000-000000000000'), 404, 'recording_not_found');
    const device = await newDevice();
    const recording = await newRecording(device);
    const other = (await request(base, 'POST', '/v1/api-keys', { tenant: 'other', scopes: ['read', 'ingest', 'admin'] })).body.key;
    expectError(await request(base, 'DELETE', `/v1/devices/${device}`, undefined, { authorization: `Bearer ${other}` }), 404, 'device_not_found');
    expectError(await request(base, 'DELETE', `/v1/recordings/${recording}`, undefined, { authorization: `Bearer ${other}` }), 404, 'recording_not_found');
    const writer = (await request(base, 'POST', '/v1/api-keys', { tenant: 'default', scopes: ['read', 'ingest'] })).body.key;
    expectError(await request(base, 'DELETE', `/v1/devices/${device}`, undefined, { authorization: `Bearer ${writer}` }), 403, 'forbidden');
    expectError(await request(base, 'DELETE', `/v1/recordings/${recording}`, undefined, { authorization: `Bearer ${writer}` }), 403, 'forbidden');
    expect((await request(base, 'GET', `/v1/devices/${device}`)).status).toBe(200);
  });
});
