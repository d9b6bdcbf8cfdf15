import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import type { Database } from '../../src/db/database.js';
import { insertEpochs, type RecordingClock } from '../../src/epochs/epochs.repository.js';
import { replacePredictions, upsertPredictions, type PredictionBatch } from '../../src/predictions/predictions.repository.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

// Epochs and predictions have no per-row foreign key to recordings (migration 2026_12_01_0001):
// each bulk insert share-locks its recording once and fails if it is gone, and deleting a
// recording deletes its rows. These are the guarantees the foreign key gave, tried on a real
// PostgreSQL with two connections for the races.

let database: TestDatabase;
let handle: DbHandle;
let db: Kysely<Database>;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, 4);
  db = handle.db;
});

afterAll(async () => {
  await handle?.db.destroy();
  await database?.drop();
});

async function newRecording(): Promise<RecordingClock & { device_id: string }> {
  const { rows } = await sql<{ id: string; device_id: string }>`
    WITH d AS (INSERT INTO devices (external_id) VALUES (gen_random_uuid()::text) RETURNING id)
    INSERT INTO recordings (device_id, started_at, feature_schema_version)
    SELECT id, '2024-03-01T22:00:00Z', 'v1' FROM d RETURNING id, device_id`.execute(db);
  return { ...rows[0]!, started_at: '2024-03-01T22:00:00Z', epoch_seconds: 30 };
}

const indices = Int32Array.from({ length: 50 }, (_, i) => i);
const features = Float32Array.from({ length: 50 * 3 }, (_, i) => i / 10);
const batch: PredictionBatch = {
  modelVersion: 'm1',
  labels: ['wake', 'sleep'],
  indices,
  probabilities: Float32Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 0.25 : 0.75)),
  classes: new Uint8Array(50).fill(1),
};

async function count(table: 'epochs' | 'predictions', recordingId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE recording_id = ${recordingId}::uuid`.execute(db);
  return rows[0]!.n;
}

/** The service's writer (a pool of one connection, so its backend is known) and a plain client
 * that deletes, so either can hold a transaction open while the other acts. */
async function withWriterAndDeleter(run: (writer: Kysely<Database>, writerPid: number, deleter: pg.Client, deleterPid: number) => Promise<void>): Promise<void> {
  const writer = createDb(database.url, 1).db;
  const deleter = new pg.Client({ connectionString: database.url });
  await deleter.connect();
  try {
    const writerPid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(writer)).rows[0]!.pid;
    const deleterPid = (await deleter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await run(writer, writerPid, deleter, deleterPid);
  } finally {
    await writer.destroy();
    await deleter.end();
  }
}

/** Waits until the backend `pid` is blocked on a lock, so the ordering of a race is known. */
async function waitUntilBlocked(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await sql<{ w: string | null }>`SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = ${pid}`.execute(db);
    if (rows[0]?.w === 'Lock') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`backend ${pid} never waited for a lock`);
}

const pgCode = (err: unknown) => (err as { code?: string }).code;

describe('rows of a recording without a per-row foreign key', () => {
  it('has no foreign key from epochs or predictions to recordings any more', async () => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_constraint
      WHERE contype = 'f' AND confrelid = 'recordings'::regclass AND conrelid IN ('epochs'::regclass, 'predictions'::regclass)`.execute(db);
    expect(rows[0]!.n).toBe(0);
  });

  it('refuses epochs and predictions of a recording that does not exist, with foreign_key_violation, and stores none', async () => {
    const ghost = { id: '00000000-0000-4000-8000-000000000001', started_at: '2024-03-01T22:00:00Z', epoch_seconds: 30 };
    await expect(insertEpochs(db, ghost, indices, features, 3)).rejects.toMatchObject({ code: '23503' });
    await expect(db.transaction().execute((trx) => insertEpochs(trx, ghost, indices, features, 3))).rejects.toMatchObject({ code: '23503' });
    await expect(db.transaction().execute((trx) => upsertPredictions(trx, ghost, batch, false))).rejects.toMatchObject({ code: '23503' });
    await expect(replacePredictions(db, ghost, batch)).rejects.toMatchObject({ code: '23503' });
    expect(await count('epochs', ghost.id)).toBe(0);
    expect(await count('predictions', ghost.id)).toBe(0);
  });

  it('deletes a recording\'s epochs and predictions with it, and with its device, leaving other recordings\' rows', async () => {
    const [a, b, c] = [await newRecording(), await newRecording(), await newRecording()];
    for (const rec of [a, b, c]) {
      await db.transaction().execute(async (trx) => {
        await insertEpochs(trx, rec, indices, features, 3);
        await upsertPredictions(trx, rec, batch, false);
      });
    }
    await db.deleteFrom('recordings').where('id', '=', a.id).execute();
    await db.deleteFrom('devices').where('id', '=', b.device_id).execute();
    expect([await count('epochs', a.id), await count('predictions', a.id)]).toEqual([0, 0]);
    expect([await count('epochs', b.id), await count('predictions', b.id)]).toEqual([0, 0]);
    expect([await count('epochs', c.id), await count('predictions', c.id)]).toEqual([50, 50]);
  });

  it('makes a delete of the recording wait for an open write, then takes the written rows with it', async () => {
    const rec = await newRecording();
    await withWriterAndDeleter(async (writer, _writerPid, deleter, deleterPid) => {
      let wrote!: () => void;
      let commit!: () => void;
      const written = new Promise<void>((resolve) => (wrote = resolve));
      const held = new Promise<void>((resolve) => (commit = resolve));
      const transaction = writer.transaction().execute(async (trx) => {
        await insertEpochs(trx, rec, indices, features, 3);
        wrote();
        await held;
      });
      await written;
      const deleted = deleter.query('DELETE FROM recordings WHERE id = $1', [rec.id]);
      try {
        await waitUntilBlocked(deleterPid);
      } finally {
        commit();
        await transaction;
      }
      expect((await deleted).rowCount).toBe(1);
      expect(await count('epochs', rec.id)).toBe(0);
    });
  });

  it('fails a write that waits for a delete of its recording, leaving no rows behind', async () => {
    const rec = await newRecording();
    await withWriterAndDeleter(async (writer, writerPid, deleter) => {
      await deleter.query('BEGIN');
      await deleter.query('DELETE FROM recordings WHERE id = $1', [rec.id]);
      const failure = writer.transaction().execute((trx) => upsertPredictions(trx, rec, batch, false)).then(() => null, (err: unknown) => err);
      await waitUntilBlocked(writerPid);
      await deleter.query('COMMIT');
      expect(pgCode(await failure)).toBe('23503');
      expect(await count('predictions', rec.id)).toBe(0);
    });
  });

  it('checks the recording once per statement, not once per row', async () => {
    const rec = await newRecording();
    // PostgreSQL counts the function's calls in this transaction: one per statement, not 50.
    const { rows } = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_stat_reset_single_function_counters('lock_recording_for_write(uuid)'::regprocedure)`.execute(trx);
      await sql`SET LOCAL track_functions = 'pl'`.execute(trx);
      await insertEpochs(trx, rec, indices, features, 3);
      await upsertPredictions(trx, rec, batch, false);
      return sql<{ calls: number }>`SELECT coalesce(pg_stat_get_xact_function_calls('lock_recording_for_write(uuid)'::regprocedure), 0)::int AS calls`.execute(trx);
    });
    expect(rows[0]!.calls).toBe(2);
    expect([await count('epochs', rec.id), await count('predictions', rec.id)]).toEqual([50, 50]);
  });
});
