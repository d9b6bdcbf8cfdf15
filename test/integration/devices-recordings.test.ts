import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { allEpochs, createDevice, expectFloat32Equal, createRecording, expectError, ingestList, openDb, rowCounts, type Recording } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { uniqueName } from '../helpers/services.js';
import { FEATURE_SCHEMA_VERSION, type Night } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let testEnv: TestEnv;
let app: RunningApp;
let db: Kysely<Database>;
let base: string;

beforeAll(async () => {
  testEnv = await createTestEnv();
  app = await startTestApp(testEnv);
  base = app.baseUrl;
  db = openDb(testEnv);
});

afterAll(async () => {
  await db?.destroy();
  await app?.stop();
  await testEnv?.dispose();
});

const countOf = async (table: 'devices' | 'recordings') =>
  Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('POST /v1/devices and GET /v1/devices/{id}', () => {
  it('creates a device (201) and returns the same one for the same external_id (200)', async () => {
    const externalId = uniqueName('watch');
    const created = await request(base, 'POST', '/v1/devices', { external_id: externalId, name: 'left wrist', metadata: { hand: 'left' } });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(UUID);
    expect(created.body.external_id).toBe(externalId);
    expect(created.body.created_at).toMatch(ISO_UTC);
    expect(created.body.metadata).toEqual({ hand: 'left' });

    const again = await request(base, 'POST', '/v1/devices', { external_id: externalId });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    expect(again.body.created_at).toBe(created.body.created_at);

    const fetched = await request(base, 'GET', `/v1/devices/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(created.body);
    expect((await request(base, 'GET', `/v1/devices/${created.body.id.toUpperCase()}`)).body.id).toBe(created.body.id);
  });

  it.each([
    ['missing external_id', {}],
    ['empty external_id', { external_id: '' }],
    ['blank external_id', { external_id: '   ' }],
    ['non-string external_id', { external_id: 42 }],
    ['unknown field', { external_id: 'dev-unknown-field', colour: 'red' }],
  ])('rejects %s with 422 validation_failed and writes nothing', async (_name, body) => {
    const before = await countOf('devices');
    const details = expectError(await request(base, 'POST', '/v1/devices', body), 422, 'validation_failed');
    expect(details.issues.length).toBeGreaterThan(0);
    expect(await countOf('devices')).toBe(before);
  });

  it.each([
    ['external_id', { external_id: 'a\u0000b' }],
    ['name', { external_id: uniqueName('nul'), name: 'left\u0000wrist' }],
    ['metadata', { external_id: uniqueName('nul'), metadata: { note: 'a\u0000b' } }],
  ])('rejects a NUL character in %s with 422 validation_failed (PostgreSQL cannot store it)', async (_field, body) => {
    const before = await countOf('devices');
    expectError(await request(base, 'POST', '/v1/devices', body), 422, 'validation_failed');
    expect(await countOf('devices')).toBe(before);
  });

  it('rejects malformed JSON with 400 invalid_json', async () => {
    expectError(await request(base, 'POST', '/v1/devices', '{"external_id": "a"'), 400, 'invalid_json');
  });

  it.each(['[]', '[{"external_id":"a"}]', '"x"', '42', 'null'])('rejects the non-object body %s with 400 bad_request', async (body) => {
    const before = await countOf('devices');
    expectError(await request(base, 'POST', '/v1/devices', body), 400, 'bad_request');
    expect(await countOf('devices')).toBe(before);
  });

  it.each([randomUUID(), 'not-a-uuid', '123'])('answers 404 device_not_found for device %s', async (id) => {
    expectError(await request(base, 'GET', `/v1/devices/${id}`), 404, 'device_not_found');
  });
});

describe('POST /v1/recordings and GET /v1/recordings/{id}', () => {
  let deviceId: string;
  beforeAll(async () => {
    deviceId = (await createDevice(base)).id;
  });

  const post = (fields: Record<string, unknown>) =>
    request(base, 'POST', '/v1/recordings', { device_id: deviceId, started_at: '2024-03-01T23:30:00+01:00', feature_schema_version: FEATURE_SCHEMA_VERSION, ...fields });

  it('creates a recording (201), normalising started_at to UTC, with no epochs yet', async () => {
    const res = await post({ epoch_seconds: 30, metadata: { site: 'home' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ device_id: deviceId, started_at: '2024-03-01T22:30:00.000Z', feature_schema_version: FEATURE_SCHEMA_VERSION, epoch_seconds: 30, metadata: { site: 'home' } });
    expect(res.body.id).toMatch(UUID);
    const got = await request(base, 'GET', `/v1/recordings/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ ...res.body, epoch_count: 0, first_epoch_index: null, last_epoch_index: null });
  });

  it.each([
    ['an unknown device', { device_id: randomUUID() }, 404, 'device_not_found'],
    ['a non-uuid device_id', { device_id: 'watch-1' }, 404, 'device_not_found'],
    ['epoch_seconds 20', { epoch_seconds: 20 }, 422, 'invalid_epoch_seconds'],
    ['an unknown feature_schema_version', { feature_schema_version: 'sleep-accel-v999' }, 422, 'unknown_feature_schema'],
    ['a started_at that is not a timestamp', { started_at: 'yesterday' }, 422, 'validation_failed'],
    ['a started_at without a time zone', { started_at: '2024-03-01T22:00:00' }, 422, 'validation_failed'],
    ['a numeric started_at', { started_at: 1709330400 }, 422, 'validation_failed'],
    ['an unknown field', { colour: 'red' }, 422, 'validation_failed'],
    ['a NUL character in metadata', { metadata: { k: '\u0000' } }, 422, 'validation_failed'],
    ['a started_at before 2000', { started_at: '1999-12-31T23:59:59.999Z' }, 422, 'started_at_out_of_range'],
    ['a started_at in year 1', { started_at: '0001-01-01T00:00:00Z' }, 422, 'started_at_out_of_range'],
    ['a started_at more than a day ahead', { started_at: new Date(Date.now() + 25 * 3600_000).toISOString() }, 422, 'started_at_out_of_range'],
    ['a started_at in year 9999', { started_at: '9999-12-31T23:59:59Z' }, 422, 'started_at_out_of_range'],
  ])('rejects %s and writes nothing', async (_name, fields, status, code) => {
    const before = await countOf('recordings');
    const details = expectError(await post(fields), status, code);
    if (code === 'started_at_out_of_range') expect(details).toMatchObject({ started_at: (fields as { started_at: string }).started_at, earliest: '2000-01-01T00:00:00.000Z' });
    if (code === 'invalid_epoch_seconds') expect(details.epoch_seconds).toBe(20);
    if (code === 'unknown_feature_schema') expect(details.known).toContain(FEATURE_SCHEMA_VERSION);
    expect(await countOf('recordings')).toBe(before);
  });

  it('accepts a started_at from 2000-01-01 up to a day ahead (clock drift)', async () => {
    for (const startedAt of ['2000-01-01T00:00:00Z', new Date(Date.now() + 23 * 3600_000).toISOString()]) {
      const res = await post({ started_at: startedAt });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(Date.parse(res.body.started_at)).toBe(Date.parse(startedAt));
    }
  });

  it('rejects malformed JSON and non-object bodies', async () => {
    expectError(await request(base, 'POST', '/v1/recordings', '{"device_id":'), 400, 'invalid_json');
    expectError(await request(base, 'POST', '/v1/recordings', '[]'), 400, 'bad_request');
  });

  it.each([randomUUID(), 'nope'])('answers 404 recording_not_found for recording %s', async (id) => {
    expectError(await request(base, 'GET', `/v1/recordings/${id}`), 404, 'recording_not_found');
    expectError(await request(base, 'GET', `/v1/recordings/${id}/epochs`), 404, 'recording_not_found');
  });
});

