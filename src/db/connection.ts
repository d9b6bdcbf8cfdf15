import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

// Return int8/numeric as JS numbers where they fit: counts and sums come back as int8.
const INT8_OID = 20;
// A `date` stays the text `YYYY-MM-DD`: pg's default turns it into a Date at local midnight of this
// process, which shifts the day in any zone west of UTC.
const DATE_OID = 1082;
const CONNECT_TIMEOUT_MS = 5000;

export interface DbHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
}

export function createDb(connectionString: string, poolSize: number): DbHandle {
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8_OID ? (v: string) => Number(v) : oid === DATE_OID ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  // A bounded connect: while the database is unreachable a request fails fast (503) instead of
  // queueing behind connection attempts.
  const pool = new pg.Pool({ connectionString, max: poolSize, types, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor may a checked-out one: pg-pool removes its listener on checkout, and a client whose socket
  // dies then emits 'error' besides failing its query (which is how the caller hears about it).
  // pg marks the client unusable, so the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}
