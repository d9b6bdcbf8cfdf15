import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { validate } from './validate.js';

// PostgreSQL has no year 0, and JavaScript writes instants outside four-digit years in a form it
// does not read: an instant outside these bounds would fail in the database (a 500) instead of here.
const EARLIEST_INSTANT = '0001-01-01T00:00:00.000Z';
const LATEST_INSTANT = '9999-12-31T23:59:59.999Z';
const EARLIEST_MS = Date.parse(EARLIEST_INSTANT);
const LATEST_MS = Date.parse(LATEST_INSTANT);

export const IsoTimestamp = z.iso.datetime({ offset: true }).refine((t) => {
  const ms = Date.parse(t);
  return ms >= EARLIEST_MS && ms <= LATEST_MS;
}, `must lie between ${EARLIEST_INSTANT} and ${LATEST_INSTANT}`);

/**
 * A local date (`YYYY-MM-DD`) from the year 1000 on: the nights and trends ranges reach up to 90 days
 * and 14 hours before `from`, which must stay well inside the instants the database holds.
 */
export const QueryLocalDate = z.iso.date().refine((d) => d >= '1000-01-01', 'must be 1000-01-01 or later');

/** Query strings arrive as strings (or arrays when repeated); reject repeats and validate. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  if (typeof query === 'object' && query !== null) {
    for (const [name, value] of Object.entries(query)) {
      if (Array.isArray(value)) throw new AppError(400, 'bad_request', `query parameter ${name} is repeated; give it once`, { parameter: name, count: value.length });
    }
  }
  return validate(schema, query, 'query parameters', 'bad_request', 400);
}
