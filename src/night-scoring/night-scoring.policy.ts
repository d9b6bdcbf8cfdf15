import type { Config } from '../config/config.js';
import type { NightScoringState } from './night-scoring.repository.js';

export interface ScoringPlan {
  /** Wait until this time (ms since the epoch) and ask again; null: score now. */
  readonly runAt: number | null;
  /** Scoring now although the night's budget is spent (its uploads have settled). */
  readonly overBudget: boolean;
}

/** The settle time stops doubling at 64 × NIGHT_SCORING_SETTLE_SECONDS (about 11 minutes by default). */
export const MAX_SETTLE_DOUBLINGS = 6;

type PolicyConfig = Pick<Config, 'NIGHT_SCORING_DEBOUNCE_MS' | 'NIGHT_SCORING_MAX_WAIT_SECONDS' | 'NIGHT_SCORING_BUDGET' | 'NIGHT_SCORING_SETTLE_SECONDS'>;

/**
 * When a waiting upload's night may be scored. Every scoring of a whole-night model reads and may
 * rewrite the whole stored night, so scoring after each of many small uploads costs the square of
 * their number. Two rules keep it linear:
 * - debounce: wait until the uploads have been quiet NIGHT_SCORING_DEBOUNCE_MS, but no longer than
 *   NIGHT_SCORING_MAX_WAIT_SECONDS after the first waiting upload;
 * - budget: the epochs scored by this night's upload-driven scorings, this one included, may not
 *   exceed NIGHT_SCORING_BUDGET × its stored epochs. Over budget, the scoring waits for the night to
 *   grow (which lifts the budget) or for its uploads to settle: quiet for NIGHT_SCORING_SETTLE_SECONDS,
 *   doubled for every earlier scoring that went ahead that way, so even a device streaming a few
 *   epochs every few minutes costs a bounded number of scorings per stored epoch.
 */
export function whenToScore(config: PolicyConfig, state: NightScoringState, storedEpochs: number, now: number): ScoringPlan {
  if (state.pending_since === null || state.last_request_at === null) return { runAt: null, overBudget: false };
  const lastRequest = state.last_request_at.getTime();
  const quiet = lastRequest + config.NIGHT_SCORING_DEBOUNCE_MS;
  const ceiling = state.pending_since.getTime() + config.NIGHT_SCORING_MAX_WAIT_SECONDS * 1000;
  const debounced = Math.min(quiet, ceiling);
  if (debounced > now) return { runAt: debounced, overBudget: false };
  if (state.scored_epochs + storedEpochs <= config.NIGHT_SCORING_BUDGET * storedEpochs) return { runAt: null, overBudget: false };
  const settled = lastRequest + config.NIGHT_SCORING_SETTLE_SECONDS * 1000 * 2 ** Math.min(state.settle_overrides, MAX_SETTLE_DOUBLINGS);
  if (settled > now) return { runAt: settled, overBudget: false };
  return { runAt: null, overBudget: true };
}
