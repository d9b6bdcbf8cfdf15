import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import pg from 'pg';
import { PoolExhaustedError } from './connection-errors.js';
import type { Database } from './database.js';

// Return int8/numeric as JS numbers where they fit: counts and sums come back as int8.
const INT8_OID = 20;
// A `date` stays the text `YYYY-MM-DD`: pg's default turns it into a Date at local midnight of this
// process, which shifts the day in any zone west of UTC.
const DATE_OID = 1082;
const CONNECT_TIMEOUT_MS = 5000;
// What pg-pool says when a caller waited connectionTimeoutMillis for a client.
const WAIT_TIMEOUT = /^timeout exceeded when trying to connect$/;

export interface DbHandle {
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
}

export interface DbOptions {
  /** How long a query waits for a connection (a free one, or a new one to connect). */
  readonly connectTimeoutMs?: number;
}

/**
 * The pool as kysely sees it, telling a full pool from an unreachable database: pg-pool reports a
 * caller that waited too long the same way in both cases. When every client of the pool holds an
 * established connection, the wait was for a busy pool (PoolExhaustedError: overloaded, retry
 * soon); when some are still connecting, the database is not answering (the original error).
 */
function classifyingPool(pool: pg.Pool): PostgresPool {
  const established = new Set<pg.PoolClient>();
  pool.on('connect', (client) => established.add(client as pg.PoolClient));
  pool.on('remove', (client) => established.delete(client as pg.PoolClient));
  return {
    async connect() {
      try {
        return await pool.connect();
      } catch (err) {
        const connecting = pool.totalCount - established.size;
        if (err instanceof Error && WAIT_TIMEOUT.test(err.message) && connecting === 0) throw new PoolExhaustedError(pool.options.max ?? 0, err);
        throw err;
      }
    },
    end: () => pool.end(),
  };
}

export function createDb(connectionString: string, poolSize: number, options: DbOptions = {}): DbHandle {
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8_OID ? (v: string) => Number(v) : oid === DATE_OID ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  // A bounded connect: while the database is unreachable a request fails fast (503) instead of
  // queueing behind connection attempts.
  const pool = new pg.Pool({ connectionString, max: poolSize, types, connectionTimeoutMillis: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor may a checked-out one: pg-pool removes its listener on checkout, and a client whose socket
  // dies then emits 'error' besides failing its query (which is how the caller hears about it).
  // pg marks the client unusable, so the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: classifyingPool(pool) }) });
  return { db, pool };
}
