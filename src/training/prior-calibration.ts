// Prior calibration: per-class offsets on the logits, found on the training rows, so that the argmax
// class frequencies on those rows match the label frequencies. An unweighted fit predicts the
// majority class too often at the argmax (NREM), which shortens W and REM minutes; the offsets undo
// that without the inflation balanced class weights cause. Folded into bias.npy.

import { argmaxRow } from '../scoring/night-decoder.js';

export const CALIBRATION_ITERATIONS = 200;
const STEP = 0.5;
const DECAY = 0.98;
const EPS = 1e-9;

/** Share of rows whose argmax (after `offsets`) is each class. */
export function argmaxFrequencies(logits: Float64Array, n: number, nClasses: number, offsets?: Float64Array): Float64Array {
  const counts = new Float64Array(nClasses);
  const row = new Float64Array(nClasses);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < nClasses; c++) row[c] = logits[i * nClasses + c]! + (offsets ? offsets[c]! : 0);
    counts[argmaxRow(row, 0, nClasses)]!++;
  }
  return counts.map((v) => (n > 0 ? v / n : 0));
}

export function labelFrequencies(y: Uint8Array, nClasses: number): Float64Array {
  const counts = new Float64Array(nClasses);
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
  return counts.map((v) => (y.length > 0 ? v / y.length : 0));
}

/**
 * Offsets (class 0 pinned to 0; softmax is shift-invariant) by damped fixed-point steps on the log
 * frequency ratio, step 0.5·0.98^t for 200 rounds: the procedure validated in the Python LOSO
 * experiment. Deterministic; argmax counts are piecewise constant, so the match is approximate.
 */
export function priorCalibration(logits: Float64Array, y: Uint8Array, nClasses: number): Float64Array {
  const n = y.length;
  if (logits.length !== n * nClasses) throw new Error(`logits hold ${logits.length} values, expected ${n}*${nClasses}`);
  const target = labelFrequencies(y, nClasses);
  const offsets = new Float64Array(nClasses);
  let step = STEP;
  for (let it = 0; it < CALIBRATION_ITERATIONS; it++, step *= DECAY) {
    const p = argmaxFrequencies(logits, n, nClasses, offsets);
    for (let c = 1; c < nClasses; c++) offsets[c]! += step * (Math.log(target[c]! + EPS) - Math.log(p[c]! + EPS));
  }
  return offsets;
}
