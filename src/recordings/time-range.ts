import { AppError } from '../errors/app-error.js';
import { MAX_EPOCH_INDEX } from '../epochs/features.decoder.js';

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
  // Indices beyond the int4 column would fail in PostgreSQL (a 500); no stored epoch lies there, so
  // a range starting past the last index is the empty [MAX, MAX) and an end past it is unbounded.
  if (fromIndex > MAX_EPOCH_INDEX) return { fromIndex: MAX_EPOCH_INDEX, toIndex: MAX_EPOCH_INDEX };
  return { fromIndex, toIndex: toIndex !== null && toIndex > MAX_EPOCH_INDEX ? null : toIndex };
}

export function epochTime(startedAt: Date, epochSeconds: number, index: number): string {
  return new Date(startedAt.getTime() + index * epochSeconds * 1000).toISOString();
}
