// Refreshes an existing model version's CV figures without touching its weights (versions are
// immutable): re-runs the CV with the hyperparameters its metadata records and the pipeline its
// folder declares, and rewrites metadata.json only.

import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadModelFolder } from '../models/model-loader.js';
import type { CvReport } from './cv-report.js';
import { cvReport } from './cv-report.js';
import { crossValidate } from './cross-validation.js';
import { loadSleepAccelDir, SLEEP_ACCEL_FEATURES } from './csv.js';
import { evaluationJson, round } from './evaluation-json.js';
import { isLabelSetName, LABEL_SETS } from './label-sets.js';
import { json } from './model-folder.js';
import { fitNightModel, type GridPoint } from './night-model-fit.js';
import { stackRows } from './night-rows.js';
import { cvData, trainingSetup } from './train-model.js';

export interface RefreshOptions {
  /** models/<version> */
  readonly modelDir: string;
  readonly dataDir: string;
  /** Override the recorded number of folds (tests); default: as recorded in the metadata. */
  readonly folds?: number;
  readonly command: string;
  readonly now?: Date;
  readonly log?: (line: string) => void;
}

export interface RefreshResult {
  readonly report: CvReport;
  readonly metadata: Record<string, unknown>;
  /** Largest |stored weight − refit weight| (float32), a check that the recorded settings reproduce the model. */
  readonly refitMaxAbsDiff: number;
}

type Json = Record<string, unknown>;

function obj(v: unknown, where: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`metadata.json: ${where} is missing`);
  return v as Json;
}

/** The settings the original training recorded. */
function recordedSettings(meta: Json): { labelSet: string; point: GridPoint; calibrate: boolean; shareFromTraining: boolean; nFolds: number; maxIter?: number } {
  const training = obj(meta['training'], 'training');
  const hp = obj(training['hyperparameters'], 'training.hyperparameters');
  const l2 = hp['l2'];
  const classWeight = hp['class_weight'];
  if (typeof l2 !== 'number' || (classWeight !== 'balanced' && classWeight !== 'none')) {
    throw new Error('metadata.json: training.hyperparameters needs l2 (number) and class_weight (balanced|none)');
  }
  const calibration = hp['prior_calibration'] as Json | undefined;
  const pipeline = training['pipeline'] as Json | undefined;
  const solver = training['solver'] as Json | undefined;
  const maxIter = solver?.['max_iter'];
  const nFolds = obj(meta['evaluation'], 'evaluation')['n_folds'];
  if (typeof nFolds !== 'number') throw new Error('metadata.json: evaluation.n_folds is missing');
  return {
    labelSet: String(meta['label_set']),
    point: { l2, classWeight },
    calibrate: calibration?.['enabled'] === true,
    shareFromTraining: pipeline?.['share_of_sleep_from_training'] === true,
    nFolds,
    ...(typeof maxIter === 'number' ? { maxIter } : {}),
  };
}

export async function refreshMetadata(opts: RefreshOptions): Promise<RefreshResult> {
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.modelDir);
  const loaded = await loadModelFolder(dirname(dir), basename(dir));
  const meta = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as Json;
  const settings = recordedSettings(meta);
  if (!isLabelSetName(settings.labelSet)) throw new Error(`metadata.json: unknown label_set "${settings.labelSet}"`);
  const labelSet = LABEL_SETS[settings.labelSet];
  if (labelSet.classes.join() !== loaded.labels.join()) throw new Error(`label_map.json (${loaded.labels.join()}) does not match label set ${labelSet.name}`);
  if (loaded.features.join() !== SLEEP_ACCEL_FEATURES.join()) throw new Error('the model does not use the sleep-accel feature schema');

  const subjects = await loadSleepAccelDir(opts.dataDir);
  const setup = trainingSetup(labelSet, { spec: loaded.pipeline, shareFromTraining: settings.shareFromTraining }, settings.calibrate, settings.maxIter);
  const data = cvData(subjects, setup);
  const nFolds = opts.folds ?? settings.nFolds;
  log(`refreshing ${loaded.version}: l2=${settings.point.l2} classWeight=${settings.point.classWeight} calibration=${settings.calibrate}, ${Math.min(nFolds, subjects.length)} folds`);
  const report = cvReport(crossValidate(data, setup, settings.point, nFolds));

  // The weights stay as shipped; a refit only checks that the recorded settings reproduce them.
  const refit = fitNightModel(stackRows(data.rows), setup, settings.point);
  let refitMaxAbsDiff = 0;
  refit.model.weights.forEach((w, i) => (refitMaxAbsDiff = Math.max(refitMaxAbsDiff, Math.abs(w - loaded.night.weights[i]!))));

  const previous = obj(meta['evaluation'], 'evaluation');
  const pick = (keys: readonly string[]) => Object.fromEntries(keys.filter((k) => k in previous).map((k) => [k, previous[k]]));
  const metadata: Json = {
    ...meta,
    evaluation: {
      ...evaluationJson(report),
      selection_note:
        'Hyperparameters are those recorded in training.hyperparameters (chosen by the original tuning in training.tuning); ' +
        'this CV re-runs the training procedure at that point, so the figures are slightly optimistic.',
    },
    metadata_refresh: {
      refreshed_at: (opts.now ?? new Date()).toISOString(),
      command: opts.command,
      note:
        'evaluation recomputed with the night-level CV (held-out nights scored whole through scoreNight, night statistics, trivial answers); ' +
        'weights.npy, bias.npy and every other file are unchanged. Training rows are now read as float32, as the service stores them.',
      refit_check: {
        description: 'max |weight| difference between the shipped weights and a refit on all nights with the recorded settings (float32 CSV values)',
        max_abs_weight_difference: round(refitMaxAbsDiff, 9),
      },
      previous_evaluation: pick(['method', 'n_epochs', 'accuracy', 'cohen_kappa', 'kappa_mean', 'kappa_sd', 'per_class_recall', 'untransformed_baseline']),
    },
  };
  const tmp = join(dir, `.metadata.json.tmp-${process.pid}`);
  await writeFile(tmp, json(metadata));
  await rename(tmp, join(dir, 'metadata.json'));
  log(`rewrote ${join(dir, 'metadata.json')} (refit check: max |Δw| = ${refitMaxAbsDiff.toExponential(2)})`);
  return { report, metadata, refitMaxAbsDiff };
}
