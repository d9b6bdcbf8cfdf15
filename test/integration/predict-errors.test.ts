import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { activeModelVersion, createRecording, expectError, float32Base64, ingestList, openDb, rowCounts, type Recording } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { FEATURES, FEATURE_SCHEMA_VERSION, type Night } from '../helpers/sleep-data.js';
import { nightWithGap } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

let testEnv: TestEnv;
let app: RunningApp;
let db: Kysely<Database>;
let base: string;
let active: string;
let versions: string[];
let night: Night;
let rec: Recording;

beforeAll(async () => {
  testEnv = await createTestEnv();
  app = await startTestApp(testEnv);
  base = app.baseUrl;
  db = openDb(testEnv);
  ({ active, versions } = await activeModelVersion(base));
  night = nightWithGap(); // 452 epochs with a gap at 379..399
  rec = await createRecording(base);
  const job = await ingestList(base, rec.id, night.indices, night.features);
  expect(job.result).toMatchObject({ inserted: night.indices.length, predicted: night.indices.length, model_version: active });
});

afterAll(async () => {
  await db?.destroy();
  await app?.stop();
  await testEnv?.dispose();
});

const GOOD = [0.5, 0.25, -0.75, 1.5, 0.125];
const predict = (body: unknown) => request(base, 'POST', '/v1/predict', body);
const inline = (epochs: unknown[], extra: Record<string, unknown> = {}) => ({ feature_schema_version: FEATURE_SCHEMA_VERSION, epochs, ...extra });
const predictions = (recordingId: string, query = '') => request(base, 'GET', `/v1/recordings/${recordingId}/predictions${query}`);
const tsOf = (i: number) => new Date(Date.parse(rec.started_at) + i * 30_000).toISOString();
const labelsOf = async (version: string): Promise<string[]> => (await request(base, 'GET', `/v1/models/${version}`)).body.labels;

