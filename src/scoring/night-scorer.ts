// Scores one night: pipeline inputs, logits x·W + b, the optional night decoder, softmax. The path
// for every model when a whole night is at hand (ingest of context models, re-score, predict jobs,
// inline predict, cross-validation), so a night is scored the same way wherever it is scored.

import type { DecoderSpec } from '../models/pipeline.js';
import { computeInputs, type CompiledPipeline } from './night-inputs.js';
import { applyClassShare, argmaxRow } from './night-decoder.js';
import type { ScoreOutput } from './softmax.js';

export interface NightModel {
  readonly labels: readonly string[];
  readonly pipeline: CompiledPipeline;
  /** Row-major [inputs][classes]. */
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly decoder: DecoderSpec | null;
}

/**
 * Scores `count` epochs of one night given in any order (outputs follow the input order). The
 * result depends only on the set of (index, features) pairs, so a night uploaded in parts scores
 * exactly like the same night uploaded at once.
 */
export function scoreNight(model: NightModel, indices: ArrayLike<number>, raw: Float32Array | Float64Array, count: number): ScoreOutput {
  const nF = model.pipeline.nFeatures;
  const nC = model.labels.length;
  if (raw.length < count * nF) throw new Error(`raw features hold ${raw.length} values, expected ${count}*${nF}`);
  const order = sortedOrder(indices, count);
  const sortedIdx = new Float64Array(count);
  const sortedRaw = new Float64Array(count * nF);
  for (let r = 0; r < count; r++) {
    const k = order[r]!;
    sortedIdx[r] = indices[k]!;
    for (let j = 0; j < nF; j++) sortedRaw[r * nF + j] = raw[k * nF + j]!;
  }
  const inputs = computeInputs(model.pipeline, sortedIdx, sortedRaw, count);
  const logits = nightLogits(model, inputs, count);
  if (model.decoder) {
    const target = model.labels.indexOf(model.decoder.className);
    applyClassShare(logits, count, nC, model.labels.indexOf('W'), target, model.decoder);
  }
  const probabilities = new Float32Array(count * nC);
  const classes = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    const o = r * nC;
    const k = order[r]!;
    const arg = argmaxRow(logits, o, nC);
    const max = logits[o + arg]!;
    let sum = 0;
    for (let c = 0; c < nC; c++) sum += Math.exp(logits[o + c]! - max);
    for (let c = 0; c < nC; c++) probabilities[k * nC + c] = Math.exp(logits[o + c]! - max) / sum;
    classes[k] = arg;
  }
  return { probabilities, classes };
}

/** x·W + b in float64, inputs in order (training's cross-validation scores through this too). */
export function nightLogits(model: NightModel, inputs: Float64Array, count: number): Float64Array {
  const nI = model.pipeline.inputNames.length;
  const nC = model.labels.length;
  if (model.weights.length !== nI * nC) throw new Error(`weights hold ${model.weights.length} values, expected ${nI}*${nC}`);
  const logits = new Float64Array(count * nC);
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < nC; c++) {
      let s = model.bias[c]!;
      for (let j = 0; j < nI; j++) s += inputs[r * nI + j]! * model.weights[j * nC + c]!;
      logits[r * nC + c] = s;
    }
  }
  return logits;
}

/** Positions of `indices` in increasing index order; throws on a repeated index. */
function sortedOrder(indices: ArrayLike<number>, count: number): Uint32Array {
  const order = new Uint32Array(count);
  let sorted = true;
  for (let i = 0; i < count; i++) {
    order[i] = i;
    if (i > 0 && !(indices[i]! > indices[i - 1]!)) sorted = false;
  }
  if (sorted) return order;
  order.sort((a, b) => indices[a]! - indices[b]!);
  for (let i = 1; i < count; i++) {
    if (indices[order[i]!] === indices[order[i - 1]!]) throw new Error(`epoch index ${indices[order[i]!]} appears twice in one night`);
  }
  return order;
}