describe('epochs of a night with gaps: stats, listing, ranges, paging; GET /v1/jobs/{id}', () => {
  let night: Night;
  let rec: Recording;
  let job: any;
  const started = Date.parse('2024-03-01T22:30:00.000Z');
  const tsOf = (i: number) => new Date(started + i * 30_000).toISOString();
  const list = (query: string) => request(base, 'GET', `/v1/recordings/${rec.id}/epochs?${query}`);

  beforeAll(async () => {
    // 817 epochs, indices 0..930: one epoch missing at 324, a dropout at 610..722.
    night = syntheticNight(817, 931, { gaps: [[324, 325], [610, 723]] });
    rec = await createRecording(base, { started_at: '2024-03-01T23:30:00+01:00' });
    job = await ingestList(base, rec.id, night.indices, night.features);
  });

  it('reports epoch_count and first/last epoch index once the ingest job completed', async () => {
    const res = await request(base, 'GET', `/v1/recordings/${rec.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ epoch_count: night.indices.length, first_epoch_index: 0, last_epoch_index: night.indices.at(-1) });
  });

  it('returns every epoch with its ts and float32-exact features', async () => {
    const items = await allEpochs(base, rec.id);
    expect(items.map((e) => e.epoch_index)).toEqual(night.indices);
    items.forEach((item, k) => {
      expect(item.ts).toBe(tsOf(night.indices[k]!));
      expectFloat32Equal(item.features, night.features[k]!);
    });
  });

  it('treats from/to as the half-open range [from, to)', async () => {
    const indices = async (query: string) => {
      const res = await list(query);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.items.map((e: { epoch_index: number }) => e.epoch_index);
    };
    const span = (a: number, b: number) => night.indices.filter((i) => i >= a && i < b);
    expect(await indices(`from=${tsOf(100)}&to=${tsOf(110)}`)).toEqual(span(100, 110));
    expect(await indices(`from=${tsOf(320)}&to=${tsOf(330)}`)).toEqual(span(320, 330)); // across the 324 gap
    const offBoundary = (i: number) => new Date(started + i * 30_000 + 1000).toISOString();
    expect(await indices(`from=${offBoundary(100)}&to=${offBoundary(110)}`)).toEqual(span(101, 111));
    expect(await indices(`from=${encodeURIComponent('2024-03-02T00:35:00+02:00')}&to=${tsOf(12)}`)).toEqual(span(10, 12));
    expect(await indices(`from=${tsOf(900)}`)).toEqual(span(900, Infinity));
    expect(await indices(`to=${tsOf(3)}`)).toEqual([0, 1, 2]);
    expect(await indices(`to=${tsOf(0)}&from=2024-01-01T00:00:00Z`)).toEqual([]);
    // bounds far beyond the largest storable epoch index are empty / unbounded, not a 500
    expect(await indices('from=9999-12-31T00:00:00Z')).toEqual([]);
    expect(await indices(`from=${tsOf(900)}&to=9999-12-31T00:00:00Z`)).toEqual(span(900, Infinity));
  });

  it('walks every epoch exactly once with limit and next_cursor', async () => {
    for (const limit of [1, 97, 817, 1000]) {
      const items = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await list(`limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        items.push(...res.body.items);
        cursor = res.body.next_cursor;
        pages++;
      } while (cursor && pages < 2000);
      expect(items.map((e) => e.epoch_index)).toEqual(night.indices);
      expect(pages).toBe(Math.max(1, Math.ceil(night.indices.length / limit)));
    }
    // paging inside a range stays inside it
    const first = await list(`from=${tsOf(320)}&to=${tsOf(330)}&limit=5`);
    const second = await list(`from=${tsOf(320)}&to=${tsOf(330)}&limit=5&cursor=${first.body.next_cursor}`);
    expect([...first.body.items, ...second.body.items].map((e: { epoch_index: number }) => e.epoch_index)).toEqual([320, 321, 322, 323, 325, 326, 327, 328, 329]);
    expect(second.body.next_cursor).toBeNull();
  });

  it.each([
    ['limit=0', 400, 'bad_request'],
    ['limit=10001', 400, 'bad_request'],
    ['limit=ten', 400, 'bad_request'],
    ['limit=1&limit=2', 400, 'bad_request'],
    ['colour=red', 400, 'bad_request'],
    ['cursor=not-a-cursor', 400, 'invalid_cursor'],
    [`cursor=${Buffer.from('{"a":-1}').toString('base64url')}`, 400, 'invalid_cursor'],
    [`cursor=${Buffer.from('null').toString('base64url')}`, 400, 'invalid_cursor'],
    ['from=2024-03-01T23:00:00Z&to=2024-03-01T23:00:00Z', 400, 'invalid_range'],
    ['from=2024-03-01T23:00:00Z&to=2024-03-01T22:59:59Z', 400, 'invalid_range'],
    [`cursor=${Buffer.from('{"a":2147483647}').toString('base64url')}`, 400, 'invalid_cursor'],
    [`cursor=${Buffer.from('{"a":3000000000}').toString('base64url')}`, 400, 'invalid_cursor'],
    [`cursor=${Buffer.from('{"a":1e300}').toString('base64url')}`, 400, 'invalid_cursor'],
    ['from=yesterday', 400, 'bad_request'],
    ['to=2024-13-01T00:00:00Z', 400, 'bad_request'],
  ])('rejects ?%s with %i %s', async (query, status, code) => {
    expectError(await list(query), status, code);
  });

  it('exposes the ingest job with every documented field', async () => {
    const res = await request(base, 'GET', `/v1/jobs/${job.id}`);
    expect(res.status).toBe(200);
    for (const field of ['id', 'type', 'state', 'progress', 'result', 'error', 'created_at', 'started_at', 'finished_at']) expect(res.body).toHaveProperty(field);
    expect(res.body).toMatchObject({ type: 'ingest', state: 'completed', recording_id: rec.id, error: null });
    expect(res.body.result).toMatchObject({ inserted: night.indices.length, duplicates: 0 });
    for (const field of ['created_at', 'started_at', 'finished_at']) expect(res.body[field]).toMatch(ISO_UTC);
    expect(Date.parse(res.body.created_at)).toBeLessThanOrEqual(Date.parse(res.body.started_at));
    expect(Date.parse(res.body.started_at)).toBeLessThanOrEqual(Date.parse(res.body.finished_at));
    expect((await rowCounts(db, rec.id)).ingest_payloads).toBe(0);
  });

  it.each([randomUUID(), 'job-1'])('answers 404 job_not_found for job %s', async (id) => {
    expectError(await request(base, 'GET', `/v1/jobs/${id}`), 404, 'job_not_found');
  });
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/v1/nothing-here'],
    ['GET', '/'],
    // DELETE /v1/devices/{id} is an erase (404 device_not_found for an unknown id); the collection has no DELETE.
    ['DELETE', '/v1/devices'],
    ['POST', '/v1/epochs/ingest'],
  ])('%s %s answers 404 not_found as JSON', async (method, path) => {
    expectError(await request(base, method, path, method === 'POST' ? {} : undefined), 404, 'not_found');
  });
});
