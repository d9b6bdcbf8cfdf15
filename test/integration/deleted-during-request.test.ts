import type { Kysely } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import type { Database } from '../../src/db/database.js';
import { INGEST_PATH, createDevice, createRecording, expectError, openDb, rowCounts } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { waitForLockWaiters } from '../helpers/lock-waits.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// A row a request refers to is deleted (an erase's last statement) after the route has found it and
// before its own write commits. The write then fails with foreign_key_violation; the client must hear
// a 404 naming what is gone, never a 500, and nothing may be stored. The ordering is forced: a second
// connection holds the DELETE open until the request's insert is seen waiting for it.

let testEnv: TestEnv;
let web: App;
let base: string;
let db: Kysely<Database>;
const logs: string[] = [];

beforeAll(async () => {
  testEnv = await createTestEnv();
  // The API alone, with its log lines readable.
  web = App.create({ config: testEnv.config(), roles: { web: true, worker: false }, logger: pino({ level: 'warn' }, { write: (line: string) => logs.push(line) }) });
  await web.start();
  base = `http://127.0.0.1:${web.port}`;
  db = openDb(testEnv);
});
afterAll(async () => {
  await web?.stop();
  await db?.destroy();
  await testEnv?.dispose();
});

/** Runs `deleteSql` in an open transaction, starts `send`, commits once `waitingQuery` waits on it. */
async function deleteUnder<T>(deleteSql: string, id: string, waitingQuery: string, send: () => Promise<T>): Promise<T> {
  const holder = new pg.Client({ connectionString: testEnv.database.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    const deleted = await holder.query(deleteSql, [id]);
    expect(deleted.rowCount).toBe(1);
    const response = send();
    await waitForLockWaiters(db, 1, waitingQuery);
    await holder.query('COMMIT');
    return await response;
  } finally {
    await holder.end();
  }
}

describe('a row deleted while a request writes against it', () => {
  it('ingest: the accept answers 404 recording_not_found and stores no job and no payload', async () => {
    const recording = await createRecording(base);
    const body = { recording_id: recording.id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(syntheticNight(5, 120).features) };
    const res = await deleteUnder('DELETE FROM recordings WHERE id = $1', recording.id, '%insert into "ingest_payloads"%', () => request(base, 'POST', INGEST_PATH, body));
    expect(expectError(res, 404, 'recording_not_found')).toEqual({ recording_id: recording.id });
    expect(await rowCounts(db, recording.id)).toEqual({ jobs: 0, ingest_payloads: 0, epochs: 0, predictions: 0 });
    // The id now answers as any unknown recording does.
    expectError(await request(base, 'POST', INGEST_PATH, body), 404, 'recording_not_found');
  });

  it('any other route: a generic 404 not_found (reason deleted_concurrently), not a 500, and no row', async () => {
    const device = await createDevice(base);
    const body = { device_id: device.id, started_at: '2026-11-25T22:30:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION };
    const res = await deleteUnder('DELETE FROM devices WHERE id = $1', device.id, '%insert into "recordings"%', () => request(base, 'POST', '/v1/recordings', body));
    expect(expectError(res, 404, 'not_found')).toEqual({ reason: 'deleted_concurrently' });
    const left = await db.selectFrom('recordings').select('id').where('device_id', '=', device.id).execute();
    expect(left).toEqual([]);
    // Logged, with the constraint: should it ever come from a bug rather than a delete.
    const warned = logs.map((l) => JSON.parse(l)).filter((l) => l.err?.code === '23503');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, err: { constraint: 'recordings_device_id_fkey' } });
  });
});
