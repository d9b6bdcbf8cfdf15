import { sql, type Kysely } from 'kysely';
import type { Database, DeviceRow } from '../db/database.js';
import { keysetMicros, keysetTimestamp, type KeysetPosition } from '../http/keyset-cursor.js';

export interface DeviceFields {
  readonly external_id: string;
  readonly name?: string | null | undefined;
  readonly model?: string | null | undefined;
  readonly firmware?: string | null | undefined;
  readonly metadata?: Record<string, unknown> | undefined;
  readonly timezone?: string | undefined;
}

/** Inserts the device unless its external_id exists; `created` says which happened. */
export async function upsertDevice(db: Kysely<Database>, tenant: string, fields: DeviceFields): Promise<{ row: DeviceRow; created: boolean }> {
  const inserted = await db
    .insertInto('devices')
    .values({
      tenant,
      external_id: fields.external_id,
      name: fields.name ?? null,
      model: fields.model ?? null,
      firmware: fields.firmware ?? null,
      metadata: JSON.stringify(fields.metadata ?? {}),
      ...(fields.timezone === undefined ? {} : { timezone: fields.timezone }),
    })
    .onConflict((oc) => oc.columns(['tenant', 'external_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  const existing = await db
    .selectFrom('devices')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('external_id', '=', fields.external_id)
    .executeTakeFirstOrThrow();
  return { row: existing, created: false };
}

export async function findDevice(db: Kysely<Database>, id: string, tenant?: string): Promise<DeviceRow | undefined> {
  let query = db.selectFrom('devices').selectAll().where('id', '=', id);
  if (tenant !== undefined) query = query.where('tenant', '=', tenant);
  return query.executeTakeFirst();
}

export interface DeviceChanges {
  readonly name?: string | null | undefined;
  readonly firmware?: string | null | undefined;
  readonly timezone?: string | undefined;
}

/** Applies the given fields to one of `tenant`'s devices; undefined when there is no such device. */
export async function updateDevice(db: Kysely<Database>, id: string, tenant: string, changes: DeviceChanges): Promise<DeviceRow | undefined> {
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  if (Object.keys(set).length === 0) return findDevice(db, id, tenant);
  return db.updateTable('devices').set(set).where('id', '=', id).where('tenant', '=', tenant).returningAll().executeTakeFirst();
}

/** A page of `tenant`'s devices, oldest first, after `after`; `keyset_micros` positions each. */
export async function listDevices(db: Kysely<Database>, tenant: string, limit: number, after: KeysetPosition | null): Promise<Array<DeviceRow & { keyset_micros: number }>> {
  let query = db.selectFrom('devices').selectAll().select(keysetMicros('created_at').as('keyset_micros')).where('tenant', '=', tenant);
  if (after) query = query.where(sql<boolean>`(created_at, id) > (${keysetTimestamp(after)}, ${after.id}::uuid)`);
  return query.orderBy('created_at').orderBy('id').limit(limit).execute();
}
