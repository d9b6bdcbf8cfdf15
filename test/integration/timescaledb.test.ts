import { sql, type Kysely } from 'kysely';
import { NO_MIGRATIONS } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import type { Database } from '../../src/db/database.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import { upsertDevice } from '../../src/devices/devices.repository.js';
import { insertEpochs, type RecordingClock } from '../../src/epochs/epochs.repository.js';
import { upsertPredictions } from '../../src/predictions/predictions.repository.js';
import { insertRecording } from '../../src/recordings/recordings.repository.js';
import { startTimescalePglite, timescalePgliteUnavailable, type TimescalePglite } from '../helpers/timescale-pglite.js';

// Our migrations against a real TimescaleDB engine (2.23 in a PGlite/PostgreSQL 17 WASM build), reached
// through our own pg pool of one connection. Decided at collection time so that an engine that cannot
// run here shows as a skip with its reason instead of a failure.
const unavailable = await timescalePgliteUnavailable();
const title = 'migrations on TimescaleDB (PGlite build)' + (unavailable ? ` [skipped: ${unavailable}]` : '');
if (unavailable) console.warn(unavailable);

const HOUR_MS = 3_600_000;
const N_FEATURES = 5;
// One hour per insert: pglite-socket 0.0.19 hands each TCP read to PGlite as is, so a statement over
// ~64 KB arrives split and aborts the WASM engine (RuntimeError: unreachable; fixed upstream later).
const EPOCHS = 120;

function hoursAgo(hours: number): string {
  return new Date(Math.floor(Date.now() / HOUR_MS - hours) * HOUR_MS).toISOString();
}

function range(from: number, to: number): Int32Array {
  return Int32Array.from({ length: to - from }, (_, k) => from + k);
}

function featuresFor(indices: Int32Array): Float32Array {
  return Float32Array.from({ length: indices.length * N_FEATURES }, (_, k) => (k % 7) / 8);
}

async function chunks(db: Kysely<Database>, table: string) {
  const result = await sql<{ chunk_name: string; is_compressed: boolean; seven_days: boolean }>`
    SELECT chunk_name, is_compressed, (range_end - range_start) = INTERVAL '7 days' AS seven_days
    FROM timescaledb_information.chunks WHERE hypertable_name = ${table} ORDER BY range_start`.execute(db);
  return result.rows;
}

