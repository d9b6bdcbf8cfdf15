// Nights of recordings that are not closed yet are summarised when read, not stored. Storing them
// would mean recomputing a summary on every upload: per-epoch models score each upload in the
// ingest transaction, so a night streamed in small parts would re-read its whole hypnogram per
// part (quadratic), for a figure nobody may read before the night ends. A device has few open
// recordings (the idle closer closes them), and each read summarises at most NIGHTS_OPEN_LIMIT of
// them, newest first; the response counts the ones left out.
import { RECORDING_EPOCHS_CEILING } from '../config/config.js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { readHypnogram, type NightModel } from '../summary/hypnogram.service.js';
import { daysBetween, instantBounds } from './local-date.js';
import { nightSpan, type NightSpan } from './night-span.js';
import { measureEpochSpan } from './night-store.repository.js';
import { summariseNight, type NightSummary } from './night-summary.js';
import { openRecordings } from './nights.repository.js';

export interface OpenNight {
  readonly recordingId: string;
  readonly span: NightSpan;
  /** Null when the version has no prediction of the night. */
  readonly night: NightSummary | null;
}

export interface OpenNights {
  readonly nights: OpenNight[];
  /** Open recordings that may fall in the range but were not summarised (over the limit). */
  readonly omitted: number;
}

/** The device's open nights dated in [from, to), in its current zone, with `model`'s summaries. */
export async function openNights(
  db: Kysely<Database>,
  device: { readonly id: string; readonly timezone: string },
  model: NightModel,
  range: { readonly from: string; readonly to: string },
  limit: number,
): Promise<OpenNights> {
  // A night dated before `to` ends before `to` 00:00 local, so it started before that instant.
  const { toMs } = instantBounds(range.from, range.to);
  const candidates = await openRecordings(db, device.id, toMs, limit);
  const nights: OpenNight[] = [];
  for (const recording of candidates.rows) {
    const measured = await measureEpochSpan(db, recording);
    if (!measured) continue;
    const span = nightSpan(recording, measured, device.timezone);
    if (daysBetween(range.from, span.date) < 0 || daysBetween(span.date, range.to) <= 0) continue;
    const hypnogram = await readHypnogram(db, recording, model, RECORDING_EPOCHS_CEILING);
    nights.push({ recordingId: recording.id, span, night: typeof hypnogram === 'string' ? null : summariseNight(hypnogram) });
  }
  return { nights, omitted: Math.max(0, candidates.total - candidates.rows.length) };
}
