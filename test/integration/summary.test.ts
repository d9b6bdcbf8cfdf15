import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createRecording, expectError, ingestList, openDb, type Recording } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { referenceStatistics } from '../helpers/hypnogram-reference.js';
import { labelSetModels, TEST_LABEL_SETS } from '../helpers/label-set-models.js';
import { expectSummaryMatchesReference, storedPredictions } from '../helpers/reference-checks.js';
import type { Night } from '../helpers/sleep-data.js';
import { nightWithGap } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const ACTIVE = 'wnr-v1';
/** The active version scores at ingest; the others are run over the stored epochs. */
const OTHERS = ['wldr-v1', ...Object.keys(TEST_LABEL_SETS)];
const VERSIONS = [ACTIVE, ...OTHERS];

let testEnv: TestEnv;
let app: RunningApp;
let base: string;
let db: Kysely<Database>;
let models: { dir: string; remove(): void };
let night: Night;
let rec: Recording;

const summary = (id: string, query = '') => request(base, 'GET', `/v1/recordings/${id}/summary${query}`);
const tsOf = (r: Recording, i: number) => new Date(Date.parse(r.started_at) + i * 30_000).toISOString();

async function predictWith(recordingId: string, version: string): Promise<void> {
  const res = await request(base, 'POST', '/v1/predict', { recording_id: recordingId, model_version: version });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const job = await waitForJob(base, res.body.job_id);
  expect(job.state, JSON.stringify(job)).toBe('completed');
}

beforeAll(async () => {
  models = labelSetModels();
  testEnv = await createTestEnv();
  app = await startTestApp(testEnv, { env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: ACTIVE } });
  base = app.baseUrl;
  db = openDb(testEnv);
  night = nightWithGap(); // 452 epochs, indices 0..472 with a gap at 379..399
  rec = await createRecording(base);
  await ingestList(base, rec.id, night.indices, night.features);
  for (const version of OTHERS) await predictWith(rec.id, version);
});

afterAll(async () => {
  await db?.destroy();
  await app?.stop();
  await testEnv?.dispose();
  models?.remove();
});

// The same comparisons on real nights: test/real-data/summary-evaluation.test.ts.
describe('GET /v1/recordings/{id}/summary of a night', () => {
  it('answers the documented shape for the active version', async () => {
    const res = await summary(rec.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'recording_id', 'model_version', 'labels', 'epoch_seconds', 'start', 'end', 'first_epoch_index', 'last_epoch_index', 'epochs',
        'tib_min', 'spt_min', 'waso_min', 'tst_min', 'sol_min', 'sol_5min_min', 'se_pct', 'sme_pct', 'unscored_min', 'rem_latency_min',
        'stages', 'nrem', 'awakenings', 'sfi_per_hour', 'transitions',
      ].sort(),
    );
    expect(res.body).toMatchObject({
      recording_id: rec.id,
      model_version: ACTIVE,
      labels: ['W', 'NREM', 'REM'],
      epoch_seconds: 30,
      first_epoch_index: 0,
      last_epoch_index: 472,
      epochs: 473,
      start: tsOf(rec, 0),
      end: tsOf(rec, 473),
      nrem: null,
    });
    expect(Object.keys(res.body.transitions)).toEqual(['labels', 'counts', 'probabilities']);
  });

  for (const version of VERSIONS) {
    it(`agrees with an independent computation from the stored predictions (${version})`, async () => {
      await expectSummaryMatchesReference(base, rec.id, night, version);
    });
  }

  it('limits the hypnogram to [from, to), from the first to the last stored epoch inside it', async () => {
    // from falls inside the gap (epoch 385), to at epoch 440: stored epochs 400..439.
    const res = await summary(rec.id, `?from=${tsOf(rec, 385)}&to=${tsOf(rec, 440)}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ first_epoch_index: 400, last_epoch_index: 439, epochs: 40, tib_min: 20, unscored_min: 0, start: tsOf(rec, 400), end: tsOf(rec, 440) });
    const predicted = await storedPredictions(base, rec.id, ACTIVE);
    const ref = referenceStatistics(['W', 'NREM', 'REM'], 400, 439, (i) => predicted.get(i));
    expect(res.body.tst_min).toBe(ref.tst_min);
    expect(res.body.sol_min).toBe(ref.sol_min);
  });

  it('a range that straddles the gap counts the gap as unscored', async () => {
    const res = await summary(rec.id, `?from=${tsOf(rec, 370)}&to=${tsOf(rec, 410)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ first_epoch_index: 370, last_epoch_index: 409, tib_min: 20, unscored_min: 10.5 });
  });
});

