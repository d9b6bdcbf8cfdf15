import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { expectError } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { startRedis } from '../helpers/processes.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// A reload is shared through Redis (the stored choice, then pub/sub). With Redis down it cannot be,
// so the process that took the request must not stay switched alone: the workers would go on
// scoring with the previous version while this API reads and reports the new one.
let testEnv: TestEnv;
let redis: Awaited<ReturnType<typeof startRedis>>;
let web: App;
let base: string;

beforeAll(async () => {
  testEnv = await createTestEnv();
  redis = await startRedis();
  web = App.create({ config: testEnv.config({ REDIS_URL: redis.url, ACTIVE_MODEL_VERSION: 'wnr-v3' }), roles: { web: true, worker: false }, logger: pino({ level: 'silent' }) });
  await web.start();
  base = `http://127.0.0.1:${web.port}`;
}, 60_000);
afterAll(async () => {
  await web?.stop();
  await redis?.stop();
  await testEnv?.dispose();
});

const activeVersion = async () => (await request(base, 'GET', '/v1/models')).body.active_version;
/** The version noctis_active_model_info marks with 1 in this process's registry. */
const activeMetric = async () => /noctis_active_model_info\{model_version="([^"]+)"[^}]*\} 1/.exec(await web.ctx.metrics.registry.getSingleMetricAsString('noctis_active_model_info'))?.[1];

describe('a model reload while Redis is down', () => {
  it('answers 503 service_unavailable and leaves this process on the previous model', async () => {
    expect(await activeVersion()).toBe('wnr-v3');
    await redis.stop();
    const res = await request(base, 'POST', '/v1/models/reload', { version: 'wnr-v2' });
    expect(expectError(res, 503, 'service_unavailable')).toEqual({ requested_version: 'wnr-v2', active_version: 'wnr-v3' });
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect(await activeVersion()).toBe('wnr-v3');
    expect(await activeMetric()).toBe('wnr-v3');
  }, 60_000);

  it('switches once Redis is back', async () => {
    redis = await startRedis(redis.port);
    let res = await request(base, 'POST', '/v1/models/reload', { version: 'wnr-v2' });
    for (let i = 0; i < 50 && res.status === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      res = await request(base, 'POST', '/v1/models/reload', { version: 'wnr-v2' });
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ active_version: 'wnr-v2', previous_version: 'wnr-v3' });
    expect(await activeVersion()).toBe('wnr-v2');
    expect(await activeMetric()).toBe('wnr-v2');
  }, 60_000);
});
