// A night's data-quality verdict for one model version: pure, from the figures of its summary and
// the configured thresholds, so a threshold change applies to stored nights at once.

/** In precedence order: the first that applies is the night's `code`; `ok` when none does. */
export const QUALITY_PRECEDENCE = ['not_scored', 'too_short', 'gappy', 'no_sleep'] as const;
export const QUALITY_CODES = ['ok', ...QUALITY_PRECEDENCE] as const;
export type QualityCode = (typeof QUALITY_CODES)[number];

export interface QualityThresholds {
  /** Time in bed below this is `too_short`. */
  readonly minTibMinutes: number;
  /** More than this percentage of the time in bed unscored is `gappy`. */
  readonly maxUnscoredPct: number;
}

export interface QualityFigures {
  readonly tibMin: number;
  readonly unscoredMin: number;
  readonly tstMin: number;
}

export interface QualityReason {
  readonly code: Exclude<QualityCode, 'ok'>;
  readonly message: string;
}

export interface NightQuality {
  readonly code: QualityCode;
  /** Every condition that applies, in precedence order; empty when `ok`. */
  readonly reasons: QualityReason[];
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * `not_scored` (no prediction of the version: nothing else can be judged) comes first; then
 * `too_short` (a short recording is not a night, whatever it holds), then `gappy` (missing data may
 * hide the sleep, so a gappy night's "no sleep" is not trusted), then `no_sleep`.
 */
export function nightQuality(figures: QualityFigures | null, thresholds: QualityThresholds, modelVersion: string): NightQuality {
  if (figures === null) return { code: 'not_scored', reasons: [{ code: 'not_scored', message: `no prediction of ${modelVersion} in this night` }] };
  const reasons: QualityReason[] = [];
  if (figures.tibMin < thresholds.minTibMinutes) {
    reasons.push({ code: 'too_short', message: `time in bed ${round1(figures.tibMin)} min is under ${thresholds.minTibMinutes} min` });
  }
  const unscoredPct = figures.tibMin > 0 ? (100 * figures.unscoredMin) / figures.tibMin : 0;
  if (unscoredPct > thresholds.maxUnscoredPct) {
    reasons.push({ code: 'gappy', message: `${round1(unscoredPct)} % of the time in bed is unscored (more than ${thresholds.maxUnscoredPct} %)` });
  }
  if (figures.tstMin === 0) reasons.push({ code: 'no_sleep', message: 'no epoch was predicted as sleep' });
  return { code: reasons[0]?.code ?? 'ok', reasons };
}
