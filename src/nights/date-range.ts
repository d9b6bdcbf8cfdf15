import { AppError } from '../errors/app-error.js';
import { daysBetween } from './local-date.js';
import { MAX_RANGE_DAYS } from './nights.schemas.js';

/** [from, to) of local dates: non-empty and at most MAX_RANGE_DAYS long, else 400 invalid_range. */
export function checkDateRange(from: string, to: string): number {
  const days = daysBetween(from, to);
  if (days <= 0) throw new AppError(400, 'invalid_range', `from (${from}) must be before to (${to})`, { from, to });
  if (days > MAX_RANGE_DAYS) throw new AppError(400, 'invalid_range', `at most ${MAX_RANGE_DAYS} days at a time, got ${days}`, { from, to, days, max_days: MAX_RANGE_DAYS });
  return days;
}
