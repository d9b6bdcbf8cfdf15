import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';

export const RETAINED_TABLES = ['epochs', 'predictions'] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

/**
 * Plain PostgreSQL: deletes up to `batch` rows older than `cutoff`. By ctid, which on a plain table
 * names one row (never on a hypertable, where each chunk has its own ctids: TimescaleDB deployments
 * use its retention policies instead). Uses the ts index of migration 0202.
 */
export async function deleteExpiredBatch(db: Kysely<Database>, table: RetainedTable, cutoff: Date, batch: number): Promise<number> {
  const result = await sql`
    DELETE FROM ${sql.table(table)} WHERE ctid IN (
      SELECT ctid FROM ${sql.table(table)} WHERE ts < ${cutoff}::timestamptz LIMIT ${batch})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
