import { sql, type RawBuilder } from 'kysely';
import type { RecordingClock } from '../epochs/epochs.repository.js';

/**
 * What one query may read of one recording in the hypertables (epochs, predictions, labels):
 * epoch indices [fromIndex, toIndex) and the same span as `ts`. A row's ts is started_at +
 * index × epoch_seconds and its index is below MAX_RECORDING_EPOCHS, so a recording's rows lie in
 * [started_at, started_at + MAX_RECORDING_EPOCHS × epoch_seconds). Without the ts bounds
 * TimescaleDB must look into every chunk the table has (weeks of other tenants' nights) to find one
 * recording; with them as parameters it plans only the chunks of that span.
 */
export interface EpochWindow {
  readonly recordingId: string;
  readonly fromIndex: number;
  /** Exclusive; never past MAX_RECORDING_EPOCHS. */
  readonly toIndex: number;
  readonly fromTs: Date;
  readonly toTs: Date;
}

/** The window of `range` (default: the whole recording), clamped to the recording's span. */
export function epochWindow(recording: RecordingClock, recordingEpochs: number, range: { fromIndex?: number; toIndex?: number | null } = {}): EpochWindow {
  const toIndex = Math.max(0, Math.min(range.toIndex ?? recordingEpochs, recordingEpochs));
  const fromIndex = Math.min(Math.max(range.fromIndex ?? 0, 0), toIndex);
  const start = new Date(recording.started_at).getTime();
  const step = recording.epoch_seconds * 1000;
  return { recordingId: recording.id, fromIndex, toIndex, fromTs: new Date(start + fromIndex * step), toTs: new Date(start + toIndex * step) };
}

/** The same window starting at `fromIndex` (paging); never before the window's own start. */
export function startingAt(window: EpochWindow, fromIndex: number, epochSeconds: number): EpochWindow {
  const from = Math.min(Math.max(fromIndex, window.fromIndex), window.toIndex);
  return { ...window, fromIndex: from, fromTs: new Date(window.fromTs.getTime() + (from - window.fromIndex) * epochSeconds * 1000) };
}

/** `recording_id = … AND epoch_index ∈ [from, to) AND ts ∈ [fromTs, toTs)` on `alias`'s columns. */
export function inWindow(window: EpochWindow, alias?: string): RawBuilder<boolean> {
  const col = (name: string) => sql.ref(alias === undefined ? name : `${alias}.${name}`);
  return sql<boolean>`(${col('recording_id')} = ${window.recordingId}::uuid
    AND ${col('epoch_index')} >= ${window.fromIndex}::int AND ${col('epoch_index')} < ${window.toIndex}::int
    AND ${col('ts')} >= ${window.fromTs}::timestamptz AND ${col('ts')} < ${window.toTs}::timestamptz)`;
}