describe.skipIf(unavailable !== null)(title, () => {
  let engine: TimescalePglite;
  let handle: DbHandle;
  let old: RecordingClock;
  let recent: RecordingClock;

  beforeAll(async () => {
    engine = await startTimescalePglite();
    handle = createDb(engine.url, 1);
    await migrateToLatest(handle.db);
    const { row: device } = await upsertDevice(handle.db, 'default', { external_id: 'timescale-test' });
    const recording = (startedAt: string) =>
      insertRecording(handle.db, {
        device_id: device.id,
        started_at: startedAt,
        feature_schema_version: 'test-v1',
        tenant: 'default',
        epoch_seconds: 30,
        metadata: {},
      });
    // Old enough for the 7-day compression and 90-day retention policies; recent for neither.
    old = await recording(hoursAgo(200 * 24));
    recent = await recording(hoursAgo(24));
  });

  afterAll(async () => {
    await handle?.db.destroy();
    await engine?.stop();
  });

  it('creates the timescaledb extension while migrating', async () => {
    const { rows } = await sql<{ extversion: string }>`
      SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`.execute(handle.db);
    expect(rows).toHaveLength(1);
  });

  it('makes epochs, labels and predictions hypertables on ts with 7-day chunks, and nothing else', async () => {
    const { rows } = await sql`
      SELECT h.hypertable_name, d.column_name, d.dimension_type, d.time_interval = INTERVAL '7 days' AS seven_days
      FROM timescaledb_information.hypertables h
      JOIN timescaledb_information.dimensions d USING (hypertable_schema, hypertable_name)
      ORDER BY h.hypertable_name, d.dimension_number`.execute(handle.db);
    expect(rows).toEqual([
      { hypertable_name: 'epochs', column_name: 'ts', dimension_type: 'Time', seven_days: true },
      { hypertable_name: 'labels', column_name: 'ts', dimension_type: 'Time', seven_days: true },
      { hypertable_name: 'predictions', column_name: 'ts', dimension_type: 'Time', seven_days: true },
    ]);
  });

  it('stores epochs through insertEpochs, dedupes re-sent indices and creates one chunk per week', async () => {
    const first = range(0, EPOCHS);
    expect(await insertEpochs(handle.db, old, first, featuresFor(first), N_FEATURES)).toHaveLength(EPOCHS);
    expect(await insertEpochs(handle.db, recent, first, featuresFor(first), N_FEATURES)).toHaveLength(EPOCHS);

    expect(await insertEpochs(handle.db, recent, first, featuresFor(first), N_FEATURES)).toEqual([]);
    const overlap = range(EPOCHS - 10, EPOCHS + 10);
    const written = await insertEpochs(handle.db, recent, overlap, featuresFor(overlap), N_FEATURES);
    expect(written.sort((a, b) => a - b)).toEqual(Array.from(range(EPOCHS, EPOCHS + 10)));

    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM show_chunks('epochs')`.execute(handle.db);
    expect(rows[0]!.n).toBe(2);
    expect(await chunks(handle.db, 'epochs')).toEqual([
      { chunk_name: expect.any(String), is_compressed: false, seven_days: true },
      { chunk_name: expect.any(String), is_compressed: false, seven_days: true },
    ]);
  });

  it('upserts predictions into the predictions hypertable, overwriting on conflict', async () => {
    const batch = {
      modelVersion: 'm1',
      labels: ['wake', 'sleep'],
      indices: range(0, 10),
      probabilities: Float32Array.from({ length: 20 }, (_, k) => (k % 2 ? 0.75 : 0.25)),
      classes: new Uint8Array(10).fill(1),
    };
    expect(await upsertPredictions(handle.db, recent, batch, true)).toBe(10);
    expect(await upsertPredictions(handle.db, recent, { ...batch, classes: new Uint8Array(10) }, true)).toBe(10);
    const { rows } = await sql<{ stage: string; n: number }>`
      SELECT stage, count(*)::int AS n FROM predictions GROUP BY stage`.execute(handle.db);
    expect(rows).toEqual([{ stage: 'wake', n: 10 }]);
  });

  // PGlite is one WASM backend with no background workers, so TimescaleDB's job scheduler never runs
  // there: the README's policies are registered, then each job is run by hand with run_job.
  it("accepts the README's retention and compression policies, whose jobs then work when run", async () => {
    const db = handle.db;
    const retention = await sql<{ id: number }>`
      SELECT add_retention_policy('epochs', INTERVAL '90 days') AS id`.execute(db);
    await sql`ALTER TABLE epochs SET (timescaledb.compress, timescaledb.compress_segmentby = 'recording_id')`.execute(db);
    const compression = await sql<{ id: number }>`
      SELECT add_compression_policy('epochs', INTERVAL '7 days') AS id`.execute(db);
    const jobs = await sql`
      SELECT proc_name, scheduled FROM timescaledb_information.jobs
      WHERE hypertable_name = 'epochs' ORDER BY proc_name`.execute(db);
    expect(jobs.rows).toEqual([
      { proc_name: 'policy_compression', scheduled: true },
      { proc_name: 'policy_retention', scheduled: true },
    ]);

    await sql`CALL run_job(${compression.rows[0]!.id})`.execute(db);
    expect((await chunks(db, 'epochs')).map((c) => c.is_compressed)).toEqual([true, false]);
    // A late re-upload into the compressed chunk is neither rejected nor duplicated: only new indices land.
    const overlap = range(EPOCHS - 10, EPOCHS + 10);
    const written = await insertEpochs(db, old, overlap, featuresFor(overlap), N_FEATURES);
    expect(written.sort((a, b) => a - b)).toEqual(Array.from(range(EPOCHS, EPOCHS + 10)));
    const { rows: stored } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM epochs WHERE recording_id = ${old.id}`.execute(db);
    expect(stored[0]!.n).toBe(EPOCHS + 10);

    // The whole night re-sent into the compressed chunk, with new epochs after it: only the new ones
    // land, and every epoch is stored exactly once. TimescaleDB 2.17.2 stopped such an insert at its
    // first conflict (timescale/timescaledb#7672), losing the new epochs; the ingest transaction's
    // plain insert that falls back to ON CONFLICT DO NOTHING must behave the same.
    const night = range(0, EPOCHS + 20);
    const resent = await insertEpochs(db, old, night, featuresFor(night), N_FEATURES);
    expect(resent.sort((a, b) => a - b)).toEqual(Array.from(range(EPOCHS + 10, EPOCHS + 20)));
    const longer = range(0, EPOCHS + 30);
    const inTransaction = await db.transaction().execute((trx) => insertEpochs(trx, old, longer.slice().reverse(), featuresFor(longer), N_FEATURES));
    expect(inTransaction.sort((a, b) => a - b)).toEqual(Array.from(range(EPOCHS + 20, EPOCHS + 30)));
    const { rows: perIndex } = await sql<{ epoch_index: number; n: number }>`
      SELECT epoch_index, count(*)::int AS n FROM epochs WHERE recording_id = ${old.id} GROUP BY epoch_index ORDER BY epoch_index`.execute(db);
    expect(perIndex).toEqual(Array.from(longer, (epoch_index) => ({ epoch_index, n: 1 })));

    await sql`CALL run_job(${retention.rows[0]!.id})`.execute(db);
    expect(await chunks(db, 'epochs')).toHaveLength(1);
    const { rows: left } = await sql<{ recording_id: string; n: number }>`
      SELECT recording_id, count(*)::int AS n FROM epochs GROUP BY recording_id`.execute(db);
    expect(left).toEqual([{ recording_id: recent.id, n: EPOCHS + 10 }]);
  });

  it('migrates all the way down, dropping the hypertables with their chunks and jobs', async () => {
    const result = await createMigrator(handle.db).migrateTo(NO_MIGRATIONS);
    expect(result.error).toBeUndefined();
    const { rows } = await sql<{ n: number }>`
      SELECT (SELECT count(*) FROM timescaledb_information.hypertables)
           + (SELECT count(*) FROM timescaledb_information.chunks)
           + (SELECT count(*) FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL) AS n`.execute(handle.db);
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
