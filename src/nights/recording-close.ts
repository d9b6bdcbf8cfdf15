import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, RecordingRow } from '../db/database.js';
import type { ModelRegistry } from '../models/model-registry.js';
import type { NightModel } from '../summary/hypnogram.service.js';
import { storeNight } from './night-store.js';
import { emitEvent } from '../webhooks/webhook-events.js';
import { deviceTimezone } from './night-store.repository.js';

export interface CloseOutcome {
  readonly recording: RecordingRow;
  /** False when this call did not close it: closed already, or (with `idleSeconds`) not idle. */
  readonly closedNow: boolean;
}

/** No ingest was accepted for the recording in the last `seconds`, and none is unfinished. */
export function idleFor(seconds: number) {
  const cutoff = sql`now() - make_interval(secs => ${seconds}::double precision)`;
  return sql<boolean>`recordings.created_at < ${cutoff}
    AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.recording_id = recordings.id AND j.type = 'ingest' AND j.created_at >= ${cutoff})
    AND recordings.id NOT IN (SELECT j.recording_id FROM jobs j WHERE j.type = 'ingest' AND j.state IN ('queued', 'active') AND j.recording_id IS NOT NULL)`;
}

/**
 * Closes a recording and stores its night in one transaction: the date in the device's zone of this
 * moment, and the summary of every version in `models` that has predictions of it. Repeating it
 * changes nothing. `tenant` limits it to one tenant's recordings (undefined: none, and the result
 * is undefined); `idleSeconds` closes only a recording idle that long (the idle closer's re-check).
 */
export async function closeRecording(
  db: Kysely<Database>,
  models: (schemaVersion: string) => readonly NightModel[],
  recordingId: string,
  options: { tenant?: string; idleSeconds?: number } = {},
): Promise<CloseOutcome | undefined> {
  return db.transaction().execute(async (trx) => {
    let update = trx.updateTable('recordings').set({ closed_at: sql`now()` }).where('id', '=', recordingId).where('closed_at', 'is', null);
    if (options.tenant !== undefined) update = update.where('tenant', '=', options.tenant);
    if (options.idleSeconds !== undefined) update = update.where(idleFor(options.idleSeconds));
    const closed = await update.returningAll().executeTakeFirst();
    if (!closed) {
      let find = trx.selectFrom('recordings').selectAll().where('id', '=', recordingId);
      if (options.tenant !== undefined) find = find.where('tenant', '=', options.tenant);
      const row = await find.executeTakeFirst();
      return row && { recording: row, closedNow: false };
    }
    const timezone = await deviceTimezone(trx, closed.device_id);
    await storeNight(trx, { ...closed, started_at: new Date(closed.started_at) }, timezone, models(closed.feature_schema_version));
    await emitClosed(trx, closed);
    return { recording: closed, closedNow: true };
  });
}

/**
 * A closed recording's events, in the closing transaction: `recording.closed`, and
 * `night.finalized` when its night has data (dated and stored for every loaded version).
 */
async function emitClosed(trx: Transaction<Database>, closed: RecordingRow): Promise<void> {
  const base = { recording_id: closed.id, device_id: closed.device_id };
  await emitEvent(trx, closed.tenant, 'recording.closed', { ...base, closed_at: closed.closed_at?.toISOString() ?? null });
  const night = await trx.selectFrom('recording_nights').select(['night_date']).where('recording_id', '=', closed.id).executeTakeFirst();
  if (night?.night_date) await emitEvent(trx, closed.tenant, 'night.finalized', { ...base, date: night.night_date });
}

/** Ids of open recordings idle for `seconds`, by id, after `afterId` (keyset paging). */
export async function findIdleRecordings(db: Kysely<Database>, seconds: number, limit: number, afterId: string | null = null): Promise<string[]> {
  let query = db.selectFrom('recordings').select('id').where('closed_at', 'is', null).where(idleFor(seconds));
  if (afterId !== null) query = query.where('id', '>', afterId);
  return (await query.orderBy('id').limit(limit).execute()).map((r) => r.id);
}

export async function countIdleRecordings(db: Kysely<Database>, seconds: number): Promise<number> {
  const row = await db.selectFrom('recordings').select(sql<number>`count(*)::int`.as('n')).where('closed_at', 'is', null).where(idleFor(seconds)).executeTakeFirstOrThrow();
  return row.n;
}

/** The loaded versions that can have scored recordings of a feature schema. */
export function modelsOfSchema(registry: ModelRegistry): (schemaVersion: string) => NightModel[] {
  return (schemaVersion) => [...registry.current().models.values()].filter((m) => m.featureSchemaVersion === schemaVersion);
}
