import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { verify } from '../../src/webhooks/webhook-crypto.js';
import { INGEST_PATH, expectError, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';
import { startReceiver } from '../helpers/webhook-receiver.js';

// Webhooks end to end against a real receiver on loopback (WEBHOOK_ALLOW_PRIVATE=true).
const KEY = 'a1'.repeat(32);
const ENV = {
  WEBHOOK_SECRET_KEY: KEY,
  WEBHOOK_ALLOW_PRIVATE: 'true',
  PUBLIC_BASE_URL: 'https://noctis.example',
  WEBHOOK_RETRY_SECONDS: '2',
  WEBHOOK_BACKOFF_MS: '100',
  WEBHOOK_DISPATCH_INTERVAL_MS: '50',
  WEBHOOK_TIMEOUT_MS: '5000',
  WEBHOOK_DISABLE_AFTER_SECONDS: '1',
};

let testEnv: TestEnv;
let db: Kysely<Database>;
let app: RunningApp;
let base: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  testEnv = await createTestEnv();
  db = openDb(testEnv);
  app = await startTestApp(testEnv, { env: ENV });
  base = app.baseUrl;
  receiver = await startReceiver((path, n) => {
    if (path.startsWith('/flaky')) return { status: n <= 2 ? 500 : 200 };
    if (path.startsWith('/down')) return { status: 500 };
    if (path.startsWith('/slow')) return { status: 200, delayMs: 3000 };
    return { status: 200 };
  });
});
afterAll(async () => {
  await app?.stop();
  await receiver?.stop();
  await db?.destroy();
  await testEnv?.dispose();
});

const register = async (path: string, events: string[], headers: Record<string, string> = {}) => {
  const res = await request(base, 'POST', '/v1/webhooks', { url: receiver.url(path), events }, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string };
};
const at = (path: string) => receiver.received.filter((r) => r.path === path);

