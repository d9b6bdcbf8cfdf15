import { sql, type Transaction } from 'kysely';
import type { ChunkState, Database, JobRow } from '../db/database.js';
import { emitJobFinished } from '../webhooks/webhook-events.js';
import { FINISHED_RETURNING, type FinishedJob } from '../jobs/jobs.repository.js';
import { cancelQueuedChunks, type RescoreParams } from './rescore.repository.js';
import type { z } from 'zod';
import type { RescoreJobResult } from './rescore.schemas.js';

export interface RescoreProgress {
  /** Epochs of chunks that completed or failed for good. */
  done: number;
  /** Epochs planned so far (final once `result.planned`). */
  total: number;
}

/** The parent's result: the shape the API declares for a re-score job (rescore.schemas.ts). */
export type RescoreResult = z.infer<typeof RescoreJobResult>;

export interface RescoreCounters {
  progress: RescoreProgress;
  result: RescoreResult;
}

export function countersOf(parent: JobRow): RescoreCounters {
  const progress = parent.progress as Partial<RescoreProgress> | null;
  const result = parent.result as RescoreResult | null;
  return {
    progress: { done: progress?.done ?? 0, total: progress?.total ?? 0 },
    result: result
      ? { ...result, chunks: { ...result.chunks } }
      : {
          model_version: (parent.params as RescoreParams).model_version,
          rescored: 0,
          skipped: 0,
          failed: 0,
          recordings: 0,
          planned: false,
          chunks: { total: 0, pending: 0, completed: 0, failed: 0, cancelled: 0 },
        },
  };
}

/**
 * Applies one change to the parent's counters, writes them, and completes an active parent once
 * planning is done and no chunk is pending. Callers hold the parent's row lock and call this in the
 * transaction that makes the chunk change it reflects, so each change counts exactly once, in O(1)
 * however many chunks the job has.
 */
export async function updateParent(trx: Transaction<Database>, parent: JobRow, change: (c: RescoreCounters) => void): Promise<RescoreCounters & { finished?: FinishedJob }> {
  const counters = countersOf(parent);
  change(counters);
  const chunks = counters.result.chunks;
  chunks.pending = chunks.total - chunks.completed - chunks.failed - chunks.cancelled;
  counters.result.failed = chunks.failed;
  const finished = parent.state === 'active' && counters.result.planned && chunks.pending === 0;
  const row = await trx
    .updateTable('jobs')
    .set({
      progress: JSON.stringify(counters.progress),
      result: JSON.stringify(counters.result),
      updated_at: sql`now()`,
      ...(finished ? { state: 'completed' as const, finished_at: sql`now()` } : {}),
    })
    .where('id', '=', parent.id)
    .returning(['type', FINISHED_RETURNING])
    .executeTakeFirst();
  if (!finished) return counters;
  await emitJobFinished(trx, parent.id);
  // For the wait histogram, observed by the caller once this transaction commits.
  return row ? { ...counters, finished: { type: row.type, state: 'completed', waitSeconds: row.wait_seconds } } : counters;
}

/** Rebuilds the counters from the chunk rows and the plan: the repair path (a planner rerun), O(chunks). */
export async function recomputeParent(trx: Transaction<Database>, parent: JobRow): Promise<RescoreCounters & { finished?: FinishedJob }> {
  const plan = await trx.selectFrom('rescore_plans').selectAll().where('job_id', '=', parent.id).executeTakeFirst();
  const rows = await sql<{ state: ChunkState; chunks: number; epochs: number; scored: number }>`
    SELECT state, count(*)::int AS chunks, coalesce(sum(epochs), 0)::bigint AS epochs, coalesce(sum(scored), 0)::bigint AS scored
    FROM rescore_chunks WHERE job_id = ${parent.id}::uuid GROUP BY state`.execute(trx);
  const recordings = await sql<{ n: number }>`
    SELECT count(DISTINCT recording_id)::int AS n FROM rescore_chunks WHERE job_id = ${parent.id}::uuid`.execute(trx);
  return updateParent(trx, parent, (c) => {
    const chunks = { total: 0, pending: 0, completed: 0, failed: 0, cancelled: 0 };
    c.progress = { done: 0, total: 0 };
    c.result.rescored = 0;
    for (const row of rows.rows) {
      chunks.total += row.chunks;
      c.progress.total += row.epochs;
      if (row.state === 'completed' || row.state === 'failed' || row.state === 'cancelled') chunks[row.state] += row.chunks;
      if (row.state === 'completed' || row.state === 'failed') c.progress.done += row.epochs;
      c.result.rescored += row.scored;
    }
    c.result.chunks = chunks;
    c.result.recordings = recordings.rows[0]!.n;
    c.result.skipped = plan?.skipped ?? 0;
    c.result.planned = plan?.planned_at != null;
  });
}

/**
 * Ends a re-score early, in the caller's transaction: chunks not yet started are cancelled, the
 * parent takes `state` (with `error` when it failed) and counts them. Chunks already running finish
 * and stay counted. Returns the cancelled chunk ids, whose queue entries the caller may drop, and
 * the finished parent for the wait histogram (observed by the caller once committed).
 */
export async function endParentEarly(
  trx: Transaction<Database>,
  parent: JobRow,
  state: 'failed' | 'cancelled',
  error?: Record<string, unknown>,
): Promise<{ cancelled: string[]; finished: FinishedJob | undefined }> {
  const cancelled = await cancelQueuedChunks(trx, parent.id);
  const row = await trx
    .updateTable('jobs')
    .set({ state, ...(error ? { error: JSON.stringify(error) } : {}), finished_at: sql`now()`, updated_at: sql`now()` })
    .where('id', '=', parent.id)
    .returning(['type', FINISHED_RETURNING])
    .executeTakeFirst();
  await updateParent(trx, { ...parent, state }, (c) => void (c.result.chunks.cancelled += cancelled.length));
  return { cancelled, finished: row && { type: row.type, state, waitSeconds: row.wait_seconds } };
}
