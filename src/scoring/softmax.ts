// Batch scoring kernel: softmax(T(x)·W + b) per epoch over contiguous row-major memory.
// Float64 accumulation; numerically stable (max logit subtracted before exp).
// Non-finite inputs are not sanitised: a NaN feature yields NaN probabilities for that epoch,
// so callers must validate features before scoring if they need a hard error.

import type { CompiledTransforms } from '../models/transforms.js';
import { applyTransformsInPlace } from '../models/transforms.js';

export interface LinearModel {
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Row-major [nFeatures][nClasses]. */
  readonly weights: Float32Array;
  /** [nClasses]. */
  readonly bias: Float32Array;
  readonly transforms: CompiledTransforms | null;
}

export interface ScoreOutput {
  /** count*nClasses, row-major. */
  probabilities: Float32Array;
  /** Argmax class per epoch. */
  classes: Uint8Array;
}

/** Rows transformed per scratch block: big enough to amortise the call, small enough for L1. */
const BLOCK_ROWS = 256;

function assertModel(model: LinearModel): void {
  const { nFeatures, nClasses } = model;
  if (!Number.isInteger(nFeatures) || nFeatures < 1) throw new Error(`nFeatures must be a positive integer, got ${nFeatures}`);
  // classes is a Uint8Array, so more than 256 classes cannot be represented.
  if (!Number.isInteger(nClasses) || nClasses < 1 || nClasses > 256) {
    throw new Error(`nClasses must be an integer in [1, 256], got ${nClasses}`);
  }
  if (model.weights.length !== nFeatures * nClasses) {
    throw new Error(`weights length ${model.weights.length} != nFeatures*nClasses (${nFeatures}*${nClasses})`);
  }
  if (model.bias.length !== nClasses) throw new Error(`bias length ${model.bias.length} != nClasses ${nClasses}`);
  if (model.transforms !== null && model.transforms.nFeatures !== nFeatures) {
    throw new Error(`transforms compiled for ${model.transforms.nFeatures} features, model has ${nFeatures}`);
  }
}

/**
 * Score `count` epochs. `features` holds raw canonical features (count*nFeatures, row-major)
 * and is never mutated. If `out` is given its buffers are reused (they must be large enough).
 */
export function scoreBatch(model: LinearModel, features: Float32Array, count: number, out?: ScoreOutput): ScoreOutput {
  assertModel(model);
  const nF = model.nFeatures;
  const nC = model.nClasses;
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
  if (features.length < count * nF) {
    throw new Error(`features length ${features.length} < count*nFeatures (${count}*${nF})`);
  }
  let result: ScoreOutput;
  if (out !== undefined) {
    if (out.probabilities.length < count * nC || out.classes.length < count) {
      throw new Error('out buffers too small for count');
    }
    result = out;
  } else {
    result = { probabilities: new Float32Array(count * nC), classes: new Uint8Array(count) };
  }
  if (count === 0) return result;

  const transforms = model.transforms !== null && model.transforms.nSteps > 0 ? model.transforms : null;
  // Transposed float64 copy so each class's dot product walks contiguous memory. Per call, not per epoch.
  const wt = new Float64Array(nF * nC);
  for (let j = 0; j < nF; j++) for (let c = 0; c < nC; c++) wt[c * nF + j] = model.weights[j * nC + c]!;
  const bias = Float64Array.from(model.bias);
  const logits = new Float64Array(nC);

  if (transforms === null) {
    scoreRows(features, 0, 0, count, nF, nC, wt, bias, logits, result.probabilities, result.classes);
    return result;
  }
  // Transform through a reused float64 scratch block; the caller's buffer stays untouched. The
  // transforms run column by column over the block (see applyTransformsInPlace), which measured
  // faster than transforming inside the row loop: there each row's logs sit on its critical path.
  const scratch = new Float64Array(Math.min(BLOCK_ROWS, count) * nF);
  for (let start = 0; start < count; start += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, count - start);
    const src = start * nF;
    for (let k = 0, n = rows * nF; k < n; k++) scratch[k] = features[src + k]!;
    applyTransformsInPlace(transforms, scratch, rows, nF);
    scoreRows(scratch, 0, start, rows, nF, nC, wt, bias, logits, result.probabilities, result.classes);
  }
  return result;
}

/** Inner kernel: rows from x (starting at xRow) written to outputs starting at epoch outRow. */
function scoreRows(
  x: Float32Array | Float64Array,
  xRow: number,
  outRow: number,
  rows: number,
  nF: number,
  nC: number,
  wt: Float64Array,
  bias: Float64Array,
  logits: Float64Array,
  probs: Float32Array,
  classes: Uint8Array,
): void {
  let xo = xRow * nF;
  let po = outRow * nC;
  for (let r = 0; r < rows; r++, xo += nF, po += nC) {
    let max = -Infinity;
    let arg = 0;
    for (let c = 0, wo = 0; c < nC; c++, wo += nF) {
      let s = bias[c]!;
      for (let j = 0; j < nF; j++) s += x[xo + j]! * wt[wo + j]!;
      logits[c] = s;
      // Strict '>' keeps the first maximum on ties, matching numpy.argmax.
      if (s > max) {
        max = s;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < nC; c++) {
      const e = Math.exp(logits[c]! - max);
      logits[c] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let c = 0; c < nC; c++) probs[po + c] = logits[c]! * inv;
    classes[outRow + r] = arg;
  }
}
