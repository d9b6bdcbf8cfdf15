import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { createDb } from '../../src/db/connection.js';
import { PoolExhaustedError, isDatabaseUnavailable } from '../../src/db/connection-errors.js';
import { poolDemand } from '../../src/db/pool-budget.js';
import { createWorker } from '../../src/jobs/job-worker.js';
import { expectError } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { freePort, waitUntil } from '../helpers/processes.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const failure = (work: Promise<unknown>) => work.then(() => null, (err: unknown) => err);

describe('a full connection pool is not an outage', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env.dispose();
  });

  it('tells a pool whose connections are all busy from a database that does not answer', async () => {
    const busy = createDb(env.database.url, 1, { connectTimeoutMs: 300 });
    const held = await busy.pool.connect();
    try {
      const err = await failure(sql`SELECT 1`.execute(busy.db));
      expect(err).toBeInstanceOf(PoolExhaustedError);
      expect(isDatabaseUnavailable(err)).toBe(false);
    } finally {
      held.release();
    }
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(busy.db)).rows).toEqual([{ one: 1 }]);
    await busy.db.destroy();

    // A server that accepts connections and never answers: the pool is full of clients still
    // connecting, and a caller waiting behind them has met an outage, not load.
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const hung = createDb(`postgres://postgres@127.0.0.1:${port}/x`, 1, { connectTimeoutMs: 300 });
    const errors = await Promise.all([failure(sql`SELECT 1`.execute(hung.db)), failure(sql`SELECT 1`.execute(hung.db))]);
    for (const err of errors) {
      expect(err).not.toBeInstanceOf(PoolExhaustedError);
      expect(isDatabaseUnavailable(err)).toBe(true);
    }
    await hung.db.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));

    const refused = createDb(`postgres://postgres@127.0.0.1:${await freePort()}/x`, 1, { connectTimeoutMs: 300 });
    expect(isDatabaseUnavailable(await failure(sql`SELECT 1`.execute(refused.db)))).toBe(true);
    await refused.db.destroy();
  });

  describe('over HTTP', () => {
    let api: RunningApp;
    beforeAll(async () => {
      api = await startTestApp(env, { roles: { web: true, worker: false }, env: { DB_POOL_SIZE: '1' } });
    });
    afterAll(async () => {
      await api.stop();
    });

    it('answers 503 overloaded with Retry-After while every connection stays busy past the wait', async () => {
      const held = await api.app.ctx.pool.connect();
      try {
        const res = await request(api.baseUrl, 'GET', `/v1/recordings/${randomUUID()}`);
        expect(expectError(res, 503, 'overloaded')).toMatchObject({ retry_after_seconds: 1 });
        expect(res.headers.get('retry-after')).toBe('1');
      } finally {
        held.release();
      }
      expectError(await request(api.baseUrl, 'GET', `/v1/recordings/${randomUUID()}`), 404, 'recording_not_found');
    });
  });

  it('lets a job that met a full pool retry with a normal attempt; an outage postpones it without one', async () => {
    const app = App.create({ config: env.config({ DB_POOL_SIZE: '1' }), roles: { web: false, worker: false }, logger: pino({ level: 'silent' }) });
    await app.start();
    const seen = new Map<string, number[]>();
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const worker = createWorker(app.ctx, 'predict', app.ctx.queues.predict, async (ctx, jobId, _log, job) => {
      const attempts = seen.get(jobId) ?? [];
      attempts.push(job.attemptsMade);
      seen.set(jobId, attempts);
      if (attempts.length === 1 && jobId.startsWith('b')) throw outage;
      if (attempts.length === 1) {
        // The pool's only connection is busy for longer than a query may wait for it.
        const busy = await ctx.pool.connect();
        try {
          await sql`SELECT 1`.execute(ctx.db);
        } finally {
          busy.release();
        }
      }
      return 'done';
    }, 1);
    try {
      const [overloaded, unreachable] = [`a${randomUUID().slice(1)}`, `b${randomUUID().slice(1)}`];
      await app.ctx.queues.predict.add('predict', { jobId: overloaded }, { jobId: overloaded });
      await app.ctx.queues.predict.add('predict', { jobId: unreachable }, { jobId: unreachable });
      await waitUntil('both jobs to run twice', () => (seen.get(overloaded)?.length ?? 0) >= 2 && (seen.get(unreachable)?.length ?? 0) >= 2, 40_000, 50);
      expect(seen.get(overloaded)).toEqual([0, 1]);
      expect(seen.get(unreachable)).toEqual([0, 0]);
    } finally {
      await worker.close();
      await app.stop();
    }
  });
});

describe('DB_POOL_SIZE below what the process can hold at once', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env.dispose();
  });

  it('counts the job slots of every queue (erase and retention: one each), the webhook dispatcher, the sweeper, the idle closer, the API and the model choice check', () => {
    const config = env.config({ WORKER_CONCURRENCY: '3', RESCORE_CONCURRENCY: '2' });
    expect(poolDemand(config, { web: false, worker: true }).needed).toBe(3 * 3 + 2 + 2 + 1 + 1 + 1 + 1);
    expect(poolDemand(config, { web: true, worker: true }).needed).toBe(3 * 3 + 2 + 2 + 1 + 1 + 1 + 1 + 1);
    expect(poolDemand(config, { web: true, worker: false }).needed).toBe(2);
    expect(poolDemand(env.config({ DB_POOL_SIZE: undefined, WORKER_CONCURRENCY: undefined, RESCORE_CONCURRENCY: undefined }), { web: true, worker: true }).needed).toBeLessThanOrEqual(
      env.config({ DB_POOL_SIZE: undefined }).DB_POOL_SIZE,
    );
  });

  it('warns at start, naming the numbers', async () => {
    const warnings = async (size: string) => {
      const lines: string[] = [];
      const app = App.create({ config: env.config({ DB_POOL_SIZE: size, WORKER_CONCURRENCY: '2', RESCORE_CONCURRENCY: '1' }), roles: { web: false, worker: true }, logger: pino({ level: 'warn' }, { write: (l: string) => lines.push(l) }) });
      await app.start();
      await app.stop();
      return lines.filter((l) => l.includes('DB_POOL_SIZE')).map((l) => JSON.parse(l));
    };
    const low = await warnings('12');
    expect(low).toHaveLength(1);
    expect(low[0]).toMatchObject({ DB_POOL_SIZE: 12, needed: 13 });
    expect(await warnings('13')).toEqual([]);
  });
});
