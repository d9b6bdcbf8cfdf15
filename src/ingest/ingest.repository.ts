import type { Kysely } from 'kysely';
import type { Database, RecordingRow } from '../db/database.js';

export interface StoredPayload {
  readonly payload: { readonly epoch_indices: number[]; readonly features: Buffer; readonly n_features: number };
  readonly recording: RecordingRow;
}

/** An accepted batch and its recording, in one round trip; undefined when either is gone. */
export async function readPayload(db: Kysely<Database>, jobId: string): Promise<StoredPayload | undefined> {
  const row = await db
    .selectFrom('ingest_payloads as p')
    .innerJoin('recordings', 'recordings.id', 'p.recording_id')
    .selectAll('recordings')
    .select(['p.epoch_indices', 'p.features', 'p.n_features'])
    .where('p.job_id', '=', jobId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { epoch_indices, features, n_features, ...recording } = row;
  return { payload: { epoch_indices, features, n_features }, recording };
}
