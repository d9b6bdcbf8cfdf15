import type { Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import type { Database } from '../../src/db/database.js';
import { readModelChoice } from '../../src/models/model-choice.repository.js';
import { expectError, openDb } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { startRedis } from '../helpers/processes.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// A reload is recorded in PostgreSQL, then broadcast over Redis. With Redis down the broadcast fails:
// the reload still holds, the answer says the others were not told, and they switch at their next
// check. With the database down nothing can be recorded: 503, and the API stays where it was (it
// used to answer 500 having switched alone, while the workers kept scoring with the old version).
let testEnv: TestEnv;
let redisA: Awaited<ReturnType<typeof startRedis>>;
let redisB: Awaited<ReturnType<typeof startRedis>>;
let proxy: TcpProxy;
let db: Kysely<Database>;
let api: App;
let worker: App;
let base: string;

beforeAll(async () => {
  testEnv = await createTestEnv();
  db = openDb(testEnv);
  [redisA, redisB] = [await startRedis(), await startRedis()];
  proxy = await TcpProxy.start();
  const config = (redis: string, database = testEnv.database.url) =>
    testEnv.config({ REDIS_URL: redis, DATABASE_URL: database, ACTIVE_MODEL_VERSION: 'wnr-v3', MODEL_SYNC_INTERVAL_SECONDS: '3600' });
  // The API reaches the database through a proxy the test can cut; the worker hears another Redis.
  api = App.create({ config: config(redisA.url, proxy.urlFor(testEnv.database.url)), roles: { web: true, worker: false }, logger: pino({ level: 'silent' }) });
  await api.start();
  worker = App.create({ config: config(redisB.url), roles: { web: false, worker: true }, logger: pino({ level: 'silent' }) });
  await worker.start();
  base = `http://127.0.0.1:${api.port}`;
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await proxy?.stop();
  await db?.destroy();
  await redisA?.stop();
  await redisB?.stop();
  await testEnv?.dispose();
});

const activeVersion = async () => (await request(base, 'GET', '/v1/models')).body.active_version;
/** The version noctis_active_model_info marks with 1 in `app`'s registry. */
const activeMetric = async (app: App) => /noctis_active_model_info\{model_version="([^"]+)"[^}]*\} 1/.exec(await app.ctx.metrics.registry.getSingleMetricAsString('noctis_active_model_info'))?.[1];

describe('a model reload that cannot reach everything', () => {
  it('database down: 503 service_unavailable, nothing recorded, the API stays on its model', async () => {
    await proxy.cut();
    const res = await request(base, 'POST', '/v1/models/reload', { version: 'wnr-v1' });
    expectError(res, 503, 'service_unavailable');
    expect(res.headers.get('retry-after')).not.toBeNull();
    await proxy.restore();
    expect(await activeVersion()).toBe('wnr-v3');
    expect(await activeMetric(api)).toBe('wnr-v3');
    expect(await readModelChoice(db)).toBeUndefined();
  }, 60_000);

  it('Redis down: the reload holds, the answer says the others were not told, and they switch at their next check', async () => {
    await redisA.stop();
    const res = await request(base, 'POST', '/v1/models/reload', { version: 'wnr-v2' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ active_version: 'wnr-v2', previous_version: 'wnr-v3', processes: { expected: 0, acknowledged: 0 } });
    expect(res.body.processes.failed).toEqual([{ process: 'every other process', error: expect.stringMatching(/each switches at its next check, within 3600 s/) }]);
    expect(await activeMetric(api)).toBe('wnr-v2');
    expect(await readModelChoice(db)).toMatchObject({ version: 'wnr-v2', configured: 'wnr-v3' });
    expect(worker.ctx.registry.active()?.version).toBe('wnr-v3');
    await worker.ctx.modelSync.checkOnce();
    expect(worker.ctx.registry.active()?.version).toBe('wnr-v2');
    expect(await activeMetric(worker)).toBe('wnr-v2');
    redisA = await startRedis(redisA.port);
  }, 60_000);
});
