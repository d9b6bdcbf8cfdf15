import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';

type Db = Kysely<Database> | Transaction<Database>;

const PUBLIC_COLUMNS = ['id', 'tenant', 'url', 'events', 'created_at', 'failing_since', 'disabled_at', 'disabled_reason'] as const;

export async function insertEndpoint(db: Db, fields: { tenant: string; url: string; events: string[]; secret_ciphertext: Buffer }) {
  return db.insertInto('webhook_endpoints').values(fields).returning(PUBLIC_COLUMNS).executeTakeFirstOrThrow();
}

export async function listEndpoints(db: Db, tenant: string, limit: number) {
  return db.selectFrom('webhook_endpoints').select(PUBLIC_COLUMNS).where('tenant', '=', tenant).orderBy('created_at').orderBy('id').limit(limit).execute();
}

export async function findEndpoint(db: Db, id: string, tenant?: string) {
  let query = db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id);
  if (tenant !== undefined) query = query.where('tenant', '=', tenant);
  return query.executeTakeFirst();
}

export async function deleteEndpoint(db: Db, id: string, tenant: string): Promise<boolean> {
  const result = await db.deleteFrom('webhook_endpoints').where('id', '=', id).where('tenant', '=', tenant).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listAttempts(db: Db, endpointId: string, limit: number) {
  return db
    .selectFrom('webhook_attempts')
    .select(['id', 'event_id', 'event_type', 'attempt', 'status_code', 'error', 'duration_ms', 'final', 'at'])
    .where('endpoint_id', '=', endpointId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function recordAttempt(db: Db, row: { endpoint_id: string; event_id: string; event_type: string; attempt: number; status_code: number | null; error: string | null; duration_ms: number; final: boolean }): Promise<void> {
  await db.insertInto('webhook_attempts').values(row).execute();
}

export async function markSucceeded(db: Db, endpointId: string): Promise<void> {
  await db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', endpointId).where('failing_since', 'is not', null).execute();
}

/**
 * Notes a failure; when every attempt has failed for `disableAfterSeconds`, disables the endpoint.
 * Returns true when this call disabled it (so the caller reports it once).
 */
export async function markFailed(db: Db, endpointId: string, disableAfterSeconds: number): Promise<boolean> {
  await db.updateTable('webhook_endpoints').set({ failing_since: sql`coalesce(failing_since, now())` }).where('id', '=', endpointId).execute();
  const disabled = await db
    .updateTable('webhook_endpoints')
    .set({ disabled_at: sql`now()`, disabled_reason: `every delivery failed for ${disableAfterSeconds} s` })
    .where('id', '=', endpointId)
    .where('disabled_at', 'is', null)
    .where('failing_since', '<=', sql<Date>`now() - make_interval(secs => ${disableAfterSeconds})`)
    .returning('id')
    .executeTakeFirst();
  return disabled !== undefined;
}

/** Undispatched events, oldest first, locked so two dispatchers never take the same ones. */
export async function claimEvents(trx: Transaction<Database>, limit: number) {
  return trx.selectFrom('webhook_events').select(['id', 'tenant', 'type']).where('dispatched_at', 'is', null).orderBy('id').limit(limit).forUpdate().skipLocked().execute();
}

/** The enabled endpoints of `tenant` subscribed to `type`. */
export async function subscribers(db: Db, tenant: string, type: string): Promise<string[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select('id')
    .where('tenant', '=', tenant)
    .where('disabled_at', 'is', null)
    .where(sql<boolean>`${type} = ANY(events)`)
    .execute();
  return rows.map((r) => r.id);
}

export async function markDispatched(trx: Transaction<Database>, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await trx.updateTable('webhook_events').set({ dispatched_at: sql`now()` }).where('id', 'in', ids).execute();
}

export async function findEvent(db: Db, id: string) {
  return db.selectFrom('webhook_events').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The deletes of outbox and attempt rows past the retry window (history), each read through an
 * index: an event is created before it is dispatched, so `created_at` bounds the same rows.
 */
export function webhookHistoryDeletes(db: Db, seconds: number) {
  const cutoff = sql<Date>`now() - make_interval(secs => ${seconds})`;
  return [
    db.deleteFrom('webhook_events').where('created_at', '<', cutoff).where('dispatched_at', '<', cutoff),
    db.deleteFrom('webhook_attempts').where('at', '<', cutoff),
  ] as const;
}

/** Deletes webhook history (webhookHistoryDeletes); the dispatcher runs it once a minute. */
export async function deleteWebhookHistoryBefore(db: Db, seconds: number): Promise<number> {
  let deleted = 0;
  for (const query of webhookHistoryDeletes(db, seconds)) deleted += Number((await query.executeTakeFirst()).numDeletedRows);
  return deleted;
}
