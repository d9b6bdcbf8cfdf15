// Trends: for each date, the main sleep's figures when its night is `ok`, and the mean of each
// figure over the `window` dates before it (that date excluded) among `ok` nights, like Fitbit's
// thirtyDayAvgMinutes. Pure; computed directly from the definition (at most 366 × 90 steps).
import type { QualityCode } from './night-quality.js';

export interface DayFigures {
  readonly tst_min: number;
  readonly se_pct: number | null;
  readonly waso_min: number;
  readonly sol_min: number | null;
  readonly rem_latency_min: number | null;
  readonly minutes: Readonly<Record<string, number>>;
}

export interface DayInput {
  readonly date: string;
  /** The main sleep of the date, if any. */
  readonly recordingId: string | null;
  readonly quality: QualityCode | null;
  /** Figures of the main sleep; used only when quality is ok. */
  readonly figures: DayFigures | null;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

export interface TrendItem extends Nullable<DayFigures> {
  readonly date: string;
  readonly recording_id: string | null;
  readonly quality: QualityCode | null;
  readonly window: Nullable<DayFigures> & { readonly nights: number };
}

const SCALARS = ['tst_min', 'se_pct', 'waso_min', 'sol_min', 'rem_latency_min'] as const;
type Scalar = (typeof SCALARS)[number];

/** Means of each figure over `figures[from..to)` (nulls skipped), summed in date order. */
function windowMeans(figures: readonly (DayFigures | null)[], from: number, to: number, labels: readonly string[]): TrendItem['window'] {
  const sums = new Array<number>(SCALARS.length).fill(0);
  const counts = new Array<number>(SCALARS.length).fill(0);
  const minutes = new Array<number>(labels.length).fill(0);
  let nights = 0;
  for (let j = from; j < to; j++) {
    const f = figures[j];
    if (!f) continue;
    nights++;
    SCALARS.forEach((k, s) => {
      const v = f[k];
      if (v !== null) {
        sums[s]! += v;
        counts[s]!++;
      }
    });
    labels.forEach((l, c) => (minutes[c]! += f.minutes[l] ?? 0));
  }
  const means = Object.fromEntries(SCALARS.map((k, s) => [k, counts[s] === 0 ? null : sums[s]! / counts[s]!])) as Record<Scalar, number | null>;
  return { nights, ...means, minutes: nights === 0 ? null : Object.fromEntries(labels.map((l, c) => [l, minutes[c]! / nights])) };
}

/**
 * `days` must be consecutive dates; items are returned for the last `days.length - window` of them
 * (the first `window` dates only feed the means).
 */
export function rollingTrends(days: readonly DayInput[], window: number, labels: readonly string[]): TrendItem[] {
  const usable = days.map((d) => (d.quality === 'ok' && d.figures ? d.figures : null));
  const items: TrendItem[] = [];
  for (let i = window; i < days.length; i++) {
    const day = days[i]!;
    const own = usable[i];
    const scalars = Object.fromEntries(SCALARS.map((k) => [k, own ? own[k] : null])) as Record<Scalar, number | null>;
    items.push({
      date: day.date,
      recording_id: day.recordingId,
      quality: day.quality,
      ...scalars,
      minutes: own ? Object.fromEntries(labels.map((l) => [l, own.minutes[l] ?? 0])) : null,
      window: windowMeans(usable, i - window, i, labels),
    });
  }
  return items;
}
