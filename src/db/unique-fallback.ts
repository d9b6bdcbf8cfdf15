import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';
import { PG_UNIQUE_VIOLATION, pgCode } from './pg-errors.js';

/**
 * Bulk inserts that usually conflict with nothing: `plain` (an INSERT without ON CONFLICT, which
 * PostgreSQL writes with a third less work than a speculative insertion) runs inside a savepoint;
 * if any row already exists (a re-sent night, a concurrent upload of the same epochs) the savepoint
 * is rolled back and `onConflict` (the same INSERT with ON CONFLICT) runs instead. Outside a
 * transaction there is no savepoint to fall back to, so `onConflict` runs directly.
 */
export async function insertWithUniqueFallback<T>(
  db: Kysely<Database> | Transaction<Database>,
  plain: () => Promise<T>,
  onConflict: () => Promise<T>,
): Promise<T> {
  if (!db.isTransaction) return onConflict();
  await sql`SAVEPOINT noctis_bulk_insert`.execute(db);
  try {
    const result = await plain();
    await sql`RELEASE SAVEPOINT noctis_bulk_insert`.execute(db);
    return result;
  } catch (err) {
    if (pgCode(err) !== PG_UNIQUE_VIOLATION) throw err;
    await sql`ROLLBACK TO SAVEPOINT noctis_bulk_insert`.execute(db);
    return onConflict();
  }
}
