import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import {
  INGEST_PATH,
  expectFloat32Equal,
  activeModelVersion,
  allEpochs,
  createRecording,
  expectError,
  float32Base64,
  ingestList,
  ingestPacked,
  openDb,
  rowCounts,
  type Recording,
} from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { FEATURES, FEATURE_SCHEMA_VERSION, packRows, type Night } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

let testEnv: TestEnv;
let app: RunningApp;
let db: Kysely<Database>;
let base: string;
let active: string;

beforeAll(async () => {
  testEnv = await createTestEnv();
  app = await startTestApp(testEnv);
  base = app.baseUrl;
  db = openDb(testEnv);
  active = (await activeModelVersion(base)).active;
});

afterAll(async () => {
  await db?.destroy();
  await app?.stop();
  await testEnv?.dispose();
});

const GOOD = [0.5, 0.25, -0.75, 1.5, 0.125];
const byName = (row: readonly number[]) => Object.fromEntries(FEATURES.map((f, j) => [f, row[j]]));

/** Posts `body` and asserts the error, and that no table gained (or lost) a single row. */
async function rejected(body: unknown, status: number, code: string, url = base): Promise<Record<string, any>> {
  const before = await rowCounts(db);
  const details = expectError(await request(url, 'POST', INGEST_PATH, body), status, code);
  expect(await rowCounts(db)).toEqual(before);
  return details;
}

