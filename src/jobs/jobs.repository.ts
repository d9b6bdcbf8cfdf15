import { sql, type Kysely, type QueryCreator, type RawBuilder, type Transaction } from 'kysely';
import { jobFinishedEvents } from '../webhooks/webhook-events.js';
import type { Database, JobRow, JobState } from '../db/database.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewJob {
  readonly id: string;
  readonly type: string;
  readonly recordingId: string | null;
  /** Owner; internal jobs (schedules) belong to the default tenant. */
  readonly tenant?: string;
  readonly params?: Record<string, unknown>;
  readonly progress?: Record<string, unknown>;
}

/** The row of a new queued job. */
export function newJobRow(job: NewJob) {
  return {
    id: job.id,
    type: job.type,
    state: 'queued' as const,
    recording_id: job.recordingId,
    tenant: job.tenant ?? 'default',
    params: JSON.stringify(job.params ?? {}),
    // Counted once the job starts (a predict job learns its range's size then).
    progress: JSON.stringify(job.progress ?? { done: 0, total: null }),
    result: null,
    error: null,
  };
}

export async function insertJob(db: Db, job: NewJob): Promise<void> {
  await db.insertInto('jobs').values(newJobRow(job)).execute();
}

export async function findJob(db: Db, id: string, tenant?: string): Promise<JobRow | undefined> {
  let query = db.selectFrom('jobs').selectAll().where('id', '=', id);
  if (tenant !== undefined) query = query.where('tenant', '=', tenant);
  return query.executeTakeFirst();
}

export async function lockJob(trx: Transaction<Database>, id: string): Promise<JobRow | undefined> {
  return trx.selectFrom('jobs').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** Moves a queued or active job to active; undefined when it already finished (or never existed). */
export async function markActive(db: Db, id: string): Promise<JobRow | undefined> {
  return activateJob(db, id).returningAll().executeTakeFirst();
}

/** markActive's UPDATE, without its RETURNING, for a caller that reads more in the same statement. */
export function activateJob(db: QueryCreator<Database>, id: string) {
  return db
    .updateTable('jobs')
    .set({
      state: 'active',
      started_at: sql`coalesce(started_at, now())`,
      attempts: sql`attempts + 1`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'active']);
}

/** What a finished job tells the wait histogram (metrics/job-wait.ts). */
export interface FinishedJob {
  readonly type: string;
  readonly state: 'completed' | 'failed' | 'cancelled';
  /** From the accept (created_at, the 202) to this statement. */
  readonly waitSeconds: number;
}

/** RETURNING columns of a finishing update: the row's type and its wait so far. */
export const FINISHED_RETURNING = sql<number>`extract(epoch FROM clock_timestamp() - created_at)::float8`.as('wait_seconds');

/**
 * Finishes a job and, for completed and failed ones, writes its webhook event in the same
 * statement (in the caller's transaction, or on its own), so the event exists exactly when the
 * outcome does. `also`: data-modifying statements of the caller's that belong to the same change
 * (a payload's removal, a scoring's bookkeeping), run as steps of this one statement: one round
 * trip instead of one each, which on the ingest path costs the database more than the steps do.
 */
export async function finishJob(
  db: Db,
  id: string,
  state: Extract<JobState, 'completed' | 'failed' | 'cancelled'>,
  outcome: { result?: unknown; error?: unknown; progress?: unknown },
  also: readonly RawBuilder<unknown>[] = [],
): Promise<FinishedJob | undefined> {
  const update = db
    .updateTable('jobs')
    .set({
      state,
      result: outcome.result === undefined ? null : JSON.stringify(outcome.result),
      error: outcome.error === undefined ? null : JSON.stringify(outcome.error),
      ...(outcome.progress === undefined ? {} : { progress: JSON.stringify(outcome.progress) }),
      finished_at: sql`now()`,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    // Only once: every worker's sweeper, or a redelivered attempt, may try to finish the same job,
    // and each finish writes (and delivers) a job event.
    .where('state', 'in', ['queued', 'active'])
    .returning(['id', 'tenant', 'type', 'state', 'recording_id', FINISHED_RETURNING]);
  // Every data-modifying WITH step runs to completion whether or not the final SELECT reads it.
  const steps = [...(state === 'cancelled' ? [] : [jobFinishedEvents(sql`finished`)]), ...also];
  const result = await sql<{ type: string; wait_seconds: number }>`
    WITH finished AS (${update})${sql.join(steps.map((step, i) => sql`, ${sql.raw(`step_${i}`)} AS (${step})`), sql``)}
    SELECT type, wait_seconds FROM finished`.execute(db);
  const row = result.rows[0];
  return row && { type: row.type, state, waitSeconds: row.wait_seconds };
}

export async function setProgress(db: Db, id: string, progress: unknown): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ progress: JSON.stringify(progress), updated_at: sql`now()` })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'active'])
    .execute();
}

/**
 * Claims up to `limit` unfinished jobs nobody touched for `staleSeconds`: marks them touched in the
 * same statement, so sweepers of several workers never pick the same job, and skips rows another
 * transaction holds (a job being worked on is not stale).
 */
export async function claimStaleUnfinished(
  db: Db,
  staleSeconds: number,
  limit: number,
): Promise<Array<Pick<JobRow, 'id' | 'type' | 'recording_id' | 'awaits_scoring'>>> {
  return db
    .updateTable('jobs')
    .set({ updated_at: sql`now()` })
    .where('id', 'in', (qb) =>
      qb
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', ['queued', 'active'])
        .where('updated_at', '<', sql<Date>`now() - make_interval(secs => ${staleSeconds})`)
        .orderBy('updated_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning(['id', 'type', 'recording_id', 'awaits_scoring'])
    .execute();
}

/** Retention: finished jobs older than `hours` are deleted. */
export async function deleteFinishedBefore(db: Db, hours: number): Promise<number> {
  const result = await db
    .deleteFrom('jobs')
    .where('finished_at', '<', sql<Date>`now() - make_interval(hours => ${hours})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
