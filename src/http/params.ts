import { notFound, type ErrorCode } from '../errors/app-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** A path id that is not a UUID cannot name anything: answer 404 like any unknown id. */
export function parseUuid(value: unknown, code: ErrorCode, what: string): string {
  if (!isUuid(value)) throw notFound(code, `${what} ${String(value).slice(0, 100)} does not exist`, { id: String(value).slice(0, 100) });
  return value.toLowerCase();
}
