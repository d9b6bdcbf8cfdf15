import { describe, expect, it } from 'vitest';
import { cohenKappa, confusionMatrix } from '../../src/stats/classification.js';
import type { CvRun } from '../../src/training/cross-validation.js';
import { cvReport, wakeSleepMap, wNremRemMap } from '../../src/training/cv-report.js';
import { evaluationJson } from '../../src/training/evaluation-json.js';
import { everyEpochSleep, hypnogram, nightFigures } from '../../src/training/night-errors.js';
import { UNSCORED } from '../../src/summary/sleep-statistics.js';

const LABELS = ['W', 'NREM', 'REM'];
const [W, N, R] = [0, 1, 2];

// Two tiny nights worked out by hand (30-s epochs, so one epoch = 0.5 min).
// A: indices 0 1 2 _ 4 5 (gap at 3); truth W N N . R W; predicted W W N . N N.
// B: indices 10..13; truth N W N R; predicted N N N R.
const run: CvRun = {
  method: 'test',
  nFolds: 2,
  labels: LABELS,
  folds: [
    { fold: 0, subjects: ['a'], shareOfSleep: null, calibrationOffsets: null },
    { fold: 1, subjects: ['b'], shareOfSleep: null, calibrationOffsets: null },
  ],
  nights: [
    {
      subject: 'a',
      fold: 0,
      epochIndex: Int32Array.from([0, 1, 2, 4, 5]),
      truth: Uint8Array.from([W, N, N, R, W]),
      predicted: Uint8Array.from([W, W, N, N, N]),
      trainingMeanMinutes: [1, 2, 1],
    },
    {
      subject: 'b',
      fold: 1,
      epochIndex: Int32Array.from([10, 11, 12, 13]),
      truth: Uint8Array.from([N, W, N, R]),
      predicted: Uint8Array.from([N, N, N, R]),
      trainingMeanMinutes: [0.5, 1, 0],
    },
  ],
};

describe('night figures', () => {
  it('lays truth and prediction on one hypnogram, first to last epoch index, gaps unscored', () => {
    expect(Array.from(hypnogram([0, 1, 2, 4, 5], [W, N, N, R, W]))).toEqual([W, N, N, UNSCORED, R, W]);
    expect(nightFigures([0, 1, 2, 4, 5], [W, N, N, R, W], LABELS)).toEqual({ tstMin: 1.5, wasoMin: 0, solMin: 0.5, sePct: 50, minutes: [1, 1, 0.5] });
    expect(everyEpochSleep([0, 1, 2, 4, 5], LABELS)).toMatchObject({ tstMin: 2.5, wasoMin: 0, solMin: 0, minutes: [0, 2.5, 0] });
    expect(everyEpochSleep([0, 1, 2, 4, 5], LABELS).sePct).toBeCloseTo(500 / 6, 12);
  });
});

