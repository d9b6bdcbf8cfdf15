// Night statistics of the labels and of the predictions over the same epoch slots, computed by the
// summary's own sleepStatistics so that evaluation measures the numbers users read. Pure.
import { parseTruthStage, truthClassIndex } from '../labels/stages.js';
import { sleepStatistics, UNSCORED, type SleepStatistics } from '../summary/sleep-statistics.js';
import type { NightComparison, NightStatistics } from './evaluation.schemas.js';

/** One epoch with both a label and a prediction of the evaluated version. */
export interface LabelledPrediction {
  epoch_index: number;
  truth: string;
  predicted: string;
}

/**
 * Longest span compared (about 35 days of 30-s epochs): epoch indices may be sparse, and the slots
 * between are allocated, so a recording with epochs 0 and 2^31 − 1 must not allocate gigabytes.
 */
export const MAX_NIGHT_EPOCHS = 100_000;

/** The scalar statistics compared; `stage_minutes` comes beside them. */
export const SCALAR_STATISTICS = ['tst_min', 'waso_min', 'sol_min', 'se_pct', 'spt_min', 'rem_latency_min'] as const;
export type ScalarStatistic = (typeof SCALAR_STATISTICS)[number];

function toNightStatistics(s: SleepStatistics): NightStatistics {
  return {
    tst_min: s.tstMin,
    waso_min: s.wasoMin,
    sol_min: s.solMin,
    se_pct: s.sePct,
    spt_min: s.sptMin,
    rem_latency_min: s.remLatencyMin,
    stage_minutes: Object.fromEntries([...s.stages].map(([label, stage]) => [label, stage.minutes])),
  };
}

const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

/** predicted − labels, statistic by statistic; null where either is null. */
export function nightDifference(labels: NightStatistics, predicted: NightStatistics): NightStatistics {
  return {
    tst_min: predicted.tst_min - labels.tst_min,
    waso_min: predicted.waso_min - labels.waso_min,
    sol_min: minus(predicted.sol_min, labels.sol_min),
    se_pct: minus(predicted.se_pct, labels.se_pct),
    spt_min: predicted.spt_min - labels.spt_min,
    rem_latency_min: minus(predicted.rem_latency_min, labels.rem_latency_min),
    stage_minutes: Object.fromEntries(
      Object.entries(predicted.stage_minutes).map(([label, minutes]) => [label, minutes - (labels.stage_minutes[label] ?? 0)]),
    ),
  };
}

/**
 * Both hypnograms over slots first..last of the rows' epoch indices. A slot is scored in both or in
 * neither: no row (a gap in labels or predictions) or a label the model cannot express leaves it
 * UNSCORED, so the two sides differ only where the model disagrees. Null when the span exceeds
 * MAX_NIGHT_EPOCHS; throws on an empty night (the caller reports no_predictions first).
 */
export function compareNight(labels: readonly string[], rows: readonly LabelledPrediction[], epochSeconds: number): NightComparison {
  if (rows.length === 0) throw new Error('compareNight needs at least one labelled prediction');
  let first = rows[0]!.epoch_index;
  let last = first;
  for (const row of rows) {
    if (row.epoch_index < first) first = row.epoch_index;
    if (row.epoch_index > last) last = row.epoch_index;
  }
  const slots = last - first + 1;
  if (slots > MAX_NIGHT_EPOCHS) return null;
  const truth = new Int16Array(slots).fill(UNSCORED);
  const predicted = new Int16Array(slots).fill(UNSCORED);
  for (const row of rows) {
    const stage = parseTruthStage(row.truth);
    const t = stage === null ? -1 : truthClassIndex(stage, labels);
    const p = labels.indexOf(row.predicted);
    if (p < 0) throw new Error(`stored prediction stage ${row.predicted} is not one of ${labels.join(', ')}`);
    if (t < 0) continue;
    truth[row.epoch_index - first] = t;
    predicted[row.epoch_index - first] = p;
  }
  const ofLabels = sleepStatistics({ labels, classes: truth, epochSeconds });
  const ofPredicted = sleepStatistics({ labels, classes: predicted, epochSeconds });
  const l = toNightStatistics(ofLabels);
  const p = toNightStatistics(ofPredicted);
  return {
    first_epoch_index: first,
    last_epoch_index: last,
    epochs: slots,
    tib_min: ofLabels.tibMin,
    unscored_min: ofLabels.unscoredMin,
    labels: l,
    predicted: p,
    difference: nightDifference(l, p),
  };
}
