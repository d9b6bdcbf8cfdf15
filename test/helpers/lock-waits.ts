import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { waitUntil } from './processes.js';

// Race tests force an interleaving by holding a lock and waiting until the statement under test is
// seen waiting for it in pg_stat_activity, instead of sleeping and hoping.

/** Backends of the test database waiting for a lock, optionally only those running a statement like `pattern` (ILIKE). */
export async function lockWaiters(db: Kysely<Database>, pattern = '%'): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE ${pattern}`.execute(db);
  return rows.map((r) => r.pid);
}

/** Waits until at least `count` backends wait for a lock in a statement like `pattern`; their pids. */
export async function waitForLockWaiters(db: Kysely<Database>, count = 1, pattern = '%'): Promise<number[]> {
  let pids: number[] = [];
  await waitUntil(`${count} backend(s) waiting for a lock in a statement like ${pattern}`, async () => (pids = await lockWaiters(db, pattern)).length >= count, 30_000, 25);
  return pids;
}
