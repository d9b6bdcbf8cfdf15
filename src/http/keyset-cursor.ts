import { sql, type RawBuilder } from 'kysely';
import { AppError } from '../errors/app-error.js';
import { isUuid } from './params.js';

/**
 * The position after the last item of a page ordered by (timestamp, id). The timestamp travels in
 * microseconds since 1970, PostgreSQL's own precision: a millisecond Date would land before the
 * last item and page it again.
 */
export interface KeysetPosition {
  readonly micros: number;
  readonly id: string;
}

/** The select expression giving a timestamp column's KeysetPosition micros (exact: numeric, then int8). */
export function keysetMicros(column: string): RawBuilder<number> {
  return sql<number>`(extract(epoch from ${sql.ref(column)}) * 1000000)::int8`;
}

/** The timestamptz of a position's micros, exactly. */
export function keysetTimestamp(position: KeysetPosition): RawBuilder<Date> {
  return sql<Date>`(timestamptz 'epoch' + ${position.micros}::int8 * interval '1 microsecond')`;
}

// Opaque to clients so the paging key can change without breaking them.
export function encodeKeyset(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify({ u: position.micros, i: position.id })).toString('base64url');
}

export function decodeKeyset(cursor: string): KeysetPosition {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { u?: unknown; i?: unknown };
    if (typeof value.u === 'number' && Number.isSafeInteger(value.u) && isUuid(value.i)) return { micros: value.u, id: value.i };
  } catch {
    // fall through to the error below
  }
  throw new AppError(400, 'invalid_cursor', 'cursor is not one this API returned', { cursor: cursor.slice(0, 100) });
}
