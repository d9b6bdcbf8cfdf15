import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { NightsResponse, SegmentsResponse, TrendsResponse } from '../../src/nights/nights.schemas.js';
import { RecordingWithNight } from '../../src/recordings/recordings.schemas.js';
import { writeContextModel } from '../helpers/context-model.js';
import { expectError, ingestList, ingestPacked, INGEST_PATH, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { copyModels } from '../helpers/model-dirs.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Nights over HTTP: dates in two zones (a night over London's 2026 spring-forward, one over midnight
// and New York's fall-back), naps, a gappy night, closing, open nights, segments, trends, and
// re-scores that refresh the stored summaries. Nights are synthetic and seeded.
const ACTIVE = 'wnr-v3';
let env: TestEnv;
let app: RunningApp;
let base: string;
let db: Kysely<Database>;
let models: { dir: string; remove(): void };

beforeAll(async () => {
  models = copyModels(['wnr-v1', ACTIVE]);
  writeContextModel(models.dir, 'ctx-test');
  env = await createTestEnv();
  app = await startTestApp(env, { env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: ACTIVE, NIGHTS_OPEN_LIMIT: '2' } });
  base = app.baseUrl;
  db = openDb(env);
});

afterAll(async () => {
  await db?.destroy();
  await app?.stop();
  await env?.dispose();
  models?.remove();
});

