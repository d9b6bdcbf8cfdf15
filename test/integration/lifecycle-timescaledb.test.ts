import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { loadConfig } from '../../src/config/config.js';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { upsertDevice } from '../../src/devices/devices.repository.js';
import { insertEpochs, type RecordingClock } from '../../src/epochs/epochs.repository.js';
import { eraseRecording, type EraseCounts } from '../../src/erase/erase.recording.js';
import { upsertLabels } from '../../src/labels/labels.repository.js';
import { upsertPredictions } from '../../src/predictions/predictions.repository.js';
import { insertRecording } from '../../src/recordings/recordings.repository.js';
import { syncTimescalePolicies } from '../../src/retention/retention.timescale.js';
import { rowsMentioning } from '../helpers/table-scan.js';
import { startTimescalePglite, timescalePgliteUnavailable, type TimescalePglite } from '../helpers/timescale-pglite.js';

// Retention and compression policies kept in step with the configuration, and an erase that
// leaves nothing behind in compressed chunks (their internal tables are scanned too).
const unavailable = await timescalePgliteUnavailable();
const title = 'data lifecycle on TimescaleDB (PGlite build)' + (unavailable ? ` [skipped: ${unavailable}]` : '');
if (unavailable) console.warn(unavailable);

const DAY_MS = 86_400_000;
const EPOCHS = 120;
const daysAgo = (d: number) => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - d * DAY_MS).toISOString();

async function night(db: Kysely<Database>, deviceId: string, startedAt: string): Promise<RecordingClock> {
  const recording = await insertRecording(db, { device_id: deviceId, started_at: startedAt, feature_schema_version: 'test-v1', tenant: 'default', epoch_seconds: 30, metadata: {} });
  const indices = Int32Array.from({ length: EPOCHS }, (_, k) => k);
  await insertEpochs(db, recording, indices, Float32Array.from({ length: EPOCHS * 5 }, (_, k) => k % 3), 5);
  const classes = Uint8Array.from(indices, (i) => i % 2);
  await upsertPredictions(db, recording, { modelVersion: 'm1', labels: ['W', 'S'], indices, probabilities: Float32Array.from({ length: EPOCHS * 2 }, () => 0.5), classes }, true);
  await upsertLabels(db, recording, [{ epoch_index: 0, stage: 'W' }, { epoch_index: 1, stage: 'N1' }]);
  return recording;
}

const policies = async (db: Kysely<Database>) =>
  (
    await sql<{ hypertable_name: string; proc_name: string; after: string }>`
      SELECT hypertable_name, proc_name, coalesce(config->>'drop_after', config->>'compress_after') AS after
      FROM timescaledb_information.jobs WHERE hypertable_name IN ('epochs', 'predictions') ORDER BY 1, 2`.execute(db)
  ).rows;

