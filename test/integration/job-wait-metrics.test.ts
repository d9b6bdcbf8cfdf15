import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { newJobRow } from '../../src/jobs/jobs.repository.js';
import { enqueue } from '../../src/queues/queues.js';
import { createRecording, INGEST_PATH, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { freePort } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION } from '../helpers/sleep-data.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const epochs = Array.from({ length: 20 }, (_, i) => ({ epoch_index: i, features: [0.5, 0.25, -0.75, 1.5, 0.125] }));

/** The value of one series, matched by its labels in any order. */
function series(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}
const scrape = async (baseUrl: string) => (await request(baseUrl, 'GET', '/metrics')).body as string;

describe('noctis_job_wait_seconds: accept to completion, per type and outcome', () => {
  let env: TestEnv;
  let running: RunningApp;
  let db: Kysely<Database>;
  beforeAll(async () => {
    env = await createTestEnv();
    running = await startTestApp(env);
    db = openDb(env);
  });
  afterAll(async () => {
    await running?.stop();
    await db?.destroy();
    await env.dispose();
  });

  it('observes a completed upload once, at least as long as its row says it waited', async () => {
    const rec = await createRecording(running.baseUrl);
    const res = await request(running.baseUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs });
    expect(res.status).toBe(202);
    expect((await waitForJob(running.baseUrl, res.body.job_id)).state).toBe('completed');
    const text = await scrape(running.baseUrl);
    expect(series(text, 'noctis_job_wait_seconds_count', { type: 'ingest', outcome: 'completed' })).toBe(1);
    const row = await db.selectFrom('jobs').select(sql<number>`extract(epoch FROM finished_at - created_at)::float8`.as('waited')).where('id', '=', res.body.job_id).executeTakeFirstOrThrow();
    const sum = series(text, 'noctis_job_wait_seconds_sum', { type: 'ingest', outcome: 'completed' })!;
    expect(sum).toBeGreaterThan(0);
    // finished_at is the finishing transaction's start; the observation is taken at its UPDATE.
    expect(sum).toBeGreaterThanOrEqual(row.waited);
    // Processing time stays its own histogram.
    expect(series(text, 'noctis_job_duration_seconds_count', { queue: 'ingest', outcome: 'completed' })).toBe(1);
  });

  it('observes a re-score that its planner completes with nothing to score', async () => {
    // Every stored epoch already has the active version's prediction: no chunk, the planner finishes it.
    const started = await request(running.baseUrl, 'POST', '/v1/rescore', { only_missing: true });
    expect(started.status).toBe(202);
    const done = await waitForJob(running.baseUrl, started.body.job_id);
    expect(done.state).toBe('completed');
    expect(done.result.chunks.total).toBe(0);
    expect(series(await scrape(running.baseUrl), 'noctis_job_wait_seconds_count', { type: 'rescore', outcome: 'completed' })).toBe(1);
  });

  it('observes a cancelled re-score under outcome="cancelled"', async () => {
    // Queued and never picked up (no queue entry), so the cancel always finds it unfinished.
    const id = randomUUID();
    await db.insertInto('jobs').values(newJobRow({ id, type: 'rescore', recordingId: null, params: { model_version: 'wnr-v1' }, progress: { done: 0, total: 0 } })).execute();
    const cancelled = await request(running.baseUrl, 'DELETE', `/v1/jobs/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(series(await scrape(running.baseUrl), 'noctis_job_wait_seconds_count', { type: 'rescore', outcome: 'cancelled' })).toBe(1);
  });

  it('observes a job that failed for good under outcome="failed"', async () => {
    // A job row whose payload is missing: the processor fails it as unrecoverable.
    const rec = await createRecording(running.baseUrl);
    const id = randomUUID();
    await db.insertInto('jobs').values(newJobRow({ id, type: 'ingest', recordingId: rec.id })).execute();
    await enqueue(running.app.ctx.queues, 'ingest', id, rec.id);
    expect((await waitForJob(running.baseUrl, id)).state).toBe('failed');
    expect(series(await scrape(running.baseUrl), 'noctis_job_wait_seconds_count', { type: 'ingest', outcome: 'failed' })).toBe(1);
  });
});

describe('noctis_job_oldest_unfinished_age_seconds: from PostgreSQL job rows at scrape time', () => {
  let env: TestEnv;
  let running: RunningApp;
  let db: Kysely<Database>;
  beforeAll(async () => {
    env = await createTestEnv();
    // No worker: the rows stay as the test writes them.
    running = await startTestApp(env, { roles: { web: true, worker: false } });
    db = openDb(env);
  });
  afterAll(async () => {
    await running?.stop();
    await db?.destroy();
    await env.dispose();
  });

  it('is 0 for every type when nothing waits', async () => {
    const text = await scrape(running.baseUrl);
    for (const type of ['ingest', 'predict', 'rescore', 'erase']) expect(series(text, 'noctis_job_oldest_unfinished_age_seconds', { type })).toBe(0);
  });

  it('reports the oldest queued or active job per type, postponed ones included, finished ones never', async () => {
    const rec = await createRecording(running.baseUrl);
    const row = (type: string, state: 'queued' | 'active' | 'completed', agoSeconds: number, awaits = false) => ({
      ...newJobRow({ id: randomUUID(), type, recordingId: rec.id }),
      state,
      awaits_scoring: awaits,
      created_at: sql<Date>`now() - make_interval(secs => ${agoSeconds})`,
    });
    await db
      .insertInto('jobs')
      .values([row('predict', 'queued', 600), row('predict', 'queued', 60), row('ingest', 'active', 300, true), row('ingest', 'completed', 5000), row('erase', 'completed', 9000)])
      .execute();
    const text = await scrape(running.baseUrl);
    const age = (type: string) => series(text, 'noctis_job_oldest_unfinished_age_seconds', { type })!;
    expect(age('predict')).toBeGreaterThanOrEqual(600);
    expect(age('predict')).toBeLessThan(660);
    // An ingest job waiting for its night's scoring is still unfinished for its client.
    expect(age('ingest')).toBeGreaterThanOrEqual(300);
    expect(age('ingest')).toBeLessThan(360);
    expect(age('erase')).toBe(0);
  });

  it('reads one index probe per type, not the table', async () => {
    // A test table is tiny, so the planner would scan it whatever the indexes: forbid that to see
    // which index the per-type probe uses (the pool has one connection, so the SET holds).
    await sql`SET enable_seqscan = off`.execute(db);
    const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT created_at FROM jobs WHERE type = 'ingest' AND state IN ('queued', 'active') ORDER BY created_at LIMIT 1`.execute(db);
    expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Only Scan using jobs_unfinished_type_created_idx|Index Scan using jobs_unfinished_type_created_idx/);
  });
});

describe('the wait gauge while PostgreSQL is unreachable', () => {
  let env: TestEnv;
  let running: RunningApp;
  beforeAll(async () => {
    env = await createTestEnv();
    const url = new URL(env.database.url);
    url.port = String(await freePort());
    running = await startTestApp(env, { roles: { web: true, worker: false }, env: { DATABASE_URL: url.toString() } });
  });
  afterAll(async () => {
    await running?.stop();
    await env.dispose();
  });

  it('leaves the gauge out and still answers the scrape', async () => {
    const res = await request(running.baseUrl, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).not.toMatch(/^noctis_job_oldest_unfinished_age_seconds\{/m);
    expect(res.body).toContain('noctis_job_wait_seconds');
  });
});
