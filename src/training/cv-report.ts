// The cross-validation report: agreement per epoch (the model's own classes, W/NREM/REM and
// wake/sleep; pooled over every held-out epoch and as mean ± sd over subjects) and the night
// statistics users read, beside the errors of trivial answers.

import type { ClassificationReport, ConfusionMatrix } from '../stats/classification.js';
import { accuracy, addConfusion, classificationReport, cohenKappa, confusionMatrix } from '../stats/classification.js';
import type { CvRun, FoldInfo } from './cross-validation.js';
import type { ErrorSummary, NightFigures } from './night-errors.js';
import { errorSummary, everyEpochSleep, nightFigures } from './night-errors.js';

export interface KappaSummary {
  readonly pooled: number | null;
  /** Mean and sample sd (n − 1) of per-subject kappa over subjects where it is defined. */
  readonly subjectMean: number | null;
  readonly subjectSd: number | null;
}

export interface SubjectResult {
  readonly subject: string;
  readonly fold: number;
  readonly nEpochs: number;
  readonly accuracy: number | null;
  readonly kappa: number | null;
  readonly kappaWNremRem: number | null;
  readonly kappaWakeSleep: number | null;
}

export interface NightMetric {
  /** tst_min, waso_min, sol_min, se_pct, minutes_<class>. */
  readonly key: string;
  readonly model: ErrorSummary;
  readonly trivialAnswer: string;
  readonly trivial: ErrorSummary;
}

export interface NightResult {
  readonly subject: string;
  readonly fold: number;
  readonly truth: NightFigures;
  readonly predicted: NightFigures;
  /** Every epoch sleep (TST, WASO, SOL, SE). */
  readonly everyEpochSleep: NightFigures;
  /** Training nights' mean minutes per class (this night's fold). */
  readonly trainingMeanMinutes: readonly number[];
}

export interface CvReport {
  readonly method: string;
  readonly nFolds: number;
  readonly labels: readonly string[];
  readonly pooled: ClassificationReport;
  readonly perClassRecall: Record<string, number | null>;
  readonly kappa: { readonly model: KappaSummary; readonly wNremRem: KappaSummary | null; readonly wakeSleep: KappaSummary };
  readonly subjects: SubjectResult[];
  readonly folds: FoldInfo[];
  readonly nightMetrics: NightMetric[];
  readonly nights: NightResult[];
}

const NREM_CLASSES: ReadonlySet<string> = new Set(['N1', 'N2', 'N3', 'LIGHT', 'DEEP', 'NREM']);
export const W_NREM_REM = ['W', 'NREM', 'REM'] as const;
export const WAKE_SLEEP = ['W', 'SLEEP'] as const;

/** Class index → W/NREM/REM index; null when a class cannot be placed (e.g. SLEEP). */
export function wNremRemMap(labels: readonly string[]): number[] | null {
  const map = labels.map((l) => (l === 'W' ? 0 : NREM_CLASSES.has(l) ? 1 : l === 'REM' ? 2 : -1));
  return map.includes(-1) ? null : map;
}

export function wakeSleepMap(labels: readonly string[]): number[] {
  return labels.map((l) => (l === 'W' ? 0 : 1));
}

function remap(classes: Uint8Array, map: readonly number[]): Uint8Array {
  return classes.map((c) => map[c]!);
}

function meanSd(values: readonly (number | null)[]): { mean: number | null; sd: number | null } {
  const v = values.filter((x): x is number => x !== null);
  if (v.length === 0) return { mean: null, sd: null };
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  if (v.length < 2) return { mean, sd: null };
  return { mean, sd: Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1)) };
}

