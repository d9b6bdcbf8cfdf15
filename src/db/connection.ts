import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

// Return int8/numeric as JS numbers where they fit: counts and sums come back as int8.
const INT8_OID = 20;

export interface DbHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
}

export function createDb(connectionString: string, poolSize: number): DbHandle {
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString, max: poolSize, types });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}
