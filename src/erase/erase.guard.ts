import type { AppContext } from '../app-context.js';
import { conflict } from '../errors/app-error.js';
import { findErasing } from './erase.repository.js';

/**
 * Writes into a device or recording being erased answer 409 `being_erased`: what they would store
 * is about to be deleted, and a 202 for data that vanishes would be a lie. `ids` are the subject and
 * what contains it (a recording and its device). Rows that still slip in between this check and the
 * erase's last step go with the subject row (every table cascades from it).
 */
export async function requireNotErasing(ctx: AppContext, ids: readonly string[]): Promise<void> {
  refuse(await findErasing(ctx.db, ids));
}

/** A write into a recording: refused while the recording or its device is being erased. */
export async function requireRecordingNotErasing(ctx: AppContext, recording: { readonly id: string; readonly device_id: string }): Promise<void> {
  await requireNotErasing(ctx, [recording.id, recording.device_id]);
}

function refuse(erasing: { job_id: string; subject_kind: string; subject_id: string } | undefined): void {
  if (erasing) {
    throw conflict('being_erased', `${erasing.subject_kind} ${erasing.subject_id} is being erased`, {
      [`${erasing.subject_kind}_id`]: erasing.subject_id,
      job_id: erasing.job_id,
    });
  }
}
