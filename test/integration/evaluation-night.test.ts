// Night statistics in the evaluation routes, on nights small enough to score by hand: labels are
// stored over HTTP, predictions of a version that no ingest writes are inserted in this file's own
// database, and every expected figure is worked out in the comments (30-s epochs: 0.5 min each).
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { ModelEvaluation, RecordingEvaluation } from '../../src/evaluation/evaluation.schemas.js';
import { expectError, INGEST_PATH, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { copyModels, writeModelCopy } from '../helpers/model-dirs.js';
import { FEATURE_SCHEMA_VERSION } from '../helpers/sleep-data.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const ACTIVE = 'wnr-v1';
/** W/NREM/REM, never active: its predictions are only the ones this file inserts. */
const WNR = 'wnr-t';
/** W/LIGHT/REM: N3 has no class in it (unmapped). */
const WLR = 'wlr-t';

let env: TestEnv;
let app: RunningApp;
let base: string;
let db: Kysely<Database>;
let models: { dir: string; remove(): void };
const operator: Record<string, string> = {};

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const evaluation = (id: string, version: string, auth: Record<string, string> = operator) =>
  request(base, 'GET', `/v1/recordings/${id}/evaluation?model_version=${version}`, undefined, auth);
const modelEvaluation = (version: string, auth: Record<string, string> = operator) => request(base, 'GET', `/v1/models/${version}/evaluation`, undefined, auth);

/** `{index: stage}` from a compact `"0:W 1:N2 …"` listing. */
function stages(listing: string): Map<number, string> {
  return new Map(listing.trim().split(/\s+/).map((pair) => {
    const [index, stage] = pair.split(':');
    return [Number(index), stage!];
  }));
}

/** A recording of `auth`'s tenant with epochs at `indices` stored (and scored by the active model). */
async function recordingWithEpochs(indices: readonly number[], auth: Record<string, string> = operator): Promise<string> {
  const device = await request(base, 'POST', '/v1/devices', { external_id: `dev-${Math.random()}` }, auth);
  const rec = await request(base, 'POST', '/v1/recordings', { device_id: device.body.id, started_at: '2024-03-01T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION }, auth);
  expect(rec.status, JSON.stringify(rec.body)).toBe(201);
  const epochs = indices.map((epoch_index) => ({ epoch_index, features: [1, 0.5, 0.2, 1, 0.1] }));
  const ingest = await request(base, 'POST', INGEST_PATH, { recording_id: rec.body.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs }, auth);
  expect(ingest.status, JSON.stringify(ingest.body)).toBe(202);
  expect((await waitForJob(base, ingest.body.job_id, 30_000, auth)).state).toBe('completed');
  return rec.body.id;
}

async function putLabels(id: string, labels: Map<number, string>, auth: Record<string, string> = operator): Promise<void> {
  const res = await request(base, 'PUT', `/v1/recordings/${id}/labels`, { labels: [...labels].map(([epoch_index, stage]) => ({ epoch_index, stage })) }, auth);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** Prediction rows as the scorer stores them (ts from the recording's clock, like the labels'); both test models have 3 classes. */
async function insertPredictions(id: string, version: string, predicted: Map<number, string>): Promise<void> {
  const k = 3;
  await sql`
    INSERT INTO predictions (recording_id, epoch_index, ts, model_version, stage, probabilities)
    SELECT r.id, t.i, r.started_at + make_interval(secs => t.i::double precision * r.epoch_seconds), ${version}, t.s,
           array_fill(${1 / k}::real, ARRAY[${k}::int])
    FROM recordings r, unnest(${[...predicted.keys()]}::int4[], ${[...predicted.values()]}::text[]) AS t(i, s)
    WHERE r.id = ${id}::uuid`.execute(db);
}

const close = (value: number) => expect.closeTo(value, 10);

// Night A: stored epochs 0..23. Labels 0..7 and 10..18 (a gap at 8–9); predictions 0..21 except 15.
// Both exist at 0..7, 10..14, 16..18, so the compared span is 0..18 (19 slots, 9.5 min) and 8, 9, 15
// are unscored in labels and predictions alike; 19..21 (predictions only) lie outside it.
const A_LABELS = stages('0:W 1:W 2:N1 3:N2 4:N2 5:W 6:N3 7:N3 10:REM 11:R 12:N2 13:W 14:W 16:REM 17:W 18:W');
const A_WNR = stages('0:W 1:NREM 2:NREM 3:NREM 4:W 5:W 6:NREM 7:REM 8:NREM 9:NREM 10:REM 11:NREM 12:NREM 13:W 14:NREM 16:REM 17:REM 18:W 19:W 20:NREM 21:W');
const A_WLR = stages('0:W 1:LIGHT 2:LIGHT 3:LIGHT 4:W 5:W 6:LIGHT 7:REM 8:LIGHT 9:LIGHT 10:REM 11:LIGHT 12:LIGHT 13:W 14:LIGHT 16:REM 17:REM 18:W 19:W');

// Night B: epochs, labels and predictions at 0..9, no gaps.
const B_LABELS = stages('0:W 1:N2 2:N2 3:N3 4:REM 5:W 6:N2 7:REM 8:REM 9:W');
const B_WNR = stages('0:W 1:W 2:NREM 3:NREM 4:NREM 5:NREM 6:NREM 7:NREM 8:REM 9:REM');

/*
 * A, W/NREM/REM. Labels: W NREM×3 at 2–4, W, NREM×2, U U, REM REM NREM W W U REM W W.
 *   First sleep 2, last sleep 16: SOL 1.0, SPT 15 ep = 7.5; W inside at 5, 13, 14: WASO 1.5;
 *   unscored inside 8, 9, 15; TST 15 − 3 − 3 = 9 ep = 4.5; SE 100·9/19; REM at 10: latency 8 ep = 4.0.
 *   W 7 ep = 3.5, NREM 6 = 3.0, REM 3 = 1.5.
 * Predictions: W NREM NREM NREM W W NREM REM U U REM NREM NREM W NREM U REM REM W.
 *   First sleep 1, last 17: SOL 0.5, SPT 17 ep = 8.5; W inside at 4, 5, 13: WASO 1.5; TST 17 − 3 − 3 =
 *   11 ep = 5.5; SE 100·11/19; first REM 7: latency 6 ep = 3.0. W 5 = 2.5, NREM 7 = 3.5, REM 4 = 2.0.
 */
const A_NIGHT = {
  first_epoch_index: 0,
  last_epoch_index: 18,
  epochs: 19,
  tib_min: 9.5,
  unscored_min: 1.5,
  labels: { tst_min: 4.5, waso_min: 1.5, sol_min: 1, se_pct: close(900 / 19), spt_min: 7.5, rem_latency_min: 4, stage_minutes: { W: 3.5, NREM: 3, REM: 1.5 } },
  predicted: { tst_min: 5.5, waso_min: 1.5, sol_min: 0.5, se_pct: close(1100 / 19), spt_min: 8.5, rem_latency_min: 3, stage_minutes: { W: 2.5, NREM: 3.5, REM: 2 } },
  difference: { tst_min: 1, waso_min: 0, sol_min: -0.5, se_pct: close(200 / 19), spt_min: 1, rem_latency_min: -1, stage_minutes: { W: -1, NREM: 0.5, REM: 0.5 } },
};

/*
 * B. Labels W NREM NREM NREM REM W NREM REM REM W: sleep 1..8, SOL 0.5, SPT 4.0, WASO 0.5 (5), TST 3.5,
 *   SE 70, REM latency 3 ep = 1.5; W 1.5, NREM 2.0, REM 1.5.
 * Predictions W W NREM×6 REM REM: sleep 2..9, SOL 1.0, SPT 4.0, WASO 0, TST 4.0, SE 80, REM latency
 *   6 ep = 3.0; W 1.0, NREM 3.0, REM 1.0.
 */
const B_DIFFERENCE = { tst_min: 0.5, waso_min: -0.5, sol_min: 0.5, se_pct: close(10), spt_min: 0, rem_latency_min: 1.5, stage_minutes: { W: -0.5, NREM: 1, REM: -0.5 } };

let recA: string;
let recB: string;

beforeAll(async () => {
  models = copyModels([ACTIVE]);
  writeModelCopy(models.dir, ACTIVE, WNR);
  writeModelCopy(models.dir, ACTIVE, WLR, ['W', 'LIGHT', 'REM']);
  env = await createTestEnv();
  app = await startTestApp(env, { env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: ACTIVE } });
  base = app.baseUrl;
  db = openDb(env);
  recA = await recordingWithEpochs(Array.from({ length: 24 }, (_, i) => i));
  recB = await recordingWithEpochs(Array.from({ length: 10 }, (_, i) => i));
});

afterAll(async () => {
  await db?.destroy();
  await app?.stop();
  await env?.dispose();
  models?.remove();
});

describe('error paths are unchanged', () => {
  it('409 no_labels before anything is labelled (recording and model)', async () => {
    expect(expectError(await evaluation(recA, WNR), 409, 'no_labels')).toEqual({ recording_id: recA, model_version: WNR });
    expect(expectError(await modelEvaluation(WNR), 409, 'no_labels')).toEqual({ model_version: WNR });
  });

  it('409 no_predictions while no labelled epoch has a prediction of the version', async () => {
    await putLabels(recA, A_LABELS);
    expect(expectError(await evaluation(recA, WNR), 409, 'no_predictions')).toEqual({ recording_id: recA, model_version: WNR });
    expect(expectError(await modelEvaluation(WNR), 409, 'no_predictions')).toEqual({ model_version: WNR, labelled_recordings: 1 });
    // Predictions only where there is no label (8, 9, 19) still pair nothing.
    await insertPredictions(recA, WNR, new Map([...A_WNR].filter(([i]) => !A_LABELS.has(i))));
    expectError(await evaluation(recA, WNR), 409, 'no_predictions');
    await insertPredictions(recA, WNR, new Map([...A_WNR].filter(([i]) => A_LABELS.has(i))));
  });
});

describe('GET /v1/recordings/{id}/evaluation: night', () => {
  it('compares the night statistics of labels and predictions over the epochs that have both', async () => {
    const res = await evaluation(recA, WNR);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const e = RecordingEvaluation.parse(res.body);
    // The confusion still counts the 16 epochs with both; the night is that set's span.
    expect(e).toMatchObject({ n: 16, unmapped: 0, labels: ['W', 'NREM', 'REM'] });
    expect(e.night).toEqual(A_NIGHT);
  });

  it('leaves labels the model cannot express (N3 in W/LIGHT/REM) unscored in both', async () => {
    await insertPredictions(recA, WLR, A_WLR);
    const e = RecordingEvaluation.parse((await evaluation(recA, WLR)).body);
    // 6 and 7 (N3) join 8, 9, 15 as unscored: 5 slots.
    // Labels: sleep 2..16; SOL 1.0, SPT 7.5, WASO 1.5 (5, 13, 14), TST 15 − 3 − 5 = 7 ep = 3.5,
    //   SE 100·7/19, REM latency 8 ep = 4.0; W 3.5, LIGHT 4 ep (2, 3, 4, 12) = 2.0, REM 1.5.
    // Predictions: sleep 1..17; SOL 0.5, SPT 8.5, WASO 1.5 (4, 5, 13), TST 17 − 3 − 5 = 9 ep = 4.5,
    //   SE 100·9/19, first REM 10: latency 9 ep = 4.5; W 2.5, LIGHT 6 ep = 3.0, REM 3 ep = 1.5.
    expect(e).toMatchObject({ n: 14, unmapped: 2, labels: ['W', 'LIGHT', 'REM'] });
    expect(e.night).toEqual({
      first_epoch_index: 0,
      last_epoch_index: 18,
      epochs: 19,
      tib_min: 9.5,
      unscored_min: 2.5,
      labels: { tst_min: 3.5, waso_min: 1.5, sol_min: 1, se_pct: close(700 / 19), spt_min: 7.5, rem_latency_min: 4, stage_minutes: { W: 3.5, LIGHT: 2, REM: 1.5 } },
      predicted: { tst_min: 4.5, waso_min: 1.5, sol_min: 0.5, se_pct: close(900 / 19), spt_min: 8.5, rem_latency_min: 4.5, stage_minutes: { W: 2.5, LIGHT: 3, REM: 1.5 } },
      difference: { tst_min: 1, waso_min: 0, sol_min: -0.5, se_pct: close(200 / 19), spt_min: 1, rem_latency_min: 0.5, stage_minutes: { W: -1, LIGHT: 1, REM: 0 } },
    });
  });

  it('gives null differences where a statistic is undefined on either side', async () => {
    // A night the labels call all W: no sleep, so SOL and REM latency are null and so are their differences.
    const id = await recordingWithEpochs([0, 1, 2, 3]);
    await putLabels(id, stages('0:W 1:W 2:W 3:W'));
    await insertPredictions(id, WNR, stages('0:W 1:NREM 2:REM 3:W'));
    const night = RecordingEvaluation.parse((await evaluation(id, WNR)).body).night!;
    expect(night.labels).toEqual({ tst_min: 0, waso_min: 0, sol_min: null, se_pct: 0, spt_min: 0, rem_latency_min: null, stage_minutes: { W: 2, NREM: 0, REM: 0 } });
    expect(night.predicted).toEqual({ tst_min: 1, waso_min: 0, sol_min: 0.5, se_pct: 50, spt_min: 1, rem_latency_min: 0.5, stage_minutes: { W: 1, NREM: 0.5, REM: 0.5 } });
    expect(night.difference).toEqual({ tst_min: 1, waso_min: 0, sol_min: null, se_pct: 50, spt_min: 1, rem_latency_min: null, stage_minutes: { W: -1, NREM: 0.5, REM: 0.5 } });
    // Labels and predictions cover every stored epoch here, so the predicted side is the summary.
    const s = (await request(base, 'GET', `/v1/recordings/${id}/summary?model_version=${WNR}`)).body;
    const summaryMinutes = Object.fromEntries(Object.entries(s.stages as Record<string, { minutes: number }>).map(([label, v]) => [label, v.minutes]));
    expect(night.predicted).toEqual({ tst_min: s.tst_min, waso_min: s.waso_min, sol_min: s.sol_min, se_pct: s.se_pct, spt_min: s.spt_min, rem_latency_min: s.rem_latency_min, stage_minutes: summaryMinutes });
    await sql`DELETE FROM labels WHERE recording_id = ${id}::uuid`.execute(db);
  });
});

describe('GET /v1/models/{version}/evaluation: night_errors', () => {
  it('gives the mean absolute and mean signed error of each statistic over two recordings', async () => {
    await putLabels(recB, B_LABELS);
    await insertPredictions(recB, WNR, B_WNR);
    const res = await modelEvaluation(WNR);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const e = ModelEvaluation.parse(res.body);
    expect(e).toMatchObject({ recordings: 2, labelled_recordings: 2, n: 16 + 10 });
    // Differences A then B → MAE and mean signed error over n = 2.
    const stat = (a: number, b: number) => ({ n: 2, mae: close((Math.abs(a) + Math.abs(b)) / 2), mean_signed_error: close((a + b) / 2) });
    expect(e.night_errors).toEqual({
      tst_min: { n: 2, mae: close(0.75), mean_signed_error: close(0.75) }, //   +1.0, +0.5
      waso_min: { n: 2, mae: close(0.25), mean_signed_error: close(-0.25) }, // 0, −0.5
      sol_min: { n: 2, mae: close(0.5), mean_signed_error: close(0) }, //       −0.5, +0.5
      se_pct: stat(200 / 19, 10),
      spt_min: { n: 2, mae: close(0.5), mean_signed_error: close(0.5) }, //     +1.0, 0
      rem_latency_min: { n: 2, mae: close(1.25), mean_signed_error: close(0.25) }, // −1.0, +1.5
      stage_minutes: {
        W: { n: 2, mae: close(0.75), mean_signed_error: close(-0.75) }, //      −1.0, −0.5
        NREM: { n: 2, mae: close(0.75), mean_signed_error: close(0.75) }, //    +0.5, +1.0
        REM: { n: 2, mae: close(0.5), mean_signed_error: close(0) }, //         +0.5, −0.5
      },
    });
    const byId = new Map(e.per_recording.map((r) => [r.recording_id, r]));
    expect(byId.get(recA)).toMatchObject({ n: 16, night_difference: A_NIGHT.difference });
    expect(byId.get(recB)).toMatchObject({ n: 10, night_difference: B_DIFFERENCE });
  });
});

describe('tenant scoping is unchanged', () => {
  const acme: Record<string, string> = {};
  const globex: Record<string, string> = {};
  let recC: string;

  beforeAll(async () => {
    for (const [tenant, auth] of [['acme', acme], ['globex', globex]] as const) {
      const key = await request(base, 'POST', '/v1/api-keys', { tenant, scopes: ['ingest', 'read'] }, operator);
      expect(key.status, JSON.stringify(key.body)).toBe(201);
      Object.assign(auth, bearer(key.body.key));
    }
    // C (acme) is night B again.
    recC = await recordingWithEpochs(Array.from({ length: 10 }, (_, i) => i), acme);
    await putLabels(recC, B_LABELS, acme);
    await insertPredictions(recC, WNR, B_WNR);
  });

  it("pools only the caller's recordings; operators see every tenant's", async () => {
    const mine = ModelEvaluation.parse((await modelEvaluation(WNR, acme)).body);
    expect(mine).toMatchObject({ recordings: 1, labelled_recordings: 1, n: 10 });
    expect(mine.per_recording).toEqual([{ recording_id: recC, n: 10, cohen_kappa: expect.any(Number), night_difference: B_DIFFERENCE }]);
    expect(mine.night_errors.tst_min).toEqual({ n: 1, mae: 0.5, mean_signed_error: 0.5 });
    expect(mine.night_errors.waso_min).toEqual({ n: 1, mae: 0.5, mean_signed_error: -0.5 });
    expect(mine.night_errors.stage_minutes['REM']).toEqual({ n: 1, mae: 0.5, mean_signed_error: -0.5 });
    const all = ModelEvaluation.parse((await modelEvaluation(WNR)).body);
    expect(all).toMatchObject({ recordings: 3, labelled_recordings: 3 });
    expect(all.night_errors.tst_min).toEqual({ n: 3, mae: close(2 / 3), mean_signed_error: close(2 / 3) });
    expectError(await modelEvaluation(WNR, globex), 409, 'no_labels');
    expectError(await evaluation(recA, WNR, acme), 404, 'recording_not_found');
    expect((await evaluation(recC, WNR, acme)).body.night.difference).toEqual(B_DIFFERENCE);
  });

  it('reads a recording only inside its span: rows stored past MAX_RECORDING_EPOCHS (before the limit existed) are ignored', async () => {
    // globex's recording has epoch 0 through the API, and rows at 200000 written straight into the
    // tables, as an upload could before the limit; 200001 slots would once have been compared.
    const id = await recordingWithEpochs([0], globex);
    await sql`
      INSERT INTO epochs (recording_id, epoch_index, ts, features)
      SELECT r.id, 200000, r.started_at + make_interval(secs => 200000 * r.epoch_seconds), ARRAY[1, 0.5, 0.2, 1, 0.1]::real[] FROM recordings r WHERE r.id = ${id}::uuid`.execute(db);
    await sql`
      INSERT INTO labels (recording_id, epoch_index, ts, stage)
      SELECT r.id, 200000, r.started_at + make_interval(secs => 200000 * r.epoch_seconds), 'N2' FROM recordings r WHERE r.id = ${id}::uuid`.execute(db);
    await putLabels(id, stages('0:W'), globex);
    await insertPredictions(id, WNR, stages('0:W 200000:NREM'));
    const one = RecordingEvaluation.parse((await evaluation(id, WNR, globex)).body);
    expect(one).toMatchObject({ n: 1, accuracy: 1, night: { first_epoch_index: 0, last_epoch_index: 0, epochs: 1 } });
    const pooled = ModelEvaluation.parse((await modelEvaluation(WNR, globex)).body);
    expect(pooled.per_recording).toEqual([{ recording_id: id, n: 1, cohen_kappa: null, night_difference: expect.objectContaining({ tst_min: 0 }) }]);
    expect(pooled.night_errors.tst_min).toEqual({ n: 1, mae: 0, mean_signed_error: 0 });
    const summary = await request(base, 'GET', `/v1/recordings/${id}`, undefined, globex);
    expect(summary.body).toMatchObject({ epoch_count: 1, first_epoch_index: 0, last_epoch_index: 0 });
  });
});
