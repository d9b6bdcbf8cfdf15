// Fits one night model on a set of training nights: logistic regression on the pipeline inputs,
// optional prior calibration folded into the bias, the decoder's share of sleep from the training
// labels. Used alike by every CV fold and by the final fit, so CV measures what gets shipped.

import type { PipelineSpec } from '../models/pipeline.js';
import type { CompiledPipeline } from '../scoring/night-inputs.js';
import { nightLogits, type NightModel } from '../scoring/night-scorer.js';
import type { LabelSet } from './label-sets.js';
import type { ClassWeighting, LogisticRegressionFit } from './logistic-regression.js';
import { fitLogisticRegression } from './logistic-regression.js';
import type { TrainingRows } from './night-rows.js';
import { completePipeline, type PipelineTemplate } from './pipeline-template.js';
import { argmaxFrequencies, labelFrequencies, priorCalibration } from './prior-calibration.js';

export interface TrainingSetup {
  readonly labelSet: LabelSet;
  readonly template: PipelineTemplate;
  /** The template's inputs compiled once (the decoder is not part of it). */
  readonly compiled: CompiledPipeline;
  readonly priorCalibration: boolean;
  readonly maxIter?: number;
}

export interface GridPoint {
  readonly l2: number;
  readonly classWeight: ClassWeighting;
}

export interface CalibrationSummary {
  /** Added to the logits (class order of the label set); already inside the model's bias. */
  readonly offsets: number[];
  readonly labelFrequencies: number[];
  readonly argmaxFrequenciesBefore: number[];
  readonly argmaxFrequenciesAfter: number[];
}

export interface FittedNightModel {
  /** Float32 weights and bias, exactly as bias.npy/weights.npy will hold them. */
  readonly model: NightModel;
  /** The pipeline as written to pipeline.json (decoder share filled in). */
  readonly spec: PipelineSpec;
  readonly fit: LogisticRegressionFit;
  readonly shareOfSleep: number | null;
  readonly calibration: CalibrationSummary | null;
}

export function fitNightModel(rows: TrainingRows, setup: TrainingSetup, point: GridPoint): FittedNightModel {
  const labels = setup.labelSet.classes;
  const nC = labels.length;
  const opts = setup.maxIter === undefined ? { ...point } : { ...point, maxIter: setup.maxIter };
  const fit = fitLogisticRegression(rows.x, rows.y, rows.nInputs, nC, opts);
  const { spec, shareOfSleep } = completePipeline(setup.template, rows.y, labels);
  const weights = Float32Array.from(fit.weights);
  const base: NightModel = { labels: [...labels], pipeline: setup.compiled, weights, bias: Float32Array.from(fit.bias), decoder: spec.decoder };
  if (!setup.priorCalibration) return { model: base, spec, fit, shareOfSleep, calibration: null };

  // Calibrate the logits as served (float32 weights), then round the shifted bias once.
  const logits = nightLogits(base, rows.x, rows.n);
  const offsets = priorCalibration(logits, rows.y, nC);
  const bias = Float32Array.from(fit.bias, (b, c) => b + offsets[c]!);
  const model: NightModel = { ...base, bias };
  const served = nightLogits(model, rows.x, rows.n);
  const calibration: CalibrationSummary = {
    offsets: Array.from(offsets),
    labelFrequencies: Array.from(labelFrequencies(rows.y, nC)),
    argmaxFrequenciesBefore: Array.from(argmaxFrequencies(logits, rows.n, nC)),
    argmaxFrequenciesAfter: Array.from(argmaxFrequencies(served, rows.n, nC)),
  };
  return { model, spec, fit, shareOfSleep, calibration };
}
