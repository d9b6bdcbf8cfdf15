import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/openapi/routes.catalog.js';
import type { Scope } from '../../src/auth/scopes.js';
import { expectError, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { spawnEntry } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys, scopes and tenant isolation', () => {
  let env: TestEnv;
  let api: RunningApp;
  let base: string;
  const keys: Record<string, string> = {};
  const acme: Record<string, string> = {};

  async function newKey(tenant: string, scopes: Scope[], as?: string): Promise<{ id: string; key: string }> {
    const res = await request(base, 'POST', '/v1/api-keys', { tenant, scopes, name: `${tenant}-${scopes.join('+')}` }, as ? bearer(as) : {});
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  /** A concrete URL for a catalog route: ids of `acme`'s own resources. */
  function fill(path: string, ids: Record<string, string>): string {
    return path.replace('{id}', path.startsWith('/v1/jobs') ? ids['job']! : path.startsWith('/v1/devices') ? ids['device']! : path.startsWith('/v1/api-keys') ? ids['key']! : ids['recording']!).replace('{version}', 'wnr-v2');
  }

  beforeAll(async () => {
    env = await createTestEnv();
    // Every catalog route is tried with missing and wrong keys from one address: the failure throttle
    // (its own suite: auth-throttle.test.ts) would answer 429 long before the catalog is through.
    api = await startTestApp(env, { env: { AUTH_FAILURES_PER_MINUTE: '0' } });
    base = api.baseUrl;
    keys['acmeAll'] = (await newKey('acme', ['ingest', 'read', 'admin'])).key;
    keys['acmeIngest'] = (await newKey('acme', ['ingest'])).key;
    keys['acmeRead'] = (await newKey('acme', ['read'])).key;
    keys['acmeIngestRead'] = (await newKey('acme', ['ingest', 'read'])).key;
    keys['globexAll'] = (await newKey('globex', ['ingest', 'read', 'admin'])).key;
    const as = bearer(keys['acmeAll']!);
    const device = await request(base, 'POST', '/v1/devices', { external_id: 'shared-name' }, as);
    acme['device'] = device.body.id;
    const rec = await request(base, 'POST', '/v1/recordings', { device_id: device.body.id, started_at: '2026-11-25T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION }, as);
    acme['recording'] = rec.body.id;
    const [night] = syntheticNights(1);
    const ingest = await request(base, 'POST', '/v1/epochs:ingest', { recording_id: rec.body.id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(night.features.slice(0, 200)) }, as);
    acme['job'] = ingest.body.job_id;
    expect((await waitForJob(base, ingest.body.job_id, 30_000, as)).state).toBe('completed');
    await request(base, 'PUT', `/v1/recordings/${rec.body.id}/labels`, { labels: [{ epoch_index: 0, stage: 'W' }] }, as);
    acme['key'] = (await newKey('acme', ['read'], keys['acmeAll'])).id;
  });
  afterAll(async () => {
    await api.stop();
    await env.dispose();
  });

  it('keeps /healthz, /readyz, /metrics, /openapi.json and /docs open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
      expect((await request(base, 'GET', path, undefined, { authorization: '' })).status, path).toBe(200);
    }
  });

  it('answers 401 on every guarded route without a key or with a wrong one', async () => {
    const guarded = ROUTES.filter((r) => r.scope !== null);
    expect(guarded.length).toBeGreaterThan(20);
    for (const route of guarded) {
      const url = fill(route.path, acme);
      const none = await request(base, route.method.toUpperCase(), url, route.method === 'get' || route.method === 'delete' ? undefined : {}, { authorization: '' });
      expectError(none, 401, 'unauthorized');
      expect(none.headers.get('www-authenticate')).toBeTruthy();
      const wrong = await request(base, route.method.toUpperCase(), url, undefined, bearer('nct_not-a-real-key'));
      expectError(wrong, 401, 'unauthorized');
    }
  });

  it('answers 403 when the key lacks the route scope', async () => {
    const lacking: Record<Scope, string> = { ingest: keys['acmeRead']!, read: keys['acmeIngest']!, admin: keys['acmeIngestRead']!, operator: keys['acmeAll']! };
    // Bull Board is the one admin route with a read-only view for read keys (tested below).
    for (const route of ROUTES.filter((r) => r.scope !== null && r.path !== '/admin/queues')) {
      const res = await request(base, route.method.toUpperCase(), fill(route.path, acme), route.method === 'get' ? undefined : {}, bearer(lacking[route.scope!]));
      const details = expectError(res, 403, 'forbidden');
      expect(details['required_scope'], `${route.method} ${route.path}`).toBe(route.scope);
    }
  });

  it('applies the same scope however the path is spelt (case, trailing slash)', async () => {
    const ingestOnly = bearer(keys['acmeIngest']!);
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/V1/api-keys', { tenant: 'acme', scopes: ['admin'] }],
      ['POST', '/v1/API-KEYS', { tenant: 'acme', scopes: ['admin'] }],
      ['POST', '/v1/api-keys/', { tenant: 'acme', scopes: ['admin'] }],
      ['POST', '/v1/models/reload/', { version: 'wnr-v1' }],
      ['POST', '/V1/Models/Reload', { version: 'wnr-v1' }],
      ['POST', '/V1/rescore', {}],
      ['DELETE', `/v1/JOBS/${acme['job']}`, undefined],
      ['PUT', '/ADMIN/queues/api/queues/ingest/pause', undefined],
    ];
    for (const [method, path, body] of cases) {
      const details = expectError(await request(base, method, path, body, ingestOnly), 403, 'forbidden');
      expect(details['required_scope'], `${method} ${path}`).toBe('admin');
    }
    expectError(await request(base, 'GET', '/v1/Api-Keys', undefined, bearer(keys['acmeRead']!)), 403, 'forbidden');
  });

  it('keeps operations that affect every tenant to operators', async () => {
    const tenantAdmin = bearer(keys['acmeAll']!);
    expectError(await request(base, 'POST', '/v1/models/reload', { version: 'wnr-v1' }, tenantAdmin), 403, 'forbidden');
    expectError(await request(base, 'GET', '/admin/queues', undefined, tenantAdmin), 403, 'forbidden');
    expectError(await request(base, 'GET', '/admin/queues/api/queues', undefined, bearer(keys['acmeRead']!)), 403, 'forbidden');
    expect((await request(base, 'GET', '/v1/models')).body.active_version).toBe('wnr-v3');
  });

  it("answers another tenant's ids with 404, exactly as for ids that do not exist", async () => {
    const idRoutes = ROUTES.filter((r) => r.scope !== null && r.path.includes('{id}'));
    for (const route of idRoutes) {
      const body = route.method === 'put' ? { labels: [{ epoch_index: 0, stage: 'W' }] } : undefined;
      const theirs = await request(base, route.method.toUpperCase(), fill(route.path, acme), body, bearer(keys['globexAll']!));
      const unknown = await request(base, route.method.toUpperCase(), fill(route.path, { job: randomUUID(), device: randomUUID(), recording: randomUUID(), key: randomUUID() }), body, bearer(keys['globexAll']!));
      expect(theirs.status, `${route.method} ${route.path}`).toBe(404);
      expect(theirs.body.error.code).toBe(unknown.body.error.code);
      expect(theirs.status).toBe(unknown.status);
    }
    // Ids inside bodies are isolated too.
    const as = bearer(keys['globexAll']!);
    expectError(await request(base, 'POST', '/v1/epochs:ingest', { recording_id: acme['recording'], feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows([[1, 2, 3, 4, 5]]) }, as), 404, 'recording_not_found');
    expectError(await request(base, 'POST', '/v1/recordings', { device_id: acme['device'], started_at: '2026-11-25T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION }, as), 404, 'device_not_found');
    expectError(await request(base, 'POST', '/v1/predict', { recording_id: acme['recording'] }, as), 404, 'recording_not_found');
    expectError(await request(base, 'POST', '/v1/rescore', { recording_ids: [acme['recording']] }, as), 404, 'recording_not_found');
    expectError(await request(base, 'POST', '/v1/rescore', { device_id: acme['device'] }, as), 404, 'device_not_found');
    // The same external_id in another tenant is another device.
    const theirDevice = await request(base, 'POST', '/v1/devices', { external_id: 'shared-name' }, as);
    expect(theirDevice.status).toBe(201);
    expect(theirDevice.body.id).not.toBe(acme['device']);
    // A model evaluation pools only the caller's own labelled recordings.
    expectError(await request(base, 'GET', '/v1/models/wnr-v2/evaluation', undefined, as), 409, 'no_labels');
  });

  it("shows a read key of the tenant named `default` only its own tenant's recordings; operators see every tenant's", async () => {
    const defaultRead = bearer((await newKey('default', ['read'])).key);
    expectError(await request(base, 'GET', '/v1/models/wnr-v3/evaluation', undefined, defaultRead), 409, 'no_labels');
    const operatorRead = bearer((await newKey('ops', ['read', 'operator'])).key);
    const pooled = await request(base, 'GET', '/v1/models/wnr-v3/evaluation', undefined, operatorRead);
    expect(pooled.status, JSON.stringify(pooled.body)).toBe(200);
    expect(pooled.body.per_recording.map((r: any) => r.recording_id)).toContain(acme['recording']);
  });

  it("gives an operator's cross-tenant re-score to the operator's tenant: it polls it, tenants do not see it", async () => {
    const operator = bearer((await newKey('ops', ['read', 'admin', 'operator'])).key);
    const started = await request(base, 'POST', '/v1/rescore', { model_version: 'wnr-v2' }, operator);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect((await request(base, 'GET', `/v1/jobs/${started.body.job_id}`, undefined, operator)).status).toBe(200);
    expectError(await request(base, 'GET', `/v1/jobs/${started.body.job_id}`, undefined, bearer(keys['acmeAll']!)), 404, 'job_not_found');
    expectError(await request(base, 'DELETE', `/v1/jobs/${started.body.job_id}`, undefined, bearer(keys['acmeAll']!)), 404, 'job_not_found');
    // ...and operators reach every tenant's jobs.
    expect((await request(base, 'GET', `/v1/jobs/${acme['job']}`, undefined, operator)).status).toBe(200);
    await waitForJob(base, started.body.job_id, 30_000, operator);
  });

  it('shows a key once, stores only its hash, lists without secrets and revokes it', async () => {
    const created = await request(base, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'] }, bearer(keys['acmeAll']!));
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(expect.arrayContaining(['id', 'key', 'tenant', 'scopes']));
    expect(created.body).toMatchObject({ tenant: 'acme', scopes: ['read'] });
    const db = openDb(env);
    try {
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
      expect(Object.values(row).map(String)).not.toContain(created.body.key);
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await db.destroy();
    }
    const listed = await request(base, 'GET', '/v1/api-keys', undefined, bearer(keys['acmeAll']!));
    expect(listed.body.items.every((k: any) => k.tenant === 'acme' && !('key' in k) && !('key_hash' in k))).toBe(true);
    expect((await request(base, 'GET', `/v1/recordings/${acme['recording']}`, undefined, bearer(created.body.key))).status).toBe(200);
    expect((await request(base, 'DELETE', `/v1/api-keys/${created.body.id}`, undefined, bearer(keys['acmeAll']!))).status).toBe(204);
    expectError(await request(base, 'GET', `/v1/recordings/${acme['recording']}`, undefined, bearer(created.body.key)), 401, 'unauthorized');
    expectError(await request(base, 'DELETE', `/v1/api-keys/${created.body.id}`, undefined, bearer(keys['acmeAll']!)), 404, 'api_key_not_found');
  });

  it('lets only operators manage keys of other tenants, and only operators grant the operator scope', async () => {
    expectError(await request(base, 'POST', '/v1/api-keys', { tenant: 'globex', scopes: ['read'] }, bearer(keys['acmeAll']!)), 403, 'forbidden');
    expectError(await request(base, 'GET', '/v1/api-keys?tenant=globex', undefined, bearer(keys['acmeAll']!)), 403, 'forbidden');
    // A tenant admin cannot make itself an operator.
    expectError(await request(base, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read', 'operator'] }, bearer(keys['acmeAll']!)), 403, 'forbidden');
    // Nor is an admin of the tenant named `default` an operator without the scope.
    const defaultAdmin = (await newKey('default', ['ingest', 'read', 'admin'])).key;
    expectError(await request(base, 'POST', '/v1/api-keys', { tenant: 'globex', scopes: ['read'] }, bearer(defaultAdmin)), 403, 'forbidden');
    expectError(await request(base, 'POST', '/v1/models/reload', { version: 'wnr-v1' }, bearer(defaultAdmin)), 403, 'forbidden');
    expectError(await request(base, 'GET', '/admin/queues', undefined, bearer(defaultAdmin)), 403, 'forbidden');
    // An operator of any tenant manages every tenant's keys and grants the scope.
    const operator = await newKey('ops', ['read', 'admin', 'operator']);
    const granted = await newKey('ops-two', ['read', 'operator'], operator.key);
    expect((await request(base, 'GET', '/v1/api-keys?tenant=ops-two', undefined, bearer(operator.key))).body.items.map((k: any) => k.id)).toEqual([granted.id]);
    const theirs = await newKey('globex', ['read'], operator.key);
    expect((await request(base, 'DELETE', `/v1/api-keys/${theirs.id}`, undefined, bearer(operator.key))).status).toBe(204);
    expectError(await request(base, 'POST', '/v1/api-keys', { tenant: 'Bad Tenant!', scopes: ['read'] }), 422, 'validation_failed');
    expectError(await request(base, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['root'] }), 422, 'validation_failed');
  });

  it('creates working keys from the CLI', async () => {
    const run = spawnEntryWithArgs(env.env(), ['keys', 'create', '--tenant', 'cli-tenant', '--scopes', 'read', '--name', 'from cli']);
    expect(await run.exited).toBe(0);
    const key = run.output().trim().split('\n')[0]!;
    expect(key).toMatch(/^nct_/);
    expect((await request(base, 'GET', '/v1/models', undefined, bearer(key))).status).toBe(200);
    expectError(await request(base, 'POST', '/v1/devices', { external_id: 'x' }, bearer(key)), 403, 'forbidden');
    const bad = spawnEntryWithArgs(env.env(), ['keys', 'create', '--tenant', 'cli-tenant', '--scopes', 'root']);
    expect(await bad.exited).toBe(2);
  });

  it('serves Bull Board to operator admins, read-only to operator read keys, and nothing to others', async () => {
    keys['opsRead'] = (await newKey('ops', ['read', 'operator'])).key;
    keys['opsIngest'] = (await newKey('ops', ['ingest', 'operator'])).key;
    expectError(await request(base, 'GET', '/admin/queues', undefined, bearer((await newKey('default', ['read'])).key)), 403, 'forbidden');
    const admin = await request(base, 'GET', '/admin/queues');
    expect(admin.status).toBe(200);
    expect(admin.headers.get('content-type')).toContain('text/html');
    const basic = { authorization: `Basic ${Buffer.from(`ops:${keys['opsRead']}`).toString('base64')}` };
    expect((await request(base, 'GET', '/admin/queues', undefined, basic)).status).toBe(200);
    const queuesApi = await request(base, 'GET', '/admin/queues/api/queues', undefined, bearer(keys['opsRead']!));
    expect(queuesApi.status).toBe(200);
    expect(queuesApi.body.queues.every((q: any) => q.readOnlyMode === true)).toBe(true);
    const adminApi = await request(base, 'GET', '/admin/queues/api/queues');
    expect(adminApi.body.queues.map((q: any) => q.name).sort()).toEqual(['erase', 'ingest', 'night', 'predict', 'rescore', 'retention', 'webhook']);
    expect(adminApi.body.queues.every((q: any) => q.readOnlyMode === false)).toBe(true);
    expectError(await request(base, 'PUT', '/admin/queues/api/queues/ingest/pause', undefined, bearer(keys['opsRead']!)), 403, 'forbidden');
    expectError(await request(base, 'GET', '/admin/queues', undefined, bearer(keys['opsIngest']!)), 403, 'forbidden');
    const anonymous = await request(base, 'GET', '/admin/queues', undefined, { authorization: '' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
  });
});

const spawnEntryWithArgs = (env: Record<string, string>, args: string[]) => spawnEntry('src/entry/cli.ts', env, args);

describe('limits that hold across API processes', () => {
  let env: TestEnv;
  const apps: RunningApp[] = [];
  beforeAll(async () => {
    env = await createTestEnv();
    for (let i = 0; i < 2; i++) apps.push(await startTestApp(env, { roles: { web: true, worker: false }, env: { RATE_LIMIT_PER_MINUTE: '5', METRICS_TOKEN: 'metrics-token-0123456789' } }));
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await env.dispose();
  });

  it('rate-limits each key in Redis with 429 and Retry-After', async () => {
    const [a, b] = apps as [RunningApp, RunningApp];
    const created = await request(a.baseUrl, 'POST', '/v1/api-keys', { tenant: 'limited', scopes: ['read'] });
    const other = await request(b.baseUrl, 'POST', '/v1/api-keys', { tenant: 'limited', scopes: ['read'] });
    const key = bearer(created.body.key);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await request(i % 2 ? b.baseUrl : a.baseUrl, 'GET', '/v1/models', undefined, key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const limited = await request(b.baseUrl, 'GET', '/v1/models', undefined, key);
    expectError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await request(a.baseUrl, 'GET', '/v1/models', undefined, bearer(other.body.key))).status).toBe(200);
  });

  it('authenticates before parsing a body, so anonymous clients cannot make it parse 17 MB', async () => {
    const [a] = apps as [RunningApp];
    const huge = JSON.stringify({ external_id: 'x'.repeat(17 * 1024 * 1024) });
    expectError(await request(a.baseUrl, 'POST', '/v1/devices', huge, bearer('nct_unknown')), 401, 'unauthorized');
  });

  it('asks for METRICS_TOKEN on /metrics when it is set', async () => {
    const [a] = apps as [RunningApp];
    expectError(await request(a.baseUrl, 'GET', '/metrics', undefined, { authorization: '' }), 401, 'unauthorized');
    const ok = await request(a.baseUrl, 'GET', '/metrics', undefined, bearer('metrics-token-0123456789'));
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('noctis_http_request_duration_seconds');
  });
});
