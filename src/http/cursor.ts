import { INT4_MAX } from '../db/int4.js';
import { AppError } from '../errors/app-error.js';

// Opaque to clients so the paging key can change without breaking them.
export function encodeCursor(lastIndex: number): string {
  return Buffer.from(JSON.stringify({ a: lastIndex })).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { a?: unknown };
    // The API only hands out the index of an epoch followed by more, so never the largest index.
    if (typeof value.a === 'number' && Number.isInteger(value.a) && value.a >= 0 && value.a < INT4_MAX) return value.a;
  } catch {
    // fall through to the error below
  }
  throw new AppError(400, 'invalid_cursor', 'cursor is not one this API returned', { cursor: cursor.slice(0, 100) });
}