describe('accepted ingests', () => {
  let night: Night;
  let rec: Recording;

  beforeAll(async () => {
    night = syntheticNight(415, 415); // contiguous indices 0..414
    rec = await createRecording(base);
  });

  it('accepts the list, object, base64 and packed forms (202) and every job completes', async () => {
    const cut = [0, 104, 208, 312, night.indices.length];
    const slice = (q: number) => ({ indices: night.indices.slice(cut[q], cut[q + 1]), rows: night.features.slice(cut[q], cut[q + 1]) });
    const envelope = { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION };
    const perEpoch = (q: number, form: (row: number[]) => unknown) => {
      const { indices, rows } = slice(q);
      return { ...envelope, epochs: indices.map((epoch_index, k) => ({ epoch_index, features: form(rows[k]!) })) };
    };
    const bodies = [
      perEpoch(0, (row) => row),
      perEpoch(1, byName),
      perEpoch(2, float32Base64),
      { ...envelope, start_index: cut[3], packed: packRows(slice(3).rows) },
    ];
    for (const [q, body] of bodies.entries()) {
      const n = cut[q + 1]! - cut[q]!;
      const res = await request(base, 'POST', INGEST_PATH, body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(Object.keys(res.body).sort()).toEqual(['accepted', 'job_id', 'status_url']);
      expect(res.body.accepted).toBe(n);
      expect(res.body.status_url).toBe(`/v1/jobs/${res.body.job_id}`);
      const job = await waitForJob(base, res.body.job_id);
      expect(job.state).toBe('completed');
      expect(job.result).toMatchObject({ inserted: n, duplicates: 0, predicted: n, model_version: active });
    }
    const items = await allEpochs(base, rec.id);
    expect(items.map((e) => e.epoch_index)).toEqual(night.indices);
    items.forEach((e, k) => expectFloat32Equal(e.features, night.features[k]!));
    expect(await rowCounts(db, rec.id)).toMatchObject({ epochs: 415, predictions: 415, ingest_payloads: 0, jobs: 4 });
  });

  it('re-sending the same night inserts nothing and reports every epoch as a duplicate', async () => {
    const n = night.indices.length;
    // The active model scores whole nights: a re-sent night is scored again (its epochs carry
    // predictions), and nothing changes since the night is the same.
    const packed = await ingestPacked(base, rec.id, 0, night.features);
    expect(packed.result).toMatchObject({ inserted: 0, duplicates: n, predicted: n, rescored: 0, model_version: active });
    const list = await ingestList(base, rec.id, night.indices, night.features);
    expect(list.result).toMatchObject({ inserted: 0, duplicates: n, predicted: n, rescored: 0 });
    expect((await allEpochs(base, rec.id, 100)).length).toBe(n);
    expect((await request(base, 'GET', `/v1/recordings/${rec.id}`)).body).toMatchObject({ epoch_count: n, first_epoch_index: 0, last_epoch_index: n - 1 });
    expect(await rowCounts(db, rec.id)).toMatchObject({ epochs: n, predictions: n, ingest_payloads: 0 });
  });

  it('accepts the last index a recording holds (MAX_RECORDING_EPOCHS − 1), in list and packed form', async () => {
    const edge = await createRecording(base);
    const job = await ingestList(base, edge.id, [0, 5759], [GOOD, GOOD]);
    expect(job.result).toMatchObject({ inserted: 2 });
    expect((await ingestPacked(base, edge.id, 5758, [GOOD, GOOD])).result).toMatchObject({ inserted: 1, duplicates: 1 });
    expect((await request(base, 'GET', `/v1/recordings/${edge.id}`)).body).toMatchObject({ epoch_count: 3, last_epoch_index: 5759 });
  });

  it('inserts only the new epochs of an overlapping batch', async () => {
    const rows = Array.from({ length: 10 }, () => GOOD);
    const job = await ingestPacked(base, rec.id, 410, rows);
    // Every epoch of the batch carries a prediction of the night now, duplicates included.
    expect(job.result).toMatchObject({ inserted: 5, duplicates: 5, predicted: 10, model_version: active });
    expect(await rowCounts(db, rec.id)).toMatchObject({ epochs: 420, predictions: 420 });
  });
});

describe('rejected ingests write nothing', () => {
  let rec: Recording;
  let list: (second: Record<string, unknown>) => Record<string, unknown>;
  let packed: (fields: Record<string, unknown>) => Record<string, unknown>;

  beforeAll(async () => {
    rec = await createRecording(base);
    // One good epoch first, so the error must name the bad (second) one.
    list = (second) => ({ recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: [{ epoch_index: 6, features: GOOD }, { epoch_index: 7, ...second }] });
    packed = (fields) => ({ recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 100, ...fields });
  });

  it('answers 409 feature_schema_mismatch for a version other than the recording\'s', async () => {
    const details = await rejected({ ...list({ features: GOOD }), feature_schema_version: 'sleep-accel-v2' }, 409, 'feature_schema_mismatch');
    expect(details).toMatchObject({ recording_feature_schema_version: FEATURE_SCHEMA_VERSION, feature_schema_version: 'sleep-accel-v2' });
    await rejected(packed({ packed: packRows([GOOD]), feature_schema_version: 'other' }), 409, 'feature_schema_mismatch');
  });

  const base64 = float32Base64(GOOD);
  it.each<[string, Record<string, unknown>, number | null, RegExp]>([
    ['too few features', { features: [1, 2, 3] }, 7, /expected 5 features, got 3/],
    ['too many features', { features: [...GOOD, 1] }, 7, /expected 5 features, got 6/],
    ['a missing key', { features: byName(GOOD.slice(0, 4)) }, 7, /missing feature clock_proxy/],
    ['an unknown key', { features: { ...byName(GOOD), steps: 3 } }, 7, /unknown feature "steps"/],
    // An own "__proto__" key, as JSON.parse makes it (a literal would set the prototype instead).
    ['a key named __proto__', { features: { ...byName(GOOD), ...JSON.parse('{"__proto__": 3}') } }, 7, /unknown feature "__proto__"/],
    ['a field beside features', { features: GOOD, steps: 3 }, 7, /Unrecognized key.*steps/],
    ['a non-number in the list', { features: [0.5, '0.25', -0.75, 1.5, 0.125] }, 7, /features/],
    ['a null in the list', { features: [0.5, null, -0.75, 1.5, 0.125] }, 7, /features/],
    ['a non-number in the object', { features: { ...byName(GOOD), hr_variability: 'high' } }, 7, /features/],
    ['features of the wrong type', { features: 5 }, 7, /features/],
    ['no features', {}, 7, /features/],
    ['NaN via base64', { features: float32Base64([0.5, NaN, -0.75, 1.5, 0.125]) }, 7, /hr_variability is NaN/],
    ['Infinity via base64', { features: float32Base64([0.5, 0.25, -Infinity, 1.5, 0.125]) }, 7, /circadian_cosine is infinite/],
    ['1e39 (overflows float32)', { features: [0.5, 0.25, -0.75, 1e39, 0.125] }, 7, /hours_since_start is infinite or outside the float32 range/],
    ['bad base64 characters', { features: `${base64.slice(0, 10)}*${base64.slice(11)}` }, 7, /not valid base64/],
    ['base64 missing its last character', { features: base64.slice(0, -1) }, 7, /not valid base64/],
    ['base64 of 18 bytes', { features: base64.slice(0, -4) }, 7, /decode to 18 bytes, expected 20/],
    ['base64 of 4 floats', { features: float32Base64(GOOD.slice(0, 4)) }, 7, /decode to 16 bytes, expected 20/],
    ['a negative epoch_index', { epoch_index: -1, features: GOOD }, -1, /epoch_index/],
    ['a repeated epoch_index', { epoch_index: 6, features: GOOD }, 6, /repeated/],
    ['a fractional epoch_index', { epoch_index: 7.5, features: GOOD }, 7.5, /epoch_index/],
    ['no epoch_index', { epoch_index: undefined, features: GOOD }, null, /epoch_index/],
  ])('answers 422 invalid_features for %s', async (_name, second, epochIndex, reason) => {
    const details = await rejected(list(second), 422, 'invalid_features');
    expect(details.epoch_index).toBe(epochIndex);
    expect(details.reason).toMatch(reason);
  });

  it('answers 422 invalid_features for 1e400 (JSON parses it to Infinity)', async () => {
    const text = JSON.stringify(list({ features: [0.5, 0.25, '@BIG@', 1.5, 0.125] })).replace('"@BIG@"', '1e400');
    const details = await rejected(text, 422, 'invalid_features');
    expect(details.epoch_index).toBe(7);
    expect(typeof details.reason).toBe('string');
  });

  it.each<[string, string, number | null, RegExp]>([
    ['19 bytes', Buffer.alloc(19).toString('base64'), null, /19 bytes, which is not a positive multiple of 20/],
    ['21 bytes', Buffer.alloc(21).toString('base64'), null, /21 bytes, which is not a positive multiple of 20/],
    ['41 bytes', Buffer.concat([Buffer.from(packRows([GOOD, GOOD]), 'base64'), Buffer.alloc(1)]).toString('base64'), null, /41 bytes/],
    ['bad base64 characters', `${packRows([GOOD]).slice(0, 5)}-${packRows([GOOD]).slice(6)}`, null, /not valid base64/],
    ['truncated base64', packRows([GOOD, GOOD]).slice(0, -2), null, /not valid base64/],
    ['NaN in the second row', packRows([GOOD, [1, 2, NaN, 4, 5]]), 101, /circadian_cosine is NaN/],
    ['1e39 in the first row', packRows([[1e39, 2, 3, 4, 5], GOOD]), 100, /activity_count is infinite/],
  ])('answers 422 invalid_features for packed %s', async (_name, bytes, epochIndex, reason) => {
    const details = await rejected(packed({ packed: bytes }), 422, 'invalid_features');
    expect(details.epoch_index).toBe(epochIndex);
    expect(details.reason).toMatch(reason);
  });

  it('answers 422 epoch_index_out_of_range for an index at or past MAX_RECORDING_EPOCHS (5760), in list and packed form', async () => {
    expect(await rejected(list({ epoch_index: 5760, features: GOOD }), 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 5760, limit: 5760 });
    // A huge span: epochs 0 and 150,000,000 in one recording.
    const span = { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: [{ epoch_index: 0, features: GOOD }, { epoch_index: 150_000_000, features: GOOD }] };
    expect(await rejected(span, 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 150_000_000, limit: 5760 });
    expect(await rejected(list({ epoch_index: 2 ** 31 - 1, features: GOOD }), 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 2 ** 31 - 1, limit: 5760 });
    expect(await rejected(packed({ start_index: 150_000_000, packed: packRows([GOOD]) }), 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 150_000_000, limit: 5760 });
    // Starts inside, runs past the end: names the first index past it.
    expect(await rejected(packed({ start_index: 5759, packed: packRows([GOOD, GOOD]) }), 422, 'epoch_index_out_of_range')).toEqual({ epoch_index: 5760, limit: 5760 });
  });

  it('answers 400 invalid_json for malformed JSON and 400 bad_request for a non-object body', async () => {
    await rejected('{"recording_id": "x", "epochs": [', 400, 'invalid_json');
    await rejected('[]', 400, 'bad_request');
  });

  it.each([randomUUID(), 'rec-1'])('answers 404 recording_not_found for recording %s', async (id) => {
    await rejected({ ...list({ features: GOOD }), recording_id: id }, 404, 'recording_not_found');
    await rejected({ ...packed({ packed: packRows([GOOD]) }), recording_id: id }, 404, 'recording_not_found');
  });

  it('answers 422 validation_failed for a malformed envelope', async () => {
    const { recording_id: _r, ...noRecording } = list({ features: GOOD });
    const issues = (await rejected(noRecording, 422, 'validation_failed')).issues;
    expect(issues.map((i: { path: string }) => i.path)).toContain('recording_id');
    const { recording_id: _p, ...noRecordingPacked } = packed({ packed: packRows([GOOD]) });
    await rejected(noRecordingPacked, 422, 'validation_failed');
    await rejected({ ...list({ features: GOOD }), feature_schema_version: undefined }, 422, 'validation_failed');
    await rejected({ ...list({ features: GOOD }), epochs: [] }, 422, 'validation_failed');
    await rejected({ ...list({ features: GOOD }), extra: true }, 422, 'validation_failed');
    await rejected(packed({ packed: packRows([GOOD]), start_index: -1 }), 422, 'validation_failed');
    await rejected(packed({ packed: '' }), 422, 'validation_failed');
  });

  it('left the rejected recording without jobs, payloads, epochs or predictions', async () => {
    expect(await rowCounts(db, rec.id)).toEqual({ jobs: 0, ingest_payloads: 0, epochs: 0, predictions: 0 });
    expect((await request(base, 'GET', `/v1/recordings/${rec.id}`)).body).toMatchObject({ epoch_count: 0, first_epoch_index: null });
  });
});

describe('request limits (MAX_EPOCHS_PER_REQUEST=10, MAX_BODY_BYTES=2048)', () => {
  let limited: RunningApp;
  let rec: Recording;
  const rows = (n: number) => Array.from({ length: n }, () => GOOD);
  const listOf = (n: number) => ({ recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: rows(n).map((features, epoch_index) => ({ epoch_index, features })) });
  const packedOf = (n: number) => ({ recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(rows(n)) });

  beforeAll(async () => {
    // Web only: the main app's workers (same database and queue prefix) process what it accepts.
    limited = await startTestApp(testEnv, { roles: { web: true, worker: false }, env: { MAX_EPOCHS_PER_REQUEST: '10', MAX_BODY_BYTES: '2048' } });
    rec = await createRecording(base);
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('answers 413 too_many_epochs above the limit, in list and packed form', async () => {
    expect(await rejected(listOf(11), 413, 'too_many_epochs', limited.baseUrl)).toMatchObject({ count: 11, limit: 10 });
    expect(await rejected(packedOf(11), 413, 'too_many_epochs', limited.baseUrl)).toMatchObject({ count: 11, limit: 10 });
    expect(await rowCounts(db, rec.id)).toEqual({ jobs: 0, ingest_payloads: 0, epochs: 0, predictions: 0 });
  });

  it('answers 413 payload_too_large for a body over MAX_BODY_BYTES', async () => {
    const body = JSON.stringify({ ...listOf(2), note: 'x'.repeat(2100) });
    expect(await rejected(body, 413, 'payload_too_large', limited.baseUrl)).toMatchObject({ limit: 2048 });
    expect(await rowCounts(db, rec.id)).toEqual({ jobs: 0, ingest_payloads: 0, epochs: 0, predictions: 0 });
  });

  it('accepts exactly the limit in both forms', async () => {
    for (const body of [listOf(10), packedOf(10)]) {
      const res = await request(limited.baseUrl, 'POST', INGEST_PATH, body);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.accepted).toBe(10);
      expect((await waitForJob(limited.baseUrl, res.body.job_id)).state).toBe('completed');
    }
    expect(await rowCounts(db, rec.id)).toMatchObject({ jobs: 2, epochs: 10, ingest_payloads: 0 });
  });
});
