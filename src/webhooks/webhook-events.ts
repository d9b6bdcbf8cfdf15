import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';

type Db = Kysely<Database> | Transaction<Database>;

export const WEBHOOK_EVENTS = ['job.completed', 'job.failed', 'recording.closed', 'night.finalized'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The tenant has an enabled endpoint subscribed to `type` (SQL, so one statement writes or skips). */
const subscribed = (tenant: unknown, type: unknown) => sql<boolean>`EXISTS (
  SELECT 1 FROM webhook_endpoints e WHERE e.tenant = ${tenant} AND e.disabled_at IS NULL AND ${type} = ANY(e.events))`;

/**
 * The one way events enter the outbox: in the caller's transaction, so the event exists exactly
 * when the change it announces committed. Nothing is written for a tenant without a subscribed
 * endpoint. `data` holds ids and links, never health data.
 */
export async function emitEvent(db: Db, tenant: string, type: WebhookEvent, data: Record<string, unknown>): Promise<void> {
  await sql`
    INSERT INTO webhook_events (tenant, type, data)
    SELECT ${tenant}, ${type}, ${JSON.stringify(data)}::jsonb WHERE ${subscribed(tenant, type)}`.execute(db);
}

/**
 * The INSERT of job.completed / job.failed events for the finished jobs in `jobs` (a relation with
 * the jobs table's id, tenant, type, state and recording_id), so every place that finishes jobs
 * emits the same body; a statement of its own or a step of the statement that finishes the job.
 */
export function jobFinishedEvents(jobs: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    INSERT INTO webhook_events (tenant, type, data)
    SELECT j.tenant, 'job.' || j.state, jsonb_build_object('job_id', j.id, 'job_type', j.type, 'state', j.state, 'recording_id', j.recording_id)
    FROM ${jobs} j
    WHERE j.state IN ('completed', 'failed') AND ${subscribed(sql.ref('j.tenant'), sql`'job.' || j.state`)}`;
}

/** job.completed / job.failed for a job the caller has just finished (in the same transaction), read back from its row. */
export async function emitJobFinished(db: Db, jobId: string): Promise<void> {
  await jobFinishedEvents(sql`(SELECT * FROM jobs WHERE id = ${jobId})`).execute(db);
}