describe('the issue check through the API', () => {
  const CHECK = ['W', 'W', 'N1', 'N1', 'N1', 'N2', 'N2', 'N2', 'N3', 'N3', 'N3', 'N2', 'N3', 'N3', 'REM', 'REM', 'REM', 'REM', 'W', 'W'];

  it('gives TIB 10, SPT 8, WASO 0, TST 8, SOL 1, SE 80, SME 100 and the stage figures', async () => {
    const r = await createRecording(base);
    await ingestList(base, r.id, CHECK.map((_, i) => i), night.features.slice(0, CHECK.length));
    // Predictions of the five-class model written directly: the stages are the check's, not a model's.
    const labels = TEST_LABEL_SETS['aasm-t'];
    await sql`
      INSERT INTO predictions (recording_id, epoch_index, ts, model_version, stage, probabilities)
      SELECT ${r.id}::uuid, t.i, ${r.started_at}::timestamptz + make_interval(secs => t.i * 30), 'aasm-t', t.s, '{0.2,0.2,0.2,0.2,0.2}'::real[]
      FROM unnest(${CHECK.map((_, i) => i)}::int4[], ${CHECK}::text[]) AS t(i, s)
      ON CONFLICT (recording_id, model_version, epoch_index, ts) DO UPDATE SET stage = EXCLUDED.stage`.execute(db);
    const res = await summary(r.id, '?model_version=aasm-t');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const s = res.body;
    expect(s.labels).toEqual(labels);
    expect([s.tib_min, s.spt_min, s.waso_min, s.tst_min, s.sol_min, s.se_pct, s.sme_pct]).toEqual([10, 8, 0, 8, 1, 80, 100]);
    expect(s.stages).toEqual({
      W: { minutes: 2, pct_tst: null, latency_min: 0 },
      N1: { minutes: 1.5, pct_tst: 18.75, latency_min: 1 },
      N2: { minutes: 2, pct_tst: 25, latency_min: 2.5 },
      N3: { minutes: 2.5, pct_tst: 31.25, latency_min: 4 },
      REM: { minutes: 2, pct_tst: 25, latency_min: 7 },
    });
    expect(s.rem_latency_min).toBe(6);
    expect(s.nrem).toEqual({ minutes: 6, pct_tst: 75, latency_min: 1 });
    expect([s.awakenings, s.sfi_per_hour, s.sol_5min_min, s.unscored_min]).toEqual([0, 0, 1, 0]);
  });

  it('a night without sleep answers 200 with SPT and TST 0 and the sleep-dependent fields null', async () => {
    const r = await createRecording(base);
    await ingestList(base, r.id, [0, 1, 2, 3], night.features.slice(0, 4));
    await sql`UPDATE predictions SET stage = 'W' WHERE recording_id = ${r.id}::uuid`.execute(db);
    const res = await summary(r.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      tib_min: 2, spt_min: 0, tst_min: 0, waso_min: 0, se_pct: 0,
      sol_min: null, sol_5min_min: null, sme_pct: null, rem_latency_min: null, sfi_per_hour: null, awakenings: 0,
    });
    expect(res.body.stages.NREM).toEqual({ minutes: 0, pct_tst: null, latency_min: null });
  });
});

describe('summary errors', () => {
  it('404 recording_not_found for an unknown or malformed id', async () => {
    expectError(await summary(randomUUID()), 404, 'recording_not_found');
    expectError(await summary('not-a-uuid'), 404, 'recording_not_found');
  });

  it('400 invalid_range when from is not before to', async () => {
    const details = expectError(await summary(rec.id, `?from=${tsOf(rec, 10)}&to=${tsOf(rec, 10)}`), 400, 'invalid_range');
    expect(details).toMatchObject({ from: tsOf(rec, 10), to: tsOf(rec, 10) });
    expectError(await summary(rec.id, `?from=${tsOf(rec, 20)}&to=${tsOf(rec, 10)}`), 400, 'invalid_range');
  });

  it('400 bad_request for a malformed timestamp, an unknown or a repeated parameter', async () => {
    expectError(await summary(rec.id, '?from=yesterday'), 400, 'bad_request');
    expectError(await summary(rec.id, '?version=wnr-v1'), 400, 'bad_request');
    expectError(await summary(rec.id, '?model_version=wnr-v1&model_version=ws-t'), 400, 'bad_request');
  });

  it('404 model_not_found for an unknown version', async () => {
    expectError(await summary(rec.id, '?model_version=nope-v9'), 404, 'model_not_found');
  });

  it('409 no_predictions for a version that never scored the recording', async () => {
    const details = expectError(await summary(rec.id, '?model_version=wnr-v2'), 409, 'no_predictions');
    expect(details).toMatchObject({ recording_id: rec.id, model_version: 'wnr-v2' });
  });

  it('409 predictions_inconsistent when a stored stage is not a class of the version, until a re-score rewrites it', async () => {
    const other = await createRecording(base);
    await ingestList(base, other.id, night.indices.slice(0, 40), night.features.slice(0, 40));
    // What a version's folder republished with other classes leaves behind.
    await sql`UPDATE predictions SET stage = 'NREM4' WHERE recording_id = ${other.id}::uuid AND model_version = ${ACTIVE} AND epoch_index = 3`.execute(db);
    const details = expectError(await summary(other.id), 409, 'predictions_inconsistent');
    expect(details).toEqual({ recording_id: other.id, model_version: ACTIVE, stage: 'NREM4', classes: ['W', 'NREM', 'REM'] });
    // The device's nights and trends summarise its open recordings from the same stored predictions.
    for (const route of ['nights', 'trends']) {
      const res = await request(base, 'GET', `/v1/devices/${other.device_id}/${route}?from=2024-02-28&to=2024-03-04`);
      expect(expectError(res, 409, 'predictions_inconsistent')).toEqual(details);
    }
    const res = await request(base, 'POST', '/v1/rescore', { model_version: ACTIVE, recording_ids: [other.id] });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect((await waitForJob(base, res.body.job_id)).state).toBe('completed');
    expect((await summary(other.id)).status).toBe(200);
  });

  it('409 no_predictions for a range with no stored epoch and for a recording without epochs', async () => {
    expectError(await summary(rec.id, `?from=${tsOf(rec, 380)}&to=${tsOf(rec, 399)}`), 409, 'no_predictions');
    expectError(await summary(rec.id, `?from=${tsOf(rec, 5000)}`), 409, 'no_predictions');
    const empty = await createRecording(base);
    expectError(await summary(empty.id), 409, 'no_predictions');
  });
});

