// Computes a model's inputs for one night from its raw canonical feature vectors. The one
// implementation used by training, ingest, re-score and inline predict, so what a model was fitted
// on and what it is served can never drift (test/integration/pipeline-parity.test.ts checks bit equality).

import type { PipelineSpec } from '../models/pipeline.js';
import { needsWholeNight } from '../models/pipeline.js';
import { applyTransformsInPlace, compileTransforms, type CompiledTransforms } from '../models/transforms.js';

const OP_COPY = 0;
const OP_ROLLING_MEAN = 1;
const OP_ROLLING_SD = 2;
const OP_ZSCORE = 3;

/** One input as column arithmetic: `source` is a column of the working set (features, then inputs). */
interface InputStep {
  readonly op: number;
  readonly source: number;
  /** Rolling half-width in epochs, or the z-score's deviation floor. */
  readonly param: number;
}

export interface CompiledPipeline {
  readonly nFeatures: number;
  readonly inputNames: readonly string[];
  readonly transforms: CompiledTransforms | null;
  readonly steps: readonly InputStep[];
  readonly wholeNight: boolean;
}

export function compilePipeline(spec: PipelineSpec, features: readonly string[]): CompiledPipeline {
  const columns = new Map<string, number>(features.map((name, j) => [name, j]));
  const steps = spec.inputs.map((input, i): InputStep => {
    const sourceName = input.op === 'feature' ? input.name : input.of;
    const source = columns.get(sourceName);
    if (source === undefined) throw new Error(`input ${input.name}: unknown source ${sourceName}`);
    columns.set(input.name, features.length + i);
    if (input.op === 'feature') return { op: OP_COPY, source, param: 0 };
    if (input.op === 'recording_zscore') return { op: OP_ZSCORE, source, param: input.minSd };
    return { op: input.op === 'rolling_mean' ? OP_ROLLING_MEAN : OP_ROLLING_SD, source, param: input.halfWidth };
  });
  return {
    nFeatures: features.length,
    inputNames: spec.inputs.map((input) => input.name),
    transforms: spec.transforms.length > 0 ? compileTransforms(spec.transforms, features) : null,
    steps,
    wholeNight: needsWholeNight(spec),
  };
}

/**
 * The model inputs of one night, row-major `count × inputNames.length` float64. `indices` must be
 * strictly increasing (one night sorted by epoch index); `raw` holds `count` rows of raw features.
 */
export function computeInputs(pipeline: CompiledPipeline, indices: ArrayLike<number>, raw: Float32Array | Float64Array, count: number): Float64Array {
  const nF = pipeline.nFeatures;
  if (raw.length < count * nF) throw new Error(`raw features hold ${raw.length} values, expected ${count}*${nF}`);
  for (let i = 1; i < count; i++) {
    if (!(indices[i]! > indices[i - 1]!)) throw new Error('epoch indices must be strictly increasing');
  }
  const transformed = Float64Array.from(raw.subarray(0, count * nF));
  if (pipeline.transforms) applyTransformsInPlace(pipeline.transforms, transformed, count, nF);
  // Column-major working set: window and night statistics walk one column at a time.
  const columns: Float64Array[] = [];
  for (let j = 0; j < nF; j++) {
    const col = new Float64Array(count);
    for (let i = 0; i < count; i++) col[i] = transformed[i * nF + j]!;
    columns.push(col);
  }
  for (const step of pipeline.steps) {
    const src = columns[step.source]!;
    if (step.op === OP_COPY) columns.push(src);
    else if (step.op === OP_ZSCORE) columns.push(zscore(src, step.param));
    else columns.push(rolling(src, indices, step.param, step.op === OP_ROLLING_SD));
  }
  const nI = pipeline.steps.length;
  const out = new Float64Array(count * nI);
  for (let k = 0; k < nI; k++) {
    const col = columns[nF + k]!;
    for (let i = 0; i < count; i++) out[i * nI + k] = col[i]!;
  }
  return out;
}

/**
 * Mean or population standard deviation over the epochs whose index lies within ±halfWidth of each
 * epoch's index (missing epochs are simply not there). Each window is summed afresh, two-pass for
 * the deviation, so values do not depend on running-sum drift: O(count × window), about 1 ms for a
 * 1,000-epoch night at half-width 30.
 */
function rolling(values: Float64Array, indices: ArrayLike<number>, halfWidth: number, sd: boolean): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    const centre = indices[i]!;
    while (indices[lo]! < centre - halfWidth) lo++;
    if (hi < i) hi = i;
    while (hi + 1 < n && indices[hi + 1]! <= centre + halfWidth) hi++;
    const count = hi - lo + 1;
    let sum = 0;
    for (let k = lo; k <= hi; k++) sum += values[k]!;
    const mean = sum / count;
    if (!sd) {
      out[i] = mean;
      continue;
    }
    let ss = 0;
    for (let k = lo; k <= hi; k++) {
      const d = values[k]! - mean;
      ss += d * d;
    }
    out[i] = Math.sqrt(ss / count);
  }
  return out;
}

/** (v − mean) / max(sd, minSd) over the whole night; population deviation. */
function zscore(values: Float64Array, minSd: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    ss += d * d;
  }
  const scale = Math.max(Math.sqrt(ss / n), minSd);
  for (let i = 0; i < n; i++) out[i] = (values[i]! - mean) / scale;
  return out;
}
