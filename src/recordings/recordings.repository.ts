import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, RecordingRow } from '../db/database.js';
import { inWindow, type EpochWindow } from './epoch-window.js';

export interface RecordingFields {
  readonly device_id: string;
  readonly started_at: string;
  readonly feature_schema_version: string;
  readonly epoch_seconds: number;
  readonly metadata: Record<string, unknown>;
  readonly tenant: string;
}

export async function insertRecording(db: Kysely<Database>, fields: RecordingFields): Promise<RecordingRow> {
  return db
    .insertInto('recordings')
    .values({ ...fields, metadata: JSON.stringify(fields.metadata) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** `tenant` limits the lookup to one tenant's recordings; internal callers (workers) pass none. */
export async function findRecording(db: Kysely<Database>, id: string, tenant?: string): Promise<RecordingRow | undefined> {
  let query = db.selectFrom('recordings').selectAll().where('id', '=', id);
  if (tenant !== undefined) query = query.where('tenant', '=', tenant);
  return query.executeTakeFirst();
}

export interface EpochStats {
  epoch_count: number;
  first_epoch_index: number | null;
  last_epoch_index: number | null;
}

export async function epochStats(db: Kysely<Database> | Transaction<Database>, window: EpochWindow): Promise<EpochStats> {
  const row = await db
    .selectFrom('epochs')
    .select([
      sql<number>`count(*)::int`.as('epoch_count'),
      sql<number | null>`min(epoch_index)`.as('first_epoch_index'),
      sql<number | null>`max(epoch_index)`.as('last_epoch_index'),
    ])
    .where(inWindow(window))
    .executeTakeFirstOrThrow();
  return row;
}

/** Stored epochs of a recording inside the window. */
export async function countEpochs(db: Kysely<Database> | Transaction<Database>, window: EpochWindow): Promise<number> {
  return (await db.selectFrom('epochs').select(sql<number>`count(*)::int`.as('n')).where(inWindow(window)).executeTakeFirstOrThrow()).n;
}
