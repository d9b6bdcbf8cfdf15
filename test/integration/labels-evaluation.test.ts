import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createRecording, expectError, ingestList, openDb, type Recording } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { referenceAgreement } from '../helpers/hypnogram-reference.js';
import { labelSetModels, TEST_LABEL_SETS } from '../helpers/label-set-models.js';
import { expectEvaluationMatchesReference, truthAndPredictions } from '../helpers/reference-checks.js';
import type { Night } from '../helpers/sleep-data.js';
import { nightWithGap, syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const ACTIVE = 'wnr-v1';
const MAX_LABELS = 1000;
const OTHERS = ['wldr-v1', ...Object.keys(TEST_LABEL_SETS)];

let testEnv: TestEnv;
let app: RunningApp;
let base: string;
let db: Kysely<Database>;
let models: { dir: string; remove(): void };
let nightA: Night;
let nightB: Night;
let recA: Recording;
let recB: Recording;

const putLabels = (id: string, body: unknown) => request(base, 'PUT', `/v1/recordings/${id}/labels`, body);
const getLabels = (id: string, query = '') => request(base, 'GET', `/v1/recordings/${id}/labels${query}`);
const evaluation = (id: string, query = '') => request(base, 'GET', `/v1/recordings/${id}/evaluation${query}`);
const modelEvaluation = (version: string, query = '') => request(base, 'GET', `/v1/models/${version}/evaluation${query}`);
const labelsOf = (night: Night) => night.indices.map((epoch_index, k) => ({ epoch_index, stage: night.stages[k]! }));
const labelCount = async (id?: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM labels ${id ? sql`WHERE recording_id = ${id}::uuid` : sql``}`.execute(db)).rows[0]!.n;

async function predictWith(recordingId: string, version: string): Promise<void> {
  const res = await request(base, 'POST', '/v1/predict', { recording_id: recordingId, model_version: version });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect((await waitForJob(base, res.body.job_id)).state).toBe('completed');
}

const pairs = (night: Night, recordingId: string, version: string, labels: readonly string[]) => truthAndPredictions(base, night, recordingId, version, labels);

beforeAll(async () => {
  models = labelSetModels();
  testEnv = await createTestEnv();
  app = await startTestApp(testEnv, { env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: ACTIVE, MAX_EPOCHS_PER_REQUEST: String(MAX_LABELS) } });
  base = app.baseUrl;
  db = openDb(testEnv);
  nightA = nightWithGap(); // 452 epochs, 0..472, gap 379..399
  nightB = syntheticNight(3, 553); // 553 epochs
  recA = await createRecording(base);
  recB = await createRecording(base);
  await ingestList(base, recA.id, nightA.indices, nightA.features);
  await ingestList(base, recB.id, nightB.indices, nightB.features);
  for (const version of OTHERS) await predictWith(recA.id, version);
});

afterAll(async () => {
  await db?.destroy();
  await app?.stop();
  await testEnv?.dispose();
  models?.remove();
});

describe('before anything is labelled', () => {
  it('GET /v1/models/{version}/evaluation answers 409 no_labels', async () => {
    expectError(await modelEvaluation(ACTIVE), 409, 'no_labels');
  });

  it('GET /v1/recordings/{id}/evaluation answers 409 no_labels', async () => {
    const details = expectError(await evaluation(recA.id), 409, 'no_labels');
    expect(details).toEqual({ recording_id: recA.id, model_version: ACTIVE });
  });
});

describe('PUT /v1/recordings/{id}/labels', () => {
  it('stores a night of scored stages, R meaning REM', async () => {
    expect(nightA.stages).toContain('R');
    const res = await putLabels(recA.id, { labels: labelsOf(nightA) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ recording_id: recA.id, written: 452, labelled_epochs: 452 });
    const stored = await getLabels(recA.id);
    expect(stored.status).toBe(200);
    expect(stored.body.recording_id).toBe(recA.id);
    expect(stored.body.items).toHaveLength(452);
    expect(stored.body.items[0]).toEqual({ epoch_index: 0, ts: recA.started_at, stage: nightA.stages[0] === 'R' ? 'REM' : nightA.stages[0] });
    expect(stored.body.items.map((l: { stage: string }) => l.stage)).toEqual(nightA.stages.map((s) => (s === 'R' ? 'REM' : s)));
  });

  it('pages labels like epochs: a whole night by default, limit and next_cursor walk it exactly once', async () => {
    const whole = await getLabels(recA.id);
    expect(whole.body.next_cursor).toBeNull();
    expect(whole.body.items).toHaveLength(452);
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const res = await getLabels(recA.id, `?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.recording_id).toBe(recA.id);
      expect(res.body.items.length).toBeLessThanOrEqual(200);
      seen.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(whole.body.items);
    expectError(await getLabels(recA.id, '?limit=5761'), 400, 'bad_request');
    expectError(await getLabels(recA.id, '?cursor=nope'), 400, 'invalid_cursor');
  });

  it('replaces earlier labels of the epochs it names and keeps the others', async () => {
    const res = await putLabels(recA.id, { labels: [{ epoch_index: 0, stage: 'N3' }, { epoch_index: 1, stage: 'REM' }] });
    expect(res.body).toEqual({ recording_id: recA.id, written: 2, labelled_epochs: 452 });
    const from = new Date(Date.parse(recA.started_at)).toISOString();
    const to = new Date(Date.parse(recA.started_at) + 3 * 30_000).toISOString();
    const window = await getLabels(recA.id, `?from=${from}&to=${to}`);
    expect(window.body.items.map((l: { stage: string }) => l.stage)).toEqual(['N3', 'REM', nightA.stages[2] === 'R' ? 'REM' : nightA.stages[2]]);
    // Put the scorer's stages back for the evaluation below.
    await putLabels(recA.id, { labels: labelsOf(nightA).slice(0, 2) });
  });

  it('accepts labels inside a gap of the stored epochs (the scorer saw them) and the last stored index', async () => {
    const res = await putLabels(recA.id, { labels: [{ epoch_index: 385, stage: 'W' }, { epoch_index: 472, stage: nightA.stages.at(-1)! }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.labelled_epochs).toBe(453);
    await sql`DELETE FROM labels WHERE recording_id = ${recA.id}::uuid AND epoch_index = 385`.execute(db);
  });
});

