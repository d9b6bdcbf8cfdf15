import type { Response } from 'express';
import type { z } from 'zod';

/**
 * Sends `body` as JSON, typed by the response schema the OpenAPI document declares for the route:
 * a handler that builds a different shape fails to compile. Not parsed at run time (the integration
 * tests validate every response against the document instead), so it costs nothing per request.
 */
export function reply<S extends z.ZodType>(res: Response, _schema: S, body: z.output<S>, status = 200): void {
  res.status(status).json(body);
}
