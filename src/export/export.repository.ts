import { sql, type Kysely } from 'kysely';
import type { Database, RecordingRow } from '../db/database.js';
import { inWindow, type EpochWindow } from '../recordings/epoch-window.js';

type Db = Kysely<Database>;

/** A device's recordings after `after` in (started_at, id) order: the export's keyset pages. */
export async function recordingPage(db: Db, deviceId: string, tenant: string, after: { startedAt: Date; id: string } | null, limit: number): Promise<RecordingRow[]> {
  let query = db.selectFrom('recordings').selectAll().where('device_id', '=', deviceId).where('tenant', '=', tenant);
  if (after) query = query.where(sql<boolean>`(started_at, id) > (${after.startedAt}::timestamptz, ${after.id}::uuid)`);
  return query.orderBy('started_at').orderBy('id').limit(limit).execute();
}

/** Versions with predictions in the window, so each is exported in index order. */
export async function predictionVersions(db: Db, window: EpochWindow): Promise<string[]> {
  const rows = await db.selectFrom('predictions').select('model_version').distinct().where(inWindow(window)).orderBy('model_version').execute();
  return rows.map((r) => r.model_version);
}

export async function epochsPage(db: Db, window: EpochWindow, limit: number) {
  return db.selectFrom('epochs').select(['epoch_index', 'ts', 'features']).where(inWindow(window)).orderBy('epoch_index').limit(limit).execute();
}

export async function predictionsPage(db: Db, window: EpochWindow, version: string, limit: number) {
  return db
    .selectFrom('predictions')
    .select(['epoch_index', 'ts', 'stage', 'probabilities'])
    .where(inWindow(window))
    .where('model_version', '=', version)
    .orderBy('epoch_index')
    .limit(limit)
    .execute();
}

export async function labelsPage(db: Db, window: EpochWindow, limit: number) {
  return db.selectFrom('labels').select(['epoch_index', 'ts', 'stage']).where(inWindow(window)).orderBy('epoch_index').limit(limit).execute();
}

/** The stored night of a closed recording (null while open) and its summaries, one per version. */
export async function storedNight(db: Db, recordingId: string) {
  const night = await db.selectFrom('recording_nights').selectAll().where('recording_id', '=', recordingId).executeTakeFirst();
  if (!night) return null;
  const summaries = await db
    .selectFrom('night_summaries')
    .select(['model_version', 'summary'])
    .where('recording_id', '=', recordingId)
    .$if(night.night_date !== null, (q) => q.where('night_date', '=', night.night_date!))
    .orderBy('model_version')
    .execute();
  return { night, summaries };
}
