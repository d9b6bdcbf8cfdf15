import { pgCode } from './pg-errors.js';

// Socket-level failures of reaching the database (node's error codes).
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// SQLSTATEs meaning "the server is going away or will not take you now".
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
// node-postgres reports these without a code.
const PG_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly)/;

/**
 * Every connection of the pool was busy for longer than a query may wait for one: the database
 * is up but this process has more work than connections. Not an outage; retry soon.
 */
export class PoolExhaustedError extends Error {
  override readonly name = 'PoolExhaustedError';
  constructor(
    readonly poolSize: number,
    cause?: unknown,
  ) {
    super(`no free database connection (all ${poolSize} busy) within the wait limit`, { cause });
  }
}

export const isPoolExhausted = (err: unknown): err is PoolExhaustedError => err instanceof PoolExhaustedError;

/**
 * True when an error means PostgreSQL could not be reached or dropped the connection (it is down,
 * restarting or refusing connections), as opposed to a problem with the query: the request may
 * succeed if retried later.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (isPoolExhausted(err)) return false;
  if (err instanceof AggregateError) return err.errors.some(isDatabaseUnavailable);
  const code = pgCode(err);
  if (code !== undefined && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true;
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && PG_MESSAGES.test(message);
}
