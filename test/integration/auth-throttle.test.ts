import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { expectError } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { freePort } from '../helpers/processes.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
/** A token shaped like a real key (so it is looked up), that no one holds. */
const randomKey = () => `nct_${randomBytes(32).toString('base64url')}`;

/** The value of one series of a counter in Prometheus text. */
async function counter(baseUrl: string, series: string): Promise<number> {
  const text = (await request(baseUrl, 'GET', '/metrics', undefined, { authorization: '' })).body as string;
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('invalid keys are throttled per client address', () => {
  let env: TestEnv;
  let direct: RunningApp;
  let proxied: RunningApp;
  let valid: string;

  beforeAll(async () => {
    env = await createTestEnv();
    // A small pool: a flood that reached the database would show as waiting requests.
    direct = await startTestApp(env, { roles: { web: true, worker: false }, env: { AUTH_FAILURES_PER_MINUTE: '10', DB_POOL_SIZE: '2' } });
    proxied = await startTestApp(env, { roles: { web: true, worker: false }, env: { AUTH_FAILURES_PER_MINUTE: '10', TRUST_PROXY: 'loopback' } });
    valid = (await request(direct.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'] })).body.key;
  });
  afterAll(async () => {
    await Promise.all([direct.stop(), proxied.stop()]);
    await env.dispose();
  });

  it('gives back the slot of a valid key: valid traffic is never throttled', async () => {
    for (let i = 0; i < 25; i++) expect((await request(proxied.baseUrl, 'GET', '/v1/models', undefined, { ...bearer(valid), 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
  });

  it('lets at most the limit of a concurrent flood of random tokens reach the database, then answers 429 with Retry-After', async () => {
    const before = await counter(direct.baseUrl, 'noctis_auth_key_checks_total{outcome="invalid"');
    const flood = await Promise.all(Array.from({ length: 200 }, () => request(direct.baseUrl, 'GET', '/v1/models', undefined, bearer(randomKey()))));
    const statuses = flood.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(190);
    const refused = flood.find((r) => r.status === 429)!;
    const details = expectError(refused, 429, 'rate_limited');
    expect(details).toMatchObject({ limit: 'auth_failures', limit_per_minute: 10 });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Exactly ten lookups reached the database; the pool of two was never waited on.
    expect((await counter(direct.baseUrl, 'noctis_auth_key_checks_total{outcome="invalid"')) - before).toBe(10);
    expect(direct.app.ctx.pool.waitingCount).toBe(0);
    // Tokens that are not even key-shaped count too, without any lookup.
    expectError(await request(direct.baseUrl, 'GET', '/v1/models', undefined, bearer('not-a-key')), 429, 'rate_limited');
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY says the proxy is trusted', async () => {
    // `direct` trusts no proxy: a forged header does not buy a fresh budget.
    expectError(await request(direct.baseUrl, 'GET', '/v1/models', undefined, { ...bearer(randomKey()), 'x-forwarded-for': '203.0.113.99' }), 429, 'rate_limited');
    // Behind a trusted proxy each client address has its own budget.
    for (let i = 0; i < 10; i++) expectError(await request(proxied.baseUrl, 'GET', '/v1/models', undefined, { ...bearer(randomKey()), 'x-forwarded-for': '203.0.113.7' }), 401, 'unauthorized');
    expectError(await request(proxied.baseUrl, 'GET', '/v1/models', undefined, { ...bearer(randomKey()), 'x-forwarded-for': '203.0.113.7' }), 429, 'rate_limited');
    expectError(await request(proxied.baseUrl, 'GET', '/v1/models', undefined, { ...bearer(randomKey()), 'x-forwarded-for': '203.0.113.8' }), 401, 'unauthorized');
    expect((await request(proxied.baseUrl, 'GET', '/v1/models', undefined, { ...bearer(valid), 'x-forwarded-for': '203.0.113.8' })).status).toBe(200);
  });
});

describe('invalid-key throttling while the database does not answer', () => {
  let env: TestEnv;
  let api: RunningApp;
  beforeAll(async () => {
    env = await createTestEnv();
    const port = await freePort();
    api = await startTestApp(env, { roles: { web: true, worker: false }, env: { AUTH_FAILURES_PER_MINUTE: '3', DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/noctis` } });
  });
  afterAll(async () => {
    await api.stop();
    await env.dispose();
  });

  it('does not count checks the database never answered: clients hear 503, not 429', async () => {
    for (let i = 0; i < 8; i++) expectError(await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(randomKey())), 503, 'service_unavailable');
  });
});

describe('TRUST_PROXY', () => {
  const parse = (value: string) => loadConfig({ TRUST_PROXY: value }).TRUST_PROXY;

  it("takes Express's trust proxy forms", () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(parse('true')).toBe(true);
    expect(parse('2')).toBe(2);
    expect(parse('loopback, 10.0.0.0/8, fd00::/8, 192.168.1.1, 172.16.0.0/255.240.0.0')).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.168.1.1', '172.16.0.0/255.240.0.0']);
  });

  it('rejects anything else, naming the variable', () => {
    for (const bad of ['yes', 'loopback,nonsense', '10.0.0.0/33', '::1/129', '1.2.3', ',']) {
      expect(() => parse(bad), bad).toThrow(/TRUST_PROXY/);
    }
  });
});