async function closedNight(): Promise<{ device: string; recording: string; job: string }> {
  const device = (await request(base, 'POST', '/v1/devices', { external_id: `d-${Math.random()}` })).body.id;
  const recording = (await request(base, 'POST', '/v1/recordings', { device_id: device, started_at: '2026-03-01T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION })).body.id;
  const job = (await request(base, 'POST', INGEST_PATH, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(syntheticNight(4, 120).features) })).body.job_id;
  expect((await waitForJob(base, job, 60_000)).state).toBe('completed');
  expect((await request(base, 'POST', `/v1/recordings/${recording}:close`)).status).toBe(200);
  return { device, recording, job };
}

describe('webhooks', () => {
  it('registers endpoints with a secret shown once and stored encrypted, and lists them without it', async () => {
    const created = await register('/listed', ['job.completed']);
    expect(created).toMatchObject({ id: expect.any(String), url: receiver.url('/listed'), events: ['job.completed'], disabled_at: null, secret: expect.stringMatching(/^whsec_/) });
    const list = (await request(base, 'GET', '/v1/webhooks')).body.items;
    expect(list.find((w: any) => w.id === created.id)).toEqual({ ...created, secret: undefined, created_at: expect.any(String), failing_since: null, disabled_reason: null });
    expect(JSON.stringify(list)).not.toContain(created.secret);
    const one = await request(base, 'GET', `/v1/webhooks/${created.id}`);
    expect(one.body.secret).toBeUndefined();
    const stored = await sql<{ n: string }>`SELECT count(*) AS n FROM webhook_endpoints WHERE position(${created.secret}::bytea IN secret_ciphertext) > 0`.execute(db);
    expect(Number(stored.rows[0]!.n)).toBe(0);
    expect((await request(base, 'DELETE', `/v1/webhooks/${created.id}`)).status).toBe(204);
    expectError(await request(base, 'GET', `/v1/webhooks/${created.id}`), 404, 'webhook_not_found');
    expectError(await request(base, 'DELETE', `/v1/webhooks/${created.id}`), 404, 'webhook_not_found');
  });

  it('delivers job, recording and night events, signed, with links, only to the tenant that owns them', async () => {
    const mine = await register('/mine', ['job.completed', 'recording.closed', 'night.finalized']);
    const otherAdmin = (await request(base, 'POST', '/v1/api-keys', { tenant: 'other', scopes: ['admin', 'read', 'ingest'] })).body.key;
    await register('/theirs', ['job.completed', 'recording.closed', 'night.finalized'], { authorization: `Bearer ${otherAdmin}` });
    const { device, recording, job } = await closedNight();
    await waitUntil('three events delivered', () => at('/mine').length >= 3, 15_000);
    const bodies = at('/mine').map((r) => ({ ...r, json: JSON.parse(r.body) }));
    expect(bodies.map((b) => b.json.type).sort()).toEqual(['job.completed', 'night.finalized', 'recording.closed']);
    for (const b of bodies) {
      // The receiver's check, as the README shows it.
      expect(verify(mine.secret, Number(b.headers['noctis-timestamp']), b.body, String(b.headers['noctis-signature']), Math.floor(Date.now() / 1000))).toBe(true);
      expect(verify(mine.secret, Number(b.headers['noctis-timestamp']), b.body.replace('}', ' }'), String(b.headers['noctis-signature']), Math.floor(Date.now() / 1000))).toBe(false);
      expect(verify(mine.secret, Number(b.headers['noctis-timestamp']), b.body, String(b.headers['noctis-signature']), Math.floor(Date.now() / 1000) + 3600)).toBe(false);
      expect(b.headers['noctis-event']).toBe(b.json.type);
    }
    const completed = bodies.find((b) => b.json.type === 'job.completed')!.json;
    expect(completed.data).toMatchObject({ job_id: job, job_type: 'ingest', state: 'completed', recording_id: recording });
    expect(completed.links).toMatchObject({ job: `https://noctis.example/v1/jobs/${job}`, recording: `https://noctis.example/v1/recordings/${recording}` });
    const finalized = bodies.find((b) => b.json.type === 'night.finalized')!.json;
    expect(finalized.data).toEqual({ recording_id: recording, device_id: device, date: '2026-03-01' });
    expect(finalized.links.nights).toBe(`https://noctis.example/v1/devices/${device}/nights?from=2026-03-01&to=2026-03-02`);
    // No health data in a body: no features, stages or probabilities.
    for (const b of bodies) expect(b.body).not.toMatch(/features|probabilities|stage"/);
    // The other tenant's endpoint heard nothing of this tenant's events.
    expect(at('/theirs')).toEqual([]);
    await waitUntil('three attempts recorded', async () => (await request(base, 'GET', `/v1/webhooks/${mine.id}/deliveries`)).body.items.length === 3, 5000);
    const deliveries = (await request(base, 'GET', `/v1/webhooks/${mine.id}/deliveries`)).body.items;
    expect(deliveries.every((d: any) => d.status_code === 200 && d.attempt === 1 && d.error === null)).toBe(true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/noctis_webhook_deliveries_total\{outcome="delivered"[^}]*\} [1-9]/);
    await request(base, 'DELETE', `/v1/webhooks/${mine.id}`);
  });

  it('retries after a 500 with backoff, and a slow receiver does not hold up the others', async () => {
    const flaky = await register('/flaky', ['recording.closed']);
    const slow = await register('/slow', ['recording.closed']);
    const fast = await register('/fast', ['recording.closed']);
    const started = Date.now();
    await closedNight();
    await waitUntil('the fast receiver heard it', () => at('/fast').length === 1, 10_000);
    // The slow receiver answers after 3 s; the fast one was not made to wait for it.
    expect(at('/fast')[0]!.at - started).toBeLessThan(2500);
    await waitUntil('the flaky receiver got it on the third try', () => at('/flaky').length === 3, 15_000);
    const tries = at('/flaky');
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(tries[1]!.at - tries[0]!.at - 20);
    await waitUntil('the flaky attempts are recorded', async () => (await request(base, 'GET', `/v1/webhooks/${flaky.id}/deliveries`)).body.items.length === 3, 5000);
    const attempts = (await request(base, 'GET', `/v1/webhooks/${flaky.id}/deliveries`)).body.items;
    expect(attempts.map((a: any) => [a.attempt, a.status_code, a.error])).toEqual([[3, 200, null], [2, 500, 'HTTP 500'], [1, 500, 'HTTP 500']]);
    // The same delivery id on every try, so receivers can drop duplicates.
    expect(new Set(tries.map((t) => t.headers['noctis-delivery'])).size).toBe(1);
    expect((await request(base, 'GET', `/v1/webhooks/${flaky.id}`)).body.failing_since).toBeNull();
    await waitUntil('the slow receiver answered', () => at('/slow').length === 1, 10_000);
    for (const w of [flaky, slow, fast]) await request(base, 'DELETE', `/v1/webhooks/${w.id}`);
  });

  it('records a delivery that keeps failing and disables an endpoint that fails for too long', async () => {
    const down = await register('/down', ['recording.closed']);
    await closedNight();
    await waitUntil('the endpoint is disabled', async () => (await request(base, 'GET', `/v1/webhooks/${down.id}`)).body.disabled_at !== null, 20_000);
    const endpoint = (await request(base, 'GET', `/v1/webhooks/${down.id}`)).body;
    expect(endpoint).toMatchObject({ disabled_reason: expect.stringContaining('failed'), failing_since: expect.any(String) });
    const attempts = (await request(base, 'GET', `/v1/webhooks/${down.id}/deliveries`)).body.items;
    expect(attempts[0]).toMatchObject({ status_code: 500, final: true });
    const audit = (await request(base, 'GET', '/v1/audit?limit=1000')).body.items;
    expect(audit.find((a: any) => a.action === 'webhook.disabled' && a.target.id === down.id)).toMatchObject({ actor: { kind: 'worker' } });
    // Disabled: later events are not delivered to it.
    const before = at('/down').length;
    await closedNight();
    await new Promise((r) => setTimeout(r, 500));
    expect(at('/down').length).toBe(before);
  });

  it('answers errors as JSON', async () => {
    expectError(await request(base, 'POST', '/v1/webhooks', { url: 'ftp://example.com/x', events: ['job.completed'] }), 422, 'webhook_url_not_allowed');
    expectError(await request(base, 'POST', '/v1/webhooks', { url: 'http://user:pw@example.com/x', events: ['job.completed'] }), 422, 'webhook_url_not_allowed');
    expectError(await request(base, 'POST', '/v1/webhooks', { url: 'not a url', events: ['job.completed'] }), 422, 'webhook_url_not_allowed');
    expectError(await request(base, 'POST', '/v1/webhooks', { url: receiver.url('/x'), events: ['job.exploded'] }), 422, 'validation_failed');
    expectError(await request(base, 'POST', '/v1/webhooks', { url: receiver.url('/x'), events: [] }), 422, 'validation_failed');
    expectError(await request(base, 'GET', '/v1/webhooks/nope'), 404, 'webhook_not_found');
    expectError(await request(base, 'GET', '/v1/webhooks/00000000-0000-4000-8000-000000000000/deliveries'), 404, 'webhook_not_found');
    expectError(await request(base, 'GET', '/v1/webhooks?limit=5'), 400, 'bad_request');
    const mine = await register('/errors', ['job.failed']);
    expectError(await request(base, 'GET', `/v1/webhooks/${mine.id}/deliveries?limit=0`), 400, 'bad_request');
    const otherAdmin = (await request(base, 'POST', '/v1/api-keys', { tenant: 'third', scopes: ['admin'] })).body.key;
    expectError(await request(base, 'GET', `/v1/webhooks/${mine.id}`, undefined, { authorization: `Bearer ${otherAdmin}` }), 404, 'webhook_not_found');
    expectError(await request(base, 'DELETE', `/v1/webhooks/${mine.id}`, undefined, { authorization: `Bearer ${otherAdmin}` }), 404, 'webhook_not_found');
    expectError(await request(base, 'POST', '/v1/webhooks', '{"url": '), 400, 'invalid_json');
    // At most 20 endpoints per tenant: each event is delivered to every subscribed one.
    const crowded = (await request(base, 'POST', '/v1/api-keys', { tenant: 'crowded', scopes: ['admin'] })).body.key;
    for (let i = 0; i < 20; i++) await register(`/crowd-${i}`, ['job.failed'], { authorization: `Bearer ${crowded}` });
    expect(expectError(await request(base, 'POST', '/v1/webhooks', { url: receiver.url('/one-too-many'), events: ['job.failed'] }, { authorization: `Bearer ${crowded}` }), 409, 'conflict')).toEqual({ limit: 20 });
    const reader = (await request(base, 'POST', '/v1/api-keys', { tenant: 'default', scopes: ['read', 'ingest'] })).body.key;
    expectError(await request(base, 'GET', '/v1/webhooks', undefined, { authorization: `Bearer ${reader}` }), 403, 'forbidden');
    expectError(await request(base, 'POST', '/v1/webhooks', { url: receiver.url('/x'), events: ['job.failed'] }, { authorization: `Bearer ${reader}` }), 403, 'forbidden');
  });
});

describe('webhook target checks (WEBHOOK_ALLOW_PRIVATE unset)', () => {
  let strict: RunningApp;
  beforeAll(async () => {
    strict = await startTestApp(testEnv, { roles: { web: true, worker: false }, env: { ...ENV, WEBHOOK_ALLOW_PRIVATE: undefined } });
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it.each(['http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/x', 'http://[::1]:9/x', 'http://[::ffff:192.168.0.1]/x', 'http://0.0.0.0/x'])(
    'refuses %s (loopback, private or link-local, also after DNS)',
    async (url) => {
      const details = expectError(await request(strict.baseUrl, 'POST', '/v1/webhooks', { url, events: ['job.completed'] }), 422, 'webhook_url_not_allowed');
      expect(details['reason']).toMatch(/loopback, private or link-local/);
    },
  );

  it('answers 409 webhooks_not_configured without WEBHOOK_SECRET_KEY', async () => {
    const bare = await startTestApp(testEnv, { roles: { web: true, worker: false }, env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      expectError(await request(bare.baseUrl, 'POST', '/v1/webhooks', { url: receiver.url('/x'), events: ['job.completed'] }), 409, 'webhooks_not_configured');
    } finally {
      await bare.stop();
    }
  });
});
