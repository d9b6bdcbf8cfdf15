import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { emitJobFinished } from '../webhooks/webhook-events.js';
import type { Database } from '../db/database.js';
import { FINISHED_RETURNING, type FinishedJob } from '../jobs/jobs.repository.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NightScoringState {
  readonly generation: number;
  readonly pending_since: Date | null;
  readonly last_request_at: Date | null;
  readonly scored_epochs: number;
  readonly settle_overrides: number;
}

/**
 * Inside an ingest's transaction: records that the recording's night needs scoring and returns the
 * generation whose scoring job will cover it. The row lock orders this against a scoring's bump.
 */
export async function requestNightScoring(trx: Transaction<Database>, recordingId: string): Promise<number> {
  const row = await sql<{ generation: number }>`
    INSERT INTO night_scoring (recording_id, pending_since, last_request_at) VALUES (${recordingId}::uuid, now(), now())
    ON CONFLICT (recording_id) DO UPDATE
      SET pending_since = coalesce(night_scoring.pending_since, now()), last_request_at = now()
    RETURNING generation`.execute(trx);
  return row.rows[0]!.generation;
}

export async function findNightScoring(db: Db, recordingId: string): Promise<NightScoringState | undefined> {
  return db
    .selectFrom('night_scoring')
    .select(['generation', 'pending_since', 'last_request_at', 'scored_epochs', 'settle_overrides'])
    .where('recording_id', '=', recordingId)
    .executeTakeFirst();
}

export async function currentGeneration(db: Db, recordingId: string): Promise<number> {
  return (await findNightScoring(db, recordingId))?.generation ?? 0;
}

/**
 * Committed before a scoring reads the night: ingests committed earlier are visible to it, and
 * later ones see the new generation and queue a scoring of their own.
 */
export async function startGeneration(db: Db, recordingId: string): Promise<void> {
  await db
    .updateTable('night_scoring')
    .set({ generation: sql`generation + 1`, pending_since: null })
    .where('recording_id', '=', recordingId)
    .execute();
}

/**
 * Under the night's lock: no upload of the recording waits for a scoring, and every one of `indices`
 * carries a prediction of `modelVersion`, so those predictions are the current night's.
 */
export async function nightIsCurrent(trx: Transaction<Database>, recordingId: string, modelVersion: string, indices: Int32Array): Promise<boolean> {
  const row = await sql<{ waiting: boolean; predicted: number }>`
    SELECT EXISTS (SELECT 1 FROM jobs WHERE recording_id = ${recordingId}::uuid AND awaits_scoring AND state = 'active') AS waiting,
           (SELECT count(*)::int FROM predictions WHERE recording_id = ${recordingId}::uuid AND model_version = ${modelVersion}
              AND epoch_index = ANY(${Array.from(indices)}::int4[])) AS predicted`.execute(trx);
  const { waiting, predicted } = row.rows[0]!;
  return !waiting && predicted === indices.length;
}

/** Counts an upload-driven scoring of `epochs` epochs against the night's budget. */
export async function recordNightScoring(trx: Transaction<Database>, recordingId: string, epochs: number, overBudget: boolean): Promise<void> {
  await nightScoringStep(recordingId, epochs, overBudget).execute(trx);
}

/** recordNightScoring as a statement to run as a step of another (see finishJob's `also`). */
export function nightScoringStep(recordingId: string, epochs: number, overBudget: boolean): RawBuilder<unknown> {
  return sql`
    INSERT INTO night_scoring (recording_id, scored_epochs, settle_overrides) VALUES (${recordingId}::uuid, ${epochs}, ${overBudget ? 1 : 0})
    ON CONFLICT (recording_id) DO UPDATE
      SET scored_epochs = night_scoring.scored_epochs + EXCLUDED.scored_epochs,
          settle_overrides = night_scoring.settle_overrides + EXCLUDED.settle_overrides`;
}

/** Serialises scorings of one recording for the rest of the transaction. */
export async function lockNight(trx: Transaction<Database>, recordingId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`night:${recordingId}`}, 0))`.execute(trx);
}

export interface AwaitingJob {
  readonly id: string;
  readonly result: unknown;
  /** The job's epoch indices (its payload row stays until the scoring that covers it). */
  readonly epoch_indices: number[] | null;
}

/** Ingest jobs of the recording whose epochs are stored and wait for a scoring, locked. */
export async function lockAwaitingJobs(trx: Transaction<Database>, recordingId: string): Promise<AwaitingJob[]> {
  const result = await sql<AwaitingJob>`
    SELECT j.id, j.result, p.epoch_indices FROM jobs j
    LEFT JOIN ingest_payloads p ON p.job_id = j.id
    WHERE j.recording_id = ${recordingId}::uuid AND j.awaits_scoring AND j.state = 'active'
    ORDER BY j.id
    FOR UPDATE OF j`.execute(trx);
  return result.rows;
}

/** Completes (or fails) awaiting jobs and drops their payloads. */
export async function settleAwaitingJob(
  trx: Transaction<Database>,
  jobId: string,
  outcome: { state: 'completed'; result: unknown } | { state: 'failed'; error: unknown },
): Promise<FinishedJob | undefined> {
  const row = await trx
    .updateTable('jobs')
    .set({
      state: outcome.state,
      awaits_scoring: false,
      result: outcome.state === 'completed' ? JSON.stringify(outcome.result) : sql`result`,
      error: outcome.state === 'failed' ? JSON.stringify(outcome.error) : null,
      finished_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('id', '=', jobId)
    .returning(['type', FINISHED_RETURNING])
    .executeTakeFirst();
  await emitJobFinished(trx, jobId);
  await trx.deleteFrom('ingest_payloads').where('job_id', '=', jobId).execute();
  return row && { type: row.type, state: outcome.state, waitSeconds: row.wait_seconds };
}
