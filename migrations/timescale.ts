import { sql, type Kysely } from 'kysely';

/**
 * Creates the timescaledb extension when the server offers it; plain PostgreSQL skips it. A server
 * that offers the extension but cannot create it (not in shared_preload_libraries, no privilege)
 * fails the migration: quietly building plain tables there could never be undone by a later fix.
 */
export async function ensureTimescale(db: Kysely<any>): Promise<boolean> {
  const available = await sql<{ ok: number }>`
    SELECT 1 AS ok FROM pg_available_extensions WHERE name = 'timescaledb'`.execute(db);
  if (available.rows.length === 0) return false;
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS timescaledb`.execute(db);
  } catch (err) {
    throw new Error(
      `the server offers timescaledb but CREATE EXTENSION failed (${(err as Error).message}); ` +
        `add timescaledb to shared_preload_libraries, or remove the extension package to run on plain PostgreSQL`,
    );
  }
  return hasTimescale(db);
}

export async function hasTimescale(db: Kysely<any>): Promise<boolean> {
  const installed = await sql<{ ok: number }>`
    SELECT 1 AS ok FROM pg_extension WHERE extname = 'timescaledb'`.execute(db);
  return installed.rows.length > 0;
}

/** Turns an empty table into a hypertable on `column` (default `ts`); a no-op on plain PostgreSQL. */
export async function makeHypertable(db: Kysely<any>, table: string, chunkInterval: string, column = 'ts'): Promise<void> {
  if (!(await hasTimescale(db))) return;
  await sql`SELECT create_hypertable(${table}::regclass, ${column}::name, chunk_time_interval => ${chunkInterval}::interval)`.execute(db);
}
