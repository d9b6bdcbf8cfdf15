import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Devices with time zones, PATCH, and keyset-paged listings of devices and recordings, over HTTP,
// each tenant seeing only its own.
let env: TestEnv;
let app: RunningApp;
let base: string;
const as: Record<'acme' | 'globex', Record<string, string>> = { acme: {}, globex: {} };

beforeAll(async () => {
  env = await createTestEnv();
  app = await startTestApp(env);
  base = app.baseUrl;
  for (const tenant of ['acme', 'globex'] as const) {
    const key = await request(base, 'POST', '/v1/api-keys', { tenant, scopes: ['ingest', 'read'] });
    expect(key.status).toBe(201);
    as[tenant] = { authorization: `Bearer ${key.body.key}` };
  }
});

afterAll(async () => {
  await app?.stop();
  await env?.dispose();
});

const createDevice = async (tenant: 'acme' | 'globex', body: Record<string, unknown>) => request(base, 'POST', '/v1/devices', body, as[tenant]);

async function walk(path: string, tenant: 'acme' | 'globex', limit: number): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: any = await request(base, 'GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, as[tenant]);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
    pages++;
  } while (cursor);
  return { items, pages };
}

describe('device time zones', () => {
  it('defaults to UTC, stores a given IANA zone (letter case corrected) and keeps an existing device unchanged on a repeated create', async () => {
    const plain = await createDevice('acme', { external_id: 'tz-default' });
    expect(plain.status).toBe(201);
    expect(plain.body.timezone).toBe('UTC');
    const london = await createDevice('acme', { external_id: 'tz-london', timezone: 'europe/london' });
    expect(london.status).toBe(201);
    expect(london.body.timezone).toBe('Europe/London');
    const again = await createDevice('acme', { external_id: 'tz-london', timezone: 'America/New_York', name: 'other' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(london.body);
    expect((await request(base, 'GET', `/v1/devices/${london.body.id}`, undefined, as.acme)).body.timezone).toBe('Europe/London');
  });

  it.each([['Mars/Olympus_Mons'], ['+02:00'], [''], [42], [null]])('answers 422 for timezone %j, naming the field, and stores nothing', async (timezone) => {
    const externalId = `tz-bad-${randomUUID()}`;
    const details = expectError(await createDevice('acme', { external_id: externalId, timezone }), 422, 'validation_failed');
    expect(details['issues'].map((i: { path: string }) => i.path)).toEqual(['timezone']);
    const list = await walk('/v1/devices', 'acme', 1000);
    expect(list.items.some((d) => d.external_id === externalId)).toBe(false);
  });
});

describe('PATCH /v1/devices/{id}', () => {
  it('changes name, firmware and timezone, each alone or together, and leaves the rest', async () => {
    const created = (await createDevice('acme', { external_id: 'patch-me', name: 'Left wrist', model: 'W1', firmware: '1.0.0' })).body;
    const tz = await request(base, 'PATCH', `/v1/devices/${created.id}`, { timezone: 'America/New_York' }, as.acme);
    expect(tz.status, JSON.stringify(tz.body)).toBe(200);
    expect(tz.body).toEqual({ ...created, timezone: 'America/New_York' });
    const both = await request(base, 'PATCH', `/v1/devices/${created.id}`, { name: null, firmware: '2.4.1' }, as.acme);
    expect(both.body).toEqual({ ...created, timezone: 'America/New_York', name: null, firmware: '2.4.1' });
    expect((await request(base, 'GET', `/v1/devices/${created.id}`, undefined, as.acme)).body).toEqual(both.body);
  });

  it.each([
    ['an empty change', {}, '(root)'],
    ['an unknown field', { model: 'W2' }, '(root)'],
    ['an unknown zone', { timezone: 'Europe/Londn' }, 'timezone'],
    ['a null zone', { timezone: null }, 'timezone'],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, 'name'],
    ['a numeric firmware', { firmware: 2 }, 'firmware'],
  ])('answers 422 for %s and changes nothing', async (_what, body, path) => {
    const created = (await createDevice('acme', { external_id: `patch-bad-${randomUUID()}`, timezone: 'Europe/London' })).body;
    const details = expectError(await request(base, 'PATCH', `/v1/devices/${created.id}`, body, as.acme), 422, 'validation_failed');
    expect(details['issues'][0].path).toBe(path);
    expect((await request(base, 'GET', `/v1/devices/${created.id}`, undefined, as.acme)).body).toEqual(created);
  });

  it('answers 400 for a body that is not an object, and 404 for unknown ids, ids that are not UUIDs and other tenants’ devices', async () => {
    const created = (await createDevice('acme', { external_id: 'patch-404' })).body;
    expectError(await request(base, 'PATCH', `/v1/devices/${created.id}`, '"UTC"', as.acme), 400, 'bad_request');
    expectError(await request(base, 'PATCH', `/v1/devices/${randomUUID()}`, { name: 'x' }, as.acme), 404, 'device_not_found');
    expectError(await request(base, 'PATCH', '/v1/devices/not-a-uuid', { name: 'x' }, as.acme), 404, 'device_not_found');
    expectError(await request(base, 'PATCH', `/v1/devices/${created.id}`, { name: 'stolen' }, as.globex), 404, 'device_not_found');
    expect((await request(base, 'GET', `/v1/devices/${created.id}`, undefined, as.acme)).body.name).toBeNull();
  });
});

describe('GET /v1/devices', () => {
  it("pages through the tenant's devices oldest first, each exactly once, and never another tenant's", async () => {
    for (let k = 0; k < 5; k++) expect((await createDevice('globex', { external_id: `g-${k}` })).status).toBe(201);
    const { items, pages } = await walk('/v1/devices', 'globex', 2);
    expect(pages).toBe(3);
    expect(items.map((d) => d.external_id)).toEqual(['g-0', 'g-1', 'g-2', 'g-3', 'g-4']);
    const acme = await walk('/v1/devices', 'acme', 1000);
    expect(acme.items.length).toBeGreaterThan(3);
    expect(acme.items.some((d) => d.external_id.startsWith('g-'))).toBe(false);
    const created = acme.items.map((d) => Date.parse(d.created_at));
    expect(created).toEqual([...created].sort((a, b) => a - b));
  });

  it('answers 400 for a bad cursor or limit', async () => {
    expectError(await request(base, 'GET', '/v1/devices?cursor=nonsense', undefined, as.acme), 400, 'invalid_cursor');
    const forged = Buffer.from(JSON.stringify({ u: 1.5, i: randomUUID() })).toString('base64url');
    expectError(await request(base, 'GET', `/v1/devices?cursor=${forged}`, undefined, as.acme), 400, 'invalid_cursor');
    expectError(await request(base, 'GET', '/v1/devices?limit=0', undefined, as.acme), 400, 'bad_request');
    expectError(await request(base, 'GET', '/v1/devices?limit=1001', undefined, as.acme), 400, 'bad_request');
  });
});

describe('GET /v1/recordings', () => {
  let device: string;
  const ids: string[] = [];
  const starts = ['2026-01-10T22:00:00Z', '2026-01-11T22:00:00Z', '2026-01-11T22:00:00Z', '2026-01-12T22:00:00Z', '2026-01-13T22:00:00Z'];

  beforeAll(async () => {
    device = (await createDevice('acme', { external_id: 'lister', timezone: 'America/New_York' })).body.id;
    for (const started_at of starts) {
      const res = await request(base, 'POST', '/v1/recordings', { device_id: device, started_at, feature_schema_version: FEATURE_SCHEMA_VERSION }, as.acme);
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    // The first night: 4 h of epochs from 22:00 UTC ends at 02:00 UTC, 21:00 in New York the day before.
    const night = syntheticNight(1, 480);
    const ingest = await request(base, 'POST', '/v1/epochs:ingest', { recording_id: ids[0], feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(night.features) }, as.acme);
    expect(ingest.status).toBe(202);
    expect((await waitForJob(base, ingest.body.job_id, 30_000, as.acme)).state).toBe('completed');
    const closed = await request(base, 'POST', `/v1/recordings/${ids[1]}:close`, undefined, as.acme);
    expect(closed.status).toBe(200);
  });

  it('pages through recordings newest first (started_at, then id) with each one exactly once', async () => {
    const { items, pages } = await walk(`/v1/recordings?device_id=${device}`, 'acme', 2);
    expect(pages).toBe(3);
    const expected = ids.map((id, k) => ({ id, started: Date.parse(starts[k]!) })).sort((a, b) => b.started - a.started || (a.id < b.id ? 1 : -1));
    expect(items.map((r) => r.id)).toEqual(expected.map((e) => e.id));
  });

  it('gives each recording its epoch count, end, night date in the device zone and closed_at', async () => {
    const { items } = await walk(`/v1/recordings?device_id=${device}`, 'acme', 100);
    const byId = new Map(items.map((r) => [r.id, r]));
    expect(byId.get(ids[0]!)).toMatchObject({ epoch_count: 480, ended_at: '2026-01-11T02:00:00.000Z', date: '2026-01-10', closed_at: null, device_id: device });
    expect(byId.get(ids[1]!)).toMatchObject({ epoch_count: 0, ended_at: null, date: null, closed_at: expect.any(String) });
    expect(byId.get(ids[4]!)).toMatchObject({ epoch_count: 0, ended_at: null, date: null, closed_at: null });
    const one = await request(base, 'GET', `/v1/recordings/${ids[0]}`, undefined, as.acme);
    expect(one.body).toMatchObject({ epoch_count: 480, ended_at: '2026-01-11T02:00:00.000Z', date: '2026-01-10', closed_at: null });
  });

  it('filters by started_at in [from, to) and by device', async () => {
    const q = `/v1/recordings?device_id=${device}&from=${encodeURIComponent('2026-01-11T22:00:00Z')}&to=${encodeURIComponent('2026-01-13T22:00:00Z')}`;
    const { items } = await walk(q, 'acme', 100);
    expect(items.map((r) => r.id).sort()).toEqual([ids[1]!, ids[2]!, ids[3]!].sort());
    const all = await walk('/v1/recordings', 'acme', 100);
    expect(all.items.filter((r) => r.device_id === device)).toHaveLength(5);
    expect((await walk('/v1/recordings', 'globex', 100)).items).toEqual([]);
  });

  it('answers 404 for another tenant’s device, 400 for an empty range or a bad cursor', async () => {
    expectError(await request(base, 'GET', `/v1/recordings?device_id=${device}`, undefined, as.globex), 404, 'device_not_found');
    expectError(await request(base, 'GET', `/v1/recordings?device_id=nope`, undefined, as.acme), 404, 'device_not_found');
    expectError(await request(base, 'GET', `/v1/recordings?from=2026-01-12T00:00:00Z&to=2026-01-12T00:00:00Z`, undefined, as.acme), 400, 'invalid_range');
    expectError(await request(base, 'GET', `/v1/recordings?from=yesterday`, undefined, as.acme), 400, 'bad_request');
    expectError(await request(base, 'GET', `/v1/recordings?cursor=x`, undefined, as.acme), 400, 'invalid_cursor');
  });
});
