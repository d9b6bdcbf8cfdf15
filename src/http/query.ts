import { z } from 'zod';
import { validate } from './validate.js';

export const IsoTimestamp = z.iso.datetime({ offset: true });

/** Query strings arrive as strings (or arrays when repeated); reject repeats and validate. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  return validate(schema, query, 'query parameters', 'bad_request', 400);
}
