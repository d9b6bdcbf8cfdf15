import { sql, type Kysely } from 'kysely';

/**
 * Creates the timescaledb extension when the server offers it. The attempt runs in a savepoint
 * because an extension that is installed but not preloaded fails CREATE EXTENSION, and that must
 * not abort the migration on plain PostgreSQL.
 */
export async function ensureTimescale(db: Kysely<any>): Promise<boolean> {
  const available = await sql<{ ok: number }>`
    SELECT 1 AS ok FROM pg_available_extensions WHERE name = 'timescaledb'`.execute(db);
  if (available.rows.length > 0) {
    await sql`SAVEPOINT noctis_timescaledb`.execute(db);
    try {
      await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`.execute(db);
      await sql`RELEASE SAVEPOINT noctis_timescaledb`.execute(db);
    } catch {
      await sql`ROLLBACK TO SAVEPOINT noctis_timescaledb`.execute(db);
    }
  }
  return hasTimescale(db);
}

export async function hasTimescale(db: Kysely<any>): Promise<boolean> {
  const installed = await sql<{ ok: number }>`
    SELECT 1 AS ok FROM pg_extension WHERE extname = 'timescaledb'`.execute(db);
  return installed.rows.length > 0;
}

/** Turns an empty table into a hypertable on `ts`; a no-op on plain PostgreSQL. */
export async function makeHypertable(db: Kysely<any>, table: string, chunkInterval: string): Promise<void> {
  if (!(await hasTimescale(db))) return;
  await sql`SELECT create_hypertable(${table}::regclass, 'ts', chunk_time_interval => ${chunkInterval}::interval)`.execute(db);
}
