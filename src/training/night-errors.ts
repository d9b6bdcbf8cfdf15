// Night statistics of held-out nights (summary/sleep-statistics.ts, the code the summary endpoint
// uses) for the truth, the model and the trivial answers, and their errors. Truth and prediction
// share one hypnogram layout: first to last epoch index, gaps UNSCORED.

import { sleepStatistics, UNSCORED } from '../summary/sleep-statistics.js';

/** The sleep-accel epochs (and the service's only epoch length). */
export const EPOCH_SECONDS = 30;

export interface NightFigures {
  readonly tstMin: number;
  readonly wasoMin: number;
  /** null when the hypnogram has no sleep. */
  readonly solMin: number | null;
  readonly sePct: number | null;
  /** Minutes per class of the label map, in label order. */
  readonly minutes: readonly number[];
}

/** Hypnogram from the first to the last epoch index; indices without an epoch are UNSCORED. */
export function hypnogram(epochIndex: ArrayLike<number>, classes: ArrayLike<number>): Int16Array {
  const n = epochIndex.length;
  if (n === 0) return new Int16Array(0);
  const first = epochIndex[0]!;
  const out = new Int16Array(epochIndex[n - 1]! - first + 1).fill(UNSCORED);
  for (let i = 0; i < n; i++) out[epochIndex[i]! - first] = classes[i]!;
  return out;
}

export function nightFigures(epochIndex: ArrayLike<number>, classes: ArrayLike<number>, labels: readonly string[]): NightFigures {
  const s = sleepStatistics({ labels, classes: hypnogram(epochIndex, classes), epochSeconds: EPOCH_SECONDS });
  return {
    tstMin: s.tstMin,
    wasoMin: s.wasoMin,
    solMin: s.solMin,
    sePct: s.sePct,
    minutes: labels.map((label) => s.stages.get(label)!.minutes),
  };
}

/** The trivial "every epoch is sleep" answer for a night (its sleep class does not matter). */
export function everyEpochSleep(epochIndex: ArrayLike<number>, labels: readonly string[]): NightFigures {
  const sleepClass = labels.findIndex((l) => l !== 'W');
  return nightFigures(epochIndex, new Uint8Array(epochIndex.length).fill(sleepClass), labels);
}

export interface ErrorSummary {
  readonly mae: number | null;
  /** Mean of (answer − truth): positive = overestimates. */
  readonly meanSignedError: number | null;
  /** Nights where both values are defined. */
  readonly nNights: number;
}

/** Errors over nights; nights where either side is null are left out (and counted out). */
export function errorSummary(answers: readonly (number | null)[], truths: readonly (number | null)[]): ErrorSummary {
  let n = 0;
  let abs = 0;
  let signed = 0;
  answers.forEach((a, i) => {
    const t = truths[i];
    if (a === null || t === null || t === undefined) return;
    n++;
    abs += Math.abs(a - t);
    signed += a - t;
  });
  return { mae: n > 0 ? abs / n : null, meanSignedError: n > 0 ? signed / n : null, nNights: n };
}

/** Per-class mean of several nights' minutes (the trivial stage-minutes answer). */
export function meanMinutes(nights: readonly NightFigures[], nClasses: number): number[] {
  const out = new Array<number>(nClasses).fill(0);
  for (const night of nights) night.minutes.forEach((m, c) => (out[c]! += m / nights.length));
  return out;
}
