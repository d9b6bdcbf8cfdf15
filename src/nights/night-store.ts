// Stored nights of closed recordings. Closing measures the night, dates it in the device's zone of
// that moment and stores each version's summary; afterwards
//   - a scoring of the night (scoreRecording: re-score chunks, predict jobs, night scorings) refreshes
//     that version's stored summary inside the transaction that wrote its predictions, and
//   - epochs that land after the close (uploads accepted before it) re-measure the night and refresh
//     every stored version, in the ingest transaction.
// Open recordings are never stored: their nights are summarised when read (see open-nights.ts).
// Locks: the recording row first (lockRecordingForNight), then the device's nights lock before any
// write that touches another recording's row (the main-sleep flags), so closes and refreshes of one
// device's nights never deadlock and never both see themselves as a date's only night.
import { RECORDING_EPOCHS_CEILING } from '../config/config.js';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { readHypnogram, type NightModel } from '../summary/hypnogram.service.js';
import { nightSpan } from './night-span.js';
import { summariseNight } from './night-summary.js';
import {
  deleteNightSummaries,
  deviceTimezone,
  findRecordingNight,
  lockDeviceNights,
  lockRecordingForNight,
  measureEpochSpan,
  recomputeMainSleep,
  storedSummaryModels,
  upsertNightSummary,
  upsertRecordingNight,
  type LockedRecording,
} from './night-store.repository.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Measures and dates the night of a closed (and locked) recording and stores `models`' summaries. */
export async function storeNight(db: Db, recording: LockedRecording, timezone: string, models: readonly NightModel[]): Promise<void> {
  await lockDeviceNights(db, recording.device_id);
  const before = await findRecordingNight(db, recording.id);
  const measured = await measureEpochSpan(db, recording);
  const span = measured ? nightSpan(recording, measured, timezone) : null;
  await upsertRecordingNight(db, recording.id, recording.device_id, timezone, span);
  const date = span?.date ?? null;
  for (const d of new Set([before?.night_date ?? null, date])) if (d !== null) await recomputeMainSleep(db, recording.device_id, d);
  // A hypertable row cannot move to another chunk: a night whose date changed is stored afresh.
  const oldDate = before?.night_date ?? null;
  if (oldDate !== null && oldDate !== date) await deleteNightSummaries(db, recording.id, oldDate);
  if (date === null) return;
  for (const model of models) await storeSummary(db, recording, date, model);
}

async function storeSummary(db: Db, recording: LockedRecording, date: string, model: NightModel): Promise<void> {
  const hypnogram = await readHypnogram(db, recording, model, RECORDING_EPOCHS_CEILING);
  if (typeof hypnogram === 'string') {
    await deleteNightSummaries(db, recording.id, date, model.version);
    return;
  }
  await upsertNightSummary(db, { recordingId: recording.id, deviceId: recording.device_id, date, model }, summariseNight(hypnogram));
}

/**
 * After `model` scored a recording (same transaction): a closed night's stored summary of that
 * version is brought up to date. Open recordings only take the row lock and return.
 */
export async function refreshScoredNight(db: Db, recordingId: string, model: NightModel): Promise<void> {
  const recording = await lockRecordingForNight(db, recordingId);
  if (!recording?.closed_at) return;
  const night = await findRecordingNight(db, recordingId);
  if (!night?.night_date) {
    // Closed before anything was stored, and this scoring's epochs have not been measured yet.
    await storeNight(db, recording, night?.timezone ?? (await deviceTimezone(db, recording.device_id)), [model]);
    return;
  }
  await storeSummary(db, recording, night.night_date, model);
}

/**
 * After an ingest stored epochs (same transaction; `scored` the version that scored them there, if
 * any): a closed recording's night is measured again, keeping the zone fixed at close, and every
 * stored version's summary refreshed, since the span (and maybe the date) moved.
 */
export async function refreshNightAfterIngest(db: Db, recordingId: string, scored: NightModel | null): Promise<void> {
  const recording = await lockRecordingForNight(db, recordingId);
  if (!recording?.closed_at) return;
  const night = await findRecordingNight(db, recordingId);
  const models = night?.night_date ? await storedSummaryModels(db, recordingId, night.night_date) : [];
  if (scored && !models.some((m) => m.version === scored.version)) models.push(scored);
  await storeNight(db, recording, night?.timezone ?? (await deviceTimezone(db, recording.device_id)), models);
}
