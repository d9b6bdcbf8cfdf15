import { sql, type Kysely } from 'kysely';
import { expect } from 'vitest';
import { createDb } from '../../src/db/connection.js';
import type { Database } from '../../src/db/database.js';
import { request, waitForJob, type JsonResponse } from './http.js';
import { uniqueName } from './services.js';
import { FEATURE_SCHEMA_VERSION, packRows } from './sleep-data.js';
import type { TestEnv } from './test-app.js';

export const STARTED_AT = '2024-03-01T22:00:00.000Z';
export const INGEST_PATH = '/v1/epochs:ingest';

export interface Recording {
  id: string;
  device_id: string;
  started_at: string;
  feature_schema_version: string;
  epoch_seconds: number;
}

export async function createDevice(baseUrl: string, externalId = uniqueName('dev')): Promise<{ id: string; external_id: string }> {
  const res = await request(baseUrl, 'POST', '/v1/devices', { external_id: externalId });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A fresh device and a recording on it (30 s epochs, the shipped feature schema). */
export async function createRecording(baseUrl: string, fields: Record<string, unknown> = {}): Promise<Recording> {
  const device = await createDevice(baseUrl);
  const res = await request(baseUrl, 'POST', '/v1/recordings', {
    device_id: device.id,
    started_at: STARTED_AT,
    feature_schema_version: FEATURE_SCHEMA_VERSION,
    ...fields,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Asserts the `{"error":{"code","message","details"}}` shape and returns the details. */
export function expectError(res: JsonResponse, status: number, code: string): Record<string, any> {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type') ?? '').toContain('application/json');
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expect(typeof res.body.error.details).toBe('object');
  expect(res.body.error.details).not.toBeNull();
  return res.body.error.details;
}

/** Direct access to the test database for "nothing was written" checks. */
export function openDb(testEnv: TestEnv): Kysely<Database> {
  return createDb(testEnv.database.url, 1).db;
}

export interface RowCounts {
  jobs: number;
  ingest_payloads: number;
  epochs: number;
  predictions: number;
}

/** Row counts of every table a request could write to, optionally for one recording. */
export async function rowCounts(db: Kysely<Database>, recordingId?: string): Promise<RowCounts> {
  const count = async (table: keyof RowCounts): Promise<number> => {
    const where = recordingId === undefined ? sql`` : sql`WHERE recording_id = ${recordingId}::uuid`;
    const result = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} ${where}`.execute(db);
    return result.rows[0]!.n;
  };
  return { jobs: await count('jobs'), ingest_payloads: await count('ingest_payloads'), epochs: await count('epochs'), predictions: await count('predictions') };
}

/** base64 of little-endian float32 values (NaN and infinities included). */
export function float32Base64(values: readonly number[]): string {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out.toString('base64');
}

/** Ingests rows packed from `startIndex` and returns the completed job. */
export async function ingestPacked(baseUrl: string, recordingId: string, startIndex: number, rows: readonly (readonly number[])[]): Promise<any> {
  const res = await request(baseUrl, 'POST', INGEST_PATH, {
    recording_id: recordingId,
    feature_schema_version: FEATURE_SCHEMA_VERSION,
    start_index: startIndex,
    packed: packRows(rows),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const job = await waitForJob(baseUrl, res.body.job_id);
  expect(job.state, JSON.stringify(job)).toBe('completed');
  return job;
}

/** Ingests epochs in the list form and returns the completed job. */
export async function ingestList(baseUrl: string, recordingId: string, indices: readonly number[], rows: readonly (readonly number[])[]): Promise<any> {
  const res = await request(baseUrl, 'POST', INGEST_PATH, {
    recording_id: recordingId,
    feature_schema_version: FEATURE_SCHEMA_VERSION,
    epochs: indices.map((epoch_index, k) => ({ epoch_index, features: rows[k] })),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const job = await waitForJob(baseUrl, res.body.job_id);
  expect(job.state, JSON.stringify(job)).toBe('completed');
  return job;
}

/**
 * Stored features equal the sent ones rounded to float32. Compared numerically: the sign of a zero
 * is not kept (the CSVs have "-0.000000"; PostgreSQL stores 0), which no score depends on.
 */
export function expectFloat32Equal(got: readonly number[], sent: readonly number[]): void {
  const f32 = (values: readonly number[]) => values.map((v) => Math.fround(v) + 0);
  expect(f32(got)).toEqual(f32(sent));
}

/** Walks GET /v1/recordings/{id}/epochs page by page and returns every item. */
export async function allEpochs(baseUrl: string, recordingId: string, limit = 10000): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=${limit}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
    const res = await request(baseUrl, 'GET', `/v1/recordings/${recordingId}/epochs?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
  } while (cursor);
  return items;
}

export async function activeModelVersion(baseUrl: string): Promise<{ active: string; versions: string[] }> {
  const res = await request(baseUrl, 'GET', '/v1/models');
  expect(res.status).toBe(200);
  expect(res.body.active_version).toBeTypeOf('string');
  return { active: res.body.active_version, versions: res.body.models.map((m: { version: string }) => m.version) };
}
