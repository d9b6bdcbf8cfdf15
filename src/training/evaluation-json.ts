// The `evaluation` object of metadata.json, built from a CV report (pure). The registry's default
// version rule (models/default-version.ts) reads kappa.w_nrem_rem.pooled and
// night_statistics.metrics.{tst_min,waso_min,minutes_REM}.mae from it.

import type { CvReport, KappaSummary } from './cv-report.js';
import type { ErrorSummary, NightFigures } from './night-errors.js';

export const round = (v: number | null, digits = 6): number | null => (v === null ? null : Number(v.toFixed(digits)));

export const CV_SCORING =
  'each held-out night scored whole by scoreNight (pipeline inputs from float32 features, float32 weights and bias, decoder), exactly as the service scores a stored night';

const NIGHT_DEFINITION =
  'per held-out night, sleepStatistics (the summary endpoint code) of the truth and of the prediction over the same hypnogram: first to last epoch index, gaps UNSCORED; 30-s epochs';

function kappaJson(k: KappaSummary): Record<string, number | null> {
  return { pooled: round(k.pooled), subject_mean: round(k.subjectMean), subject_sd: round(k.subjectSd) };
}

function errorJson(e: ErrorSummary): Record<string, number | null> {
  return { mae: round(e.mae, 4), mean_signed_error: round(e.meanSignedError, 4), n_nights: e.nNights };
}

function figuresJson(f: NightFigures, labels: readonly string[]): Record<string, unknown> {
  return {
    tst_min: round(f.tstMin, 4),
    waso_min: round(f.wasoMin, 4),
    sol_min: round(f.solMin, 4),
    se_pct: round(f.sePct, 4),
    minutes: Object.fromEntries(labels.map((l, c) => [l, round(f.minutes[c]!, 4)])),
  };
}

function nightStatisticsJson(r: CvReport): Record<string, unknown> {
  const labels = r.labels;
  return {
    definition: NIGHT_DEFINITION,
    error: 'answer - truth per night, in minutes (se_pct: percentage points); mae = mean absolute error over nights',
    metrics: Object.fromEntries(
      r.nightMetrics.map((m) => [m.key, { ...errorJson(m.model), trivial: { answer: m.trivialAnswer, ...errorJson(m.trivial) } }]),
    ),
    per_night: r.nights.map((n) => {
      const trivial = figuresJson(n.everyEpochSleep, labels);
      delete trivial['minutes'];
      return {
        subject: n.subject,
        fold: n.fold,
        truth: figuresJson(n.truth, labels),
        predicted: figuresJson(n.predicted, labels),
        every_epoch_sleep: trivial,
        training_mean_minutes: Object.fromEntries(labels.map((l, c) => [l, round(n.trainingMeanMinutes[c]!, 4)])),
      };
    }),
  };
}

export function evaluationJson(r: CvReport): Record<string, unknown> {
  const labels = r.labels;
  const confusion: Record<string, Record<string, number>> = {};
  labels.forEach((t, i) => {
    confusion[t] = {};
    labels.forEach((p, j) => (confusion[t]![p] = r.pooled.confusion[i]![j]!));
  });
  return {
    method: r.method,
    scoring: CV_SCORING,
    n_folds: r.nFolds,
    n_subjects: r.subjects.length,
    n_epochs: r.pooled.total,
    accuracy: round(r.pooled.accuracy),
    cohen_kappa: round(r.kappa.model.pooled),
    kappa_mean: round(r.kappa.model.subjectMean),
    kappa_sd: round(r.kappa.model.subjectSd),
    kappa: {
      definition: 'pooled = over every held-out epoch; subject_mean/subject_sd = mean and sample sd (n-1) of per-subject kappa',
      model_classes: { classes: [...labels], ...kappaJson(r.kappa.model) },
      w_nrem_rem: r.kappa.wNremRem ? { collapse: 'N1/N2/N3/LIGHT/DEEP -> NREM', ...kappaJson(r.kappa.wNremRem) } : null,
      wake_sleep: { collapse: 'every class but W -> SLEEP', ...kappaJson(r.kappa.wakeSleep) },
    },
    per_class_recall: Object.fromEntries(Object.entries(r.perClassRecall).map(([k, v]) => [k, round(v)])),
    per_class: Object.fromEntries(
      r.pooled.perClass.map((m) => [m.label, { precision: round(m.precision), recall: round(m.recall), f1: round(m.f1), support: m.support }]),
    ),
    macro: { precision: round(r.pooled.macro.precision), recall: round(r.pooled.macro.recall), f1: round(r.pooled.macro.f1) },
    confusion_layout: 'confusion[truth][predicted], epoch counts pooled over held-out folds',
    confusion,
    night_statistics: nightStatisticsJson(r),
    per_subject: r.subjects.map((s) => ({
      subject: s.subject,
      fold: s.fold,
      n_epochs: s.nEpochs,
      accuracy: round(s.accuracy),
      cohen_kappa: round(s.kappa),
      kappa_w_nrem_rem: round(s.kappaWNremRem),
      kappa_wake_sleep: round(s.kappaWakeSleep),
    })),
    folds: r.folds.map((f) => ({
      fold: f.fold,
      subjects: f.subjects,
      decoder_share_of_sleep: round(f.shareOfSleep),
      calibration_offsets: f.calibrationOffsets?.map((v) => round(v)) ?? null,
    })),
  };
}
