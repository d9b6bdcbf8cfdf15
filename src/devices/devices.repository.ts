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
export async function upsertDevice(db: Kysely<Database>, fields: DeviceFields): Promise<{ row: DeviceRow; created: boolean }> {
  const inserted = await db
    .insertInto('devices')
    .values({
      external_id: fields.external_id,
      name: fields.name ?? null,
      model: fields.model ?? null,
      firmware: fields.firmware ?? null,
      metadata: JSON.stringify(fields.metadata ?? {}),
    })
    .onConflict((oc) => oc.column('external_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  const existing = await db.selectFrom('devices').selectAll().where('external_id', '=', fields.external_id).executeTakeFirstOrThrow();
  return { row: existing, created: false };
}

export async function findDevice(db: Kysely<Database>, id: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
}
