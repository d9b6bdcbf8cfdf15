import { unprocessable } from '../errors/app-error.js';

/** No wearable night predates this; a recording's rows all lie in [started_at, started_at + its span). */
export const EARLIEST_STARTED_AT = Date.UTC(2000, 0, 1);
/** Clocks drift and time zones get mixed up, so a start up to a day ahead is accepted, no more. */
export const STARTED_AT_MAX_AHEAD_MS = 24 * 3600 * 1000;

/**
 * 422 started_at_out_of_range outside [2000-01-01, now + 1 day]: rows are partitioned by time, so
 * recordings scattered over centuries would make one tenant's writes create thousands of chunks.
 */
export function requireStartedAtInRange(startedAt: string, nowMs: number): void {
  const at = Date.parse(startedAt);
  const latest = nowMs + STARTED_AT_MAX_AHEAD_MS;
  if (at >= EARLIEST_STARTED_AT && at <= latest) return;
  throw unprocessable('started_at_out_of_range', `started_at ${startedAt} must lie between ${new Date(EARLIEST_STARTED_AT).toISOString()} and one day after now (${new Date(latest).toISOString()})`, {
    started_at: startedAt,
    earliest: new Date(EARLIEST_STARTED_AT).toISOString(),
    latest: new Date(latest).toISOString(),
  });
}
