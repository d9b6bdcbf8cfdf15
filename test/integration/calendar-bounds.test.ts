import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import type { Database } from '../../src/db/database.js';
import { createDevice, createRecording, expectError, openDb } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { FEATURE_SCHEMA_VERSION } from '../helpers/sleep-data.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// Dates and timestamps the request schemas accept must be ones the database and the date arithmetic
// hold: PostgreSQL has no year 0 (a 500 when one reached it), and Date.UTC reads the years 0–99 as
// 1900–1999 (a 1,900-year range passed the 366-day cap). Query mistakes are 400s naming the
// parameter; body mistakes 422s; nothing is written.

let testEnv: TestEnv;
let web: App;
let base: string;
let db: Kysely<Database>;
const errors: string[] = [];
let device: string;
let recording: string;

beforeAll(async () => {
  testEnv = await createTestEnv();
  web = App.create({ config: testEnv.config(), roles: { web: true, worker: false }, logger: pino({ level: 'error' }, { write: (line: string) => errors.push(line) }) });
  await web.start();
  base = `http://127.0.0.1:${web.port}`;
  db = openDb(testEnv);
  device = (await createDevice(base)).id;
  recording = (await createRecording(base, { device_id: device })).id;
});
afterAll(async () => {
  await web?.stop();
  await db?.destroy();
  await testEnv?.dispose();
});

const issuePaths = (details: Record<string, any>) => (details.issues as Array<{ path: string; message: string }>).map((i) => `${i.path}: ${i.message}`);

describe('local dates of the nights and trends queries', () => {
  it.each([
    ['nights', 'from=0000-01-01&to=0000-02-01', ['from', 'to']],
    ['nights', 'from=0050-01-01&to=0100-01-01', ['from', 'to']],
    ['trends', 'from=0099-12-30&to=0100-01-02', ['from', 'to']],
    // Read as 1999-12-01 … 2000-05-31 before: 183 items under a from of year 99.
    ['trends', 'from=0099-12-01&to=2000-06-01&window=7', ['from']],
    ['nights', 'from=0999-12-31&to=1000-01-02', ['from']],
  ])('GET %s?%s answers 400 naming the date before 1000-01-01', async (route, query, named) => {
    const details = expectError(await request(base, 'GET', `/v1/devices/${device}/${route}?${query}`), 400, 'bad_request');
    expect(issuePaths(details)).toEqual(named.map((p) => `${p}: must be 1000-01-01 or later`));
  });

  it('accepts the first and last dates of the range', async () => {
    expect((await request(base, 'GET', `/v1/devices/${device}/nights?from=1000-01-01&to=1000-12-31`)).status).toBe(200);
    expect((await request(base, 'GET', `/v1/devices/${device}/trends?from=1000-01-01&to=1000-01-03&window=90`)).status).toBe(200);
    expect((await request(base, 'GET', `/v1/devices/${device}/nights?from=9999-01-01&to=9999-12-31`)).status).toBe(200);
  });
});

describe('timestamps', () => {
  it.each([
    ['/v1/recordings', `device_id=DEVICE&from=0000-06-01T00:00:00Z`],
    ['/v1/recordings', `device_id=DEVICE&to=0000-06-01T00:00:00Z`],
    ['/v1/audit', 'from=0000-12-31T23:59:59Z'],
    ['/v1/recordings/RECORDING/epochs', 'from=0001-01-01T00:00:00%2B05:00'],
  ])('GET %s?%s answers 400: outside 0001-01-01 … 9999-12-31', async (path, query) => {
    const url = `${path.replace('RECORDING', recording)}?${query.replace('DEVICE', device)}`;
    const details = expectError(await request(base, 'GET', url), 400, 'bad_request');
    expect(issuePaths(details).join('; ')).toMatch(/must lie between 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z/);
  });

  it('POST /v1/rescore with a from in year 0 answers 422 at once and queues nothing', async () => {
    const jobs = async () => (await db.selectFrom('jobs').select('id').execute()).length;
    const before = await jobs();
    const details = expectError(await request(base, 'POST', '/v1/rescore', { recording_ids: [recording], from: '0000-06-01T00:00:00Z' }), 422, 'validation_failed');
    expect(issuePaths(details)).toEqual(['from: must lie between 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z']);
    expect(await jobs()).toBe(before);
  });

  it('counts to the millisecond: finer digits are dropped, so a sub-millisecond range is empty (400)', async () => {
    const created = await request(base, 'POST', '/v1/recordings', { device_id: device, started_at: '2024-03-02T22:00:00.123456Z', feature_schema_version: FEATURE_SCHEMA_VERSION });
    expect(created.status).toBe(201);
    expect(created.body.started_at).toBe('2024-03-02T22:00:00.123Z');
    const details = expectError(await request(base, 'GET', `/v1/recordings/${recording}/epochs?from=2024-03-01T22:00:00Z&to=2024-03-01T22:00:00.000999Z`), 400, 'invalid_range');
    expect(details).toEqual({ from: '2024-03-01T22:00:00Z', to: '2024-03-01T22:00:00.000999Z' });
  });

  it('still accepts ranges reaching the last instant', async () => {
    expect((await request(base, 'GET', `/v1/recordings/${recording}/epochs?from=2024-03-01T22:00:00Z&to=9999-12-31T23:59:59.999Z`)).status).toBe(200);
    expect((await request(base, 'GET', `/v1/audit?from=0001-01-01T00:00:00Z`)).status).toBe(200);
  });
});

describe('query parameters and bodies', () => {
  it('a repeated query parameter answers 400 naming it', async () => {
    const details = expectError(await request(base, 'GET', `/v1/recordings/${recording}/epochs?limit=1&limit=2`), 400, 'bad_request');
    expect(details).toEqual({ parameter: 'limit', count: 2 });
  });

  it('POST /v1/models/reload with a JSON array answers 400 bad_request like every other body route', async () => {
    expectError(await request(base, 'POST', '/v1/models/reload', []), 400, 'bad_request');
    expectError(await request(base, 'POST', '/v1/models/reload', '"wnr-v3"'), 400, 'bad_request');
  });

  it('logged no error on the way', () => {
    expect(errors).toEqual([]);
  });
});
