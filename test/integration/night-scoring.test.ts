import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { createDb } from '../../src/db/connection.js';
import type { Database } from '../../src/db/database.js';
import { loadModelFolder, type LoadedModel } from '../../src/models/model-loader.js';
import { processNightScoring } from '../../src/night-scoring/night-scoring.processor.js';
import { lockNight } from '../../src/night-scoring/night-scoring.repository.js';
import { scoreNight } from '../../src/scoring/night-scorer.js';
import { writeContextModel } from '../helpers/context-model.js';
import { createRecording, INGEST_PATH, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { copyModels } from '../helpers/model-dirs.js';
import { waitUntil } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, type Night } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const VERSION = 'ctx-test';

function epochsOf(night: Night, positions: readonly number[]) {
  return positions.map((k) => ({ epoch_index: night.indices[k]!, features: night.features[k]! }));
}

async function ingest(baseUrl: string, recordingId: string, epochs: Array<{ epoch_index: number; features: number[] }>): Promise<string> {
  const res = await request(baseUrl, 'POST', INGEST_PATH, { recording_id: recordingId, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.job_id as string;
}

async function predictionsOf(baseUrl: string, recordingId: string, version = VERSION) {
  const res = await request(baseUrl, 'GET', `/v1/recordings/${recordingId}/predictions?model_version=${version}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { scored_at: string | null; items: Array<{ epoch_index: number; stage: string; probabilities: number[] }> };
}

/** What the night scorer computes in-process for a whole night, by epoch index. */
function expectedScores(model: LoadedModel, night: Night) {
  const raw = Float32Array.from(night.features.flat());
  const scores = scoreNight(model.night, night.indices, raw, night.indices.length);
  const k = model.labels.length;
  return new Map(
    night.indices.map((index, i) => [index, { stage: model.labels[scores.classes[i]!]!, probabilities: Array.from(scores.probabilities.subarray(i * k, (i + 1) * k)) }]),
  );
}

function expectMatches(items: Array<{ epoch_index: number; stage: string; probabilities: number[] }>, expected: ReturnType<typeof expectedScores>) {
  expect(items).toHaveLength(expected.size);
  for (const item of items) {
    const want = expected.get(item.epoch_index)!;
    expect(item.stage).toBe(want.stage);
    // real[] comes back as its shortest decimal; rounding it to float32 gives the stored value.
    expect(item.probabilities.map(Math.fround)).toEqual(want.probabilities);
  }
}

async function writtenCounter(app: RunningApp): Promise<number> {
  const metric = await app.app.ctx.metrics.registry.getSingleMetric('noctis_predictions_written_total')!.get();
  return metric.values.filter((v) => v.labels['model_version'] === VERSION).reduce((s, v) => s + v.value, 0);
}

describe('night-level scoring with a context model', () => {
  let env: TestEnv;
  let models: { dir: string; remove(): void };
  let model: LoadedModel;
  let api: RunningApp;
  let db: Kysely<Database>;
  const settings = { ACTIVE_MODEL_VERSION: VERSION, NIGHT_SCORING_DEBOUNCE_MS: '150', WORKER_CONCURRENCY: '4', SWEEP_STALE_SECONDS: '2' };

  beforeAll(async () => {
    env = await createTestEnv();
    models = copyModels(['wnr-v2']);
    writeContextModel(models.dir, VERSION);
    model = await loadModelFolder(models.dir, VERSION);
    api = await startTestApp(env, { env: { MODELS_DIR: models.dir, ...settings } });
    db = openDb(env);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.destroy();
    await env?.dispose();
    models?.remove();
  });

  it('scores a night sent in shuffled, overlapping, concurrent parts exactly like the same night sent at once', async () => {
    const night = syntheticNight(7, 960, { dropEvery: 37 });
    const all = night.indices.map((_, k) => k);
    const whole = await createRecording(api.baseUrl);
    const parts = await createRecording(api.baseUrl);

    const wholeJob = await waitForJob(api.baseUrl, await ingest(api.baseUrl, whole.id, epochsOf(night, all)));
    expect(wholeJob.state).toBe('completed');
    expect(wholeJob.result).toMatchObject({ accepted: night.indices.length, inserted: night.indices.length, duplicates: 0, predicted: night.indices.length, rescored: 0, model_version: VERSION });

    // 12 slices in a shuffled order, three of them sent twice, all in flight at once.
    const slices = Array.from({ length: 12 }, (_, s) => all.filter((k) => k % 12 === s));
    const order = [5, 0, 11, 3, 8, 1, 10, 6, 2, 9, 4, 7, 3, 0, 9];
    const jobs = await Promise.all(order.map((s) => ingest(api.baseUrl, parts.id, epochsOf(night, slices[s]!))));
    const finished = await Promise.all(jobs.map((id) => waitForJob(api.baseUrl, id)));
    for (const [j, job] of finished.entries()) {
      expect(job.state, JSON.stringify(job)).toBe('completed');
      const size = slices[order[j]!]!.length;
      expect(job.result).toMatchObject({ accepted: size, predicted: size, model_version: VERSION });
      expect(job.result.inserted + job.result.duplicates).toBe(size);
      expect(job.result.rescored).toBeGreaterThanOrEqual(0);
    }
    expect(finished.reduce((n, job) => n + job.result.inserted, 0)).toBe(night.indices.length);

    const expected = expectedScores(model, night);
    const one = await predictionsOf(api.baseUrl, whole.id);
    const many = await predictionsOf(api.baseUrl, parts.id);
    expectMatches(one.items, expected);
    expectMatches(many.items, expected);
    expect(many.items).toEqual(one.items);
    expect(Date.parse(one.scored_at!)).toBeGreaterThan(Date.now() - 60_000);
    // The decoder fixed the REM share of the night, so the night holds some REM and some NREM.
    expect(new Set(one.items.map((i) => i.stage))).toEqual(new Set(['W', 'NREM', 'REM']));

    // Re-sending the whole night changes nothing: the job completes without a scoring.
    const before = await writtenCounter(api);
    const again = await waitForJob(api.baseUrl, await ingest(api.baseUrl, parts.id, epochsOf(night, all)));
    expect(again.result).toMatchObject({ inserted: 0, duplicates: night.indices.length, predicted: night.indices.length, rescored: 0, model_version: VERSION });
    expect(await writtenCounter(api)).toBe(before);
    expect((await predictionsOf(api.baseUrl, parts.id)).items).toEqual(many.items);
  });

  it('writes fewer than 3 predictions per stored epoch for a night sent in 100 parts', async () => {
    const night = syntheticNight(11, 1000);
    const rec = await createRecording(api.baseUrl);
    const before = await writtenCounter(api);
    const jobs: string[] = [];
    for (let p = 0; p < 100; p++) jobs.push(await ingest(api.baseUrl, rec.id, epochsOf(night, Array.from({ length: 10 }, (_, k) => p * 10 + k))));
    // One poller at a time: a hundred at once would meet the rate limit.
    const finished = [];
    for (const id of jobs) finished.push(await waitForJob(api.baseUrl, id, 60_000));
    expect(finished.every((job) => job.state === 'completed')).toBe(true);
    const perEpoch = ((await writtenCounter(api)) - before) / night.indices.length;
    expect(perEpoch).toBeGreaterThanOrEqual(1);
    expect(perEpoch).toBeLessThan(3);
    expectMatches((await predictionsOf(api.baseUrl, rec.id)).items, expectedScores(model, night));
  });

  it('re-sends the scoring request Redis lost (the sweeper finds the waiting job)', async () => {
    const night = syntheticNight(13, 300);
    const rec = await createRecording(api.baseUrl);
    // The first upload into an empty recording is scored at once; the second one waits for a scoring.
    const firstHalf = night.indices.map((_, k) => k).filter((k) => k < 150);
    const secondHalf = night.indices.map((_, k) => k).filter((k) => k >= 150);
    expect((await waitForJob(api.baseUrl, await ingest(api.baseUrl, rec.id, epochsOf(night, firstHalf)))).result).toMatchObject({ predicted: 150, rescored: 0 });
    // A second worker with a long debounce holds the scoring back long enough to lose it.
    const slow = await startTestApp(env, { roles: { web: false, worker: true }, env: { MODELS_DIR: models.dir, ...settings, NIGHT_SCORING_DEBOUNCE_MS: '600000', NIGHT_SCORING_MAX_WAIT_SECONDS: '4' } });
    await api.app.stop();
    try {
      const web = await startTestApp(env, { roles: { web: true, worker: false }, env: { MODELS_DIR: models.dir, ...settings } });
      try {
        const jobId = await ingest(web.baseUrl, rec.id, epochsOf(night, secondHalf));
        await waitUntil('the epochs to be stored', async () => (await db.selectFrom('jobs').select('awaits_scoring').where('id', '=', jobId).executeTakeFirst())?.awaits_scoring === true, 20_000);
        await slow.app.ctx.queues.shards[0]!.night.obliterate({ force: true });
        const job = await waitForJob(web.baseUrl, jobId, 30_000);
        expect(job.state, JSON.stringify(job)).toBe('completed');
        // Its own 150 epochs, and the first half's predictions changed by their new neighbours.
        expect(job.result).toMatchObject({ predicted: 150, model_version: VERSION });
        expect(job.result.rescored).toBeGreaterThan(0);
        expectMatches((await predictionsOf(web.baseUrl, rec.id)).items, expectedScores(model, night));
      } finally {
        await web.stop();
      }
    } finally {
      await slow.stop();
      api = await startTestApp(env, { env: { MODELS_DIR: models.dir, ...settings } });
    }
  });

  it('runs one scoring or upload of a night at a time: each waits while another holds the night', async () => {
    const night = syntheticNight(37, 200);
    const rec = await createRecording(api.baseUrl);
    const holder = createDb(env.database.url, 1);
    // Holds the night's lock on a connection of its own, as a scoring in flight would, until released.
    const hold = async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const done = holder.db.transaction().execute(async (trx) => {
        await lockNight(trx, rec.id);
        locked();
        await held;
      });
      await isLocked;
      return async () => {
        release();
        await done;
      };
    };
    try {
      // An upload waits.
      let release = await hold();
      const jobId = await ingest(api.baseUrl, rec.id, epochsOf(night, night.indices.map((_, k) => k)));
      await new Promise((r) => setTimeout(r, 1000));
      const state = (await request(api.baseUrl, 'GET', `/v1/jobs/${jobId}`)).body.state;
      const stored = (await predictionsOf(api.baseUrl, rec.id)).items.length;
      await release();
      expect(state).toBe('active');
      expect(stored).toBe(0);
      expect((await waitForJob(api.baseUrl, jobId)).state).toBe('completed');

      // A scoring waits (called directly; the inline scoring above left the night its scoring row).
      release = await hold();
      let settled = false;
      const job = { data: { recordingId: rec.id, generation: 0 } } as Parameters<typeof processNightScoring>[2];
      const scoring = processNightScoring(api.app.ctx, api.app.ctx.logger, job, undefined).finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 500));
      const waited = !settled;
      await release();
      await scoring;
      expect(waited).toBe(true);
    } finally {
      await holder.db.destroy();
    }
  });

  it('fails the waiting jobs with a clear error when a stored feature vector has the wrong length', async () => {
    const night = syntheticNight(17, 120);
    const rec = await createRecording(api.baseUrl);
    await sql`INSERT INTO epochs (recording_id, epoch_index, ts, features) VALUES (${rec.id}::uuid, 500, ${rec.started_at}::timestamptz + make_interval(secs => 500 * 30), ARRAY[1, 2, 3, 4]::real[])`.execute(db);
    const job = await waitForJob(api.baseUrl, await ingest(api.baseUrl, rec.id, epochsOf(night, night.indices.map((_, k) => k))));
    expect(job.state).toBe('failed');
    expect(job.error.message).toMatch(/epoch 500 has 4 stored features; the model expects 5/);
    // The upload itself is stored; nothing was scored.
    expect(job.result).toMatchObject({ inserted: night.indices.length });
    expect((await predictionsOf(api.baseUrl, rec.id)).items).toEqual([]);
  });

  it('inline predict scores the epochs given as one night, list position standing in for a missing index', async () => {
    const night = syntheticNight(19, 240);
    const positional = await request(api.baseUrl, 'POST', '/v1/predict', { feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: night.features.map((features) => ({ features })) });
    expect(positional.status, JSON.stringify(positional.body)).toBe(200);
    const expected = expectedScores(model, night);
    for (const p of positional.body.predictions) expect(p.stage).toBe(expected.get(p.epoch_index)!.stage);
    // The same night in reverse order with explicit indices: the same answer per index.
    const reversed = night.indices.map((_, k) => night.indices.length - 1 - k);
    const shuffled = await request(api.baseUrl, 'POST', '/v1/predict', { feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: epochsOf(night, reversed) });
    expect(shuffled.status).toBe(200);
    const byIndex = new Map(positional.body.predictions.map((p: { epoch_index: number }) => [p.epoch_index, p]));
    for (const p of shuffled.body.predictions) expect(p).toEqual(byIndex.get(p.epoch_index));
  });

  it('a predict job scores with the whole night and writes only the requested range', async () => {
    const night = syntheticNight(23, 400);
    const rec = await createRecording(api.baseUrl);
    await waitForJob(api.baseUrl, await ingest(api.baseUrl, rec.id, epochsOf(night, night.indices.map((_, k) => k))));
    writeContextModel(models.dir, 'ctx-test-b', [-0.8, 1.0, -0.5]);
    expect((await request(api.baseUrl, 'POST', '/v1/models/reload', { version: VERSION })).status).toBe(200);
    const from = new Date(Date.parse(rec.started_at) + 100 * 30_000).toISOString();
    const to = new Date(Date.parse(rec.started_at) + 200 * 30_000).toISOString();
    const res = await request(api.baseUrl, 'POST', '/v1/predict', { recording_id: rec.id, model_version: 'ctx-test-b', from, to });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const job = await waitForJob(api.baseUrl, res.body.job_id);
    expect(job.result).toEqual({ model_version: 'ctx-test-b', predicted: 100, written: 100 });
    const other = await loadModelFolder(models.dir, 'ctx-test-b');
    const expected = expectedScores(other, night);
    const items = (await predictionsOf(api.baseUrl, rec.id, 'ctx-test-b')).items;
    expect(items.map((i) => i.epoch_index)).toEqual(Array.from({ length: 100 }, (_, k) => 100 + k));
    for (const item of items) expect(item.probabilities.map(Math.fround)).toEqual(expected.get(item.epoch_index)!.probabilities);
  });

  it('re-score scores each chosen recording whole with the pipeline, short recordings packed into one chunk', async () => {
    const nights = [syntheticNight(29, 300), syntheticNight(31, 420, { dropEvery: 9 })];
    const recs = [];
    for (const night of nights) {
      const rec = await createRecording(api.baseUrl);
      await waitForJob(api.baseUrl, await ingest(api.baseUrl, rec.id, epochsOf(night, night.indices.map((_, k) => k))));
      recs.push(rec.id);
    }
    const res = await request(api.baseUrl, 'POST', '/v1/rescore', { model_version: 'ctx-test-b', recording_ids: recs });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const job = await waitForJob(api.baseUrl, res.body.job_id);
    const epochs = nights.reduce((n, night) => n + night.indices.length, 0);
    expect(job.result).toMatchObject({ model_version: 'ctx-test-b', rescored: epochs, recordings: 2, chunks: { total: 1, completed: 1 } });
    const chunk = await db.selectFrom('rescore_chunks').select(['recording_ids', 'epochs']).where('job_id', '=', res.body.job_id).executeTakeFirstOrThrow();
    expect([...chunk.recording_ids!].sort()).toEqual([...recs].sort());
    expect(chunk.epochs).toBe(epochs);
    const other = await loadModelFolder(models.dir, 'ctx-test-b');
    for (const [k, night] of nights.entries()) expectMatches((await predictionsOf(api.baseUrl, recs[k]!, 'ctx-test-b')).items, expectedScores(other, night));
  });
});

describe('night scoring with two worker processes and concurrent uploads', () => {
  let env: TestEnv;
  let models: { dir: string; remove(): void };
  const apps: RunningApp[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    models = copyModels(['wnr-v2']);
    writeContextModel(models.dir, VERSION);
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await env?.dispose();
    models?.remove();
  });

  it('never lets an older scoring of a night overwrite a newer one', async () => {
    // No debounce: every part asks for its own scoring at once, so scorings of one night overlap.
    const settings = { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: VERSION, NIGHT_SCORING_DEBOUNCE_MS: '0', NIGHT_SCORING_SETTLE_SECONDS: '1', WORKER_CONCURRENCY: '4' };
    const web = await startTestApp(env, { roles: { web: true, worker: false }, env: settings });
    apps.push(web);
    for (let w = 0; w < 2; w++) apps.push(await startTestApp(env, { roles: { web: false, worker: true }, env: settings }));
    const model = await loadModelFolder(models.dir, VERSION);
    const nights = [syntheticNight(41, 600), syntheticNight(43, 600), syntheticNight(47, 600)];
    const recs = await Promise.all(nights.map(() => createRecording(web.baseUrl)));
    const jobs = await Promise.all(
      nights.flatMap((night, r) =>
        Array.from({ length: 30 }, (_, p) => ingest(web.baseUrl, recs[r]!.id, epochsOf(night, night.indices.map((_, k) => k).filter((k) => k % 30 === p)))),
      ),
    );
    const finished = [];
    for (const id of jobs) finished.push(await waitForJob(web.baseUrl, id, 120_000));
    expect(finished.filter((job) => job.state !== 'completed')).toEqual([]);
    for (const [r, night] of nights.entries()) expectMatches((await predictionsOf(web.baseUrl, recs[r]!.id)).items, expectedScores(model, night));
  }, 180_000);
});
