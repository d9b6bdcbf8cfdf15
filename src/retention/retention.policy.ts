import type { Config } from '../config/config.js';

const DAY_MS = 86_400_000;

type RetentionConfig = Pick<Config, 'RETAIN_EPOCHS_DAYS' | 'RETAIN_PREDICTIONS_DAYS'>;

/** Rows with `ts` before these instants are expired; null: kept for ever. */
export function retentionCutoffs(config: RetentionConfig, now: Date): { epochs: Date | null; predictions: Date | null } {
  const cutoff = (days: number | undefined) => (days === undefined ? null : new Date(now.getTime() - days * DAY_MS));
  return { epochs: cutoff(config.RETAIN_EPOCHS_DAYS), predictions: cutoff(config.RETAIN_PREDICTIONS_DAYS) };
}

/**
 * The instant before which a recording's raw data may be partly gone: the later of the two cutoffs.
 * A re-score of a recording that starts before it would score a night with holes (or write
 * predictions that retention deletes again) and overwrite its good stored summary, so it is skipped.
 */
export function rescoreCutoff(config: RetentionConfig, now: Date): Date | null {
  const { epochs, predictions } = retentionCutoffs(config, now);
  if (epochs === null) return predictions;
  if (predictions === null) return epochs;
  return epochs > predictions ? epochs : predictions;
}

export function startsBefore(startedAt: Date | string, cutoff: Date | null): boolean {
  return cutoff !== null && new Date(startedAt).getTime() < cutoff.getTime();
}
