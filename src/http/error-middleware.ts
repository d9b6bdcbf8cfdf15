import type { ErrorRequestHandler, RequestHandler } from 'express';
import { PG_CHARACTER_NOT_IN_REPERTOIRE, PG_FOREIGN_KEY_VIOLATION, PG_UNTRANSLATABLE_CHARACTER, pgCode } from '../db/pg-errors.js';
import { isDatabaseUnavailable, isPoolExhausted } from '../db/connection-errors.js';
import { AppError } from '../errors/app-error.js';
import type { Logger } from '../logging/logger.js';

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  length?: number;
}

/** Body-parser and JSON errors arrive as plain errors with a `type`; give them stable codes. */
function fromBodyParser(err: BodyParserError): AppError | null {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'invalid_json', 'request body is not valid JSON');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', `request body exceeds the ${err.limit} byte limit`, { limit: err.limit, length: err.length });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_media_type', 'request body encoding or charset is not supported');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError(400, 'bad_request', 'request body could not be read');
    default:
      return fromClientStatus(err);
  }
}

/**
 * Other errors that already say the client is at fault (http-errors style `status` 4xx): a body
 * that does not inflate as its Content-Encoding claims, a path with a malformed %-escape.
 */
function fromClientStatus(err: BodyParserError & { statusCode?: number }): AppError | null {
  const status = err.status ?? err.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (err instanceof URIError) return new AppError(400, 'bad_request', 'request path contains a malformed percent-encoding');
  return new AppError(status, 'bad_request', 'request could not be read');
}

/**
 * Client text PostgreSQL cannot store (a NUL character) is the client's error, not a 500; so is a
 * reference to a row that was deleted while the request ran (routes that can name it do so first).
 */
function fromPostgres(err: unknown): AppError | null {
  const code = pgCode(err);
  if (code === PG_FOREIGN_KEY_VIOLATION) return new AppError(404, 'not_found', 'something this request refers to was deleted while it ran', { reason: 'deleted_concurrently' });
  if (code !== PG_CHARACTER_NOT_IN_REPERTOIRE && code !== PG_UNTRANSLATABLE_CHARACTER) return null;
  return new AppError(422, 'validation_failed', 'request contains text that cannot be stored (the NUL character U+0000)', { reason: 'nul_character' });
}

/** Seconds a client should wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * PostgreSQL down or dropping connections: nothing can be made durable, so the client hears a
 * clear 503 with Retry-After (never a hang, never a 500) and can send the same request again.
 */
function fromUnavailableDatabase(err: unknown): AppError | null {
  if (!isDatabaseUnavailable(err)) return null;
  return new AppError(503, 'service_unavailable', 'the database is unreachable; nothing was stored, retry later', { retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS });
}

/** Seconds a client should wait while every database connection of the process is busy. */
export const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/** A full connection pool is load, not an outage: a short 503 the client may retry at once. */
function fromExhaustedPool(err: unknown): AppError | null {
  if (!isPoolExhausted(err)) return null;
  return new AppError(503, 'overloaded', 'the service is busy; nothing was stored, retry shortly', { retry_after_seconds: OVERLOADED_RETRY_AFTER_SECONDS });
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const appError = err instanceof AppError ? err : (fromBodyParser(err as BodyParserError) ?? fromPostgres(err) ?? fromExhaustedPool(err) ?? fromUnavailableDatabase(err));
    const log = (req as { log?: Logger }).log ?? logger;
    if (appError) {
      if (appError.code === 'service_unavailable') {
        log.warn({ err }, appError.message);
        res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      } else if (appError.code === 'overloaded') {
        log.warn({ err }, appError.message);
        res.setHeader('Retry-After', String(OVERLOADED_RETRY_AFTER_SECONDS));
      } else if (appError.statusCode >= 500) log.error({ err }, appError.message);
      // Logged: a foreign-key failure that is not a concurrent delete would be a bug, and this is its only trace.
      else if (pgCode(err) === PG_FOREIGN_KEY_VIOLATION) log.warn({ err }, appError.message);
      res.status(appError.statusCode).json(appError.toJSON());
      return;
    }
    log.error({ err }, 'unhandled error');
    res.status(500).json(new AppError(500, 'internal_error', 'internal server error').toJSON());
  };
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new AppError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