describe('CV report', () => {
  const report = cvReport(run);
  const metric = (key: string) => report.nightMetrics.find((m) => m.key === key)!;

  it('computes the night-statistics errors of the model per night', () => {
    expect(report.nightMetrics.map((m) => m.key)).toEqual(['tst_min', 'waso_min', 'sol_min', 'se_pct', 'minutes_W', 'minutes_NREM', 'minutes_REM']);
    expect(metric('tst_min').model).toEqual({ mae: 0.25, meanSignedError: 0.25, nNights: 2 });
    expect(metric('waso_min').model).toEqual({ mae: 0.25, meanSignedError: -0.25, nNights: 2 });
    expect(metric('sol_min').model).toEqual({ mae: 0.25, meanSignedError: 0.25, nNights: 2 });
    expect(metric('se_pct').model).toEqual({ mae: 12.5, meanSignedError: 12.5, nNights: 2 });
    expect(metric('minutes_W').model).toEqual({ mae: 0.25, meanSignedError: -0.25, nNights: 2 });
    expect(metric('minutes_NREM').model).toEqual({ mae: 0.5, meanSignedError: 0.5, nNights: 2 });
    expect(metric('minutes_REM').model).toEqual({ mae: 0.25, meanSignedError: -0.25, nNights: 2 });
  });

  it('computes the trivial answers: every epoch sleep, and the training nights mean minutes', () => {
    expect(metric('tst_min').trivial).toEqual({ mae: 0.75, meanSignedError: 0.75, nNights: 2 });
    expect(metric('waso_min').trivial).toEqual({ mae: 0.25, meanSignedError: -0.25, nNights: 2 });
    expect(metric('sol_min').trivial).toEqual({ mae: 0.25, meanSignedError: -0.25, nNights: 2 });
    expect(metric('se_pct').trivial.mae).toBeCloseTo((100 / 3 + 25) / 2, 12);
    expect(metric('minutes_W').trivial).toEqual({ mae: 0, meanSignedError: 0, nNights: 2 });
    expect(metric('minutes_NREM').trivial).toEqual({ mae: 0.5, meanSignedError: 0.5, nNights: 2 });
    expect(metric('minutes_REM').trivial).toEqual({ mae: 0.5, meanSignedError: 0, nNights: 2 });
    expect(metric('tst_min').trivialAnswer).toBe('every epoch sleep');
    expect(metric('minutes_REM').trivialAnswer).toMatch(/training nights' mean minutes/);
  });

  it('reports kappa for the model classes, W/NREM/REM and wake/sleep, pooled and per subject', () => {
    const truth = [...run.nights[0]!.truth, ...run.nights[1]!.truth];
    const pred = [...run.nights[0]!.predicted, ...run.nights[1]!.predicted];
    const pooled = cohenKappa(confusionMatrix(truth, pred, LABELS));
    expect(report.kappa.model.pooled).toBeCloseTo(pooled!, 12);
    expect(report.kappa.wNremRem!.pooled).toBeCloseTo(pooled!, 12);
    const ws = (c: number[]) => c.map((v) => (v === W ? 0 : 1));
    expect(report.kappa.wakeSleep.pooled).toBeCloseTo(cohenKappa(confusionMatrix(ws(truth), ws(pred), ['W', 'S']))!, 12);
    const perSubject = run.nights.map((n) => cohenKappa(confusionMatrix(n.truth, n.predicted, LABELS))!);
    expect(report.subjects.map((s) => s.kappa)).toEqual(perSubject);
    expect(report.kappa.model.subjectMean).toBeCloseTo((perSubject[0]! + perSubject[1]!) / 2, 12);
    expect(report.kappa.model.subjectSd).toBeCloseTo(Math.abs(perSubject[0]! - perSubject[1]!) / Math.SQRT2, 12);
    expect(report.pooled.accuracy).toBeCloseTo(5 / 9, 12);
    expect(report.perClassRecall).toEqual({ W: 1 / 3, NREM: 0.75, REM: 0.5 });
  });

  it('collapses finer NREM classes to NREM and has no W/NREM/REM for a W/SLEEP model', () => {
    expect(wNremRemMap(['W', 'LIGHT', 'DEEP', 'REM'])).toEqual([0, 1, 1, 2]);
    expect(wNremRemMap(['W', 'N1', 'N2', 'N3', 'REM'])).toEqual([0, 1, 1, 1, 2]);
    expect(wNremRemMap(['W', 'SLEEP'])).toBeNull();
    expect(wakeSleepMap(['W', 'LIGHT', 'DEEP', 'REM'])).toEqual([0, 1, 1, 1]);
  });

  it('keeps every figure in the metadata evaluation', () => {
    const e = evaluationJson(report) as any;
    for (const key of ['accuracy', 'cohen_kappa', 'kappa_mean', 'kappa_sd', 'per_class_recall', 'per_class', 'confusion', 'per_subject', 'folds', 'scoring']) {
      expect(e).toHaveProperty(key);
    }
    for (const k of ['model_classes', 'w_nrem_rem', 'wake_sleep']) {
      expect(Object.keys(e.kappa[k])).toEqual(expect.arrayContaining(['pooled', 'subject_mean', 'subject_sd']));
    }
    expect(e.confusion).toEqual({ W: { W: 1, NREM: 2, REM: 0 }, NREM: { W: 1, NREM: 3, REM: 0 }, REM: { W: 0, NREM: 1, REM: 1 } });
    for (const key of ['tst_min', 'waso_min', 'sol_min', 'se_pct', 'minutes_W', 'minutes_NREM', 'minutes_REM']) {
      expect(Object.keys(e.night_statistics.metrics[key]).sort()).toEqual(['mae', 'mean_signed_error', 'n_nights', 'trivial']);
      expect(Object.keys(e.night_statistics.metrics[key].trivial).sort()).toEqual(['answer', 'mae', 'mean_signed_error', 'n_nights']);
    }
    expect(e.night_statistics.per_night[1]).toEqual({
      subject: 'b',
      fold: 1,
      truth: { tst_min: 1.5, waso_min: 0.5, sol_min: 0, se_pct: 75, minutes: { W: 0.5, NREM: 1, REM: 0.5 } },
      predicted: { tst_min: 2, waso_min: 0, sol_min: 0, se_pct: 100, minutes: { W: 0, NREM: 1.5, REM: 0.5 } },
      every_epoch_sleep: { tst_min: 2, waso_min: 0, sol_min: 0, se_pct: 100 },
      training_mean_minutes: { W: 0.5, NREM: 1, REM: 0 },
    });
  });
});
