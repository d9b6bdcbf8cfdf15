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

function mean(values: readonly (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length;
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
    const before = usable.slice(i - window, i).filter((f): f is DayFigures => f !== null);
    const scalars = Object.fromEntries(SCALARS.map((k) => [k, own ? own[k] : null])) as Nullable<Omit<DayFigures, 'minutes'>>;
    const means = Object.fromEntries(SCALARS.map((k) => [k, mean(before.map((f) => f[k]))])) as Nullable<Omit<DayFigures, 'minutes'>>;
    items.push({
      date: day.date,
      recording_id: day.recordingId,
      quality: day.quality,
      ...scalars,
      minutes: own ? { ...own.minutes } : null,
      window: {
        nights: before.length,
        ...means,
        minutes: before.length === 0 ? null : Object.fromEntries(labels.map((l) => [l, before.reduce((sum, f) => sum + (f.minutes[l] ?? 0), 0) / before.length])),
      },
    });
  }
  return items;
}
