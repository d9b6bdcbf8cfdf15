import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';

type Db = Kysely<Database> | Transaction<Database>;

export const AUDIT_ACTIONS = ['api_key.created', 'api_key.revoked', 'model.reloaded', 'rescore.started', 'rescore.cancelled', 'erase.requested', 'erase.completed', 'webhook.created', 'webhook.deleted', 'webhook.disabled'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who acted: an API key (and its tenant), the NOCTIS_ADMIN_TOKEN, the CLI, or the nightly schedule. */
export interface AuditActor {
  readonly kind: 'api_key' | 'admin_token' | 'cli' | 'schedule' | 'worker';
  readonly tenant: string | null;
  readonly keyId: string | null;
  /** The request that acted, when one did. */
  readonly requestId?: string;
}

export interface AuditEvent {
  readonly action: AuditAction;
  readonly actor: AuditActor;
  readonly targetTenant?: string | null;
  readonly targetId?: string | null;
  /** Ids, names, versions and filters only: never a key or its hash. */
  readonly details?: Record<string, unknown>;
}

export const CLI_ACTOR: AuditActor = { kind: 'cli', tenant: null, keyId: null };
export const SCHEDULE_ACTOR: AuditActor = { kind: 'schedule', tenant: null, keyId: null };
/** A queue worker finishing what a request started (an erase). */
export const WORKER_ACTOR: AuditActor = { kind: 'worker', tenant: null, keyId: null };

/** Written in the caller's transaction where there is one, so the action and its record commit together. */
export async function recordAudit(db: Db, event: AuditEvent): Promise<void> {
  const details = { ...(event.details ?? {}), ...(event.actor.requestId ? { request_id: event.actor.requestId } : {}) };
  await db
    .insertInto('audit_events')
    .values({
      action: event.action,
      actor_kind: event.actor.kind,
      actor_tenant: event.actor.tenant,
      actor_key_id: event.actor.keyId,
      target_tenant: event.targetTenant ?? null,
      target_id: event.targetId ?? null,
      details: JSON.stringify(details),
    })
    .execute();
}

export interface AuditPage {
  readonly from?: Date;
  readonly to?: Date;
  /** Only ids after this one (the cursor). */
  readonly afterId: number;
  readonly limit: number;
}

/** Oldest first within [from, to), by id. */
export async function listAudit(db: Db, page: AuditPage) {
  let query = db.selectFrom('audit_events').selectAll().where('id', '>', page.afterId);
  if (page.from) query = query.where('at', '>=', page.from);
  if (page.to) query = query.where('at', '<', page.to);
  return query.orderBy('id').limit(page.limit).execute();
}

export async function deleteAuditBefore(db: Db, retentionDays: number): Promise<number> {
  const result = await db
    .deleteFrom('audit_events')
    .where('at', '<', sql<Date>`now() - make_interval(days => ${retentionDays})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
