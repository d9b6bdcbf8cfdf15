// metadata.json content for a trained model folder (pure: builds a JSON-ready object).

import { pipelineToJson, type PipelineSpec } from '../models/pipeline.js';
import { evaluationJson, round } from './evaluation-json.js';
import { GRID_CRITERION, type TuningOutcome } from './grid-search.js';
import type { LabelSet } from './label-sets.js';
import type { FittedNightModel } from './night-model-fit.js';
import { CALIBRATION_ITERATIONS } from './prior-calibration.js';

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

export const SELECTION_NOTE =
  'Hyperparameters were chosen by the same CV that produced these figures, so they are slightly optimistic; ' +
  'no data outside the CV was used for any choice.';

function gridSummary(t: TuningOutcome): Record<string, unknown> {
  return {
    criterion: GRID_CRITERION,
    chosen: { l2: t.chosen.l2, class_weight: t.chosen.classWeight },
    grid: t.grid.map((g) => ({
      l2: g.l2,
      class_weight: g.classWeight,
      cohen_kappa: round(g.kappa),
      kappa_w_nrem_rem: round(g.kappaWNremRem),
      kappa_wake_sleep: round(g.kappaWakeSleep),
      accuracy: round(g.accuracy),
      tst_mae_min: round(g.tstMae, 4),
      rem_minutes_mae: round(g.remMinutesMae, 4),
    })),
  };
}

/** Where the pipeline came from: null for a model without pipeline.json (features after transforms). */
export interface PipelineSource {
  /** The --pipeline file as given on the command line. */
  readonly file: string;
  /** True when the file left the decoder's share_of_sleep for training to fill. */
  readonly shareFromTraining: boolean;
}

export interface MetadataInput {
  readonly version: string;
  readonly createdAt: string;
  readonly labelSet: LabelSet;
  readonly features: readonly string[];
  /** The final pipeline (decoder share filled in). */
  readonly spec: PipelineSpec;
  readonly pipelineSource: PipelineSource | null;
  readonly priorCalibration: boolean;
  readonly nSubjects: number;
  readonly nEpochs: number;
  readonly classCounts: Record<string, number>;
  readonly stageCounts: Record<string, number>;
  readonly final: FittedNightModel;
  readonly tuning: TuningOutcome;
  readonly baseline: TuningOutcome | null;
  /** --max-iter when given (a refresh re-runs the CV with it). */
  readonly maxIter: number | null;
  readonly command: string;
}

function calibrationJson(m: MetadataInput): Record<string, unknown> {
  const c = m.final.calibration;
  if (!m.priorCalibration || !c) return { enabled: false };
  const byClass = (v: readonly number[]) => Object.fromEntries(m.labelSet.classes.map((cls, i) => [cls, round(v[i]!)]));
  return {
    enabled: true,
    method:
      `per-class logit offsets (W pinned to 0) fitted on the training rows so that argmax class frequencies match label ` +
      `frequencies: ${CALIBRATION_ITERATIONS} damped steps 0.5*0.98^t*(log label freq - log argmax freq); folded into bias.npy; ` +
      `in CV refitted on each fold's training rows only`,
    offsets: byClass(c.offsets),
    label_frequencies: byClass(c.labelFrequencies),
    argmax_frequencies_before: byClass(c.argmaxFrequenciesBefore),
    argmax_frequencies_after: byClass(c.argmaxFrequenciesAfter),
  };
}

function pipelineJson(m: MetadataInput): Record<string, unknown> | null {
  if (!m.pipelineSource) return null;
  const d = m.spec.decoder;
  return {
    file: m.pipelineSource.file,
    inputs: m.spec.inputs.map((i) => i.name),
    share_of_sleep_from_training: m.pipelineSource.shareFromTraining,
    decoder: d
      ? {
          op: d.op,
          class: d.className,
          blend: d.blend,
          share_of_sleep: round(d.shareOfSleep),
          share_of_sleep_source: m.pipelineSource.shareFromTraining
            ? `training labels: ${d.className} epochs / non-W epochs of the training nights (per CV fold; all nights for this fit)`
            : 'fixed in the pipeline file',
        }
      : null,
  };
}

export function buildMetadata(m: MetadataInput): Record<string, unknown> {
  const evaluation: Record<string, unknown> = { ...evaluationJson(m.tuning.report), selection_note: SELECTION_NOTE };
  if (m.baseline) {
    const b = m.baseline.report;
    evaluation['untransformed_baseline'] = {
      description: 'same CV and hyperparameter grid, raw features (no transforms, no derived inputs, no decoder)',
      chosen: { l2: m.baseline.chosen.l2, class_weight: m.baseline.chosen.classWeight },
      accuracy: round(b.pooled.accuracy),
      cohen_kappa: round(b.kappa.model.pooled),
      kappa_mean: round(b.kappa.model.subjectMean),
      kappa_sd: round(b.kappa.model.subjectSd),
      per_class_recall: Object.fromEntries(Object.entries(b.perClassRecall).map(([k, v]) => [k, round(v)])),
      kappa_gain_from_transforms: round((m.tuning.report.kappa.model.pooled ?? NaN) - (b.kappa.model.pooled ?? NaN)),
    };
  }
  const fit = m.final.fit;
  const out: Record<string, unknown> = {
    version: m.version,
    created_at: m.createdAt,
    algorithm:
      'multinomial logistic regression (softmax), L2-penalised, fitted by Newton with line search on ' +
      'standardised inputs; standardisation folded into weights.npy/bias.npy' +
      (m.priorCalibration ? '; prior calibration offsets folded into bias.npy' : '') +
      (m.spec.decoder ? `; night decoder ${m.spec.decoder.op} on ${m.spec.decoder.className}` : ''),
    label_set: m.labelSet.name,
    label_set_description: m.labelSet.description,
    classes: [...m.labelSet.classes],
    feature_schema: 'sleep-accel-v1',
    features: [...m.features],
    transforms: m.spec.transforms.map((t) => ({ ...t })),
  };
  const pipeline = pipelineJson(m);
  if (pipeline) {
    out['inputs'] = m.spec.inputs.map((i) => i.name);
    out['pipeline'] = pipelineToJson(m.spec);
  }
  out['training'] = {
    data_source: 'PhysioNet sleep-accel 1.0.0, per-epoch feature CSVs (one night per subject), values read as float32 as the service stores them',
    n_subjects: m.nSubjects,
    n_epochs: m.nEpochs,
    class_counts: m.classCounts,
    aasm_stage_counts: m.stageCounts,
    hyperparameters: {
      l2: m.tuning.chosen.l2,
      l2_definition: 'objective = weighted mean cross-entropy + (l2/2)*||W_standardised||^2; biases unpenalised',
      class_weight: m.tuning.chosen.classWeight,
      class_weight_values: Object.fromEntries(m.labelSet.classes.map((c, i) => [c, round(fit.classWeights[i]!)])),
      standardisation_mean: Array.from(fit.mean, (v) => round(v, 9)),
      standardisation_scale: Array.from(fit.scale, (v) => round(v, 9)),
      prior_calibration: calibrationJson(m),
    },
    ...(pipeline ? { pipeline } : {}),
    solver: { max_iter: m.maxIter, iterations: fit.iterations, converged: fit.converged, objective: round(fit.objective, 9) },
    tuning: gridSummary(m.tuning),
    command: m.command,
  };
  out['evaluation'] = evaluation;
  out['data_provenance'] = DATA_PROVENANCE;
  return out;
}
