import v8 from 'node:v8';
import vm from 'node:vm';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { INGEST_PATH, expectError, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { adminAuth } from '../helpers/services.js';
import { FEATURES, FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Export over HTTP: NDJSON of a device and a recording, CSV of a recording, the errors, and memory
// that does not grow with the number of nights exported.
let testEnv: TestEnv;
let db: Kysely<Database>;
let app: RunningApp;
let base: string;

beforeAll(async () => {
  testEnv = await createTestEnv();
  db = openDb(testEnv);
  app = await startTestApp(testEnv);
  base = app.baseUrl;
});
afterAll(async () => {
  await app?.stop();
  await db?.destroy();
  await testEnv?.dispose();
});

const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l));

async function recordedNight(): Promise<{ device: string; recording: string }> {
  const device = (await request(base, 'POST', '/v1/devices', { external_id: `d-${Math.random()}`, timezone: 'Europe/London' })).body.id;
  const recording = (await request(base, 'POST', '/v1/recordings', { device_id: device, started_at: '2026-03-01T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION })).body.id;
  const job = await request(base, 'POST', INGEST_PATH, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(syntheticNight(5, 300).features) });
  expect((await waitForJob(base, job.body.job_id, 60_000)).state).toBe('completed');
  expect((await request(base, 'PUT', `/v1/recordings/${recording}/labels`, { labels: [{ epoch_index: 0, stage: 'W' }, { epoch_index: 1, stage: 'N1' }] })).status).toBe(200);
  expect((await request(base, 'POST', `/v1/recordings/${recording}:close`)).status).toBe(200);
  return { device, recording };
}

describe('export', () => {
  it('streams a device as NDJSON in the documented order', async () => {
    const { device, recording } = await recordedNight();
    const res = await fetch(`${base}/v1/devices/${device}/export`, { headers: adminAuth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const items = lines(await res.text());
    expect(items.map((i) => i.type).filter((t, k, all) => all[k - 1] !== t)).toEqual(['device', 'recording', 'epoch', 'prediction', 'label', 'night']);
    expect(items[0]).toMatchObject({ type: 'device', id: device, timezone: 'Europe/London' });
    expect(items[1]).toMatchObject({ type: 'recording', id: recording, feature_names: [...FEATURES] });
    const epochs = items.filter((i) => i.type === 'epoch');
    expect(epochs.map((e) => e.epoch_index)).toEqual([...Array(300).keys()]);
    expect(epochs[1]).toMatchObject({ recording_id: recording, ts: '2026-03-01T22:00:30.000Z', features: expect.any(Array) });
    const predictions = items.filter((i) => i.type === 'prediction');
    expect(predictions).toHaveLength(300);
    expect(predictions[0]).toMatchObject({ model_version: expect.any(String), stage: expect.any(String), labels: expect.any(Array) });
    expect(items.filter((i) => i.type === 'label').map((l) => l.stage)).toEqual(['W', 'N1']);
    const night = items.at(-1);
    expect(night).toMatchObject({ type: 'night', recording_id: recording, date: '2026-03-02', is_main_sleep: true, summaries: [{ model_version: predictions[0].model_version, summary: expect.any(Object) }] });

    // The same recording on its own is that part of the device's export.
    const one = lines(await (await fetch(`${base}/v1/recordings/${recording}/export`, { headers: adminAuth })).text());
    expect(one).toEqual(items.slice(1));
  });

  it('gives a recording as CSV: index, time, features by name, the stage and probabilities of a version', async () => {
    const { recording } = await recordedNight();
    const res = await fetch(`${base}/v1/recordings/${recording}/export`, { headers: { ...adminAuth, accept: 'text/csv' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const rows = (await res.text()).trimEnd().split('\r\n').map((r) => r.split(','));
    const header = rows[0]!;
    expect(header.slice(0, 2 + FEATURES.length + 1)).toEqual(['epoch_index', 'time', ...FEATURES, 'stage']);
    expect(header.slice(2 + FEATURES.length + 1).every((h) => h.startsWith('p_'))).toBe(true);
    expect(rows).toHaveLength(301);
    expect(rows[2]!.slice(0, 2)).toEqual(['1', '2026-03-01T22:00:30.000Z']);
    const probabilities = rows[1]!.slice(2 + FEATURES.length + 1).map(Number);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('answers errors as JSON before streaming', async () => {
    const { device, recording } = await recordedNight();
    expectError(await request(base, 'GET', '/v1/devices/00000000-0000-4000-8000-000000000000/export'), 404, 'device_not_found');
    expectError(await request(base, 'GET', '/v1/recordings/nope/export'), 404, 'recording_not_found');
    expectError(await request(base, 'GET', `/v1/devices/${device}/export`, undefined, { accept: 'text/csv' }), 406, 'not_acceptable');
    expectError(await request(base, 'GET', `/v1/recordings/${recording}/export`, undefined, { accept: 'image/png' }), 406, 'not_acceptable');
    expectError(await request(base, 'GET', `/v1/recordings/${recording}/export?model_version=nope`, undefined, { accept: 'text/csv' }), 404, 'model_not_found');
    expectError(await request(base, 'GET', `/v1/recordings/${recording}/export?limit=3`), 400, 'bad_request');
    const other = (await request(base, 'POST', '/v1/api-keys', { tenant: 'other', scopes: ['read'] })).body.key;
    expectError(await request(base, 'GET', `/v1/devices/${device}/export`, undefined, { authorization: `Bearer ${other}` }), 404, 'device_not_found');
    const ingestOnly = (await request(base, 'POST', '/v1/api-keys', { tenant: 'default', scopes: ['ingest'] })).body.key;
    expectError(await request(base, 'GET', `/v1/recordings/${recording}/export`, undefined, { authorization: `Bearer ${ingestOnly}` }), 403, 'forbidden');
  });
});

/** A device with `nights` recordings of 960 epochs and one version's predictions, written in SQL. */
async function seedDevice(nights: number): Promise<string> {
  const device = (await request(base, 'POST', '/v1/devices', { external_id: `mem-${nights}-${Math.random()}` })).body.id;
  await sql`
    WITH r AS (
      INSERT INTO recordings (device_id, started_at, feature_schema_version, epoch_seconds, tenant, closed_at)
      SELECT ${device}::uuid, timestamptz '2025-01-01 22:00+00' + make_interval(days => n), ${FEATURE_SCHEMA_VERSION}, 30, 'default', now()
      FROM generate_series(0, ${nights - 1}::int) n RETURNING id, started_at)
    , e AS (
      INSERT INTO epochs (recording_id, epoch_index, ts, features)
      SELECT r.id, i, r.started_at + make_interval(secs => i * 30), ARRAY[random(), random(), random(), random(), random()]::real[]
      FROM r, generate_series(0, 959) i RETURNING 1)
    INSERT INTO predictions (recording_id, epoch_index, ts, model_version, stage, probabilities)
    SELECT r.id, i, r.started_at + make_interval(secs => i * 30), 'mem-v1', 'N2', ARRAY[0.1, 0.2, 0.6, 0.1]::real[]
    FROM r, generate_series(0, 959) i`.execute(db);
  return device;
}

// Live memory, not garbage: heapUsed right after a full collection. (Peaks of heapUsed alone
// measure when the collector last ran, not what the export holds.)
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const liveHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

/**
 * Exports the device (API and client in this process) and measures live heap every 20 chunks the
 * client reads, while the server is mid-export; returns the largest rise over the start, in bytes.
 */
async function peakHeapRise(device: string): Promise<{ rise: number; lines: number }> {
  const start = liveHeap();
  let peak = start;
  const res = await fetch(`${base}/v1/devices/${device}/export`, { headers: adminAuth });
  let newlines = 0;
  let chunks = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const byte of value) if (byte === 10) newlines++;
    if (++chunks % 20 === 0) peak = Math.max(peak, liveHeap());
  }
  return { rise: peak - start, lines: newlines };
}

describe('export memory', () => {
  it('does not grow with the number of nights (10 vs 100 nights, one page at a time)', async () => {
    const small = await seedDevice(10);
    const large = await seedDevice(100);
    await peakHeapRise(small); // warm-up: code paths compiled, pools filled
    const ten = await peakHeapRise(small);
    const hundred = await peakHeapRise(large);
    expect(ten.lines).toBe(1 + 10 * (1 + 960 * 2));
    expect(hundred.lines).toBe(1 + 100 * (1 + 960 * 2));
    // The 100-night export is ~25 MB of JSON (192,000 rows); held in memory it would add at least that.
    expect(hundred.rise, `10 nights: +${(ten.rise / 1e6).toFixed(1)} MB, 100 nights: +${(hundred.rise / 1e6).toFixed(1)} MB`).toBeLessThan(ten.rise + 8e6);
  }, 120_000);

  it('stops reading when the client disconnects', async () => {
    const device = await seedDevice(30);
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/devices/${device}/export`, { headers: adminAuth, signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    // The server notices at its next write and issues no further page query.
    await new Promise((r) => setTimeout(r, 500));
    const active = await sql<{ n: string }>`
      SELECT count(*) AS n FROM pg_stat_activity
      WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND query ILIKE '%from "epochs"%'`.execute(db);
    expect(Number(active.rows[0]!.n)).toBe(0);
    // And the app still answers.
    expect((await request(base, 'GET', `/v1/devices/${device}`)).status).toBe(200);
  });
});
