import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { request } from '../helpers/http.js';
import { waitUntil } from '../helpers/processes.js';
import { packRows } from '../helpers/sleep-data.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';
import { countRows, newRecording, postPacked, spawnReady, syntheticRows, waitForAllJobs, type Spawned } from './support.js';

const OUTAGE_MS = 6000;

describe('PostgreSQL unreachable for a while (a proxy the test cuts)', () => {
  let env: TestEnv;
  let proxy: TcpProxy;
  let direct: DbHandle;
  const procs: Spawned[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    proxy = await TcpProxy.start();
    direct = createDb(env.database.url, 2);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.handle.kill()));
    await proxy.stop();
    await direct.db.destroy();
    await env.dispose();
  });

  it('answers 503 (readyz naming database, ingest service_unavailable with Retry-After), retries jobs with backoff and completes every accepted one exactly once', async () => {
    // Nights longer than the default recording limit keep a job inside its transaction long enough.
    const processEnv = env.env({ DATABASE_URL: proxy.urlFor(env.database.url), LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '2', MAX_RECORDING_EPOCHS: '20000' });
    const api = await spawnReady('src/entry/web.ts', processEnv);
    procs.push(api);
    const worker = await spawnReady('workers/main.ts', processEnv);
    procs.push(worker);
    onTestFailed(() => console.error(`--- API output\n${api.handle.output()}\n--- worker output\n${worker.handle.output()}`));

    const perJob = 20_000;
    const accepted: Array<{ recording: string; job: string }> = [];
    const recordings = [];
    for (let r = 0; r < 5; r++) recordings.push(await newRecording(api.baseUrl, `pg-outage-${r}`));
    for (const [r, recording] of recordings.slice(0, 4).entries()) {
      const res = await postPacked(api.baseUrl, recording, packRows(syntheticRows(perJob, r)));
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      accepted.push({ recording, job: res.body.job_id });
    }
    // Cut while a job is inside its transaction.
    await waitUntil('a job to be active', async () => (await direct.db.selectFrom('jobs').select('id').where('state', '=', 'active').execute()).length > 0, 30_000, 10);
    await proxy.cut();
    const cutAt = Date.now();

    // Readiness names the database on both processes; liveness stays up.
    await waitUntil('API readyz to answer 503', async () => (await request(api.baseUrl, 'GET', '/readyz')).status === 503, 10_000, 100);
    const ready = await request(api.baseUrl, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.failed).toContain('database');
    expect(ready.body.failed).not.toContain('redis');
    const workerReady = await request(worker.baseUrl, 'GET', '/readyz');
    expect(workerReady.status).toBe(503);
    expect(workerReady.body.failed).toContain('database');
    expect((await request(api.baseUrl, 'GET', '/healthz')).status).toBe(200);

    // An ingest cannot be made durable: a prompt 503 JSON error with Retry-After, never a hang or a 500.
    const refused = [];
    while (Date.now() - cutAt < OUTAGE_MS) {
      const t0 = Date.now();
      const res = await postPacked(api.baseUrl, recordings[4]!, packRows(syntheticRows(100)));
      refused.push(res);
      expect(Date.now() - t0).toBeLessThan(7000);
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.body.error.code).toBe('service_unavailable');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const job = await request(api.baseUrl, 'GET', `/v1/jobs/${accepted[0]!.job}`);
      expect(job.status).toBe(503);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(refused.length).toBeGreaterThan(3);

    await proxy.restore();
    await waitUntil('API readyz to answer 200 again', async () => (await request(api.baseUrl, 'GET', '/readyz')).status === 200, 30_000, 200);
    await waitUntil('worker readyz to answer 200 again', async () => (await request(worker.baseUrl, 'GET', '/readyz')).status === 200, 30_000, 200);
    // Accepted again once the database is back.
    const after = await postPacked(api.baseUrl, recordings[4]!, packRows(syntheticRows(100)));
    expect(after.status).toBe(202);
    accepted.push({ recording: recordings[4]!, job: after.body.job_id });

    const jobs = await waitForAllJobs(direct.db, 120_000);
    // The refused requests left nothing behind: only the accepted jobs exist.
    expect(jobs.map((j) => j.id).sort()).toEqual(accepted.map((a) => a.job).sort());
    for (const { recording, job } of accepted) {
      const row = jobs.find((j) => j.id === job)!;
      const expected = recording === recordings[4] ? 100 : perJob;
      expect(row.state, worker.handle.output()).toBe('completed');
      expect(row.result.inserted).toBe(expected);
      expect(await countRows(direct.db, 'epochs', recording)).toBe(expected);
      expect(await countRows(direct.db, 'predictions', recording)).toBe(expected);
    }
    // At least one job failed during the outage and completed on a later attempt (backoff retries).
    expect(jobs.some((j) => j.attempts >= 2)).toBe(true);
    expect(await direct.db.selectFrom('ingest_payloads').select('job_id').execute()).toEqual([]);
    // Both processes lived through it.
    expect(api.handle.child.exitCode).toBeNull();
    expect(worker.handle.child.exitCode).toBeNull();
    const stray = await sql<{ n: number }>`SELECT count(*)::int AS n FROM epochs`.execute(direct.db);
    expect(stray.rows[0]!.n).toBe(4 * perJob + 100);
  }, 180_000);
});
