import type { Config } from '../config/config.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { unprocessable } from '../errors/app-error.js';
import { retentionCutoffs } from './retention.policy.js';

/**
 * An upload whose oldest epoch is already past RETAIN_EPOCHS_DAYS would be accepted and then dropped
 * by the next retention pass: refuse it (422 outside_retention) so the client knows, instead.
 */
export function requireWithinRetention(config: Config, recording: RecordingClock, indices: ArrayLike<number>, now = new Date()): void {
  const cutoff = retentionCutoffs(config, now).epochs;
  if (cutoff === null || indices.length === 0) return;
  let first = indices[0]!;
  for (let i = 1; i < indices.length; i++) if (indices[i]! < first) first = indices[i]!;
  const ts = new Date(new Date(recording.started_at).getTime() + first * recording.epoch_seconds * 1000);
  if (ts < cutoff) {
    throw unprocessable('outside_retention', `epoch ${first} (${ts.toISOString()}) is older than the ${config.RETAIN_EPOCHS_DAYS}-day retention of epochs`, {
      recording_id: recording.id,
      epoch_index: first,
      ts: ts.toISOString(),
      retain_days: config.RETAIN_EPOCHS_DAYS,
      cutoff: cutoff.toISOString(),
    });
  }
}
