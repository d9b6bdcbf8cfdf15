// Orchestrates training: load CSVs, tune (l2, class weighting) by leave-subjects-out CV, fit on all
// subjects with the chosen setting, and write an immutable model folder.

import { resolve } from 'node:path';
import { plainPipeline } from '../models/pipeline.js';
import type { TransformSpec } from '../models/transforms.js';
import { compilePipeline } from '../scoring/night-inputs.js';
import type { CvData } from './cross-validation.js';
import { prepareCvData } from './cross-validation.js';
import { formatTuning } from './cv-format.js';
import type { SubjectData } from './csv.js';
import { loadSleepAccelDir, SLEEP_ACCEL_FEATURES } from './csv.js';
import type { TuningOutcome } from './grid-search.js';
import { gridSearch } from './grid-search.js';
import type { LabelSet, LabelSetName } from './label-sets.js';
import { AASM_STAGES, LABEL_SETS } from './label-sets.js';
import type { ClassWeighting } from './logistic-regression.js';
import { buildMetadata, type PipelineSource } from './model-metadata.js';
import { exists, writeModelFolder } from './model-folder.js';
import type { FittedNightModel, GridPoint, TrainingSetup } from './night-model-fit.js';
import { fitNightModel } from './night-model-fit.js';
import { nightRows, stackRows } from './night-rows.js';
import type { PipelineTemplate } from './pipeline-template.js';

export interface TrainOptions {
  readonly dataDir: string;
  readonly labelSet: LabelSetName;
  /** Per-feature transforms of a model without a pipeline (ignored when `pipeline` is given). */
  readonly transforms: readonly TransformSpec[];
  /** A --pipeline file: the model gets pipeline.json. */
  readonly pipeline?: { readonly file: string; readonly template: PipelineTemplate } | null;
  /** Per-class bias offsets so training argmax frequencies match label frequencies. */
  readonly priorCalibration?: boolean;
  /** Every (l2, classWeight) pair is cross-validated; the best pooled kappa wins. */
  readonly l2Grid: readonly number[];
  readonly classWeightGrid: readonly ClassWeighting[];
  /** Number of grouped folds; >= number of subjects means leave-one-subject-out. */
  readonly folds: number;
  /** Also CV the same grid on the raw features and record it as a baseline in metadata. */
  readonly compareUntransformed: boolean;
  readonly version: string;
  readonly outDir: string;
  readonly force: boolean;
  /** Evaluate only; write nothing. */
  readonly dryRun: boolean;
  /** The command line, recorded verbatim in metadata. */
  readonly command: string;
  readonly maxIter?: number;
  readonly now?: Date;
  readonly log?: (line: string) => void;
}

export interface TrainResult {
  readonly modelDir: string | null;
  readonly tuning: TuningOutcome;
  readonly baseline: TuningOutcome | null;
  /** The shipped model as scored in memory (float32 weights, completed pipeline). */
  readonly final: FittedNightModel;
  readonly metadata: Record<string, unknown>;
}

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function buildGrid(opts: TrainOptions): GridPoint[] {
  const grid: GridPoint[] = [];
  for (const classWeight of opts.classWeightGrid) for (const l2 of opts.l2Grid) grid.push({ l2, classWeight });
  return grid;
}

export function trainingSetup(labelSet: LabelSet, template: PipelineTemplate, priorCalibration: boolean, maxIter?: number): TrainingSetup {
  const compiled = compilePipeline(template.spec, [...SLEEP_ACCEL_FEATURES]);
  return { labelSet, template, compiled, priorCalibration, ...(maxIter === undefined ? {} : { maxIter }) };
}

/** Every night's inputs through the setup's pipeline, plus the true night statistics. */
export function cvData(subjects: readonly SubjectData[], setup: TrainingSetup): CvData {
  const rows = subjects.map((s) => nightRows(s, setup.compiled, setup.labelSet));
  return prepareCvData(subjects, rows, setup.labelSet.classes);
}

