// The README walkthrough driven through the generated TypeScript client (clients/typescript), over
// real HTTP against a test app: the client's types must fit what the server sends (this file is
// type-checked with the rest), and every response is checked against the document as well.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { createNoctisClient, type NoctisClient, type Schemas } from '../../clients/typescript/src/index.js';
import { checkResponse } from '../helpers/contract.js';
import { TEST_ADMIN_TOKEN, uniqueName } from '../helpers/services.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

let testEnv: TestEnv;
let app: RunningApp;

/** fetch that holds each response to the document, as request() does for the other tests. */
async function checkedFetch(input: Request): Promise<Response> {
  const res = await fetch(input);
  const text = await res.clone().text();
  const type = res.headers.get('content-type');
  const url = new URL(input.url);
  checkResponse(input.method, decodeURIComponent(url.pathname), res.status, type, type?.includes('json') && text ? JSON.parse(text) : text);
  return res;
}

const client = (key: string): NoctisClient => createNoctisClient(app.baseUrl, key, { fetch: checkedFetch });

beforeAll(async () => {
  testEnv = await createTestEnv();
  app = await startTestApp(testEnv);
});

afterAll(async () => {
  await app?.stop();
  await testEnv?.dispose();
});

/** Polls until the job leaves queued/active (the README's step 4). */
async function settledJob(api: NoctisClient, id: string): Promise<Schemas['Job']> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { data, error } = await api.GET('/v1/jobs/{id}', { params: { path: { id } } });
    if (error) throw new Error(`job ${id}: ${error.error.code} ${error.error.message}`);
    if (data.state !== 'queued' && data.state !== 'active') return data;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${data.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the README walkthrough through the generated client', () => {
  it('creates a key, a device and a recording, ingests a packed night and reads predictions and the summary', async () => {
    // 0. an API key with every scope but operator (the operator token creates it, as the CLI would).
    const tenant = uniqueName('demo');
    const created = await client(TEST_ADMIN_TOKEN).POST('/v1/api-keys', { body: { tenant, scopes: ['ingest', 'read', 'admin'], name: 'walkthrough' } });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    const key = created.data!;
    expectTypeOf(key.key).toEqualTypeOf<string>();
    expect(key.tenant).toBe(tenant);
    const api = client(key.key);

    // 1. a device in its user's time zone.
    const device = await api.POST('/v1/devices', { body: { external_id: 'watch-0001', name: 'Left wrist', firmware: '2.4.1', timezone: 'Europe/London' } });
    expect(device.response.status, JSON.stringify(device.error)).toBe(201);
    expect(device.data!.timezone).toBe('Europe/London');

    // 2. a recording (one night) in the shipped models' feature schema.
    const recording = await api.POST('/v1/recordings', {
      body: { device_id: device.data!.id, started_at: '2026-11-25T22:30:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION },
    });
    expect(recording.response.status, JSON.stringify(recording.error)).toBe(201);
    const id = recording.data!.id;

    // 3. a whole night in the packed form: base64 of count × features little-endian float32.
    const night = syntheticNight(11, 240);
    const ingest = await api.POST('/v1/epochs:ingest', {
      body: { recording_id: id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(night.features) },
    });
    expect(ingest.response.status, JSON.stringify(ingest.error)).toBe(202);
    expect(ingest.data!.accepted).toBe(240);

    // 4. poll the job.
    const job = await settledJob(api, ingest.data!.job_id);
    expect(job.state, JSON.stringify(job)).toBe('completed');

    // 5. the predicted stages and the night's summary.
    const predictions = await api.GET('/v1/recordings/{id}/predictions', { params: { path: { id } } });
    expect(predictions.error).toBeUndefined();
    const page = predictions.data!;
    expect(page.items).toHaveLength(240);
    expect(page.next_cursor).toBeNull();
    for (const item of page.items) expect(page.labels).toContain(item.stage);
    expectTypeOf(page.items[0]!.probabilities).toEqualTypeOf<number[]>();

    const summary = await api.GET('/v1/recordings/{id}/summary', { params: { path: { id } } });
    expect(summary.error).toBeUndefined();
    const s: Schemas['Summary'] = summary.data!;
    expect(s.recording_id).toBe(id);
    expect(s.epochs).toBe(240);
    expect(s.tib_min).toBe(120);
    expect(s.tst_min).toBeLessThanOrEqual(s.spt_min);
    expectTypeOf(s.sol_min).toEqualTypeOf<number | null>();

    // 7. close the night, then the device's nights.
    const closed = await api.POST('/v1/recordings/{id}:close', { params: { path: { id } } });
    expect(closed.data!.closed_at).not.toBeNull();
    const nights = await api.GET('/v1/devices/{id}/nights', { params: { path: { id: device.data!.id }, query: { from: '2026-11-19', to: '2026-11-27' } } });
    expect(nights.error).toBeUndefined();
    expect(nights.data!.items.map((n) => n.recording_id)).toEqual([id]);
  });

  it('types errors as the shared Error body', async () => {
    const api = client(TEST_ADMIN_TOKEN);
    const missing = await api.GET('/v1/recordings/{id}/summary', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe('recording_not_found');
    expectTypeOf(missing.error!.error.message).toEqualTypeOf<string>();
  });
});