async function device(timezone: string): Promise<string> {
  const res = await request(base, 'POST', '/v1/devices', { external_id: `dev-${randomUUID()}`, timezone });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

/** A recording of `epochs` synthetic epochs (seeded) from `startedAt`; every `dropEvery`-th epoch missing when set. */
async function night(deviceId: string, startedAt: string, epochs: number, seed: number, dropEvery = 0): Promise<string> {
  const res = await request(base, 'POST', '/v1/recordings', { device_id: deviceId, started_at: startedAt, feature_schema_version: FEATURE_SCHEMA_VERSION });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const data = syntheticNight(seed, epochs, { dropEvery });
  if (dropEvery) await ingestList(base, res.body.id, data.indices, data.features);
  else await ingestPacked(base, res.body.id, 0, data.features);
  return res.body.id;
}

const close = (id: string) => request(base, 'POST', `/v1/recordings/${id}:close`);
const nights = async (deviceId: string, from: string, to: string, version?: string) => {
  const res = await request(base, 'GET', `/v1/devices/${deviceId}/nights?from=${from}&to=${to}${version ? `&model_version=${version}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const summary = async (id: string, version = ACTIVE) => {
  const res = await request(base, 'GET', `/v1/recordings/${id}/summary?model_version=${version}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
};
const itemOf = (body: { items: Array<{ recording_id: string }> }, id: string): any => body.items.find((i) => i.recording_id === id);

describe('nights of a London device over the 2026 spring-forward', () => {
  let london: string;
  const rec: Record<string, string> = {};

  beforeAll(async () => {
    london = await device('Europe/London');
    // Main nights ending on 26 (gappy: every third epoch missing), 27 and 28 March (GMT), and the
    // night into 29 March: 22:30 GMT to 07:30 BST, 8 hours of epochs across the change at 01:00 UTC.
    rec['gappy'] = await night(london, '2026-03-25T22:30:00Z', 960, 11, 3);
    rec['n27'] = await night(london, '2026-03-26T22:30:00Z', 960, 12);
    rec['n28'] = await night(london, '2026-03-27T22:30:00Z', 960, 13);
    rec['dst'] = await night(london, '2026-03-28T22:30:00Z', 960, 14);
    // Two naps on 29 March (14:00–15:00 and 17:00–17:30 BST), and an open night into 30 March.
    rec['nap1'] = await night(london, '2026-03-29T13:00:00Z', 120, 15);
    rec['nap2'] = await night(london, '2026-03-29T16:00:00Z', 60, 16);
    for (const key of ['gappy', 'n27', 'n28', 'dst', 'nap1', 'nap2']) expect((await close(rec[key]!)).status).toBe(200);
    rec['open'] = await night(london, '2026-03-29T21:30:00Z', 600, 17);
  });

  it('dates each night by the local end of its data, with naps beside the main sleep', async () => {
    const body = await nights(london, '2026-03-26', '2026-03-31');
    // The documented response schema (strict: no field left out of the OpenAPI document).
    expect(NightsResponse.safeParse(body).error).toBeUndefined();
    expect(body).toMatchObject({ device_id: london, model_version: ACTIVE, from: '2026-03-26', to: '2026-03-31', open_nights_omitted: 0 });
    expect(body.items.map((i: any) => [i.date, i.recording_id, i.is_main_sleep, i.closed])).toEqual([
      ['2026-03-26', rec['gappy'], true, true],
      ['2026-03-27', rec['n27'], true, true],
      ['2026-03-28', rec['n28'], true, true],
      ['2026-03-29', rec['dst'], true, true],
      ['2026-03-29', rec['nap1'], false, true],
      ['2026-03-29', rec['nap2'], false, true],
      ['2026-03-30', rec['open'], true, false],
    ]);
    const dst = itemOf(body, rec['dst']!);
    // Eight hours of data, however the wall clock jumped.
    expect(dst).toMatchObject({ start: '2026-03-28T22:30:00.000Z', end: '2026-03-29T06:30:00.000Z', timezone: 'Europe/London', model_version: ACTIVE });
    expect(dst.summary.tib_min).toBe(480);
  });

  it('gives each night a quality verdict: ok, too_short naps, a gappy night', async () => {
    const body = await nights(london, '2026-03-26', '2026-03-31');
    expect(itemOf(body, rec['dst']!).quality).toEqual({ code: 'ok', reasons: [] });
    expect(itemOf(body, rec['open']!).quality).toEqual({ code: 'ok', reasons: [] });
    expect(itemOf(body, rec['nap1']!).quality).toEqual({ code: 'too_short', reasons: [{ code: 'too_short', message: 'time in bed 60 min is under 180 min' }] });
    const gappy = itemOf(body, rec['gappy']!);
    expect(gappy.quality.code).toBe('gappy');
    expect(gappy.quality.reasons[0].message).toMatch(/^33\.\d % of the time in bed is unscored \(more than 20 %\)$/);
    expect(gappy.summary.unscored_min / gappy.summary.tib_min).toBeGreaterThan(0.3);
  });

  it('holds for each night exactly what GET /v1/recordings/{id}/summary answers, stored or open', async () => {
    const body = await nights(london, '2026-03-26', '2026-03-31');
    for (const item of body.items) expect(item.summary, item.recording_id).toEqual(await summary(item.recording_id));
  });

  it('answers not_scored for a version that never scored the night, and stores its summary once it does', async () => {
    const before = itemOf(await nights(london, '2026-03-29', '2026-03-30', 'wnr-v1'), rec['dst']!);
    expect(before).toMatchObject({ is_main_sleep: true, model_version: 'wnr-v1', summary: null, quality: { code: 'not_scored', reasons: [{ code: 'not_scored', message: 'no prediction of wnr-v1 in this night' }] } });
    const res = await request(base, 'POST', '/v1/predict', { recording_id: rec['dst'], model_version: 'wnr-v1' });
    expect(res.status).toBe(202);
    expect((await waitForJob(base, res.body.job_id)).state).toBe('completed');
    const after = itemOf(await nights(london, '2026-03-29', '2026-03-30', 'wnr-v1'), rec['dst']!);
    expect(after.quality.code).toBe('ok');
    expect(after.summary).toEqual(await summary(rec['dst']!, 'wnr-v1'));
    const stored = await db.selectFrom('night_summaries').select('model_version').where('recording_id', '=', rec['dst']!).orderBy('model_version').execute();
    expect(stored.map((r) => r.model_version)).toEqual(['wnr-v1', ACTIVE]);
  });

  it('refreshes a stored summary when a re-score changes that version’s predictions', async () => {
    const scored = await request(base, 'POST', '/v1/predict', { recording_id: rec['n28'], model_version: 'ctx-test' });
    expect((await waitForJob(base, scored.body.job_id)).state).toBe('completed');
    const before = itemOf(await nights(london, '2026-03-28', '2026-03-29', 'ctx-test'), rec['n28']!).summary;
    expect(before).toEqual(await summary(rec['n28']!, 'ctx-test'));
    // The same version's folder changes (other weights), every process reloads, the night is re-scored.
    writeContextModel(models.dir, 'ctx-test', [0.4, 0.6, 0.3]);
    expect((await request(base, 'POST', '/v1/models/reload', { version: ACTIVE })).status).toBe(200);
    const rescore = await request(base, 'POST', '/v1/rescore', { model_version: 'ctx-test', recording_ids: [rec['n28']] });
    expect(rescore.status).toBe(202);
    const job = await waitForJob(base, rescore.body.job_id);
    expect(job.state).toBe('completed');
    expect(job.result.rescored).toBeGreaterThan(0);
    const after = itemOf(await nights(london, '2026-03-28', '2026-03-29', 'ctx-test'), rec['n28']!).summary;
    expect(after.tst_min).not.toBe(before.tst_min);
    expect(after).toEqual(await summary(rec['n28']!, 'ctx-test'));
    // The active version's stored summary was not touched.
    expect(itemOf(await nights(london, '2026-03-28', '2026-03-29'), rec['n28']!).summary).toEqual(await summary(rec['n28']!));
  });

  it('trends: the main sleep per date and rolling means of the ok nights in the window before it', async () => {
    const res = await request(base, 'GET', `/v1/devices/${london}/trends?from=2026-03-26&to=2026-03-31&window=7`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body;
    expect(TrendsResponse.safeParse(body).error).toBeUndefined();
    expect(body).toMatchObject({ device_id: london, model_version: ACTIVE, labels: ['W', 'NREM', 'REM'], window: 7, open_nights_omitted: 0 });
    expect(body.items.map((i: any) => [i.date, i.recording_id, i.quality])).toEqual([
      ['2026-03-26', rec['gappy'], 'gappy'],
      ['2026-03-27', rec['n27'], 'ok'],
      ['2026-03-28', rec['n28'], 'ok'],
      ['2026-03-29', rec['dst'], 'ok'],
      ['2026-03-30', rec['open'], 'ok'],
    ]);
    const s = Object.fromEntries(await Promise.all(['n27', 'n28', 'dst', 'open'].map(async (k) => [k, await summary(rec[k]!)])));
    const [d26, d27, , d29, d30] = body.items;
    expect(d26).toMatchObject({ tst_min: null, minutes: null, window: { nights: 0, tst_min: null } });
    expect(d29).toMatchObject({ tst_min: s['dst'].tst_min, se_pct: s['dst'].se_pct, waso_min: s['dst'].waso_min, sol_min: s['dst'].sol_min, rem_latency_min: s['dst'].rem_latency_min });
    expect(d29.minutes).toEqual({ W: s['dst'].stages.W.minutes, NREM: s['dst'].stages.NREM.minutes, REM: s['dst'].stages.REM.minutes });
    // 27 March's window holds only the gappy night: nothing to average.
    expect(d27.window).toMatchObject({ nights: 0, tst_min: null });
    // 29 March: the ok nights of 22–28 March are the 27th and the 28th (the gappy 26th is left out).
    expect(d29.window.nights).toBe(2);
    expect(d29.window.tst_min).toBeCloseTo((s['n27'].tst_min + s['n28'].tst_min) / 2, 9);
    expect(d29.window.minutes.REM).toBeCloseTo((s['n27'].stages.REM.minutes + s['n28'].stages.REM.minutes) / 2, 9);
    // 30 March, an open night: its window adds 29 March's main sleep, not the naps.
    expect(d30.tst_min).toBe(s['open'].tst_min);
    expect(d30.window.nights).toBe(3);
    expect(d30.window.tst_min).toBeCloseTo((s['n27'].tst_min + s['n28'].tst_min + s['dst'].tst_min) / 3, 9);
  });

  it('segments: runs of one stage tiling the night, short wakes folded and listed, agreeing with the summary', async () => {
    const res = await request(base, 'GET', `/v1/recordings/${rec['dst']}/segments`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(SegmentsResponse.safeParse(res.body).error).toBeUndefined();
    const { segments, short_wakes } = res.body;
    expect(res.body).toMatchObject({ recording_id: rec['dst'], model_version: ACTIVE, short_wake_max_seconds: 180, start: '2026-03-28T22:30:00.000Z', end: '2026-03-29T06:30:00.000Z' });
    let at = Date.parse(res.body.start);
    for (const seg of segments) {
      expect(Date.parse(seg.start)).toBe(at);
      at += seg.seconds * 1000;
    }
    expect(at).toBe(Date.parse(res.body.end));
    const s = await summary(rec['dst']!);
    const total = (pick: (stage: string | null) => boolean) => segments.filter((g: any) => pick(g.stage)).reduce((a: number, g: any) => a + g.seconds, 0);
    const short = short_wakes.reduce((a: number, w: any) => a + w.seconds, 0);
    expect(short_wakes.length).toBeGreaterThan(0);
    expect(short_wakes.every((w: any) => w.seconds <= 180)).toBe(true);
    expect(total((st) => st === 'NREM' || st === 'REM')).toBe(s.tst_min * 60 + short);
    expect(total((st) => st === 'W') + short).toBe(s.stages.W.minutes * 60);
    const unfolded = (await request(base, 'GET', `/v1/recordings/${rec['dst']}/segments?short_wake_max_seconds=0`)).body;
    expect(unfolded.short_wakes).toEqual([]);
    expect(unfolded.segments.length).toBeGreaterThan(segments.length);
    // The gappy night's missing epochs are unscored segments.
    const gappy = (await request(base, 'GET', `/v1/recordings/${rec['gappy']}/segments`)).body;
    expect(gappy.segments.filter((g: any) => g.stage === null).length).toBeGreaterThan(100);
  });

  it('keeps closed nights in the zone they were closed in when the device moves; open nights follow it', async () => {
    // 02:30 UTC on 30 March is 19:30 on the 29th in Los Angeles: the open night moves to the 29th,
    // where the stored 8-hour night stays the main sleep.
    expect((await request(base, 'PATCH', `/v1/devices/${london}`, { timezone: 'America/Los_Angeles' })).status).toBe(200);
    const body = await nights(london, '2026-03-26', '2026-03-31');
    expect(itemOf(body, rec['dst']!)).toMatchObject({ date: '2026-03-29', timezone: 'Europe/London', is_main_sleep: true });
    expect(itemOf(body, rec['open']!)).toMatchObject({ date: '2026-03-29', timezone: 'America/Los_Angeles', is_main_sleep: false, closed: false });
    const trends = (await request(base, 'GET', `/v1/devices/${london}/trends?from=2026-03-29&to=2026-03-31&window=1`)).body;
    expect(trends.items.map((i: any) => i.recording_id)).toEqual([rec['dst'], null]);
    // Closing it now fixes its date in the zone of this moment.
    const closed = await close(rec['open']!);
    expect(closed.body).toMatchObject({ date: '2026-03-29', epoch_count: 600, ended_at: '2026-03-30T02:30:00.000Z' });
    expect((await request(base, 'PATCH', `/v1/devices/${london}`, { timezone: 'Europe/London' })).status).toBe(200);
    expect(itemOf(await nights(london, '2026-03-29', '2026-03-31'), rec['open']!)).toMatchObject({ date: '2026-03-29', closed: true, is_main_sleep: false });
  });
});

describe('a New York night across local midnight and the 2026 fall-back', () => {
  it('is dated on the morning it ends, its time in bed counted in real time', async () => {
    const ny = await device('America/New_York');
    // 23:00 EDT on 31 October to 06:00 EST on 1 November: 8 hours of data over the change at 06:00 UTC.
    const id = await night(ny, '2026-11-01T03:00:00Z', 960, 21);
    const open = itemOf(await nights(ny, '2026-10-31', '2026-11-02'), id);
    expect(open).toMatchObject({ date: '2026-11-01', closed: false, end: '2026-11-01T11:00:00.000Z' });
    const closed = await close(id);
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ date: '2026-11-01', epoch_count: 960, ended_at: '2026-11-01T11:00:00.000Z', closed_at: expect.any(String) });
    const item = itemOf(await nights(ny, '2026-10-31', '2026-11-02'), id);
    expect(item).toMatchObject({ date: '2026-11-01', closed: true, timezone: 'America/New_York', is_main_sleep: true });
    expect(item.summary.tib_min).toBe(480);
  });

  it('dates the same hours of data differently in London and New York', async () => {
    const [ldn, ny] = [await device('Europe/London'), await device('America/New_York')];
    // Ends at 03:30 UTC on 15 January: 03:30 in London, 22:30 on the 14th in New York.
    const a = await night(ldn, '2026-01-14T20:00:00Z', 900, 22);
    const b = await night(ny, '2026-01-14T20:00:00Z', 900, 22);
    await close(a);
    await close(b);
    expect((await nights(ldn, '2026-01-14', '2026-01-16')).items.map((i: any) => i.date)).toEqual(['2026-01-15']);
    expect((await nights(ny, '2026-01-14', '2026-01-16')).items.map((i: any) => i.date)).toEqual(['2026-01-14']);
  });
});

describe('closing a recording', () => {
  it('is safe to repeat, and later ingests into it answer 409 recording_closed', async () => {
    const dev = await device('UTC');
    const id = await night(dev, '2026-02-01T23:00:00Z', 240, 31);
    const first = await close(id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id, device_id: dev, epoch_count: 240, ended_at: '2026-02-02T01:00:00.000Z', date: '2026-02-02' });
    expect(RecordingWithNight.safeParse(first.body).error).toBeUndefined();
    const again = await close(id);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const details = expectError(
      await request(base, 'POST', INGEST_PATH, { recording_id: id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 240, packed: packRows(syntheticNight(32, 10).features) }),
      409,
      'recording_closed',
    );
    expect(details).toEqual({ recording_id: id, closed_at: first.body.closed_at });
    const count = await db.selectFrom('epochs').select(sql<number>`count(*)::int`.as('n')).where('recording_id', '=', id).executeTakeFirstOrThrow();
    expect(count.n).toBe(240);
    expect((await request(base, 'GET', `/v1/recordings/${id}`)).body.closed_at).toBe(first.body.closed_at);
  });

  it("answers 404 for unknown ids and other tenants' recordings, and closes nothing then", async () => {
    const dev = await device('UTC');
    const id = await night(dev, '2026-02-03T23:00:00Z', 60, 33);
    const key = await request(base, 'POST', '/v1/api-keys', { tenant: 'other', scopes: ['ingest', 'read'] });
    const other = { authorization: `Bearer ${key.body.key}` };
    expectError(await request(base, 'POST', `/v1/recordings/${id}:close`, undefined, other), 404, 'recording_not_found');
    expectError(await request(base, 'POST', `/v1/recordings/${randomUUID()}:close`), 404, 'recording_not_found');
    expectError(await request(base, 'POST', '/v1/recordings/nope:close'), 404, 'recording_not_found');
    expect((await request(base, 'GET', `/v1/recordings/${id}`)).body.closed_at).toBeNull();
    expectError(await request(base, 'GET', `/v1/devices/${dev}/nights?from=2026-02-01&to=2026-02-05`, undefined, other), 404, 'device_not_found');
    expectError(await request(base, 'GET', `/v1/devices/${dev}/trends?from=2026-02-01&to=2026-02-05`, undefined, other), 404, 'device_not_found');
    expectError(await request(base, 'GET', `/v1/recordings/${id}/segments`, undefined, other), 404, 'recording_not_found');
  });
});

describe('open nights', () => {
  it(`summarises at most NIGHTS_OPEN_LIMIT (2 here) of a device's open recordings, the newest, and counts the others`, async () => {
    const dev = await device('UTC');
    const ids = [];
    for (const [k, start] of ['2026-04-01T22:00:00Z', '2026-04-02T22:00:00Z', '2026-04-03T22:00:00Z'].entries()) ids.push(await night(dev, start, 240, 40 + k));
    const body = await nights(dev, '2026-04-01', '2026-04-05');
    expect(body.items.map((i: any) => i.recording_id)).toEqual([ids[1], ids[2]]);
    expect(body.open_nights_omitted).toBe(1);
    await close(ids[0]!);
    const after = await nights(dev, '2026-04-01', '2026-04-05');
    expect(after.items.map((i: any) => [i.recording_id, i.closed])).toEqual([[ids[0], true], [ids[1], false], [ids[2], false]]);
    expect(after.open_nights_omitted).toBe(0);
  });
});

describe('query validation', () => {
  let dev: string;
  let rec: string;
  beforeAll(async () => {
    dev = await device('UTC');
    rec = await night(dev, '2026-05-01T22:00:00Z', 60, 50);
  });

  it.each([
    ['nights', '', 'bad_request'],
    ['nights', '?from=2026-05-01', 'bad_request'],
    ['nights', '?from=2026-05-01&to=2026-13-01', 'bad_request'],
    ['nights', '?from=2026-05-02&to=2026-05-02', 'invalid_range'],
    ['nights', '?from=2026-05-02&to=2026-05-01', 'invalid_range'],
    ['nights', '?from=2026-01-01&to=2027-01-03', 'invalid_range'],
    ['trends', '?from=2026-05-01&to=2026-05-02&window=91', 'bad_request'],
    ['trends', '?from=2026-05-01&to=2026-05-02&window=0', 'bad_request'],
    ['trends', '?from=2026-05-01&to=2026-05-02&bucket=week', 'bad_request'],
  ])('GET …/%s%s answers 400 %s', async (what, query, code) => {
    expectError(await request(base, 'GET', `/v1/devices/${dev}/${what}${query}`), 400, code);
  });

  it('accepts the longest range (366 days) and the widest window (90), and answers 404 for an unknown version', async () => {
    const res = await request(base, 'GET', `/v1/devices/${dev}/trends?from=2026-01-01&to=2027-01-02&window=90`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items).toHaveLength(366);
    expectError(await request(base, 'GET', `/v1/devices/${dev}/nights?from=2026-05-01&to=2026-05-03&model_version=nope-v9`), 404, 'model_not_found');
  });

  it('answers 400 invalid_range for a range holding more than 1000 nights of the device', async () => {
    const busy = await device('UTC');
    // 1001 closed one-epoch recordings over 11 days, written straight into the tables.
    await sql`
      WITH r AS (
        INSERT INTO recordings (device_id, started_at, feature_schema_version, epoch_seconds, metadata, closed_at)
        SELECT ${busy}::uuid, '2026-07-01T00:00:00Z'::timestamptz + k * interval '15 minutes', ${FEATURE_SCHEMA_VERSION}, 30, '{}', now()
        FROM generate_series(0, 1000) AS k RETURNING id, started_at)
      INSERT INTO recording_nights (recording_id, device_id, timezone, night_date, first_epoch_index, last_epoch_index, epoch_count, start_at, end_at, tib_min)
      SELECT id, ${busy}::uuid, 'UTC', started_at::date, 0, 0, 1, started_at, started_at + interval '30 seconds', 0.5 FROM r`.execute(db);
    const details = expectError(await request(base, 'GET', `/v1/devices/${busy}/nights?from=2026-07-01&to=2026-07-31`), 400, 'invalid_range');
    expect(details['max_nights']).toBe(1000);
    expect((await nights(busy, '2026-07-01', '2026-07-05')).items).toHaveLength(384);
  });

  it('segments: 400 for a bad threshold, 409 no_predictions for a version that has not scored the night', async () => {
    expectError(await request(base, 'GET', `/v1/recordings/${rec}/segments?short_wake_max_seconds=-1`), 400, 'bad_request');
    expectError(await request(base, 'GET', `/v1/recordings/${rec}/segments?short_wake_max_seconds=3601`), 400, 'bad_request');
    expectError(await request(base, 'GET', `/v1/recordings/${rec}/segments?model_version=wnr-v1`), 409, 'no_predictions');
  });
});
