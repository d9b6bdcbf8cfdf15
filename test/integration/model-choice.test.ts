import type { Kysely } from 'kysely';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import type { Database } from '../../src/db/database.js';
import { readModelChoice, writeModelChoice } from '../../src/models/model-choice.repository.js';
import { openDb } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { startRedis, waitUntil } from '../helpers/processes.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// The model a reload chose is a row of PostgreSQL, not a Redis key: a Redis restarted empty made a
// process that started afterwards take the configured version while the running ones kept the
// reloaded one (uploads split between versions, summaries answering 409 no_predictions). A process
// that missed a broadcast catches up on its periodic check. The test runs the checks itself.
let testEnv: TestEnv;
let redis: Awaited<ReturnType<typeof startRedis>>;
let db: Kysely<Database>;
const apps: App[] = [];
let base: string;

const start = async (roles: { web: boolean; worker: boolean }, configured = 'wnr-v3', redisUrl = redis.url) => {
  const app = App.create({
    config: testEnv.config({ REDIS_URL: redisUrl, ACTIVE_MODEL_VERSION: configured, MODEL_SYNC_INTERVAL_SECONDS: '3600' }),
    roles,
    logger: pino({ level: 'silent' }),
  });
  await app.start();
  apps.push(app);
  return app;
};
const active = (app: App) => app.ctx.registry.active()?.version;

beforeAll(async () => {
  testEnv = await createTestEnv();
  redis = await startRedis();
  db = openDb(testEnv);
  const api = await start({ web: true, worker: false });
  base = `http://127.0.0.1:${api.port}`;
  await start({ web: false, worker: true });
}, 60_000);
afterAll(async () => {
  for (const app of apps) await app.stop();
  await db?.destroy();
  await redis?.stop();
  await testEnv?.dispose();
}, 60_000);

describe('the shared model choice', () => {
  it('survives Redis restarting empty: a process started afterwards takes the reloaded version', async () => {
    const res = await request(base, 'POST', '/v1/models/reload', { version: 'wnr-v2' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.processes).toMatchObject({ expected: 1, acknowledged: 1 });
    expect(apps.map(active)).toEqual(['wnr-v2', 'wnr-v2']);
    expect(await readModelChoice(db)).toMatchObject({ version: 'wnr-v2', configured: 'wnr-v3' });

    const flush = new Redis(redis.url);
    await flush.flushall();
    flush.disconnect();
    const late = await start({ web: false, worker: true });
    expect(active(late)).toBe('wnr-v2');
  });

  it('a process that missed a reload switches on its next check; one started under another configuration keeps that until a newer reload', async () => {
    // Started under another configuration: the choice was made under wnr-v3, so wnr-v1 holds.
    const reconfigured = await start({ web: false, worker: true }, 'wnr-v1');
    expect(active(reconfigured)).toBe('wnr-v1');
    await reconfigured.ctx.modelSync.checkOnce();
    expect(active(reconfigured)).toBe('wnr-v1');
    // A reload whose broadcast nobody heard (written as another API's reload would write it).
    const before = (await readModelChoice(db))!.seq;
    expect((await writeModelChoice(db, 'wldr-v2', 'wnr-v3')).seq).toBe(before + 1);
    expect(apps.slice(0, 3).map(active)).toEqual(['wnr-v2', 'wnr-v2', 'wnr-v2']);
    for (const app of apps) await app.ctx.modelSync.checkOnce();
    // Every process switches to a choice newer than what it applied, the reconfigured one too.
    expect(apps.map(active)).toEqual(['wldr-v2', 'wldr-v2', 'wldr-v2', 'wldr-v2']);
    // Checking again changes nothing.
    for (const app of apps) await app.ctx.modelSync.checkOnce();
    expect(apps.map(active)).toEqual(['wldr-v2', 'wldr-v2', 'wldr-v2', 'wldr-v2']);
  });

  it('a reload whose broadcast failed reaches every process at its next check', async () => {
    // An API of its own Redis, which goes away: its broadcast fails, the others' Redis stays up.
    const own = await startRedis();
    const lonely = await start({ web: true, worker: false }, 'wnr-v3', own.url);
    await own.stop();
    const res = await request(`http://127.0.0.1:${lonely.port}`, 'POST', '/v1/models/reload', { version: 'wnr-v1' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.processes).toMatchObject({ expected: 0, acknowledged: 0, failed: [{ process: 'every other process' }] });
    expect(await readModelChoice(db)).toMatchObject({ version: 'wnr-v1', configured: 'wnr-v3' });
    for (const app of apps) await app.ctx.modelSync.checkOnce();
    expect(apps.map(active)).toEqual(['wnr-v1', 'wnr-v1', 'wnr-v1', 'wnr-v1', 'wnr-v1']);
    const back = await startRedis(own.port);
    await lonely.stop();
    await back.stop();
  }, 60_000);

  it('a broadcast older than the choice a process applied (two reloads racing) changes nothing', async () => {
    const { seq } = (await readModelChoice(db))!;
    const listener = new Redis(redis.url);
    const acks: Array<{ requestId: string; ok: boolean }> = [];
    await listener.subscribe(`{${testEnv.queuePrefix}}:models:ack`);
    listener.on('message', (_channel, text) => acks.push(JSON.parse(text)));
    const sender = new Redis(redis.url);
    const requestId = 'stale-reload';
    const heard = await sender.publish(`{${testEnv.queuePrefix}}:models:reload`, JSON.stringify({ requestId, origin: 'the test', version: 'wnr-v2', seq: seq - 1 }));
    expect(heard).toBe(4);
    await waitUntil('every process to answer', async () => acks.filter((a) => a.requestId === requestId).length === 4, 10_000, 20);
    expect(acks.filter((a) => a.requestId === requestId).every((a) => a.ok)).toBe(true);
    expect(apps.slice(0, 4).map(active)).toEqual(['wnr-v1', 'wnr-v1', 'wnr-v1', 'wnr-v1']);
    listener.disconnect();
    sender.disconnect();
  });

  it('a choice heard while this process makes its own reload never lands between its switch and its record', async () => {
    const api = apps[0]!;
    const { seq } = (await readModelChoice(db))!;
    // Another API's reload, recorded first, whose broadcast arrives while this one's runs.
    await writeModelChoice(db, 'wnr-v2', 'wnr-v3');
    const mine = api.ctx.modelSync.reload('wldr-v2', 'wnr-v3');
    const heard = api.ctx.modelSync.applyChoice(seq + 1, 'wnr-v2');
    const [{ outcome }] = await Promise.all([mine, heard]);
    expect(outcome.active.version).toBe('wldr-v2');
    expect(await readModelChoice(db)).toMatchObject({ seq: seq + 2, version: 'wldr-v2' });
    expect(active(api)).toBe('wldr-v2');
    await api.ctx.modelSync.checkOnce();
    expect(active(api)).toBe('wldr-v2');
  });
});
