import type { AppContext } from '../app-context.js';
import type { RecordingRow } from '../db/database.js';
import { notFound } from '../errors/app-error.js';
import { parseUuid } from '../http/params.js';
import { findRecording } from './recordings.repository.js';

/** The 404 of a recording id that does not exist (or no longer does). */
export const recordingNotFound = (id: string) => notFound('recording_not_found', `recording ${id} does not exist`, { recording_id: id });

/** Loads one of `tenant`'s recordings or answers 404 recording_not_found, as for an unknown id. */
export async function requireRecording(ctx: AppContext, rawId: unknown, tenant: string): Promise<RecordingRow> {
  const id = parseUuid(rawId, 'recording_not_found', 'recording');
  const row = await findRecording(ctx.db, id, tenant);
  if (!row) throw recordingNotFound(id);
  return row;
}