describe('PUT labels errors: nothing is written', () => {
  async function rejected(id: string, body: unknown, status: number, code: string) {
    const before = await labelCount();
    const details = expectError(await putLabels(id, body), status, code);
    expect(await labelCount()).toBe(before);
    return details;
  }

  it('422 invalid_labels for an unknown stage, naming every bad item', async () => {
    const details = await rejected(recA.id, { labels: [{ epoch_index: 0, stage: 'N4' }, { epoch_index: 1, stage: 'W' }, { epoch_index: 2, stage: 'rem' }] }, 422, 'invalid_labels');
    expect(details['problem_count']).toBe(2);
    expect(details['problems'].map((p: { index: number; stage: string }) => [p.index, p.stage])).toEqual([[0, 'N4'], [2, 'rem']]);
  });

  it('422 invalid_labels for an index outside 0..last stored epoch, or repeated', async () => {
    const below = await rejected(recA.id, { labels: [{ epoch_index: -1, stage: 'W' }] }, 422, 'invalid_labels');
    expect(below['problems'][0].reason).toMatch(/outside the recording's epochs 0\.\.472/);
    await rejected(recA.id, { labels: [{ epoch_index: 473, stage: 'W' }] }, 422, 'invalid_labels');
    const twice = await rejected(recA.id, { labels: [{ epoch_index: 5, stage: 'W' }, { epoch_index: 5, stage: 'N1' }] }, 422, 'invalid_labels');
    expect(twice['problems'][0]).toMatchObject({ index: 1, epoch_index: 5 });
  });

  it('422 epoch_index_out_of_range at or past MAX_RECORDING_EPOCHS (5760), before anything else is checked', async () => {
    expect(await rejected(recA.id, { labels: [{ epoch_index: 0, stage: 'W' }, { epoch_index: 5760, stage: 'W' }] }, 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 5760, limit: 5760 });
    expect(await rejected(recA.id, { labels: [{ epoch_index: 0, stage: 'W' }, { epoch_index: 150_000_000, stage: 'W' }] }, 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 150_000_000, limit: 5760 });
    expect(await rejected(recA.id, { labels: [{ epoch_index: 2 ** 40, stage: 'W' }] }, 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 2 ** 40, limit: 5760 });
  });

  it('422 invalid_labels when the recording has no stored epochs yet', async () => {
    const empty = await createRecording(base);
    const details = await rejected(empty.id, { labels: [{ epoch_index: 0, stage: 'W' }] }, 422, 'invalid_labels');
    expect(details['problems'][0].reason).toMatch(/no stored epochs/);
  });

  it('422 validation_failed for a malformed body; 400 for a body that is not an object', async () => {
    await rejected(recA.id, { labels: [] }, 422, 'validation_failed');
    await rejected(recA.id, {}, 422, 'validation_failed');
    await rejected(recA.id, { labels: [{ epoch_index: 1.5, stage: 'W' }] }, 422, 'validation_failed');
    await rejected(recA.id, { labels: [{ epoch_index: '1', stage: 'W' }] }, 422, 'validation_failed');
    await rejected(recA.id, { labels: [{ epoch_index: 1, stage: 'W', extra: true }] }, 422, 'validation_failed');
    await rejected(recA.id, [{ epoch_index: 1, stage: 'W' }], 400, 'bad_request');
    await rejected(recA.id, '{"labels": [', 400, 'invalid_json');
  });

  it('413 too_many_epochs above MAX_EPOCHS_PER_REQUEST labels', async () => {
    const labels = Array.from({ length: MAX_LABELS + 1 }, (_, i) => ({ epoch_index: i, stage: 'W' }));
    const details = await rejected(recA.id, { labels }, 413, 'too_many_epochs');
    expect(details).toEqual({ count: MAX_LABELS + 1, limit: MAX_LABELS });
  });

  it('404 recording_not_found for an unknown recording (PUT and GET)', async () => {
    await rejected(randomUUID(), { labels: [{ epoch_index: 0, stage: 'W' }] }, 404, 'recording_not_found');
    expectError(await getLabels(randomUUID()), 404, 'recording_not_found');
    expectError(await getLabels(recA.id, '?from=x'), 400, 'bad_request');
  });
});

// The same comparisons on real nights: test/real-data/summary-evaluation.test.ts.
describe('GET /v1/recordings/{id}/evaluation', () => {
  for (const version of [ACTIVE, ...OTHERS]) {
    it(`agrees with an independent computation (${version})`, async () => {
      await expectEvaluationMatchesReference(base, recA.id, nightA, version, version === ACTIVE);
    });
  }

  it('maps N1/N2 → LIGHT and N3 → DEEP for a W/LIGHT/DEEP/REM model (row sums = truth counts)', async () => {
    const res = await evaluation(recA.id, '?model_version=wldr-t');
    const count = (...stages: string[]) => nightA.stages.filter((s) => stages.includes(s)).length;
    const rowSums = res.body.confusion.matrix.map((row: number[]) => row.reduce((a, b) => a + b, 0));
    expect(rowSums).toEqual([count('W'), count('N1', 'N2'), count('N3'), count('R')]);
  });

  it('409 no_predictions for a version that did not score the recording', async () => {
    const details = expectError(await evaluation(recA.id, '?model_version=wnr-v2'), 409, 'no_predictions');
    expect(details).toEqual({ recording_id: recA.id, model_version: 'wnr-v2' });
  });

  it('404 for an unknown recording or version; 400 for an unknown parameter', async () => {
    expectError(await evaluation(randomUUID()), 404, 'recording_not_found');
    expectError(await evaluation('nope'), 404, 'recording_not_found');
    expectError(await evaluation(recA.id, '?model_version=nope-v9'), 404, 'model_not_found');
    expectError(await evaluation(recA.id, '?model=wnr-v1'), 400, 'bad_request');
  });
});

describe('GET /v1/models/{version}/evaluation', () => {
  it('409 no_predictions while no labelled recording has predictions of the version', async () => {
    const details = expectError(await modelEvaluation('wnr-v2'), 409, 'no_predictions');
    expect(details).toEqual({ model_version: 'wnr-v2', labelled_recordings: 1 });
  });

  it('pools every labelled recording and gives the mean and spread of per-recording kappa', async () => {
    expect((await putLabels(recB.id, { labels: labelsOf(nightB) })).status).toBe(200);
    const res = await modelEvaluation(ACTIVE);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const e = res.body;
    const labels = ['W', 'NREM', 'REM'];
    const a = await pairs(nightA, recA.id, ACTIVE, labels);
    const b = await pairs(nightB, recB.id, ACTIVE, labels);
    const all = referenceAgreement([...a.truth, ...b.truth], [...a.pred, ...b.pred], labels);
    const kA = referenceAgreement(a.truth, a.pred, labels).kappa;
    const kB = referenceAgreement(b.truth, b.pred, labels).kappa;
    expect(e).toMatchObject({ model_version: ACTIVE, labels, recordings: 2, labelled_recordings: 2, n: 452 + 553, unmapped: 0 });
    expect(e.confusion.matrix).toEqual(all.matrix);
    expect(e.accuracy).toBeCloseTo(all.accuracy, 12);
    expect(e.cohen_kappa).toBeCloseTo(all.kappa, 12);
    expect(e.per_recording_kappa.n).toBe(2);
    expect(e.per_recording_kappa.mean).toBeCloseTo((kA + kB) / 2, 12);
    expect(e.per_recording_kappa.sd).toBeCloseTo(Math.abs(kA - kB) / Math.SQRT2, 12);
    expect(e.per_recording_kappa.min).toBeCloseTo(Math.min(kA, kB), 12);
    expect(e.per_recording_kappa.max).toBeCloseTo(Math.max(kA, kB), 12);
    const byId = Object.fromEntries(e.per_recording.map((r: { recording_id: string }) => [r.recording_id, r]));
    expect(byId[recA.id]).toMatchObject({ n: 452 });
    expect(byId[recA.id].cohen_kappa).toBeCloseTo(kA, 12);
    expect(byId[recB.id].cohen_kappa).toBeCloseTo(kB, 12);
  });

  it('counts only recordings the version scored (recording B was scored by the active version only)', async () => {
    const res = await modelEvaluation('aasm-t');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ recordings: 1, labelled_recordings: 2, n: 452 });
    expect(res.body.per_recording_kappa).toMatchObject({ n: 1, sd: null });
  });

  it('404 model_not_found for an unknown version; 400 for any parameter', async () => {
    expectError(await modelEvaluation('nope-v9'), 404, 'model_not_found');
    expectError(await modelEvaluation(ACTIVE, '?recording_id=x'), 400, 'bad_request');
  });
});
