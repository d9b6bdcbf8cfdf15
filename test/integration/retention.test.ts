import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { INGEST_PATH, expectError, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Retention on plain PostgreSQL: a scheduled worker pass deletes expired epochs and predictions in
// batches; stored nights outlive them; old uploads answer 422; re-scores skip partly expired nights.
let testEnv: TestEnv;
let db: Kysely<Database>;
const apps: RunningApp[] = [];
const DAY = 86_400_000;
const daysAgo = (d: number) => new Date(Math.floor((Date.now() - d * DAY) / 60_000) * 60_000).toISOString();

beforeAll(async () => {
  testEnv = await createTestEnv();
  db = openDb(testEnv);
});
afterAll(async () => {
  for (const a of apps) await a.stop();
  await db?.destroy();
  await testEnv?.dispose();
});

const countRows = async (table: 'epochs' | 'predictions', recording: string) =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE recording_id = ${recording}`.execute(db)).rows[0]!.n);
const upload = (base: string, recording: string, start: number, epochs: number) =>
  request(base, 'POST', INGEST_PATH, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: start, packed: packRows(syntheticNight(9, epochs).features.slice(0, epochs)) });

describe('retention on plain PostgreSQL', () => {
  it('deletes expired raw data in batches, keeps stored nights, refuses old uploads and skips old nights in re-scores', async () => {
    // Before retention is configured: a night 40 days ago (closed, summary stored) and one yesterday.
    const before = await startTestApp(testEnv);
    apps.push(before);
    let base = before.baseUrl;
    const device = (await request(base, 'POST', '/v1/devices', { external_id: 'retained' })).body.id;
    const night = async (startedAt: string) => {
      const recording = (await request(base, 'POST', '/v1/recordings', { device_id: device, started_at: startedAt, feature_schema_version: FEATURE_SCHEMA_VERSION })).body.id;
      const job = await upload(base, recording, 0, 720);
      expect((await waitForJob(base, job.body.job_id, 60_000)).state).toBe('completed');
      return recording;
    };
    const old = await night(daysAgo(40));
    const recent = await night(daysAgo(1));
    // Six hours from 30 days and 3 hours ago: the first half ages out, the second stays.
    const partial = await night(daysAgo(30 + 3 / 24));
    expect((await request(base, 'POST', `/v1/recordings/${old}:close`)).status).toBe(200);
    expect((await request(base, 'POST', `/v1/recordings/${partial}:close`)).status).toBe(200);
    const from = daysAgo(45).slice(0, 10);
    const to = daysAgo(-2).slice(0, 10);
    const nightsBefore = (await request(base, 'GET', `/v1/devices/${device}/nights?from=${from}&to=${to}`)).body.items;
    const trendsOf = async (ids: string[]) => (await request(base, 'GET', `/v1/devices/${device}/trends?from=${from}&to=${to}`)).body.items.filter((i: any) => ids.includes(i.recording_id));
    const trendsBefore = await trendsOf([old, partial]);
    expect(trendsBefore).toHaveLength(2);
    await before.stop();

    const retained = await startTestApp(testEnv, { env: { RETAIN_EPOCHS_DAYS: '30', RETAIN_PREDICTIONS_DAYS: '30', RETENTION_INTERVAL_SECONDS: '1', RETENTION_BATCH_ROWS: '100' } });
    apps.push(retained);
    base = retained.baseUrl;
    await waitUntil('the old night aged out', async () => (await countRows('epochs', old)) === 0 && (await countRows('predictions', old)) === 0, 20_000);
    expect(await countRows('epochs', recent)).toBe(720);
    const partLeft = await countRows('epochs', partial);
    expect(partLeft).toBeGreaterThan(300);
    expect(partLeft).toBeLessThan(400);
    expect(await countRows('predictions', recent)).toBe(720);
    // The retention pass is not a job of any tenant.
    expect(Number((await sql<{ n: string }>`SELECT count(*) AS n FROM jobs WHERE type NOT IN ('ingest')`.execute(db)).rows[0]!.n)).toBe(0);

    // The stored night and its trend figures outlive the raw data.
    expect(await trendsOf([old, partial])).toEqual(trendsBefore);
    const nightsAfter = (await request(base, 'GET', `/v1/devices/${device}/nights?from=${from}&to=${to}`)).body.items;
    expect(nightsAfter.find((n: any) => n.recording_id === old)).toEqual(nightsBefore.find((n: any) => n.recording_id === old));

    // An upload older than the retention is refused, naming the epoch and the cutoff.
    const late = (await request(base, 'POST', '/v1/recordings', { device_id: device, started_at: daysAgo(31), feature_schema_version: FEATURE_SCHEMA_VERSION })).body.id;
    const refused = expectError(await upload(base, late, 800, 2), 422, 'outside_retention');
    expect(refused).toMatchObject({ recording_id: late, epoch_index: 800, retain_days: 30, cutoff: expect.any(String) });
    expect(await countRows('epochs', late)).toBe(0);
    expect((await upload(base, recent, 800, 2)).status).toBe(202);

    // A re-score skips the partly expired night rather than overwrite its stored summary.
    const rescore = await request(base, 'POST', '/v1/rescore', { recording_ids: [old, partial, recent] });
    expect(rescore.status, JSON.stringify(rescore.body)).toBe(202);
    const done = await waitForJob(base, rescore.body.job_id, 60_000);
    expect(done.result).toMatchObject({ skipped: 1, recordings: 1 });
    expect(await trendsOf([old, partial])).toEqual(trendsBefore);
  }, 120_000);
});
