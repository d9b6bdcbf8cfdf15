// Leave-subjects-out cross-validation: whole subjects (nights) are held out together, so no epoch
// of a test night is ever seen in training (epochs within a night are strongly autocorrelated).
// Deterministic: subjects sorted by id, subject i goes to fold i mod k; the fit itself is deterministic.

import type { CompiledTransforms } from '../models/transforms.js';
import { applyTransformsInPlace } from '../models/transforms.js';
import { scoreBatch } from '../scoring/softmax.js';
import type { LinearModel } from '../scoring/softmax.js';
import type { ClassificationReport } from '../stats/classification.js';
import { addConfusion, classificationReport, cohenKappa, confusionMatrix, accuracy } from '../stats/classification.js';
import type { SubjectData } from './csv.js';
import { concatSubjects } from './csv.js';
import type { LabelSet } from './label-sets.js';
import { mapStages } from './label-sets.js';
import type { LogisticRegressionFit, LogisticRegressionOptions } from './logistic-regression.js';
import { fitLogisticRegression } from './logistic-regression.js';

export interface FoldResult {
  readonly fold: number;
  readonly subjects: string[];
  readonly nTest: number;
  readonly accuracy: number | null;
  /** null when undefined for this fold (e.g. a held-out night with a single stage). */
  readonly kappa: number | null;
}

export interface CvReport {
  readonly method: string;
  readonly nFolds: number;
  readonly pooled: ClassificationReport;
  readonly perClassRecall: Record<string, number | null>;
  readonly folds: FoldResult[];
  /** Mean and sample SD (n−1) of per-fold kappa over folds where it is defined. */
  readonly kappaMean: number | null;
  readonly kappaSd: number | null;
}

/** Fold index per subject (same order as `subjectIds`); k >= number of subjects means leave-one-out. */
export function assignFolds(subjectIds: readonly string[], k: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`folds must be an integer >= 2, got ${k}`);
  if (new Set(subjectIds).size !== subjectIds.length) throw new Error('subject ids must be unique');
  const order = subjectIds.map((id, i) => ({ id, i })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const folds = new Array<number>(subjectIds.length);
  order.forEach(({ i }, rank) => {
    folds[i] = rank % k;
  });
  return folds;
}

/** Float32 model exactly as it will be served (weights rounded to float32 like weights.npy). */
export function toLinearModel(fit: LogisticRegressionFit, transforms: CompiledTransforms | null): LinearModel {
  return {
    nFeatures: fit.nFeatures,
    nClasses: fit.nClasses,
    weights: Float32Array.from(fit.weights),
    bias: Float32Array.from(fit.bias),
    transforms,
  };
}

/** Raw features concatenated plus transformed float64 copy and mapped labels. */
export function prepareRows(
  subjects: readonly SubjectData[],
  labelSet: LabelSet,
  transforms: CompiledTransforms | null,
  nF: number,
): { raw: Float64Array; transformed: Float64Array; y: Uint8Array; n: number } {
  const { features, stages, n } = concatSubjects(subjects);
  const transformed = Float64Array.from(features);
  if (transforms) applyTransformsInPlace(transforms, transformed, n, nF);
  return { raw: features, transformed, y: mapStages(stages, labelSet), n };
}

function meanSd(values: readonly number[]): { mean: number | null; sd: number | null } {
  if (values.length === 0) return { mean: null, sd: null };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (values.length < 2) return { mean, sd: null };
  const ss = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return { mean, sd: Math.sqrt(ss / (values.length - 1)) };
}

/**
 * Grouped k-fold CV. Each fold fits on the other subjects and scores its held-out subjects through
 * the production scoring kernel (float32 weights, transforms applied inside scoreBatch).
 */
export function crossValidate(
  subjects: readonly SubjectData[],
  labelSet: LabelSet,
  transforms: CompiledTransforms | null,
  nF: number,
  fitOptions: LogisticRegressionOptions,
  nFolds: number,
): CvReport {
  const k = Math.min(nFolds, subjects.length);
  const foldOf = assignFolds(
    subjects.map((s) => s.subject),
    k,
  );
  const labels = [...labelSet.classes];
  let pooled = confusionMatrix([], [], labels);
  const folds: FoldResult[] = [];
  for (let f = 0; f < k; f++) {
    const train = subjects.filter((_, i) => foldOf[i] !== f);
    const test = subjects.filter((_, i) => foldOf[i] === f);
    const tr = prepareRows(train, labelSet, transforms, nF);
    const fit = fitLogisticRegression(tr.transformed, tr.y, nF, labels.length, fitOptions);
    const te = concatSubjects(test);
    const yTest = mapStages(te.stages, labelSet);
    const scored = scoreBatch(toLinearModel(fit, transforms), Float32Array.from(te.features), te.n);
    const cm = confusionMatrix(yTest, scored.classes, labels);
    pooled = addConfusion(pooled, cm);
    folds.push({
      fold: f,
      subjects: test.map((s) => s.subject),
      nTest: te.n,
      accuracy: accuracy(cm),
      kappa: cohenKappa(cm),
    });
  }
  const report = classificationReport(pooled);
  const kappas = folds.map((r) => r.kappa).filter((v): v is number => v !== null);
  const { mean, sd } = meanSd(kappas);
  const perClassRecall: Record<string, number | null> = {};
  for (const m of report.perClass) perClassRecall[m.label] = m.recall;
  const method =
    k === subjects.length
      ? `leave-subjects-out CV: leave-one-subject-out, ${k} folds`
      : `leave-subjects-out CV: grouped ${k}-fold over ${subjects.length} subjects (sorted ids, fold = rank mod ${k})`;
  return { method, nFolds: k, pooled: report, perClassRecall, folds, kappaMean: mean, kappaSd: sd };
}

export interface GridPoint {
  readonly l2: number;
  readonly classWeight: LogisticRegressionOptions['classWeight'];
}

export interface GridResult extends GridPoint {
  readonly kappa: number | null;
  readonly accuracy: number | null;
  readonly kappaMean: number | null;
}

export interface TuningOutcome {
  readonly chosen: GridPoint;
  /** CV report of the chosen grid point. */
  readonly report: CvReport;
  readonly grid: GridResult[];
}

/**
 * Evaluate every grid point with the same CV and pick the best pooled kappa. Ties (within 1e-9)
 * go to the earlier grid point, so list the simpler/stronger-regularised settings first.
 * Note the chosen point's CV score is then slightly optimistic (it was selected on that score).
 */
export function gridSearch(
  subjects: readonly SubjectData[],
  labelSet: LabelSet,
  transforms: CompiledTransforms | null,
  nF: number,
  grid: readonly GridPoint[],
  nFolds: number,
  maxIter?: number,
): TuningOutcome {
  if (grid.length === 0) throw new Error('empty hyperparameter grid');
  const results: GridResult[] = [];
  let best: { point: GridPoint; report: CvReport } | null = null;
  for (const point of grid) {
    const opts: LogisticRegressionOptions = maxIter === undefined ? { ...point } : { ...point, maxIter };
    const report = crossValidate(subjects, labelSet, transforms, nF, opts, nFolds);
    const kappa = report.pooled.cohenKappa;
    results.push({ ...point, kappa, accuracy: report.pooled.accuracy, kappaMean: report.kappaMean });
    const bestKappa = best?.report.pooled.cohenKappa ?? null;
    if (best === null || (kappa !== null && (bestKappa === null || kappa > bestKappa + 1e-9))) {
      best = { point, report };
    }
  }
  return { chosen: best!.point, report: best!.report, grid: results };
}
