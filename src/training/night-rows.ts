// Training rows of a night are computed by the very function the service scores with
// (scoring/night-inputs.ts computeInputs) from the float32 features the service would store, so a
// fitted model and its serving inputs cannot drift.

import { computeInputs, type CompiledPipeline } from '../scoring/night-inputs.js';
import type { SubjectData } from './csv.js';
import type { LabelSet } from './label-sets.js';
import { mapStages } from './label-sets.js';

/**
 * The model inputs of one night (row-major nEpochs × inputs, float64), exactly as scoreNight
 * computes them for the same stored epochs: float32 features, rows sorted by epoch index.
 */
export function nightInputs(subject: SubjectData, compiled: CompiledPipeline): Float64Array {
  return computeInputs(compiled, subject.epochIndex, subject.features, subject.nEpochs);
}

export interface TrainingRows {
  /** Row-major n × nInputs. */
  readonly x: Float64Array;
  /** Class index per row (label set classes). */
  readonly y: Uint8Array;
  readonly n: number;
  readonly nInputs: number;
}

/** One night's inputs and mapped labels (the inputs do not depend on the fold, so compute once). */
export function nightRows(subject: SubjectData, compiled: CompiledPipeline, labelSet: LabelSet): TrainingRows {
  return { x: nightInputs(subject, compiled), y: mapStages(subject.stages, labelSet), n: subject.nEpochs, nInputs: compiled.inputNames.length };
}

/** Nights stacked in the given order (each night was computed whole). */
export function stackRows(nights: readonly TrainingRows[]): TrainingRows {
  if (nights.length === 0) throw new Error('no training nights');
  const nInputs = nights[0]!.nInputs;
  const n = nights.reduce((s, d) => s + d.n, 0);
  const x = new Float64Array(n * nInputs);
  const y = new Uint8Array(n);
  let off = 0;
  for (const night of nights) {
    if (night.nInputs !== nInputs) throw new Error('nights with different input counts');
    x.set(night.x, off * nInputs);
    y.set(night.y, off);
    off += night.n;
  }
  return { x, y, n, nInputs };
}
