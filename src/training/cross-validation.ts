// Leave-subjects-out cross-validation: whole subjects (nights) are held out together, so no epoch
// of a test night is ever seen in training (epochs within a night are strongly autocorrelated).
// Each held-out night is scored whole by scoreNight (pipeline, float32 weights, decoder), exactly
// as the service scores a stored night. Deterministic: subjects sorted by id, subject i goes to
// fold i mod k; the fit itself is deterministic.

import { scoreNight } from '../scoring/night-scorer.js';
import type { SubjectData } from './csv.js';
import { mapStages } from './label-sets.js';
import { meanMinutes, nightFigures, type NightFigures } from './night-errors.js';
import type { GridPoint, TrainingSetup } from './night-model-fit.js';
import { fitNightModel } from './night-model-fit.js';
import { stackRows, type TrainingRows } from './night-rows.js';

export interface NightOutcome {
  readonly subject: string;
  readonly fold: number;
  readonly epochIndex: Int32Array;
  readonly truth: Uint8Array;
  readonly predicted: Uint8Array;
  /** Mean minutes per class over this fold's training nights: the trivial stage-minutes answer. */
  readonly trainingMeanMinutes: readonly number[];
}

export interface FoldInfo {
  readonly fold: number;
  readonly subjects: string[];
  /** The decoder's share of sleep used in this fold (null without a decoder). */
  readonly shareOfSleep: number | null;
  readonly calibrationOffsets: number[] | null;
}

export interface CvRun {
  readonly method: string;
  readonly nFolds: number;
  readonly labels: readonly string[];
  readonly nights: NightOutcome[];
  readonly folds: FoldInfo[];
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

export function cvMethod(nFolds: number, nSubjects: number): string {
  return nFolds >= nSubjects
    ? `leave-subjects-out CV: leave-one-subject-out, ${nSubjects} folds`
    : `leave-subjects-out CV: grouped ${nFolds}-fold over ${nSubjects} subjects (sorted ids, fold = rank mod ${nFolds})`;
}

/**
 * Data a CV run reuses across grid points: every night's inputs (they do not depend on the fold)
 * and its true night statistics.
 */
export interface CvData {
  readonly subjects: readonly SubjectData[];
  readonly rows: readonly TrainingRows[];
  readonly truthFigures: readonly NightFigures[];
}

export function prepareCvData(subjects: readonly SubjectData[], rows: readonly TrainingRows[], labels: readonly string[]): CvData {
  const truthFigures = subjects.map((s, i) => nightFigures(s.epochIndex, rows[i]!.y, labels));
  return { subjects, rows, truthFigures };
}

export function crossValidate(data: CvData, setup: TrainingSetup, point: GridPoint, nFolds: number): CvRun {
  const { subjects } = data;
  const labels = setup.labelSet.classes;
  const k = Math.min(nFolds, subjects.length);
  const foldOf = assignFolds(
    subjects.map((s) => s.subject),
    k,
  );
  const nights: NightOutcome[] = [];
  const folds: FoldInfo[] = [];
  for (let f = 0; f < k; f++) {
    const trainIdx = subjects.map((_, i) => i).filter((i) => foldOf[i] !== f);
    const testIdx = subjects.map((_, i) => i).filter((i) => foldOf[i] === f);
    const fitted = fitNightModel(
      stackRows(trainIdx.map((i) => data.rows[i]!)),
      setup,
      point,
    );
    const trainingMeanMinutes = meanMinutes(
      trainIdx.map((i) => data.truthFigures[i]!),
      labels.length,
    );
    for (const i of testIdx) {
      const s = subjects[i]!;
      const scored = scoreNight(fitted.model, s.epochIndex, s.features, s.nEpochs);
      nights.push({
        subject: s.subject,
        fold: f,
        epochIndex: s.epochIndex,
        truth: mapStages(s.stages, setup.labelSet),
        predicted: scored.classes,
        trainingMeanMinutes,
      });
    }
    folds.push({
      fold: f,
      subjects: testIdx.map((i) => subjects[i]!.subject),
      shareOfSleep: fitted.shareOfSleep,
      calibrationOffsets: fitted.calibration?.offsets ?? null,
    });
  }
  return { method: cvMethod(k, subjects.length), nFolds: k, labels: [...labels], nights, folds };
}
