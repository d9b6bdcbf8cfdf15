import { z } from 'zod';
import { ERROR_CODES } from '../errors/app-error.js';

/** The one error body every 4xx and 5xx carries (errors/app-error.ts, http/error-middleware.ts). */
export const ErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(ERROR_CODES).describe('stable machine-readable code; new codes may be added'),
    message: z.string().describe('for people; may change'),
    details: z.record(z.string(), z.unknown()).describe('per code, e.g. the bad fields of validation_failed'),
  }),
});

/** Reusable responses (components.responses), one per status, all with the Error body. */
export const ERROR_RESPONSES: Readonly<Record<number, { name: string; description: string }>> = {
  400: { name: 'BadRequest', description: 'malformed request: HTTP, path escapes, JSON, query parameters, cursor or range' },
  401: { name: 'Unauthorized', description: 'no valid credentials' },
  403: { name: 'Forbidden', description: "the credentials lack the route's scope or tenant" },
  404: { name: 'NotFound', description: 'no such resource (or it belongs to another tenant)' },
  406: { name: 'NotAcceptable', description: 'none of the types in Accept can be served' },
  408: { name: 'RequestTimeout', description: 'the request took too long to arrive' },
  409: { name: 'Conflict', description: 'the resource is in a state that does not allow this' },
  413: { name: 'PayloadTooLarge', description: 'body or epoch count over the limit' },
  415: { name: 'UnsupportedMediaType', description: 'body encoding or charset not supported' },
  422: { name: 'Unprocessable', description: 'well-formed but invalid: failed validation, unknown model or feature schema' },
  429: { name: 'TooManyRequests', description: 'rate limited; Retry-After says when to try again' },
  431: { name: 'RequestHeaderFieldsTooLarge', description: 'request head (URL and headers) over the size limit' },
  500: { name: 'InternalError', description: 'unexpected failure (logged); nothing to fix in the request' },
  503: { name: 'ServiceUnavailable', description: 'database unreachable or every connection busy; nothing was stored, retry after Retry-After' },
};
