// metadata.json content for a trained model folder (pure: builds a JSON-ready object).

import type { TransformSpec } from '../models/transforms.js';
import type { CvReport, TuningOutcome } from './cross-validation.js';
import type { LabelSet } from './label-sets.js';
import type { LogisticRegressionFit } from './logistic-regression.js';

/** Attribution required by the ODC-By 1.0 licence of the training data; keep with every model. */
export const DATA_PROVENANCE = {
  dataset: 'Motion and heart rate from a wrist-worn wearable and labeled sleep from polysomnography',
  repository: 'PhysioNet',
  version: '1.0.0',
  url: 'https://physionet.org/content/sleep-accel/1.0.0/',
  doi: 'https://doi.org/10.13026/hmhs-py35',
  derived_features:
    'Per-30-s-epoch features (activity count, HR variability, circadian/time proxies) computed with the feature code of Walch et al. 2019; the models contain only derived weights, no data.',
  citations: [
    'Walch, O. (2019). Motion and heart rate from a wrist-worn wearable and labeled sleep from polysomnography (version 1.0.0). PhysioNet. https://doi.org/10.13026/hmhs-py35',
    'Walch, O., Huang, Y., Forger, D., Goldstein, C. (2019). Sleep stage prediction with raw acceleration and photoplethysmography heart rate data derived from a consumer wearable device. SLEEP 42(12), zsz180. https://doi.org/10.1093/sleep/zsz180',
    'Goldberger, A., et al. (2000). PhysioBank, PhysioToolkit, and PhysioNet: Components of a new research resource for complex physiologic signals. Circulation 101(23), e215-e220.',
  ],
  licence: 'Open Data Commons Attribution License v1.0 (ODC-By 1.0)',
  licence_url: 'https://opendatacommons.org/licenses/by/1-0/',
  attribution:
    'This model was trained on data from the PhysioNet sleep-accel 1.0.0 database (Walch, 2019; Walch et al., SLEEP 2019), made available under the Open Data Commons Attribution License v1.0.',
} as const;

const round = (v: number | null, digits = 6): number | null => (v === null ? null : Number(v.toFixed(digits)));

function evaluationSummary(r: CvReport): Record<string, unknown> {
  const labels = r.pooled.labels;
  const confusion: Record<string, Record<string, number>> = {};
  labels.forEach((t, i) => {
    confusion[t] = {};
    labels.forEach((p, j) => (confusion[t]![p] = r.pooled.confusion[i]![j]!));
  });
  return {
    method: r.method,
    n_folds: r.nFolds,
    n_epochs: r.pooled.total,
    accuracy: round(r.pooled.accuracy),
    cohen_kappa: round(r.pooled.cohenKappa),
    kappa_mean: round(r.kappaMean),
    kappa_sd: round(r.kappaSd),
    per_class_recall: Object.fromEntries(Object.entries(r.perClassRecall).map(([k, v]) => [k, round(v)])),
    per_class: Object.fromEntries(
      r.pooled.perClass.map((m) => [
        m.label,
        { precision: round(m.precision), recall: round(m.recall), f1: round(m.f1), support: m.support },
      ]),
    ),
    macro: { precision: round(r.pooled.macro.precision), recall: round(r.pooled.macro.recall), f1: round(r.pooled.macro.f1) },
    confusion_layout: 'confusion[truth][predicted], epoch counts pooled over held-out folds',
    confusion,
    per_fold: r.folds.map((f) => ({
      subjects: f.subjects,
      n_epochs: f.nTest,
      accuracy: round(f.accuracy),
      cohen_kappa: round(f.kappa),
    })),
  };
}

function gridSummary(t: TuningOutcome): Record<string, unknown> {
  return {
    criterion: 'highest pooled Cohen kappa across the leave-subjects-out CV (ties -> earlier grid point)',
    chosen: { l2: t.chosen.l2, class_weight: t.chosen.classWeight },
    grid: t.grid.map((g) => ({
      l2: g.l2,
      class_weight: g.classWeight,
      cohen_kappa: round(g.kappa),
      accuracy: round(g.accuracy),
      kappa_mean: round(g.kappaMean),
    })),
  };
}

export interface MetadataInput {
  readonly version: string;
  readonly createdAt: string;
  readonly labelSet: LabelSet;
  readonly features: readonly string[];
  readonly transforms: readonly TransformSpec[];
  readonly nSubjects: number;
  readonly nEpochs: number;
  readonly classCounts: Record<string, number>;
  readonly stageCounts: Record<string, number>;
  readonly fit: LogisticRegressionFit;
  readonly tuning: TuningOutcome;
  readonly baseline: TuningOutcome | null;
  readonly command: string;
}

export function buildMetadata(m: MetadataInput): Record<string, unknown> {
  const evaluation: Record<string, unknown> = {
    ...evaluationSummary(m.tuning.report),
    selection_note:
      'Hyperparameters were chosen by the same CV that produced these figures, so they are slightly optimistic; ' +
      'no data outside the CV was used for any choice.',
  };
  if (m.baseline) {
    const b = m.baseline.report;
    evaluation['untransformed_baseline'] = {
      description: 'same CV and hyperparameter grid, transforms removed (raw features)',
      chosen: { l2: m.baseline.chosen.l2, class_weight: m.baseline.chosen.classWeight },
      accuracy: round(b.pooled.accuracy),
      cohen_kappa: round(b.pooled.cohenKappa),
      kappa_mean: round(b.kappaMean),
      kappa_sd: round(b.kappaSd),
      per_class_recall: Object.fromEntries(Object.entries(b.perClassRecall).map(([k, v]) => [k, round(v)])),
      kappa_gain_from_transforms: round((m.tuning.report.pooled.cohenKappa ?? NaN) - (b.pooled.cohenKappa ?? NaN)),
    };
  }
  return {
    version: m.version,
    created_at: m.createdAt,
    algorithm:
      'multinomial logistic regression (softmax), L2-penalised, fitted by Newton with line search on ' +
      'standardised features; standardisation folded into weights.npy/bias.npy',
    label_set: m.labelSet.name,
    label_set_description: m.labelSet.description,
    classes: [...m.labelSet.classes],
    feature_schema: 'sleep-accel-v1',
    features: [...m.features],
    transforms: m.transforms.map((t) => ({ ...t })),
    training: {
      data_source: 'PhysioNet sleep-accel 1.0.0, per-epoch feature CSVs (one night per subject)',
      n_subjects: m.nSubjects,
      n_epochs: m.nEpochs,
      class_counts: m.classCounts,
      aasm_stage_counts: m.stageCounts,
      hyperparameters: {
        l2: m.tuning.chosen.l2,
        l2_definition: 'objective = weighted mean cross-entropy + (l2/2)*||W_standardised||^2; biases unpenalised',
        class_weight: m.tuning.chosen.classWeight,
        class_weight_values: Object.fromEntries(m.labelSet.classes.map((c, i) => [c, round(m.fit.classWeights[i]!)])),
        standardisation_mean: Array.from(m.fit.mean, (v) => round(v, 9)),
        standardisation_scale: Array.from(m.fit.scale, (v) => round(v, 9)),
      },
      solver: { iterations: m.fit.iterations, converged: m.fit.converged, objective: round(m.fit.objective, 9) },
      tuning: gridSummary(m.tuning),
      command: m.command,
    },
    evaluation,
    data_provenance: DATA_PROVENANCE,
  };
}
