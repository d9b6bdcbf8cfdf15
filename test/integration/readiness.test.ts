import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import type { Env } from '../../src/config/config.js';
import { createDb } from '../../src/db/connection.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import { migrations } from '../../migrations/index.js';
import { request } from '../helpers/http.js';
import { freePort, startRedisCluster, type RedisClusterHandle } from '../helpers/processes.js';
import { adminAuth, uniqueName } from '../helpers/services.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

const anonymous = { authorization: '' };
const LAST_MIGRATION = Object.keys(migrations).at(-1)!;
const BEFORE_LAST = Object.keys(migrations).at(-2)!;

/** An API process whose log lines the test can read. */
async function startApp(env: TestEnv, overrides: Env): Promise<{ app: App; baseUrl: string; logs: string[] }> {
  const logs: string[] = [];
  const config = env.config({ ...overrides, LOG_LEVEL: 'info' });
  const app = App.create({ config, roles: { web: true, worker: false }, logger: pino({ level: 'info' }, { write: (line: string) => logs.push(line) }) });
  await app.start();
  return { app, baseUrl: `http://127.0.0.1:${app.port}`, logs };
}

describe('/readyz', () => {
  let env: TestEnv;
  const apps: App[] = [];
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
  });
  afterAll(async () => {
    await env.dispose();
  });

  it('tells anonymous callers only the names of failing checks; the operator token and the logs get the reasons', async () => {
    const port = await freePort();
    const { app, baseUrl, logs } = await startApp(env, { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/secret_db_name` });
    apps.push(app);
    const ready = await request(baseUrl, 'GET', '/readyz', undefined, anonymous);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', failed: ['database', 'migrations'] });
    const operator = await request(baseUrl, 'GET', '/readyz', undefined, adminAuth);
    expect(operator.body.checks.database).toMatchObject({ ok: false, detail: expect.stringContaining(String(port)) });
    expect(logs.join('\n')).toContain(String(port));
  });

  it('hides pending migration names from anonymous callers, and rechecks until they are applied', async () => {
    const database = await createTestDatabase(false);
    const handle = createDb(database.url, 1);
    try {
      expect((await createMigrator(handle.db).migrateTo(BEFORE_LAST)).error).toBeUndefined();
      const { app, baseUrl, logs } = await startApp(env, { DATABASE_URL: database.url });
      apps.push(app);
      const pending = await request(baseUrl, 'GET', '/readyz', undefined, anonymous);
      expect(pending.body).toEqual({ status: 'not_ready', failed: ['migrations'] });
      expect(JSON.stringify(pending.body)).not.toContain(LAST_MIGRATION);
      expect((await request(baseUrl, 'GET', '/readyz', undefined, adminAuth)).body.checks.migrations.detail).toContain(LAST_MIGRATION);
      expect(logs.join('\n')).toContain(LAST_MIGRATION);
      await migrateToLatest(handle.db);
      expect((await request(baseUrl, 'GET', '/readyz', undefined, anonymous)).body).toEqual({ status: 'ready', failed: [] });
    } finally {
      await handle.db.destroy();
      await database.drop();
    }
  });

  it('reads the applied migrations once and then remembers', async () => {
    const { app, baseUrl } = await startApp(env, {});
    apps.push(app);
    expect((await request(baseUrl, 'GET', '/readyz', undefined, anonymous)).status).toBe(200);
    // With the ledger gone a fresh read would fail; the probe no longer reads it.
    const handle = createDb(env.database.url, 1);
    try {
      await sql`ALTER TABLE kysely_migration RENAME TO kysely_migration_hidden`.execute(handle.db);
      try {
        expect((await request(baseUrl, 'GET', '/readyz', undefined, anonymous)).body).toEqual({ status: 'ready', failed: [] });
      } finally {
        await sql`ALTER TABLE kysely_migration_hidden RENAME TO kysely_migration`.execute(handle.db);
      }
    } finally {
      await handle.db.destroy();
    }
  });
});

describe('/readyz on a Redis Cluster node (a client not set up for a cluster)', () => {
  let env: TestEnv;
  let cluster: RedisClusterHandle;
  const prefix = uniqueName('rc');
  let owner: number;
  let other: number;
  const apps: App[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    cluster = await startRedisCluster();
    // Which node owns the slot of this deployment's `{prefix}` hash tag.
    const probe = new Redis(cluster.ports[0]!, '127.0.0.1');
    try {
      const slot = (await probe.call('CLUSTER', 'KEYSLOT', `{${prefix}}`)) as number;
      const slots = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
      owner = slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
      other = cluster.ports.find((p) => p !== owner)!;
    } finally {
      probe.disconnect();
    }
  }, 90_000);
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
  });
  afterAll(async () => {
    await cluster?.stop();
    await env.dispose();
  });

  it('is not ready where BullMQ cannot run (MOVED), though PING answers', async () => {
    const { app, baseUrl } = await startApp(env, { REDIS_URL: `redis://127.0.0.1:${other}/0`, QUEUE_PREFIX: prefix });
    apps.push(app);
    const ready = await request(baseUrl, 'GET', '/readyz', undefined, anonymous);
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'not_ready', failed: ['queue'] });
    expect((await request(baseUrl, 'GET', '/readyz', undefined, adminAuth)).body.checks.queue.detail).toContain('MOVED');
  });

  it('is ready on the node that owns the deployment slot, where BullMQ does run', async () => {
    const { app, baseUrl } = await startApp(env, { REDIS_URL: `redis://127.0.0.1:${owner}/0`, QUEUE_PREFIX: prefix });
    apps.push(app);
    expect((await request(baseUrl, 'GET', '/readyz', undefined, anonymous)).body).toEqual({ status: 'ready', failed: [] });
  });
});
