import { AppError } from '../errors/app-error.js';

/** Epoch-index bounds [from, to) equivalent to a clock-time range over a recording. */
export interface IndexRange {
  readonly fromIndex: number;
  /** Exclusive; null = unbounded. */
  readonly toIndex: number | null;
}

/**
 * `ts = started_at + index × epoch_seconds`, so a time range maps onto an index range and every
 * range query runs on the (recording_id, epoch_index) key.
 */
export function toIndexRange(startedAt: Date, epochSeconds: number, from?: string, to?: string): IndexRange {
  const fromMs = from === undefined ? undefined : Date.parse(from);
  const toMs = to === undefined ? undefined : Date.parse(to);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    throw new AppError(400, 'invalid_range', `from (${from}) must be before to (${to})`, { from, to });
  }
  const step = epochSeconds * 1000;
  const fromIndex = fromMs === undefined ? 0 : Math.max(0, Math.ceil((fromMs - startedAt.getTime()) / step));
  const toIndex = toMs === undefined ? null : Math.max(0, Math.ceil((toMs - startedAt.getTime()) / step));
  return { fromIndex, toIndex };
}

export function epochTime(startedAt: Date, epochSeconds: number, index: number): string {
  return new Date(startedAt.getTime() + index * epochSeconds * 1000).toISOString();
}