/** Pooled and per-subject kappa of one class mapping. */
function kappaSummary(run: CvRun, map: readonly number[], labels: readonly string[]): { summary: KappaSummary; perSubject: (number | null)[] } {
  let pooled: ConfusionMatrix = confusionMatrix([], [], labels);
  const perSubject = run.nights.map((night) => {
    const cm = confusionMatrix(remap(night.truth, map), remap(night.predicted, map), labels);
    pooled = addConfusion(pooled, cm);
    return cohenKappa(cm);
  });
  const { mean, sd } = meanSd(perSubject);
  return { summary: { pooled: cohenKappa(pooled), subjectMean: mean, subjectSd: sd }, perSubject };
}

export function cvReport(run: CvRun): CvReport {
  const labels = run.labels;
  const identity = labels.map((_, c) => c);
  const own = kappaSummary(run, identity, labels);
  const wnrMap = wNremRemMap(labels);
  const wnr = wnrMap ? kappaSummary(run, wnrMap, W_NREM_REM) : null;
  const ws = kappaSummary(run, wakeSleepMap(labels), WAKE_SLEEP);

  let pooledCm = confusionMatrix([], [], labels);
  const subjects = run.nights.map((night, i): SubjectResult => {
    const cm = confusionMatrix(night.truth, night.predicted, labels);
    pooledCm = addConfusion(pooledCm, cm);
    return {
      subject: night.subject,
      fold: night.fold,
      nEpochs: night.truth.length,
      accuracy: accuracy(cm),
      kappa: own.perSubject[i]!,
      kappaWNremRem: wnr ? wnr.perSubject[i]! : null,
      kappaWakeSleep: ws.perSubject[i]!,
    };
  });
  const pooled = classificationReport(pooledCm);
  const perClassRecall: Record<string, number | null> = {};
  for (const m of pooled.perClass) perClassRecall[m.label] = m.recall;

  const nights = run.nights.map(
    (night): NightResult => ({
      subject: night.subject,
      fold: night.fold,
      truth: nightFigures(night.epochIndex, night.truth, labels),
      predicted: nightFigures(night.epochIndex, night.predicted, labels),
      everyEpochSleep: everyEpochSleep(night.epochIndex, labels),
      trainingMeanMinutes: night.trainingMeanMinutes,
    }),
  );
  return {
    method: run.method,
    nFolds: run.nFolds,
    labels,
    pooled,
    perClassRecall,
    kappa: { model: own.summary, wNremRem: wnr?.summary ?? null, wakeSleep: ws.summary },
    subjects,
    folds: run.folds,
    nightMetrics: nightMetrics(nights, labels),
    nights,
  };
}

const EVERY_EPOCH_SLEEP = 'every epoch sleep';
const TRAINING_MEAN = "training nights' mean minutes of the class (per fold)";

function nightMetrics(nights: readonly NightResult[], labels: readonly string[]): NightMetric[] {
  const truth = (pick: (f: NightFigures) => number | null) => nights.map((n) => pick(n.truth));
  const sleepAnswer = (key: string, pick: (f: NightFigures) => number | null): NightMetric => ({
    key,
    model: errorSummary(
      nights.map((n) => pick(n.predicted)),
      truth(pick),
    ),
    trivialAnswer: EVERY_EPOCH_SLEEP,
    trivial: errorSummary(
      nights.map((n) => pick(n.everyEpochSleep)),
      truth(pick),
    ),
  });
  const metrics = [
    sleepAnswer('tst_min', (f) => f.tstMin),
    sleepAnswer('waso_min', (f) => f.wasoMin),
    sleepAnswer('sol_min', (f) => f.solMin),
    sleepAnswer('se_pct', (f) => f.sePct),
  ];
  labels.forEach((label, c) => {
    metrics.push({
      key: `minutes_${label}`,
      model: errorSummary(
        nights.map((n) => n.predicted.minutes[c]!),
        truth((f) => f.minutes[c]!),
      ),
      trivialAnswer: TRAINING_MEAN,
      trivial: errorSummary(
        nights.map((n) => n.trainingMeanMinutes[c]!),
        truth((f) => f.minutes[c]!),
      ),
    });
  });
  return metrics;
}
