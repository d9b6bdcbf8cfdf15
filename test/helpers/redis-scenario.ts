import { sql, type Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Env } from '../../src/config/config.js';
import type { Database } from '../../src/db/database.js';
import { request, waitForJob } from './http.js';
import { uniqueName } from './services.js';
import { FEATURE_SCHEMA_VERSION, packRows, type Night } from './sleep-data.js';
import { startTestApp, type RunningApp, type TestEnv } from './test-app.js';

/** An API process and a worker process (two Apps: a reload must cross Redis to reach the worker). */
export interface Deployment {
  readonly web: RunningApp;
  readonly worker: RunningApp;
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export async function startDeployment(env: TestEnv, overrides: Env): Promise<Deployment> {
  const worker = await startTestApp(env, { roles: { web: false, worker: true }, env: overrides });
  const web = await startTestApp(env, { roles: { web: true, worker: false }, env: overrides }).catch(async (err: unknown) => {
    await worker.stop();
    throw err;
  });
  return { web, worker, baseUrl: web.baseUrl, stop: async () => void (await Promise.all([web.stop(), worker.stop()])) };
}

export async function newRecording(baseUrl: string): Promise<string> {
  const device = await request(baseUrl, 'POST', '/v1/devices', { external_id: uniqueName('dev') });
  expect(device.status, JSON.stringify(device.body)).toBe(201);
  const rec = await request(baseUrl, 'POST', '/v1/recordings', { device_id: device.body.id, started_at: '2026-11-25T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION });
  expect(rec.status, JSON.stringify(rec.body)).toBe(201);
  return rec.body.id;
}

/** Posts epochs `from`..`from + count - 1` of a night; answers the HTTP status and job id. */
export async function postEpochs(baseUrl: string, recordingId: string, night: Night, from = 0, count = night.features.length): Promise<{ status: number; jobId: string | null }> {
  const res = await request(baseUrl, 'POST', '/v1/epochs:ingest', {
    recording_id: recordingId,
    feature_schema_version: FEATURE_SCHEMA_VERSION,
    start_index: from,
    packed: packRows(night.features.slice(from, from + count)),
  });
  return { status: res.status, jobId: res.status === 202 ? res.body.job_id : null };
}

export async function ingestAndWait(baseUrl: string, recordingId: string, night: Night): Promise<any> {
  const { status, jobId } = await postEpochs(baseUrl, recordingId, night);
  expect(status).toBe(202);
  const job = await waitForJob(baseUrl, jobId!, 60_000);
  expect(job.state, JSON.stringify(job)).toBe('completed');
  return job;
}

export async function count(db: Kysely<Database>, table: 'epochs' | 'predictions', where: { recordingIds?: readonly string[]; modelVersion?: string } = {}): Promise<number> {
  let q = db.selectFrom(table).select(sql<number>`count(*)::int`.as('n'));
  if (where.recordingIds) q = q.where('recording_id', 'in', [...where.recordingIds]);
  if (where.modelVersion && table === 'predictions') q = q.where(sql.ref('model_version'), '=', where.modelVersion);
  return (await q.executeTakeFirstOrThrow()).n;
}

/**
 * The end-to-end path every Redis mode must carry: ingest (scored with wnr-v1), a re-score with
 * wnr-v2, and a reload broadcast that the worker acknowledges and then uses.
 */
export async function ingestRescoreReload(deployment: Deployment, db: Kysely<Database>, nights: readonly Night[]): Promise<Array<{ recordingId: string; jobId: string }>> {
  const { baseUrl } = deployment;
  const recordings: string[] = [];
  const jobs: Array<{ recordingId: string; jobId: string }> = [];
  for (const night of nights) {
    const rec = await newRecording(baseUrl);
    recordings.push(rec);
    const job = await ingestAndWait(baseUrl, rec, night);
    expect(job.result.model_version).toBe('wnr-v1');
    jobs.push({ recordingId: rec, jobId: job.id });
  }
  const epochs = nights.reduce((s, n) => s + n.features.length, 0);
  expect(await count(db, 'predictions', { recordingIds: recordings, modelVersion: 'wnr-v1' })).toBe(epochs);

  const rescore = await request(baseUrl, 'POST', '/v1/rescore', { model_version: 'wnr-v2', recording_ids: recordings });
  expect(rescore.status, JSON.stringify(rescore.body)).toBe(202);
  const rescored = await waitForJob(baseUrl, rescore.body.job_id, 60_000);
  expect(rescored.state, JSON.stringify(rescored)).toBe('completed');
  expect(rescored.result).toMatchObject({ model_version: 'wnr-v2', recordings: recordings.length });
  expect(await count(db, 'predictions', { recordingIds: recordings, modelVersion: 'wnr-v2' })).toBe(epochs);

  const reload = await request(baseUrl, 'POST', '/v1/models/reload', { version: 'wnr-v2' });
  expect(reload.status, JSON.stringify(reload.body)).toBe(200);
  // The worker App heard the broadcast and answered: expected counts the subscribers Redis reached.
  expect(reload.body.processes).toMatchObject({ expected: 1, acknowledged: 1, failed: [] });
  const after = await newRecording(baseUrl);
  const late = await ingestAndWait(baseUrl, after, nights[0]!);
  expect(late.result.model_version).toBe('wnr-v2');
  return [...jobs, { recordingId: after, jobId: late.id }];
}
