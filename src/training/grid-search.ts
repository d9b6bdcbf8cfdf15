// Hyperparameter grid over (class weighting, l2): every point gets the same CV; the best pooled
// kappa over the model's own classes wins. Night-statistics errors are reported for every point
// but do not take part in the choice.

import type { CvData } from './cross-validation.js';
import { crossValidate } from './cross-validation.js';
import type { CvReport } from './cv-report.js';
import { cvReport } from './cv-report.js';
import type { GridPoint, TrainingSetup } from './night-model-fit.js';

export const GRID_CRITERION =
  "highest pooled Cohen kappa over the model's own classes across the leave-subjects-out CV (ties -> earlier grid point); night-statistics errors are reported, not used";

export interface GridResult extends GridPoint {
  readonly kappa: number | null;
  readonly kappaWNremRem: number | null;
  readonly kappaWakeSleep: number | null;
  readonly accuracy: number | null;
  readonly tstMae: number | null;
  readonly remMinutesMae: number | null;
}

export interface TuningOutcome {
  readonly chosen: GridPoint;
  /** CV report of the chosen grid point. */
  readonly report: CvReport;
  readonly grid: GridResult[];
}

export function metricMae(report: CvReport, key: string): number | null {
  return report.nightMetrics.find((m) => m.key === key)?.model.mae ?? null;
}

/**
 * Ties (within 1e-9) go to the earlier grid point, so list the simpler/stronger-regularised
 * settings first. The chosen point's CV score is slightly optimistic (it was selected on it).
 */
export function gridSearch(data: CvData, setup: TrainingSetup, grid: readonly GridPoint[], nFolds: number, log?: (line: string) => void): TuningOutcome {
  if (grid.length === 0) throw new Error('empty hyperparameter grid');
  const results: GridResult[] = [];
  let best: { point: GridPoint; report: CvReport } | null = null;
  for (const point of grid) {
    const report = cvReport(crossValidate(data, setup, point, nFolds));
    const kappa = report.kappa.model.pooled;
    const result: GridResult = {
      ...point,
      kappa,
      kappaWNremRem: report.kappa.wNremRem?.pooled ?? null,
      kappaWakeSleep: report.kappa.wakeSleep.pooled,
      accuracy: report.pooled.accuracy,
      tstMae: metricMae(report, 'tst_min'),
      remMinutesMae: metricMae(report, 'minutes_REM'),
    };
    results.push(result);
    log?.(`  grid ${formatGridResult(result)}`);
    const bestKappa = best?.report.kappa.model.pooled ?? null;
    if (best === null || (kappa !== null && (bestKappa === null || kappa > bestKappa + 1e-9))) best = { point, report };
  }
  return { chosen: best!.point, report: best!.report, grid: results };
}

export function formatGridResult(g: GridResult): string {
  const f = (v: number | null, d: number): string => (v === null ? 'n/a' : v.toFixed(d));
  return (
    `classWeight=${g.classWeight} l2=${g.l2}: kappa ${f(g.kappa, 4)}  W/NREM/REM ${f(g.kappaWNremRem, 4)}  ` +
    `wake/sleep ${f(g.kappaWakeSleep, 4)}  acc ${f(g.accuracy, 4)}  TST MAE ${f(g.tstMae, 1)}  REM MAE ${f(g.remMinutesMae, 1)}`
  );
}
