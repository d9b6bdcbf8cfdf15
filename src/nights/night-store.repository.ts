import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { NightModel } from '../summary/hypnogram.service.js';
import type { EpochSpan, NightSpan } from './night-span.js';
import type { NightSummary } from './night-summary.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LockedRecording {
  readonly id: string;
  readonly device_id: string;
  readonly started_at: Date;
  readonly epoch_seconds: number;
  readonly feature_schema_version: string;
  readonly closed_at: Date | null;
}

/**
 * Locks the recording row against a concurrent close (the lock UPDATE takes) and against another
 * refresh of the same night, so whichever commits second sees the other's epochs, predictions and
 * close. Foreign-key checks (KEY SHARE) of inserts into the recording are not blocked.
 */
export async function lockRecordingForNight(db: Db, recordingId: string): Promise<LockedRecording | undefined> {
  return db
    .selectFrom('recordings')
    .select(['id', 'device_id', 'started_at', 'epoch_seconds', 'feature_schema_version', 'closed_at'])
    .where('id', '=', recordingId)
    .forNoKeyUpdate()
    .executeTakeFirst();
}

/** Serialises main-sleep decisions of one device's nights for the rest of the transaction. */
export async function lockDeviceNights(db: Db, deviceId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`nights:${deviceId}`}, 0))`.execute(db);
}

/** Stored epochs of a recording; `ts >= started_at` keeps hypertable chunks before the recording out. */
export async function measureEpochSpan(db: Db, recording: { readonly id: string; readonly started_at: Date | string }): Promise<EpochSpan | null> {
  const row = await db
    .selectFrom('epochs')
    .select([sql<number>`count(*)::int`.as('count'), sql<number | null>`min(epoch_index)`.as('first'), sql<number | null>`max(epoch_index)`.as('last')])
    .where('recording_id', '=', recording.id)
    .where('ts', '>=', new Date(recording.started_at))
    .executeTakeFirstOrThrow();
  return row.first === null || row.last === null ? null : { count: row.count, first: row.first, last: row.last };
}

/** The zone a device's nights are dated in now. */
export async function deviceTimezone(db: Db, deviceId: string): Promise<string> {
  return (await db.selectFrom('devices').select('timezone').where('id', '=', deviceId).executeTakeFirstOrThrow()).timezone;
}

export async function findRecordingNight(db: Db, recordingId: string) {
  return db.selectFrom('recording_nights').selectAll().where('recording_id', '=', recordingId).executeTakeFirst();
}

/** Writes a closed recording's night; `span` null while it has no stored epoch. */
export async function upsertRecordingNight(db: Db, recordingId: string, deviceId: string, timezone: string, span: NightSpan | null): Promise<void> {
  const values = {
    timezone,
    night_date: span?.date ?? null,
    first_epoch_index: span?.firstIndex ?? null,
    last_epoch_index: span?.lastIndex ?? null,
    epoch_count: span?.epochCount ?? 0,
    start_at: span?.start ?? null,
    end_at: span?.end ?? null,
    tib_min: span?.tibMin ?? null,
  };
  await db
    .insertInto('recording_nights')
    .values({ recording_id: recordingId, device_id: deviceId, ...values })
    .onConflict((oc) => oc.column('recording_id').doUpdateSet({ ...values, updated_at: sql`now()` }))
    .execute();
}

/** Marks the main sleep among a device's closed recordings of `date` (compareForMainSleep's order). */
export async function recomputeMainSleep(db: Db, deviceId: string, date: string): Promise<void> {
  await sql`
    WITH main AS (
      SELECT recording_id FROM recording_nights
      WHERE device_id = ${deviceId}::uuid AND night_date = ${date}::date
      ORDER BY tib_min DESC, start_at, recording_id LIMIT 1)
    UPDATE recording_nights n SET is_main_sleep = (n.recording_id = main.recording_id), updated_at = now()
    FROM main
    WHERE n.device_id = ${deviceId}::uuid AND n.night_date = ${date}::date
      AND n.is_main_sleep IS DISTINCT FROM (n.recording_id = main.recording_id)`.execute(db);
}

/** Versions (with their classes) whose summaries of the recording are stored under `date`. */
export async function storedSummaryModels(db: Db, recordingId: string, date: string): Promise<NightModel[]> {
  const rows = await db.selectFrom('night_summaries').select(['model_version', 'labels']).where('recording_id', '=', recordingId).where('night_date', '=', date).execute();
  return rows.map((r) => ({ version: r.model_version, labels: r.labels }));
}

/** Drops stored summaries of the recording under `date` (the hypertable's chunk): of one version, or all. */
export async function deleteNightSummaries(db: Db, recordingId: string, date: string, modelVersion?: string): Promise<void> {
  let query = db.deleteFrom('night_summaries').where('recording_id', '=', recordingId).where('night_date', '=', date);
  if (modelVersion !== undefined) query = query.where('model_version', '=', modelVersion);
  await query.execute();
}
export async function upsertNightSummary(db: Db, key: { recordingId: string; deviceId: string; date: string; model: NightModel }, night: NightSummary): Promise<void> {
  const f = night.figures;
  const values = {
    device_id: key.deviceId,
    labels: [...key.model.labels],
    tib_min: f.tibMin,
    unscored_min: f.unscoredMin,
    tst_min: f.tstMin,
    waso_min: f.wasoMin,
    sol_min: f.solMin,
    se_pct: f.sePct,
    rem_latency_min: f.remLatencyMin,
    stage_minutes: JSON.stringify(f.stageMinutes),
    summary: JSON.stringify(night.summary),
  };
  await db
    .insertInto('night_summaries')
    .values({ recording_id: key.recordingId, model_version: key.model.version, night_date: key.date, ...values })
    .onConflict((oc) => oc.columns(['recording_id', 'model_version', 'night_date']).doUpdateSet({ ...values, computed_at: sql`now()` }))
    .execute();
}
