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
  const small = nC <= SMALL_MAX_CLASSES ? smallWeights(model) : null;
  // Transposed float64 copy so each class's dot product walks contiguous memory. Per call, not per epoch.
  const wt = new Float64Array(nF * nC);
  for (let j = 0; j < nF; j++) for (let c = 0; c < nC; c++) wt[c * nF + j] = model.weights[j * nC + c]!;
  const bias = Float64Array.from(model.bias);
  const logits = new Float64Array(nC);

  if (transforms === null) {
    if (small !== null) scoreRowsSmall(features, 0, 0, count, nF, nC, small, result.probabilities, result.classes);
    else scoreRows(features, 0, 0, count, nF, nC, wt, bias, logits, result.probabilities, result.classes);
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
    if (small !== null) scoreRowsSmall(scratch, 0, start, rows, nF, nC, small, result.probabilities, result.classes);
    else scoreRows(scratch, 0, start, rows, nF, nC, wt, bias, logits, result.probabilities, result.classes);
  }
  return result;
}

/** Up to this many classes (every shipped model: 3 or 4) take scoreRowsSmall. */
const SMALL_MAX_CLASSES = 4;

/** Weights as [nFeatures][4] then the bias as [4], zero-padded past nClasses. */
function smallWeights(model: LinearModel): Float64Array {
  const { nFeatures: nF, nClasses: nC } = model;
  const w = new Float64Array(nF * 4 + 4);
  for (let j = 0; j < nF; j++) for (let c = 0; c < nC; c++) w[j * 4 + c] = model.weights[j * nC + c]!;
  for (let c = 0; c < nC; c++) w[nF * 4 + c] = model.bias[c]!;
  return w;
}

/**
 * scoreRows for nC <= 4 with the logits in four locals: each feature is loaded once and feeds four
 * independent accumulator chains, where the generic loop reloads it per class and keeps one chain
 * in flight (without transforms: ~1.65x the epochs/s on wnr-v2's shape). Same operations in the
 * same order as scoreRows (padded classes are computed but never compared, exponentiated or
 * stored), so the results are bit-identical (test/unit/softmax-equivalence.test.ts).
 */
function scoreRowsSmall(
  x: Float32Array | Float64Array,
  xRow: number,
  outRow: number,
  rows: number,
  nF: number,
  nC: number,
  w: Float64Array,
  probs: Float32Array,
  classes: Uint8Array,
): void {
  const bo = nF * 4;
  const b0 = w[bo]!;
  const b1 = w[bo + 1]!;
  const b2 = w[bo + 2]!;
  const b3 = w[bo + 3]!;
  let xo = xRow * nF;
  let po = outRow * nC;
  for (let r = 0; r < rows; r++, xo += nF, po += nC) {
    let s0 = b0;
    let s1 = b1;
    let s2 = b2;
    let s3 = b3;
    for (let j = 0, wo = 0; j < nF; j++, wo += 4) {
      const v = x[xo + j]!;
      s0 += v * w[wo]!;
      s1 += v * w[wo + 1]!;
      s2 += v * w[wo + 2]!;
      s3 += v * w[wo + 3]!;
    }
    // Same comparisons as scoreRows (from -Infinity, strict '>'), so NaN logits pick the same class.
    let max = -Infinity;
    let arg = 0;
    if (s0 > max) max = s0;
    if (nC > 1 && s1 > max) {
      max = s1;
      arg = 1;
    }
    if (nC > 2 && s2 > max) {
      max = s2;
      arg = 2;
    }
    if (nC > 3 && s3 > max) {
      max = s3;
      arg = 3;
    }
    const e0 = arg === 0 ? 1 : expNonPositive(s0 - max);
    const e1 = nC < 2 ? 0 : arg === 1 ? 1 : expNonPositive(s1 - max);
    const e2 = nC < 3 ? 0 : arg === 2 ? 1 : expNonPositive(s2 - max);
    const e3 = nC < 4 ? 0 : arg === 3 ? 1 : expNonPositive(s3 - max);
    const inv = 1 / (e0 + e1 + e2 + e3);
    probs[po] = e0 * inv;
    if (nC > 1) probs[po + 1] = e1 * inv;
    if (nC > 2) probs[po + 2] = e2 * inv;
    if (nC > 3) probs[po + 3] = e3 * inv;
    classes[outRow + r] = arg;
  }
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
    // exp(max - max) is exactly 1, so the argmax class skips the exp (a third of them for 3 classes).
    let sum = 0;
    for (let c = 0; c < nC; c++) {
      const e = c === arg ? 1 : expNonPositive(logits[c]! - max);
      logits[c] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let c = 0; c < nC; c++) probs[po + c] = logits[c]! * inv;
    classes[outRow + r] = arg;
  }
}

// exp() for x <= 0, ~2x faster than Math.exp in V8 (which is an out-of-line call) and accurate
// to ~1e-15 relative. Range reduction x = (k/32)·ln2 + r, |r| <= ln2/64, then a degree-5 Taylor
// polynomial; 2^(k/32) comes from two read-only tables built once at import.
const LOG2E_X32 = 32 * 1.4426950408889634;
const LN2_HI_D32 = 0.6931471803691238 / 32; // fdlibm split of ln2: k*hi is exact for |k| < 2^20
const LN2_LO_D32 = 1.9082149292705877e-10 / 32;
const ROUND_MAGIC = 6755399441055744; // 1.5*2^52: (v + M) - M rounds v to nearest integer
/** Below this, exp(x) < 2^-150 which rounds to 0 in float32 after dividing by a sum >= 1. */
const EXP_CUTOFF = -104;
const POW2_NEG_FRAC = Float64Array.from({ length: 32 }, (_, j) => Math.pow(2, -j / 32));
const POW2_NEG_INT = Float64Array.from({ length: 152 }, (_, m) => Math.pow(2, -m));

/** exp(x) for x <= 0 (0 below EXP_CUTOFF, NaN for NaN). Exported for tests. */
export function expNonPositive(x: number): number {
  if (x >= EXP_CUTOFF) {
    const k = x * LOG2E_X32 + ROUND_MAGIC - ROUND_MAGIC;
    const r = x - k * LN2_HI_D32 - k * LN2_LO_D32;
    const nk = -k;
    const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
    return p * POW2_NEG_FRAC[nk & 31]! * POW2_NEG_INT[nk >> 5]!;
  }
  return x < EXP_CUTOFF ? 0 : NaN;
}
