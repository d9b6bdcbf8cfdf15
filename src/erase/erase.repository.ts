import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, ErasuresTable } from '../db/database.js';

type Db = Kysely<Database> | Transaction<Database>;
export type EraseSubject = ErasuresTable['subject_kind'];

/** The running erase of any of `ids` (a recording and its device), if one runs. */
export async function findErasing(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return undefined;
  return db.selectFrom('erasures').select(['job_id', 'subject_kind', 'subject_id']).where('subject_id', 'in', ids).executeTakeFirst();
}

export async function findErasure(db: Db, jobId: string) {
  return db.selectFrom('erasures').selectAll().where('job_id', '=', jobId).executeTakeFirst();
}

/** Tables whose rows belong to one recording and are keyed by epoch index: deleted a batch at a time. */
const EPOCH_TABLES = ['epochs', 'predictions', 'labels'] as const;
export type EpochTable = (typeof EPOCH_TABLES)[number];
export const ERASE_EPOCH_TABLES: readonly EpochTable[] = EPOCH_TABLES;

/**
 * Deletes up to `batch` epoch indices' rows of one recording from `table` (predictions: every version
 * of those indices, so at most batch × versions rows). A statement per batch keeps each transaction,
 * its locks and its WAL small, whatever the recording holds.
 */
export async function deleteEpochBatch(db: Db, table: EpochTable, recordingId: string, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM ${sql.table(table)}
    WHERE recording_id = ${recordingId}
      AND epoch_index IN (SELECT DISTINCT epoch_index FROM ${sql.table(table)} WHERE recording_id = ${recordingId} ORDER BY epoch_index LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** The recording's jobs (ingest, predict) with their payloads (cascade), a batch at a time. */
export async function deleteJobBatch(db: Db, recordingId: string, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE recording_id = ${recordingId} LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Re-score chunks name their recordings without a foreign key (a chunk outlives a deleted
 * recording and skips it). Drop the id from each chunk; a chunk left with none is deleted.
 */
export async function scrubRescoreChunks(db: Db, recordingId: string): Promise<number> {
  const removed = await sql`
    DELETE FROM rescore_chunks
    WHERE (recording_id = ${recordingId} AND (recording_ids IS NULL OR recording_ids = ARRAY[${recordingId}]::uuid[]))`.execute(db);
  const updated = await sql`
    UPDATE rescore_chunks
    SET recording_ids = array_remove(recording_ids, ${recordingId}::uuid),
        recording_id = (array_remove(recording_ids, ${recordingId}::uuid))[1]
    WHERE ${recordingId}::uuid = ANY(recording_ids)`.execute(db);
  // A failed chunk's error message may name the recording.
  const errors = await sql`
    UPDATE rescore_chunks SET error = replace(error::text, ${recordingId}, 'erased')::jsonb
    WHERE error::text LIKE ${`%${recordingId}%`}`.execute(db);
  return Number(removed.numAffectedRows ?? 0) + Number(updated.numAffectedRows ?? 0) + Number(errors.numAffectedRows ?? 0);
}

/**
 * A re-score plan's keyset cursor may be the erased recording's id. A finished plan no longer needs
 * it; an unfinished one resumes at the next smaller recording id, which selects the same remaining
 * recordings (`id > cursor`: nothing lies between but the erased one).
 */
export async function scrubPlanCursors(db: Db, recordingId: string): Promise<number> {
  const result = await sql`
    UPDATE rescore_plans SET cursor = CASE WHEN planned_at IS NOT NULL THEN NULL
      ELSE (SELECT id FROM recordings WHERE id < ${recordingId}::uuid ORDER BY id DESC LIMIT 1) END
    WHERE cursor = ${recordingId}::uuid`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Other rows may mention the id in JSON: a re-score's filters (`recording_ids`, `device_id`) in a
 * job's params, an error message, an audit record's details or target. The text of the id is
 * replaced by `"erased"` there (the record of the action stays, the id goes), a batch at a time.
 */
export async function scrubJobMentions(db: Db, id: string, batch: number): Promise<number> {
  const pattern = `%${id}%`;
  const result = await sql`
    UPDATE jobs SET
      params = replace(params::text, ${id}, 'erased')::jsonb,
      progress = replace(progress::text, ${id}, 'erased')::jsonb,
      result = replace(result::text, ${id}, 'erased')::jsonb,
      error = replace(error::text, ${id}, 'erased')::jsonb
    WHERE id IN (
      SELECT id FROM jobs
      WHERE params::text LIKE ${pattern} OR progress::text LIKE ${pattern} OR result::text LIKE ${pattern} OR error::text LIKE ${pattern}
      LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export async function scrubAuditMentions(db: Db, id: string, batch: number): Promise<number> {
  const pattern = `%${id}%`;
  const result = await sql`
    UPDATE audit_events SET
      details = replace(details::text, ${id}, 'erased')::jsonb,
      target_id = CASE WHEN target_id = ${id} THEN NULL ELSE target_id END
    WHERE id IN (SELECT id FROM audit_events WHERE details::text LIKE ${pattern} OR target_id = ${id} LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Outbox events naming the id (a job's recording, a closed recording): a batch at a time. */
export async function deleteWebhookEventMentions(db: Db, id: string, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE data::text LIKE ${`%${id}%`} LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Stored nights (and every other per-recording row) go with the recording row by cascade. */
export async function deleteNightSummaries(db: Db, recordingId: string): Promise<number> {
  const result = await db.deleteFrom('night_summaries').where('recording_id', '=', recordingId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteRecordingRow(db: Db, recordingId: string): Promise<number> {
  const result = await db.deleteFrom('recordings').where('id', '=', recordingId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The next of a device's recordings to erase (one at a time: each is erased in batches). */
export async function nextDeviceRecording(db: Db, deviceId: string): Promise<string | undefined> {
  const row = await db.selectFrom('recordings').select('id').where('device_id', '=', deviceId).orderBy('id').limit(1).executeTakeFirst();
  return row?.id;
}

export async function countDeviceRecordings(db: Db, deviceId: string): Promise<number> {
  const row = await db.selectFrom('recordings').select((eb) => eb.fn.countAll<string>().as('n')).where('device_id', '=', deviceId).executeTakeFirstOrThrow();
  return Number(row.n);
}
