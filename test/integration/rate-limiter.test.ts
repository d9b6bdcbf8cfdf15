import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FallbackWindow } from '../../src/auth/fallback-window.js';
import { RateLimiter } from '../../src/auth/rate-limiter.js';
import { RedisSlidingWindow } from '../../src/auth/sliding-window.js';
import { expectError } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { freePort, startRedis } from '../helpers/processes.js';
import { TEST_REDIS_URL, uniqueName } from '../helpers/services.js';
import { createTestEnv, deleteQueueKeys, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const MINUTE = 60_000;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const key = (keyId: string, tenant = 'acme') => ({ keyId, tenant });

describe('request rate limits in Redis (sliding window, per key and per tenant)', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const limiter = (perKey: number, perTenant: number) => {
    const prefix = uniqueName('rl');
    prefixes.push(prefix);
    return new RateLimiter(new RedisSlidingWindow(redis), prefix, { perKey, perTenant });
  };

  beforeAll(async () => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    for (const prefix of prefixes) await deleteQueueKeys(prefix);
    await redis.quit();
  });

  it('allows no second burst at the edge of a clock minute', async () => {
    const rl = limiter(5, 0);
    // Five requests in the last half second of one clock minute...
    const start = 10 * MINUTE + 59_500;
    for (let i = 0; i < 5; i++) expect((await rl.consume(key('k1'), start + i)).allowed).toBe(true);
    // ...leave none for the first seconds of the next one (a fixed window would allow five more).
    const next = await rl.consume(key('k1'), 11 * MINUTE + 500);
    expect(next).toMatchObject({ allowed: false, limit: 'key', limitPerMinute: 5 });
    expect(next.retryAfterSeconds).toBe(59);
    // Once the first of them is a minute old, exactly one more fits.
    expect((await rl.consume(key('k1'), start + MINUTE)).allowed).toBe(true);
    expect((await rl.consume(key('k1'), start + MINUTE)).allowed).toBe(false);
  });

  it("caps a tenant's keys together, and a refusal by the tenant does not use up the key", async () => {
    const rl = limiter(5, 8);
    const t = 5 * MINUTE;
    for (let i = 0; i < 5; i++) expect((await rl.consume(key('a'), t)).allowed).toBe(true);
    for (let i = 0; i < 3; i++) expect((await rl.consume(key('b'), t)).allowed).toBe(true);
    // A third key of the same tenant does not raise the ceiling.
    expect(await rl.consume(key('c'), t)).toMatchObject({ allowed: false, limit: 'tenant', limitPerMinute: 8 });
    expect(await rl.consume(key('b'), t)).toMatchObject({ allowed: false, limit: 'tenant' });
    // Another tenant's key is not affected.
    expect((await rl.consume(key('d', 'globex'), t)).allowed).toBe(true);
    // After the window, key c has its full five: its refused attempts were not counted.
    for (let i = 0; i < 5; i++) expect((await rl.consume(key('c'), t + MINUTE)).allowed).toBe(true);
  });

  it('lets exactly the limit through when many API processes ask at once', async () => {
    const rl = limiter(10, 0);
    const decisions = await Promise.all(Array.from({ length: 60 }, () => rl.consume(key('busy'), 3 * MINUTE)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
  });

  it('keeps every key under the {QUEUE_PREFIX} hash tag', async () => {
    const prefix = uniqueName('rl');
    prefixes.push(prefix);
    await new RateLimiter(new RedisSlidingWindow(redis), prefix, { perKey: 3, perTenant: 3 }).consume(key('tagged'));
    const keys = await redis.keys(`*${prefix}*`);
    expect(keys.sort()).toEqual([`{${prefix}}:ratelimit:key:tagged`, `{${prefix}}:ratelimit:tenant:acme`]);
  });

  it('counts in the process while Redis cannot answer: limits still hold, requests are not refused for the outage', async () => {
    const dead = new Redis(await freePort(), '127.0.0.1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const rl = new RateLimiter(new FallbackWindow(new RedisSlidingWindow(dead), logger), uniqueName('rl'), { perKey: 3, perTenant: 0 });
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await rl.consume(key('offline'), MINUTE));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(lines.filter((l) => l.includes('counting them in this process'))).toHaveLength(1);
    dead.disconnect();
  });
});

describe('request rate limits over HTTP', () => {
  let env: TestEnv;
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let api: RunningApp;

  beforeAll(async () => {
    env = await createTestEnv();
    redis = await startRedis();
    api = await startTestApp(env, { roles: { web: true, worker: false }, env: { REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: '5', TENANT_RATE_LIMIT_PER_MINUTE: '8' } });
  });
  afterAll(async () => {
    await api.stop();
    await redis.stop();
    await env.dispose();
  });

  it("answers 429 naming the tenant's limit once the tenant's keys together reach it", async () => {
    const one = (await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'capped', scopes: ['read'] })).body.key;
    const two = (await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'capped', scopes: ['read'] })).body.key;
    for (let i = 0; i < 5; i++) expect((await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(one))).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(two))).status).toBe(200);
    const refused = await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(two));
    expect(expectError(refused, 429, 'rate_limited')).toMatchObject({ limit: 'tenant', limit_per_minute: 8 });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('keeps limiting, in each process, while Redis is down, and does not refuse requests for the outage', async () => {
    const key = (await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'offline', scopes: ['read'] })).body.key;
    await redis.stop();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(key))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
