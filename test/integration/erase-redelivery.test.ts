import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import type { Database } from '../../src/db/database.js';
import { processErase } from '../../src/erase/erase.processor.js';
import { createRecording, expectError, openDb } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { waitForLockWaiters } from '../helpers/lock-waits.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// A stalled erase job is redelivered while its first run still works: two runs of one erase reach
// the last transaction. The first completes the job; the second must find it finished and write
// nothing more (no second completion, no second audit record). No worker runs: the test is the worker.

let env: TestEnv;
let api: RunningApp;
let ctx: AppContext;
let db: Kysely<Database>;

beforeAll(async () => {
  env = await createTestEnv();
  api = await startTestApp(env, { roles: { web: true, worker: false } });
  ctx = api.app.ctx;
  db = openDb(env);
});
afterAll(async () => {
  await api?.stop();
  await db?.destroy();
  await env?.dispose();
});

describe('two runs of one erase job', () => {
  it('complete it once and audit it once', async () => {
    const rec = await createRecording(api.baseUrl);
    const res = await request(api.baseUrl, 'DELETE', `/v1/recordings/${rec.id}`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const jobId = res.body.job_id as string;
    // Holds the erasure row, which the last transaction deletes: the first run waits there, the
    // second behind the first (on the recording row it deletes), so both reach the end.
    const holder = new pg.Client({ connectionString: env.database.url });
    await holder.connect();
    let runs: Array<Promise<unknown>> = [];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM erasures WHERE job_id = $1 FOR KEY SHARE', [jobId]);
      runs = [0, 1].map(() => processErase(ctx, jobId, ctx.logger).catch((err: unknown) => err));
      await waitForLockWaiters(db, 2);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    for (const outcome of await Promise.all(runs)) expect(outcome).toMatchObject({ subject: 'recording', recordings: 1 });
    const audits = await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_events WHERE action = 'erase.completed' AND target_id = ${jobId}`.execute(db);
    expect(audits.rows[0]!.n).toBe(1);
    expect((await request(api.baseUrl, 'GET', `/v1/jobs/${jobId}`)).body.state).toBe('completed');
    expectError(await request(api.baseUrl, 'GET', `/v1/recordings/${rec.id}`), 404, 'recording_not_found');
  });
});