function counts(subjects: readonly SubjectData[], labelSet: LabelSet): { classCounts: Record<string, number>; stageCounts: Record<string, number> } {
  const classCounts: Record<string, number> = Object.fromEntries(labelSet.classes.map((c) => [c, 0]));
  const stageCounts: Record<string, number> = Object.fromEntries(AASM_STAGES.map((s) => [s, 0]));
  for (const s of subjects) {
    for (let i = 0; i < s.nEpochs; i++) {
      classCounts[labelSet.classes[labelSet.fromAasm[s.stages[i]!]!]!]!++;
      stageCounts[AASM_STAGES[s.stages[i]!]!]!++;
    }
  }
  return { classCounts, stageCounts };
}

export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  if (!VERSION_RE.test(opts.version)) throw new Error(`version "${opts.version}" must match ${VERSION_RE} (it becomes a folder name)`);
  const labelSet = LABEL_SETS[opts.labelSet];
  const features = [...SLEEP_ACCEL_FEATURES];
  const modelDir = resolve(opts.outDir, opts.version);
  if (!opts.dryRun && !opts.force && (await exists(modelDir))) {
    throw new Error(`${modelDir} already exists; model versions are immutable (use --force to replace)`);
  }
  const calibrate = opts.priorCalibration ?? false;
  const template: PipelineTemplate = opts.pipeline?.template ?? { spec: plainPipeline(features, opts.transforms), shareFromTraining: false };
  const pipelineSource: PipelineSource | null = opts.pipeline
    ? { file: opts.pipeline.file, shareFromTraining: opts.pipeline.template.shareFromTraining }
    : null;

  const subjects = await loadSleepAccelDir(opts.dataDir);
  const nEpochs = subjects.reduce((s, d) => s + d.nEpochs, 0);
  log(`loaded ${subjects.length} subjects, ${nEpochs} epochs from ${opts.dataDir}`);

  const setup = trainingSetup(labelSet, template, calibrate, opts.maxIter);
  const data = cvData(subjects, setup);
  const grid = buildGrid(opts);
  const tuning = gridSearch(data, setup, grid, opts.folds, log);
  log(formatTuning(`CV (${template.spec.inputs.length} inputs${calibrate ? ', prior calibration' : ''}${template.spec.decoder ? ', decoder' : ''})`, tuning));
  let baseline: TuningOutcome | null = null;
  if (opts.compareUntransformed && (template.spec.transforms.length > 0 || opts.pipeline)) {
    const raw = trainingSetup(labelSet, { spec: plainPipeline(features, []), shareFromTraining: false }, calibrate, opts.maxIter);
    baseline = gridSearch(cvData(subjects, raw), raw, grid, opts.folds);
    log(formatTuning('CV baseline (same grid, raw features)', baseline));
  }

  const final = fitNightModel(stackRows(data.rows), setup, tuning.chosen);
  if (!final.fit.converged) log(`warning: final fit did not converge in ${final.fit.iterations} iterations`);

  const metadata = buildMetadata({
    version: opts.version,
    createdAt: (opts.now ?? new Date()).toISOString(),
    labelSet,
    features,
    spec: final.spec,
    pipelineSource,
    priorCalibration: calibrate,
    nSubjects: subjects.length,
    nEpochs,
    ...counts(subjects, labelSet),
    final,
    tuning,
    baseline,
    maxIter: opts.maxIter ?? null,
    command: opts.command,
  });
  if (opts.dryRun) return { modelDir: null, tuning, baseline, final, metadata };

  const written = await writeModelFolder(
    opts.outDir,
    opts.version,
    { labelSet, features, model: final.model, spec: final.spec, withPipeline: pipelineSource !== null, metadata },
    opts.force,
  );
  log(`wrote ${written}`);
  return { modelDir: written, tuning, baseline, final, metadata };
}
