import { AppError } from '../errors/app-error.js';

// A recording holds epoch indices 0 .. MAX_RECORDING_EPOCHS − 1. Checked on every request that names
// indices (ingest, labels, inline predict) before anything is decoded or written, because one epoch
// far out (index 150,000,000) made every later read of the recording span gigabytes of slots.

export function epochIndexOutOfRange(index: number, limit: number): AppError {
  return new AppError(422, 'epoch_index_out_of_range', `epoch_index ${index} is out of range: a recording holds epoch indices 0 to ${limit - 1} (MAX_RECORDING_EPOCHS = ${limit})`, {
    epoch_index: index,
    limit,
  });
}

/** Throws 422 epoch_index_out_of_range for the first index at or past `limit`. */
export function requireIndicesWithin(indices: Iterable<number>, limit: number): void {
  for (const index of indices) if (index >= limit) throw epochIndexOutOfRange(index, limit);
}

/** The same for `count` consecutive indices from `start` (the packed form); names the first one past. */
export function requireSpanWithin(start: number, count: number, limit: number): void {
  if (start + count > limit) throw epochIndexOutOfRange(Math.max(start, limit), limit);
}
