import { readFileSync, writeFileSync, cpSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { expectError, ingestPacked } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { copyModels } from '../helpers/model-dirs.js';
import { waitUntil } from '../helpers/processes.js';
import { uniqueName } from '../helpers/services.js';
import { packRows, type Night } from '../helpers/sleep-data.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const STARTED_AT = '2026-11-20T22:00:00.000Z';
const ALT_SCHEMA = 'sleep-accel-alt';
const CHUNK_EPOCHS = 50;

async function newDevice(baseUrl: string): Promise<string> {
  const res = await request(baseUrl, 'POST', '/v1/devices', { external_id: uniqueName('dev') });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function newRecording(baseUrl: string, deviceId: string, schema = 'sleep-accel-v1'): Promise<string> {
  const res = await request(baseUrl, 'POST', '/v1/recordings', { device_id: deviceId, started_at: STARTED_AT, feature_schema_version: schema });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

describe('bulk re-scoring (POST /v1/rescore, GET and DELETE /v1/jobs/{id})', () => {
  let env: TestEnv;
  let models: ReturnType<typeof copyModels>;
  let api: RunningApp;
  let handle: DbHandle;
  const nights: Night[] = [];
  let deviceA: string;
  let deviceB: string;
  let recs: string[] = [];
  let alt: string;

  const predictionCount = async (version: string, recordingId?: string) => {
    let q = handle.db.selectFrom('predictions').select(sql<number>`count(*)::int`.as('n')).where('model_version', '=', version);
    if (recordingId) q = q.where('recording_id', '=', recordingId);
    return (await q.executeTakeFirstOrThrow()).n;
  };
  const clearVersion = (version: string) => handle.db.deleteFrom('predictions').where('model_version', '=', version).execute();
  const rescore = async (body: Record<string, unknown>) => {
    const res = await request(api.baseUrl, 'POST', '/v1/rescore', body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.status_url).toBe(`/v1/jobs/${res.body.job_id}`);
    return waitForJob(api.baseUrl, res.body.job_id, 30_000);
  };

  beforeAll(async () => {
    models = copyModels(['wnr-v1', 'wnr-v2']);
    // A model of another feature schema, so a recording of that schema exists and must be skipped.
    cpSync(path.join(models.dir, 'wnr-v1'), path.join(models.dir, 'alt-v1'), { recursive: true });
    const schemaFile = path.join(models.dir, 'alt-v1', 'feature_schema.json');
    writeFileSync(schemaFile, JSON.stringify({ ...JSON.parse(readFileSync(schemaFile, 'utf8')), version: ALT_SCHEMA }));
    env = await createTestEnv();
    api = await startTestApp(env, { env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: 'wnr-v1', RESCORE_CHUNK_EPOCHS: String(CHUNK_EPOCHS), RESCORE_CONCURRENCY: '2' } });
    handle = createDb(env.database.url, 2);
    deviceA = await newDevice(api.baseUrl);
    deviceB = await newDevice(api.baseUrl);
    for (const [k, night] of syntheticNights(3).entries()) {
      nights.push(night);
      const id = await newRecording(api.baseUrl, k < 2 ? deviceA : deviceB);
      await ingestPacked(api.baseUrl, id, 0, night.features);
      recs.push(id);
    }
    alt = await newRecording(api.baseUrl, deviceB, ALT_SCHEMA);
    const ingest = await request(api.baseUrl, 'POST', '/v1/epochs:ingest', {
      recording_id: alt,
      feature_schema_version: ALT_SCHEMA,
      start_index: 0,
      packed: packRows(nights[0]!.features.slice(0, 120)),
    });
    expect(ingest.status).toBe(202);
    expect((await waitForJob(api.baseUrl, ingest.body.job_id)).state).toBe('completed');
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await handle?.db.destroy();
    await env?.dispose();
    models?.remove();
  });

  it('rejects unknown versions, devices, recordings and bad ranges', async () => {
    expect(expectError(await request(api.baseUrl, 'POST', '/v1/rescore', { model_version: 'nope-v9' }), 404, 'model_not_found').version).toBe('nope-v9');
    expectError(await request(api.baseUrl, 'POST', '/v1/rescore', { device_id: '00000000-0000-4000-8000-000000000000' }), 404, 'device_not_found');
    const missing = expectError(await request(api.baseUrl, 'POST', '/v1/rescore', { recording_ids: [recs[0], '00000000-0000-4000-8000-000000000001'] }), 404, 'recording_not_found');
    expect(missing.missing).toEqual(['00000000-0000-4000-8000-000000000001']);
    expectError(await request(api.baseUrl, 'POST', '/v1/rescore', { from: '2026-11-21T00:00:00Z', to: '2026-11-20T00:00:00Z' }), 400, 'invalid_range');
    expectError(await request(api.baseUrl, 'POST', '/v1/rescore', { only_missing: 'yes' }), 422, 'validation_failed');
    expectError(await request(api.baseUrl, 'POST', '/v1/rescore', { recording_ids: ['not-a-uuid'] }), 422, 'validation_failed');
    expectError(await request(api.baseUrl, 'POST', '/v1/rescore', { surprise: 1 }), 422, 'validation_failed');
  });

  it('re-scores every stored epoch to a second version with exact counts, and the same twice leaves one prediction per epoch', async () => {
    const total = nights.reduce((n, night) => n + night.indices.length, 0);
    expect(await predictionCount('wnr-v2')).toBe(0);
    // Every recording is longer than a chunk, so each is a chunk of its own.
    const chunks = nights.length;
    for (let round = 0; round < 2; round++) {
      const job = await rescore({ model_version: 'wnr-v2' });
      expect(job.type).toBe('rescore');
      expect(job.state).toBe('completed');
      expect(job.progress).toEqual({ done: total, total });
      // The second round scores every night again and finds nothing to change.
      expect(job.result).toMatchObject({ model_version: 'wnr-v2', rescored: round === 0 ? total : 0, skipped: 1, failed: 0, recordings: 3, planned: true });
      expect(job.result.chunks).toEqual({ total: chunks, pending: 0, completed: chunks, failed: 0, cancelled: 0 });
      for (const [k, id] of recs.entries()) expect(await predictionCount('wnr-v2', id)).toBe(nights[k]!.indices.length);
      expect(await predictionCount('wnr-v2', alt)).toBe(0);
      const distinct = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM (SELECT DISTINCT recording_id, epoch_index FROM predictions WHERE model_version = 'wnr-v2') d`.execute(handle.db);
      expect(distinct.rows[0]!.n).toBe(total);
    }
    // wnr-v1 predictions from ingest are untouched, and v2's agree with scoring the same features inline.
    expect(await predictionCount('wnr-v1')).toBe(total);
    const stored = await request(api.baseUrl, 'GET', `/v1/recordings/${recs[0]}/predictions?model_version=wnr-v2`);
    const inline = await request(api.baseUrl, 'POST', '/v1/predict', {
      model_version: 'wnr-v2',
      feature_schema_version: 'sleep-accel-v1',
      epochs: nights[0]!.features.slice(0, 200).map((features, epoch_index) => ({ epoch_index, features })),
    });
    expect(inline.status).toBe(200);
    expect(stored.body.items.slice(0, 200).map((p: { stage: string }) => p.stage)).toEqual(inline.body.predictions.map((p: { stage: string }) => p.stage));
  });

  it('filters by recording_ids, device_id, time range and only_missing', async () => {
    await clearVersion('wnr-v2');
    let job = await rescore({ model_version: 'wnr-v2', recording_ids: [recs[1]] });
    expect(job.result).toMatchObject({ rescored: nights[1]!.indices.length, skipped: 0, recordings: 1 });
    expect(await predictionCount('wnr-v2')).toBe(nights[1]!.indices.length);

    await clearVersion('wnr-v2');
    job = await rescore({ model_version: 'wnr-v2', device_id: deviceB });
    expect(job.result).toMatchObject({ rescored: nights[2]!.indices.length, skipped: 1, recordings: 1 });
    expect(await predictionCount('wnr-v2', recs[2])).toBe(nights[2]!.indices.length);
    expect(await predictionCount('wnr-v2')).toBe(nights[2]!.indices.length);

    // The time range chooses recordings with an epoch in it (ts = started_at + 30 s × index); each
    // chosen one is scored whole. Starting at the shortest night's end leaves that night out.
    await clearVersion('wnr-v2');
    const at = (index: number) => new Date(Date.parse(STARTED_AT) + index * 30_000).toISOString();
    // Ingest packed each night from index 0, so a night of n epochs spans indices 0..n-1.
    const lengths = nights.map((night) => night.features.length);
    const shortest = Math.min(...lengths);
    const chosen = recs.filter((_, k) => lengths[k]! > shortest);
    const chosenEpochs = nights.filter((_, k) => lengths[k]! > shortest).reduce((n, night) => n + night.indices.length, 0);
    job = await rescore({ model_version: 'wnr-v2', from: at(shortest), recording_ids: recs });
    expect(job.result).toMatchObject({ rescored: chosenEpochs, recordings: chosen.length });
    expect(job.progress).toEqual({ done: chosenEpochs, total: chosenEpochs });
    for (const [k, id] of recs.entries()) expect(await predictionCount('wnr-v2', id)).toBe(chosen.includes(id) ? nights[k]!.indices.length : 0);

    // only_missing chooses recordings with an epoch lacking a wnr-v2 prediction and scores them
    // whole; predictions that come out the same are not rewritten.
    await handle.db.deleteFrom('predictions').where('model_version', '=', 'wnr-v2').where('recording_id', '=', chosen[0]!).where('epoch_index', '<', 100).execute();
    const before = await handle.db.selectFrom('predictions').select(['recording_id', 'epoch_index', 'created_at']).where('model_version', '=', 'wnr-v2').execute();
    job = await rescore({ model_version: 'wnr-v2', only_missing: true });
    const total = nights.reduce((n, night) => n + night.indices.length, 0);
    const unchosen = total - chosenEpochs;
    expect(job.result).toMatchObject({ rescored: unchosen + 100, recordings: recs.length - chosen.length + 1, skipped: 1, failed: 0 });
    expect(await predictionCount('wnr-v2')).toBe(total);
    const after = await handle.db.selectFrom('predictions').select(['recording_id', 'epoch_index', 'created_at']).where('model_version', '=', 'wnr-v2').execute();
    const key = (r: { recording_id: string; epoch_index: number }) => `${r.recording_id}/${r.epoch_index}`;
    const createdBefore = new Map(before.map((r) => [key(r), r.created_at.getTime()]));
    const kept = after.filter((row) => createdBefore.has(key(row)));
    expect(kept).toHaveLength(before.length);
    for (const row of kept) expect(row.created_at.getTime()).toBe(createdBefore.get(key(row)));
    // Nothing missing any more: a second only_missing run plans nothing and completes at once.
    job = await rescore({ model_version: 'wnr-v2', only_missing: true });
    expect(job.result).toMatchObject({ rescored: 0, recordings: 0 });
    expect(job.progress).toEqual({ done: 0, total: 0 });
  });

  it('defaults to the active version', async () => {
    const res = await request(api.baseUrl, 'POST', '/v1/rescore', { recording_ids: [recs[0]] });
    expect(res.status).toBe(202);
    expect(res.body.model_version).toBe('wnr-v1');
    const job = await waitForJob(api.baseUrl, res.body.job_id);
    // Ingest stored exactly what scoring the night again gives: nothing to rewrite.
    expect(job.result).toMatchObject({ model_version: 'wnr-v1', rescored: 0, recordings: 1 });
    expect(job.progress).toEqual({ done: nights[0]!.indices.length, total: nights[0]!.indices.length });
  });

  it('cancels: no chunk starts afterwards, finished chunks stay, the state is cancelled', async () => {
    await clearVersion('wnr-v2');
    // Twenty more recordings of 200 epochs: each a chunk of its own, so the cancel finds chunks queued.
    await sql`
      WITH r AS (INSERT INTO recordings (device_id, started_at, feature_schema_version, epoch_seconds, metadata)
                 SELECT ${deviceA}::uuid, ${STARTED_AT}::timestamptz, 'sleep-accel-v1', 30, '{}' FROM generate_series(1, 20) RETURNING id, started_at)
      INSERT INTO epochs (recording_id, epoch_index, ts, features)
      SELECT r.id, i, r.started_at + i * interval '30 seconds', ARRAY[i % 300, 0.5, cos(i / 500.0), i / 120.0, 0.1]::real[]
      FROM r, generate_series(0, 199) AS i`.execute(handle.db);
    const res = await request(api.baseUrl, 'POST', '/v1/rescore', { model_version: 'wnr-v2' });
    expect(res.status).toBe(202);
    const id = res.body.job_id as string;
    await waitUntil('the first chunk to finish', async () => (await request(api.baseUrl, 'GET', `/v1/jobs/${id}`)).body.progress.done > 0, 20_000, 5);
    const cancelled = await request(api.baseUrl, 'DELETE', `/v1/jobs/${id}`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.state).toBe('cancelled');
    expect(cancelled.body.finished_at).not.toBeNull();
    // Chunks running at the cancel finish; after that nothing moves.
    await waitUntil('running chunks to settle', async () => {
      const open = await handle.db.selectFrom('rescore_chunks').select('id').where('job_id', '=', id).where('state', 'in', ['queued', 'active']).execute();
      return open.length === 0;
    });
    await new Promise((r) => setTimeout(r, 300));
    const job = (await request(api.baseUrl, 'GET', `/v1/jobs/${id}`)).body;
    expect(job.state).toBe('cancelled');
    expect(job.result.chunks.completed).toBeGreaterThan(0);
    expect(job.result.chunks.cancelled).toBeGreaterThan(0);
    expect(job.result.chunks.completed + job.result.chunks.cancelled).toBe(job.result.chunks.total);
    expect(job.progress.done).toBeLessThan(job.progress.total);
    expect(await predictionCount('wnr-v2')).toBe(job.result.rescored);
    expect(job.progress.done).toBe(job.result.rescored);

    expectError(await request(api.baseUrl, 'DELETE', `/v1/jobs/${id}`), 409, 'job_already_finished');
    expectError(await request(api.baseUrl, 'DELETE', '/v1/jobs/00000000-0000-4000-8000-000000000000'), 404, 'job_not_found');
    const ingestJob = await handle.db.selectFrom('jobs').select('id').where('type', '=', 'ingest').executeTakeFirstOrThrow();
    expectError(await request(api.baseUrl, 'DELETE', `/v1/jobs/${ingestJob.id}`), 409, 'job_not_cancellable');
  });
});

describe('the nightly re-score schedule (RESCORE_CRON)', () => {
  let env: TestEnv;
  let api: RunningApp | undefined;
  let handle: DbHandle;

  beforeAll(async () => {
    env = await createTestEnv();
    handle = createDb(env.database.url, 1);
  });
  afterAll(async () => {
    await api?.stop();
    await handle?.db.destroy();
    await env?.dispose();
  });

  it('re-scores with the active version what it has not scored yet, and is removed when unset', async () => {
    // Six fields: every second, so the test need not wait for 3 am.
    api = await startTestApp(env, { env: { ACTIVE_MODEL_VERSION: 'wnr-v2', RESCORE_CRON: '* * * * * *' } });
    const device = await newDevice(api.baseUrl);
    const recording = await newRecording(api.baseUrl, device);
    const [night] = syntheticNights(1);
    await ingestPacked(api.baseUrl, recording, 0, night.features);
    // Ingest scored everything with wnr-v2; drop some predictions so the schedule has work to do.
    await handle.db.deleteFrom('predictions').where('epoch_index', '<', 300).execute();
    let scheduled: { id: string; state: string; result: any; params: any } | undefined;
    await waitUntil('a scheduled re-score to complete with work done', async () => {
      const rows = await handle.db.selectFrom('jobs').select(['id', 'state', 'result', 'params']).where('type', '=', 'rescore').orderBy('created_at').execute();
      scheduled = rows.find((j) => j.state === 'completed' && (j.result as { rescored: number }).rescored > 0);
      return scheduled !== undefined;
    }, 20_000, 100);
    expect(scheduled!.params).toMatchObject({ model_version: 'wnr-v2', only_missing: true, trigger: 'schedule' });
    expect(scheduled!.result).toMatchObject({ rescored: 300, failed: 0 });
    const n = await handle.db.selectFrom('predictions').select(sql<number>`count(*)::int`.as('n')).where('recording_id', '=', recording).executeTakeFirstOrThrow();
    expect(n.n).toBe(night.features.length);
    expect(await api.app.ctx.queues.rescore.getJobSchedulersCount()).toBe(1);
    await api.stop();

    api = await startTestApp(env, { env: { ACTIVE_MODEL_VERSION: 'wnr-v2' } });
    expect(await api.app.ctx.queues.rescore.getJobSchedulersCount()).toBe(0);
  });
});

describe('resuming a re-score whose queued chunks Redis lost', () => {
  let env: TestEnv;
  const apps: RunningApp[] = [];
  let handle: DbHandle;

  beforeAll(async () => {
    env = await createTestEnv();
    handle = createDb(env.database.url, 1);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await handle?.db.destroy();
    await env?.dispose();
  });

  it('the sweeper re-runs the planner, which puts every unfinished chunk back, and the counts stay exact', async () => {
    // Six recordings of 450 epochs packed two to a 1000-epoch chunk.
    const settings = { RESCORE_CHUNK_EPOCHS: '1000', SWEEP_STALE_SECONDS: '1' };
    const api = await startTestApp(env, { roles: { web: true, worker: false }, env: settings });
    apps.push(api);
    await sql`
      WITH d AS (INSERT INTO devices (external_id, metadata) VALUES ('resume-device', '{}') RETURNING id),
      r AS (INSERT INTO recordings (device_id, started_at, feature_schema_version, epoch_seconds, metadata)
            SELECT d.id, ${STARTED_AT}::timestamptz, 'sleep-accel-v1', 30, '{}' FROM d, generate_series(1, 6) RETURNING id, started_at)
      INSERT INTO epochs (recording_id, epoch_index, ts, features)
      SELECT r.id, i, r.started_at + i * interval '30 seconds', ARRAY[i % 300, 0.5, cos(i / 500.0), i / 120.0, 0.1]::real[]
      FROM r, generate_series(0, 449) AS i`.execute(handle.db);
    const res = await request(api.baseUrl, 'POST', '/v1/rescore', { model_version: 'wnr-v2' });
    expect(res.status).toBe(202);
    const id = res.body.job_id as string;
    // Plan here (no worker runs yet), then lose every queue entry, as a Redis restarted empty would.
    const { processRescorePlan } = await import('../../src/rescore/rescore.planner.js');
    await processRescorePlan(api.app.ctx, id, api.app.ctx.logger);
    expect((await request(api.baseUrl, 'GET', `/v1/jobs/${id}`)).body.result).toMatchObject({ planned: true, recordings: 6, chunks: { total: 3, pending: 3 } });
    const packed = await handle.db.selectFrom('rescore_chunks').select(['recording_ids', 'epochs']).where('job_id', '=', id).execute();
    expect(packed.map((c) => [c.recording_ids!.length, c.epochs])).toEqual([[2, 900], [2, 900], [2, 900]]);
    await api.app.ctx.queues.rescore.obliterate({ force: true });

    apps.push(await startTestApp(env, { roles: { web: false, worker: true }, env: settings }));
    const done = await waitForJob(api.baseUrl, id, 30_000);
    expect(done.state).toBe('completed');
    expect(done.progress).toEqual({ done: 2700, total: 2700 });
    expect(done.result).toMatchObject({ rescored: 2700, failed: 0, chunks: { total: 3, pending: 0, completed: 3 } });
    const n = await handle.db.selectFrom('predictions').select(sql<number>`count(*)::int`.as('n')).where('model_version', '=', 'wnr-v2').executeTakeFirstOrThrow();
    expect(n.n).toBe(2700);
  });
});
