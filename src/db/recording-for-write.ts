import { sql, type RawBuilder } from 'kysely';

/**
 * The recording id for a bulk INSERT into epochs or predictions. An uncorrelated subquery is an
 * InitPlan, so PostgreSQL share-locks the recording once per statement instead of once per row as
 * a foreign key would, and the statement fails with foreign_key_violation (23503) if the
 * recording is gone (migration 2026_12_01_0001).
 */
export function recordingForWrite(recordingId: string): RawBuilder<string> {
  return sql<string>`(SELECT lock_recording_for_write(${recordingId}::uuid))`;
}
