import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database, RecordingRow } from '../db/database.js';
import { activateJob } from '../jobs/jobs.repository.js';

export interface StoredPayload {
  readonly payload: { readonly epoch_indices: number[]; readonly features: Buffer; readonly n_features: number };
  readonly recording: RecordingRow;
}

export interface StartedIngest {
  readonly job: { readonly recording_id: string | null; readonly awaits_scoring: boolean };
  /** Undefined when the payload or its recording is gone. */
  readonly stored: StoredPayload | undefined;
}

/**
 * Marks the job active (markActive) and reads its batch and recording in the same statement: one
 * round trip where there were two. Undefined when the job already finished (or never existed).
 */
export async function startIngest(db: Kysely<Database>, jobId: string): Promise<StartedIngest | undefined> {
  const row = await db
    .with('job', (qc) => activateJob(qc, jobId).returning(['id', 'recording_id', 'awaits_scoring']))
    .selectFrom('job')
    .leftJoin('ingest_payloads as p', 'p.job_id', 'job.id')
    .leftJoin('recordings', 'recordings.id', 'p.recording_id')
    .selectAll('recordings')
    .select(['job.recording_id as job_recording_id', 'job.awaits_scoring', 'p.epoch_indices', 'p.features', 'p.n_features'])
    .executeTakeFirst();
  if (!row) return undefined;
  const { job_recording_id, awaits_scoring, epoch_indices, features, n_features, ...recording } = row;
  const job = { recording_id: job_recording_id, awaits_scoring };
  if (epoch_indices === null || features === null || n_features === null || recording.id === null) return { job, stored: undefined };
  return { job, stored: { payload: { epoch_indices, features, n_features }, recording: recording as RecordingRow } };
}

/** Removes a stored batch's payload, as a step of the statement that finishes its job (finishJob's `also`). */
export function deletePayloadStep(jobId: string): RawBuilder<unknown> {
  return sql`DELETE FROM ingest_payloads WHERE job_id = ${jobId}::uuid`;
}
