import type { Kysely } from 'kysely';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import type { Database } from '../../src/db/database.js';
import { readModelChoice } from '../../src/models/model-choice.repository.js';
import { openDb } from '../helpers/fixtures.js';
import { startRedis } from '../helpers/processes.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// Earlier releases kept the reload's choice in Redis only ({prefix}:models:active). The first process
// of this release that finds no choice in PostgreSQL takes that one and stores it there, so a Redis
// restarted empty afterwards no longer loses it.
let testEnv: TestEnv;
let redis: Awaited<ReturnType<typeof startRedis>>;
let db: Kysely<Database>;
const apps: App[] = [];

const start = async () => {
  const app = App.create({ config: testEnv.config({ REDIS_URL: redis.url, ACTIVE_MODEL_VERSION: 'wnr-v3' }), roles: { web: true, worker: false }, logger: pino({ level: 'silent' }) });
  await app.start();
  apps.push(app);
  return app;
};

beforeAll(async () => {
  testEnv = await createTestEnv();
  redis = await startRedis();
  db = openDb(testEnv);
});
afterAll(async () => {
  for (const app of apps) await app.stop();
  await db?.destroy();
  await redis?.stop();
  await testEnv?.dispose();
});

describe('upgrading from a choice kept in Redis', () => {
  it('takes it, stores it in PostgreSQL, and keeps it after Redis is flushed', async () => {
    const client = new Redis(redis.url);
    await client.set(`{${testEnv.queuePrefix}}:models:active`, JSON.stringify({ version: 'wnr-v2', configured: 'wnr-v3' }));
    expect((await start()).ctx.registry.active()?.version).toBe('wnr-v2');
    expect(await readModelChoice(db)).toEqual({ seq: 1, version: 'wnr-v2', configured: 'wnr-v3' });
    await client.flushall();
    client.disconnect();
    expect((await start()).ctx.registry.active()?.version).toBe('wnr-v2');
  });
});