function expectDistribution(probabilities: number[], labels: readonly string[], stage?: string): void {
  expect(probabilities).toHaveLength(labels.length);
  for (const p of probabilities) expect(p).toBeGreaterThanOrEqual(0);
  expect(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
  if (stage !== undefined) expect(stage).toBe(labels[probabilities.indexOf(Math.max(...probabilities))]);
}

/** Asserts the error and that no row was written anywhere (no job, no prediction). */
async function rejected(body: unknown, status: number, code: string): Promise<Record<string, any>> {
  const before = await rowCounts(db);
  const details = expectError(await predict(body), status, code);
  expect(await rowCounts(db)).toEqual(before);
  return details;
}

describe('POST /v1/predict inline', () => {
  it('scores epochs, defaulting epoch_index to the list position', async () => {
    const res = await predict(inline([{ features: GOOD }, { features: [0, 0, 1, 0, 0] }, { features: [120, 0.1, -1, 7.5, 0.9] }]));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['labels', 'model_version', 'predictions']);
    expect(res.body.model_version).toBe(active);
    expect(res.body.labels).toEqual(await labelsOf(active));
    expect(res.body.predictions.map((p: { epoch_index: number }) => p.epoch_index)).toEqual([0, 1, 2]);
    for (const p of res.body.predictions) {
      expect(Object.keys(p).sort()).toEqual(['epoch_index', 'probabilities', 'stage']);
      expectDistribution(p.probabilities, res.body.labels, p.stage);
    }
  });

  it('gives the same answer for the list, object and base64 forms and keeps explicit indices', async () => {
    const byName = Object.fromEntries(FEATURES.map((f, j) => [f, GOOD[j]]));
    const res = await predict(inline([{ epoch_index: 40, features: GOOD }, { epoch_index: 7, features: byName }, { epoch_index: 12, features: float32Base64(GOOD) }]));
    expect(res.status).toBe(200);
    const [a, b, c] = res.body.predictions;
    expect([a.epoch_index, b.epoch_index, c.epoch_index]).toEqual([40, 7, 12]);
    expect(b).toEqual({ ...a, epoch_index: 7 });
    expect(c).toEqual({ ...a, epoch_index: 12 });
  });

  it('scores with any shipped model_version', async () => {
    expect(versions.length).toBeGreaterThanOrEqual(2);
    for (const version of versions) {
      const res = await predict(inline([{ features: GOOD }], { model_version: version }));
      expect(res.status).toBe(200);
      expect(res.body.model_version).toBe(version);
      expect(res.body.labels).toEqual(await labelsOf(version));
      expectDistribution(res.body.predictions[0].probabilities, res.body.labels, res.body.predictions[0].stage);
    }
  });

  it('agrees with the predictions the ingest job stored for the active model on a night', async () => {
    const res = await predict(inline(night.indices.map((epoch_index, k) => ({ epoch_index, features: night.features[k] }))));
    expect(res.status).toBe(200);
    const stored = await predictions(rec.id);
    expect(stored.status).toBe(200);
    expect(stored.body.model_version).toBe(active);
    expect(stored.body.labels).toEqual(res.body.labels);
    expect(stored.body.items.map((i: { epoch_index: number }) => i.epoch_index)).toEqual(night.indices);
    stored.body.items.forEach((item: any, k: number) => {
      const mine = res.body.predictions[k];
      expect(item.ts).toBe(tsOf(item.epoch_index));
      expect(mine.epoch_index).toBe(item.epoch_index);
      expect(mine.stage, `epoch ${item.epoch_index}`).toBe(item.stage);
      item.probabilities.forEach((p: number, c: number) => expect(Math.abs(p - mine.probabilities[c])).toBeLessThan(1e-6));
      expectDistribution(item.probabilities, stored.body.labels, item.stage);
    });
  });

  it('answers 404 model_not_found for an unknown model_version', async () => {
    expect(await rejected(inline([{ features: GOOD }], { model_version: 'wnr-v999' }), 404, 'model_not_found')).toMatchObject({ version: 'wnr-v999' });
  });

  it('answers 409 feature_schema_mismatch for a schema other than the model\'s', async () => {
    const details = await rejected(inline([{ features: GOOD }], { feature_schema_version: 'sleep-accel-v2' }), 409, 'feature_schema_mismatch');
    expect(details).toMatchObject({ model_version: active, model_feature_schema_version: FEATURE_SCHEMA_VERSION, feature_schema_version: 'sleep-accel-v2' });
    await rejected(inline([{ features: GOOD }], { feature_schema_version: 'x', model_version: versions.find((v) => v !== active) }), 409, 'feature_schema_mismatch');
  });

  it('answers 413 too_many_epochs above a recording (MAX_RECORDING_EPOCHS = 5760) and accepts exactly 5760', async () => {
    const epochs = Array.from({ length: 5761 }, () => ({ features: GOOD }));
    expect(await rejected(inline(epochs), 413, 'too_many_epochs')).toMatchObject({ count: 5761, limit: 5760 });
    const res = await predict(inline(epochs.slice(1)));
    expect(res.status).toBe(200);
    expect(res.body.predictions).toHaveLength(5760);
    expect(res.body.predictions[5759].epoch_index).toBe(5759);
  });

  it('answers 422 epoch_index_out_of_range for an epoch_index at or past MAX_RECORDING_EPOCHS', async () => {
    expect(await rejected(inline([{ epoch_index: 0, features: GOOD }, { epoch_index: 5760, features: GOOD }]), 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 5760, limit: 5760 });
    expect(await rejected(inline([{ epoch_index: 0, features: GOOD }, { epoch_index: 150_000_000, features: GOOD }]), 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 150_000_000, limit: 5760 });
    const res = await predict(inline([{ epoch_index: 0, features: GOOD }, { epoch_index: 5759, features: GOOD }]));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it.each<[string, unknown[], number | null, RegExp]>([
    ['a wrong feature count', [{ features: GOOD }, { epoch_index: 3, features: [1, 2] }], 3, /expected 5 features, got 2/],
    ['a missing key', [{ features: { activity_count: 1 } }], 0, /missing feature/],
    ['an unknown key', [{ features: { ...Object.fromEntries(FEATURES.map((f) => [f, 0])), lux: 1 } }], 0, /unknown feature "lux"/],
    ['a non-number', [{ features: GOOD }, { epoch_index: 5, features: [1, 'a', 3, 4, 5] }], 5, /features/],
    ['NaN via base64', [{ features: GOOD }, { features: float32Base64([NaN, 0, 0, 0, 0]) }], 1, /activity_count is NaN/],
    ['1e39', [{ features: [0, 0, 0, 0, 1e39] }], 0, /clock_proxy is infinite/],
    ['bad base64', [{ features: 'not base64!' }], 0, /not valid base64/],
    ['a negative epoch_index', [{ epoch_index: -2, features: GOOD }], -2, /epoch_index/],
    ['a repeated epoch_index', [{ epoch_index: 1, features: GOOD }, { features: GOOD }], 1, /repeated/],
  ])('answers 422 invalid_features for %s', async (_name, epochs, epochIndex, reason) => {
    const details = await rejected(inline(epochs), 422, 'invalid_features');
    expect(details.epoch_index).toBe(epochIndex);
    expect(details.reason).toMatch(reason);
  });

  it('answers 422 invalid_features for 1e400 (JSON parses it to Infinity)', async () => {
    const text = JSON.stringify(inline([{ features: [0, 0, '@BIG@', 0, 0] }])).replace('"@BIG@"', '-1e400');
    expect((await rejected(text, 422, 'invalid_features')).epoch_index).toBeNull();
  });

  it('answers 422 validation_failed, 400 invalid_json and 400 bad_request for malformed requests', async () => {
    await rejected({ feature_schema_version: FEATURE_SCHEMA_VERSION }, 422, 'validation_failed');
    await rejected(inline([]), 422, 'validation_failed');
    await rejected({ epochs: [{ features: GOOD }] }, 422, 'validation_failed');
    await rejected(inline([{ features: GOOD }], { colour: 'red' }), 422, 'validation_failed');
    await rejected('{"epochs": [', 400, 'invalid_json');
    await rejected('[{"features": [1,2,3,4,5]}]', 400, 'bad_request');
  });
});

describe('POST /v1/predict for a stored recording, and GET /v1/recordings/{id}/predictions', () => {
  let other: string;
  beforeAll(() => {
    other = versions.find((v) => v !== active)!;
  });

  const startJob = async (body: Record<string, unknown>) => {
    const res = await predict({ recording_id: rec.id, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.status_url).toBe(`/v1/jobs/${res.body.job_id}`);
    const job = await waitForJob(base, res.body.job_id);
    expect(job.state, JSON.stringify(job)).toBe('completed');
    expect(job).toMatchObject({ type: 'predict', recording_id: rec.id, error: null });
    return { accepted: res.body, job };
  };

  it('returns the active version\'s predictions by default, another version\'s only after a job scored it', async () => {
    const before = await predictions(rec.id, `?model_version=${other}`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ model_version: other, items: [] });

    const { accepted, job } = await startJob({ model_version: other });
    expect(accepted.model_version).toBe(other);
    expect(job.result).toEqual({ model_version: other, predicted: night.indices.length, written: night.indices.length });

    const after = await predictions(rec.id, `?model_version=${other}`);
    expect(after.body.model_version).toBe(other);
    expect(after.body.labels).toEqual(await labelsOf(other));
    expect(after.body.items.map((i: { epoch_index: number }) => i.epoch_index)).toEqual(night.indices);
    const fresh = await predict(inline(night.indices.map((epoch_index, k) => ({ epoch_index, features: night.features[k] })), { model_version: other }));
    after.body.items.forEach((item: any, k: number) => {
      expect(item.stage).toBe(fresh.body.predictions[k].stage);
      expectDistribution(item.probabilities, after.body.labels, item.stage);
    });

    const byDefault = await predictions(rec.id);
    expect(byDefault.body.model_version).toBe(active);
    expect(byDefault.body.items).toHaveLength(night.indices.length);
  });

  it('pages predictions like epochs: a whole night by default, limit and next_cursor walk it exactly once', async () => {
    const whole = await predictions(rec.id);
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({ model_version: active, labels: await labelsOf(active), scored_at: expect.any(String), next_cursor: null });
    expect(whole.body.items).toHaveLength(night.indices.length);
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await predictions(rec.id, `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ model_version: active, labels: whole.body.labels, scored_at: whole.body.scored_at });
      expect(res.body.items.length).toBeLessThanOrEqual(100);
      seen.push(...res.body.items);
      cursor = res.body.next_cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(Math.ceil(night.indices.length / 100));
    expect(seen).toEqual(whole.body.items);
    // A range and a page together: the page starts after the cursor, and stays inside [from, to).
    const first = await predictions(rec.id, `?from=${tsOf(370)}&to=${tsOf(405)}&limit=5`);
    expect(first.body.items.map((i: { epoch_index: number }) => i.epoch_index)).toEqual([370, 371, 372, 373, 374]);
    const next = await predictions(rec.id, `?from=${tsOf(370)}&to=${tsOf(405)}&limit=50&cursor=${first.body.next_cursor}`);
    expect(next.body.items.map((i: { epoch_index: number }) => i.epoch_index)).toEqual(night.indices.filter((i) => i >= 375 && i < 405));
    expect(next.body.next_cursor).toBeNull();
  });

  it.each<[string, string, string]>([
    ['a limit above MAX_RECORDING_EPOCHS', '?limit=5761', 'bad_request'],
    ['limit 0', '?limit=0', 'bad_request'],
    ['a cursor it did not hand out', `?cursor=${Buffer.from('{"a":-4}').toString('base64url')}`, 'invalid_cursor'],
  ])('GET predictions answers 400 for %s', async (_name, query, code) => {
    expectError(await predictions(rec.id, query), 400, code);
  });

  it('re-scoring the same version overwrites instead of duplicating', async () => {
    const { job } = await startJob({ model_version: other });
    expect(job.result.predicted).toBe(night.indices.length);
    // Same version, same night: nothing changed, so nothing is rewritten.
    expect(job.result.written).toBe(0);
    expect((await rowCounts(db, rec.id)).predictions).toBe(2 * night.indices.length);
  });

  it('scores only [from, to) and defaults to the active version', async () => {
    const third = versions.find((v) => v !== active && v !== other);
    const { accepted, job } = await startJob({ from: tsOf(370), to: tsOf(405), ...(third ? { model_version: third } : {}) });
    const expected = night.indices.filter((i) => i >= 370 && i < 405);
    expect(accepted.model_version).toBe(third ?? active);
    expect(job.result).toEqual({ model_version: third ?? active, predicted: expected.length, written: third ? expected.length : 0 });
    const stored = await predictions(rec.id, `?model_version=${third ?? active}&from=${tsOf(370)}&to=${tsOf(405)}`);
    expect(stored.body.items.map((i: { epoch_index: number }) => i.epoch_index)).toEqual(expected);
    if (third) expect((await predictions(rec.id, `?model_version=${third}`)).body.items).toHaveLength(expected.length);
  });

  it('accepts ranges beyond the largest epoch index (nothing or everything to score)', async () => {
    expect((await startJob({ from: '9999-01-01T00:00:00Z' })).job.result).toEqual({ model_version: active, predicted: 0, written: 0 });
    expect((await startJob({ from: tsOf(400), to: '9999-01-01T00:00:00Z' })).job.result.predicted).toBe(night.indices.filter((i) => i >= 400).length);
    expect((await predictions(rec.id, '?from=9999-01-01T00:00:00Z')).body.items).toEqual([]);
    expect((await predictions(rec.id, `?from=${tsOf(400)}&to=9999-01-01T00:00:00Z`)).body.items).toHaveLength(night.indices.filter((i) => i >= 400).length);
  });

  it.each<[string, Record<string, unknown>, number, string]>([
    ['an unknown recording', { recording_id: randomUUID() }, 404, 'recording_not_found'],
    ['a non-uuid recording', { recording_id: 'rec-1' }, 404, 'recording_not_found'],
    ['an unknown model_version', { model_version: 'nope-v1' }, 404, 'model_not_found'],
    ['from >= to', { from: '2024-03-01T23:00:00Z', to: '2024-03-01T22:00:00Z' }, 400, 'invalid_range'],
    ['a bad from', { from: 'soon' }, 422, 'validation_failed'],
    ['an unknown field', { epochs: [] }, 422, 'validation_failed'],
  ])('answers %s with %i %s and starts no job', async (_name, fields, status, code) => {
    await rejected({ recording_id: rec.id, ...fields }, status, code);
  });

  it.each<[string, string, number, string]>([
    ['an unknown model_version', `?model_version=wnr-v999`, 404, 'model_not_found'],
    ['a bad from', '?from=yesterday', 400, 'bad_request'],
    ['from >= to', '?from=2024-03-01T23:00:00Z&to=2024-03-01T23:00:00Z', 400, 'invalid_range'],
    ['an unknown parameter', '?stage=W', 400, 'bad_request'],
  ])('GET predictions with %s answers %i %s', async (_name, query, status, code) => {
    expectError(await predictions(rec.id, query), status, code);
  });

  it.each([randomUUID(), 'rec-1'])('GET predictions of unknown recording %s answers 404 recording_not_found', async (id) => {
    expectError(await predictions(id), 404, 'recording_not_found');
  });
});
