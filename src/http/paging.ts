import { z } from 'zod';
import { RECORDING_EPOCHS_CEILING } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { decodeCursor, encodeCursor } from './cursor.js';

// Lists of one recording's rows by epoch index (epochs, predictions, labels) page alike: `limit`,
// an opaque `cursor` from the previous page's `next_cursor`, which is null on the last page.

export const PageCursor = z.string().max(200).optional().describe("the previous page's next_cursor");

/**
 * `limit` of the lists whose default page is a whole recording (predictions, labels), so one call
 * still returns a night: at most MAX_RECORDING_EPOCHS, which is also the default.
 */
export const RecordingPageLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(RECORDING_EPOCHS_CEILING)
  .optional()
  .describe('rows per page; default and maximum MAX_RECORDING_EPOCHS (5760 unless configured)');

/** The page size of a RecordingPageLimit query under the configured MAX_RECORDING_EPOCHS. */
export function recordingPageLimit(limit: number | undefined, recordingEpochs: number): number {
  if (limit === undefined) return recordingEpochs;
  if (limit > recordingEpochs) {
    const message = `Too big: expected number to be <=${recordingEpochs} (MAX_RECORDING_EPOCHS)`;
    throw new AppError(400, 'bad_request', `invalid query parameters: limit: ${message}`, { issues: [{ path: 'limit', message }] });
  }
  return limit;
}

/** The first epoch index of a page: after the cursor's, never before the range's start. */
export function pageStart(fromIndex: number, cursor: string | undefined): number {
  return cursor === undefined ? fromIndex : Math.max(fromIndex, decodeCursor(cursor) + 1);
}

/** Rows read with `limit + 1` → the page, and the cursor of the next one (null when none follows). */
export function toPage<T extends { epoch_index: number }>(rows: readonly T[], limit: number): { rows: T[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, next_cursor: rows.length > limit && last ? encodeCursor(last.epoch_index) : null };
}
