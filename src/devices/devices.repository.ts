import type { Kysely } from 'kysely';
import type { Database, DeviceRow } from '../db/database.js';

export interface DeviceFields {
  readonly external_id: string;
  readonly name?: string | null | undefined;
  readonly model?: string | null | undefined;
  readonly firmware?: string | null | undefined;
  readonly metadata?: Record<string, unknown> | undefined;
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
