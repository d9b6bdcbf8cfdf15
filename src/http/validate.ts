import type { z } from 'zod';
import { AppError, type ErrorCode } from '../errors/app-error.js';

export interface IssueSummary {
  readonly path: string;
  readonly message: string;
}

export function summarizeIssues(error: z.ZodError): IssueSummary[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(root)', message: issue.message }));
}

/** Parses `value` with `schema`, or throws a 422 (or `status`) naming every bad field. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  code: ErrorCode = 'validation_failed',
  status = 422,
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = summarizeIssues(parsed.error);
  const first = issues[0]!;
  throw new AppError(status, code, `invalid ${what}: ${first.path}: ${first.message}`, { issues });
}

/** JSON bodies must be objects; anything else is a 400 before field validation. */
export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError(400, 'bad_request', 'request body must be a JSON object (Content-Type: application/json)');
  }
  return body as Record<string, unknown>;
}