describe.skipIf(unavailable !== null)(title, () => {
  let engine: TimescalePglite;
  let handle: DbHandle;

  beforeAll(async () => {
    engine = await startTimescalePglite();
    handle = createDb(engine.url, 1);
    await migrateToLatest(handle.db);
  });
  afterAll(async () => {
    await handle?.db.destroy();
    await engine?.stop();
  });

  it('adds, keeps, changes and removes the policies as the configuration says', async () => {
    const db = handle.db;
    const config = { RETAIN_EPOCHS_DAYS: 90, RETAIN_PREDICTIONS_DAYS: 60, COMPRESS_AFTER_DAYS: 7 };
    expect(await syncTimescalePolicies(db, config)).toEqual({ 'epochs.retention': 'added', 'epochs.compression': 'added', 'predictions.retention': 'added', 'predictions.compression': 'added' });
    expect(await syncTimescalePolicies(db, config)).toEqual({ 'epochs.retention': 'kept', 'epochs.compression': 'kept', 'predictions.retention': 'kept', 'predictions.compression': 'kept' });
    expect(await syncTimescalePolicies(db, { ...config, RETAIN_EPOCHS_DAYS: 120 })).toMatchObject({ 'epochs.retention': 'changed', 'predictions.retention': 'kept' });
    expect(await policies(db)).toEqual([
      { hypertable_name: 'epochs', proc_name: 'policy_compression', after: '7 days' },
      { hypertable_name: 'epochs', proc_name: 'policy_retention', after: '120 days' },
      { hypertable_name: 'predictions', proc_name: 'policy_compression', after: '7 days' },
      { hypertable_name: 'predictions', proc_name: 'policy_retention', after: '60 days' },
    ]);
    expect(await syncTimescalePolicies(db, { RETAIN_EPOCHS_DAYS: undefined, RETAIN_PREDICTIONS_DAYS: undefined, COMPRESS_AFTER_DAYS: undefined })).toEqual({
      'epochs.retention': 'removed', 'epochs.compression': 'removed', 'predictions.retention': 'removed', 'predictions.compression': 'removed',
    });
    expect(await policies(db)).toEqual([]);
  });

  it('runs the policies: old chunks compressed, expired ones dropped, recent data kept', async () => {
    const db = handle.db;
    const { row: device } = await upsertDevice(db, 'default', { external_id: 'policies' });
    const expired = await night(db, device.id, daysAgo(200));
    const compressed = await night(db, device.id, daysAgo(20));
    const recent = await night(db, device.id, daysAgo(1));
    await syncTimescalePolicies(db, { RETAIN_EPOCHS_DAYS: 90, RETAIN_PREDICTIONS_DAYS: 90, COMPRESS_AFTER_DAYS: 7 });
    const jobs = (await sql<{ job_id: number }>`SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name IN ('epochs', 'predictions') ORDER BY proc_name DESC`.execute(db)).rows;
    for (const { job_id } of jobs) await sql`CALL run_job(${job_id})`.execute(db);
    const count = async (table: string, r: RecordingClock) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE recording_id = ${r.id}`.execute(db)).rows[0]!.n);
    for (const table of ['epochs', 'predictions']) {
      expect(await count(table, expired), table).toBe(0);
      expect(await count(table, compressed), table).toBe(EPOCHS);
      expect(await count(table, recent), table).toBe(EPOCHS);
    }
    const states = (await sql<{ is_compressed: boolean }>`SELECT is_compressed FROM timescaledb_information.chunks WHERE hypertable_name = 'epochs' ORDER BY range_start`.execute(db)).rows;
    expect(states.map((s) => s.is_compressed)).toEqual([true, false]);
  });

  it('erases a recording whose rows sit in compressed chunks, leaving nothing in any table', async () => {
    const db = handle.db;
    const { row: device } = await upsertDevice(db, 'default', { external_id: 'erase-compressed' });
    const target = await night(db, device.id, daysAgo(30));
    const neighbour = await night(db, device.id, daysAgo(30));
    await syncTimescalePolicies(db, { RETAIN_EPOCHS_DAYS: undefined, RETAIN_PREDICTIONS_DAYS: undefined, COMPRESS_AFTER_DAYS: 7 });
    const jobs = (await sql<{ job_id: number }>`SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression'`.execute(db)).rows;
    for (const { job_id } of jobs) await sql`CALL run_job(${job_id})`.execute(db);
    // Before: the target's rows are in a compressed chunk (reads of the hypertable decompress them,
    // so the scan of the public tables sees them; TimescaleDB refuses direct reads of the internal
    // compressed chunks).
    const states = (await sql<{ is_compressed: boolean }>`SELECT is_compressed FROM timescaledb_information.chunks WHERE hypertable_name = 'epochs' AND range_end > ${target.started_at}::timestamptz AND range_start <= ${target.started_at}::timestamptz`.execute(db)).rows;
    expect(states).toEqual([{ is_compressed: true }]);
    expect(await rowsMentioning(db, [target.id])).toMatchObject({ [`epochs:${target.id}`]: EPOCHS, [`predictions:${target.id}`]: EPOCHS, [`labels:${target.id}`]: 2 });

    const ctx = { db, config: loadConfig({ ERASE_BATCH_ROWS: '50' }) } as unknown as AppContext;
    const counts: EraseCounts = {};
    await eraseRecording(ctx, target.id, counts);
    expect(counts).toMatchObject({ epochs: EPOCHS, predictions: EPOCHS, labels: 2, recordings: 1 });
    expect(await rowsMentioning(db, [target.id])).toEqual({});
    expect(Number((await sql<{ n: string }>`SELECT count(*) AS n FROM epochs WHERE recording_id = ${neighbour.id}`.execute(db)).rows[0]!.n)).toBe(EPOCHS);
  });
});
